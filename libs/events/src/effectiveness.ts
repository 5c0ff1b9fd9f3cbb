import { badInput, clipText } from '@opsgraph/core';
import type { RequiredOutcomeV1 } from './outcome';

/**
 * CAPA that proves it worked, as hazards (incidents) and compliance (findings) ask for it: a record closed with
 * verified actions is checked again a set time later (`effectivenessCheckDays`, default 30), as an INSPECTION
 * work item due two weeks after it is raised. Its proof: how many times the problem recurred (only 0 is within
 * limits) and who checked. Within limits → closed-effective; outside → not effective, and the record reopens.
 */
export const DEFAULT_EFFECTIVENESS_DAYS = 30;
export const MAX_EFFECTIVENESS_DAYS = 365;
/** How long the check may take once raised (its work item's due date). */
export const EFFECTIVENESS_WINDOW_DAYS = 14;
export const RECURRENCES_LABEL = 'Recurrences since closing';

export function effectivenessDays(value: number | null | undefined, field = 'effectivenessCheckDays'): number {
  if (value === null || value === undefined) return DEFAULT_EFFECTIVENESS_DAYS;
  if (!Number.isInteger(value) || value < 0 || value > MAX_EFFECTIVENESS_DAYS) {
    throw badInput(`${field} must be a whole number of days from 0 to ${MAX_EFFECTIVENESS_DAYS}`, { field });
  }
  return value;
}

/** The proof the check asks for; `actions` names what was done ("the corrective actions of AUD-…-F1"). */
export const effectivenessOutcome = (actions: string, days: number): RequiredOutcomeV1 => ({
  acceptanceCriteria: clipText(`${actions} are still in place and working, and nothing like it has recurred in the ${days} day(s) since it closed`, 4000),
  evidence: [
    { kind: 'MEASUREMENT', label: RECURRENCES_LABEL, unit: 'events', min: 0, max: 0 },
    { kind: 'SIGNATURE', label: 'Effectiveness checked by' },
  ],
});
