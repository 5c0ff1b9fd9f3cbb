import { badInput, oneOf, optionalText, requireText, textList } from '@opsgraph/core';
import { EVIDENCE_KINDS } from './schemas/common';
import type { EvidenceRequirementV1 } from './schemas/work-contracts';

/**
 * What "done" means for a work item: acceptance criteria and the evidence the performer must submit.
 * Every domain that raises work says what proof it needs, in this one shape (the `requiredOutcome` of
 * `work.requested`); Work checks submitted evidence against it. One validation for every input and event.
 */
export interface RequiredOutcomeV1 {
  acceptanceCriteria: string;
  evidence: EvidenceRequirementV1[];
}

const MAX_REQUIREMENTS = 50;

/** Validates a list of evidence requirements (kinds, labels unique case-insensitively, limits, checklist questions). */
export function evidenceRequirements(input: readonly EvidenceRequirementV1[] | null | undefined, field: string): EvidenceRequirementV1[] {
  const list = input ?? [];
  if (list.length > MAX_REQUIREMENTS) throw badInput(`at most ${MAX_REQUIREMENTS} evidence requirements`, { field });
  const evidence = list.map((req, i) => {
    const at = `${field}[${i}]`;
    const kind = oneOf(EVIDENCE_KINDS, req.kind, `${at}.kind`);
    const min = req.min ?? null;
    const max = req.max ?? null;
    if (min !== null && !Number.isFinite(min)) throw badInput(`${at}.min must be a number`, { field: `${at}.min` });
    if (max !== null && !Number.isFinite(max)) throw badInput(`${at}.max must be a number`, { field: `${at}.max` });
    if (min !== null && max !== null && min > max) throw badInput(`${at}: min is above max`, { field: at });
    const questions = req.questions ? textList(req.questions, `${at}.questions`) : null;
    if (kind === 'CHECKLIST' && !questions?.length) throw badInput(`${at}: a checklist needs its questions`, { field: at });
    return { kind, label: requireText(req.label, `${at}.label`, { max: 200 }), unit: optionalText(req.unit, `${at}.unit`, 30), min, max, questions };
  });
  if (new Set(evidence.map((e) => e.label.toLowerCase())).size !== evidence.length) throw badInput('evidence requirement labels must be unique', { field });
  return evidence;
}

/** Validates a required outcome; none given means `fallback` (e.g. "<title>: done as described", no evidence). */
export function requiredOutcome(
  input: { acceptanceCriteria: string; evidence?: readonly EvidenceRequirementV1[] | null } | null | undefined,
  fallback: RequiredOutcomeV1,
  field = 'requiredOutcome',
): RequiredOutcomeV1 {
  if (!input) return fallback;
  return {
    acceptanceCriteria: requireText(input.acceptanceCriteria, `${field}.acceptanceCriteria`, { max: 4000 }),
    evidence: evidenceRequirements(input.evidence, `${field}.evidence`),
  };
}
