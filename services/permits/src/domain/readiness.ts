import { inWindow } from '@opsgraph/core';
import { FINAL_STATUSES, type Permit } from '../entities';

/**
 * What a permit's state means for the work it covers. The same words appear on the work item (the reason
 * of its "valid permit" prerequisite) and in the readiness summary, so the board and the graph agree.
 */

const TYPE_WORDS: Record<Permit['type'], string> = {
  HOT_WORK: 'hot work',
  COLD_WORK: 'cold work',
  CONFINED_SPACE: 'confined space',
  WORK_AT_HEIGHT: 'work at height',
  ELECTRICAL: 'electrical',
  EXCAVATION: 'excavation',
  LINE_BREAKING: 'line breaking',
};

/** The description of the prerequisite a permit raises on each work item it covers. */
export const requirementText = (permit: Permit) => `Valid ${TYPE_WORDS[permit.type]} permit ${permit.number}`;

/** True while work may go on under the permit: issued and inside its validity window. */
export const authorises = (permit: Permit, now: Date) => permit.status === 'ISSUED' && inWindow(now, permit.validFrom, permit.validTo);

const withReason = (text: string, reason: string | null) => (reason ? `${text}: ${reason}` : text);

/** Why the permit does not allow the work now, or null when it does. */
export function permitProblem(permit: Permit, now: Date): string | null {
  const n = permit.number;
  switch (permit.status) {
    case 'DRAFT':
    case 'REQUESTED':
    case 'APPROVED':
      return `${n} not yet issued (${permit.status.toLowerCase()})`;
    case 'ISSUED':
      if (now.getTime() < permit.validFrom.getTime()) return `${n} not valid before ${permit.validFrom.toISOString()}`;
      if (now.getTime() >= permit.validTo.getTime()) return `${n} validity ended at ${permit.validTo.toISOString()}`;
      return null;
    case 'SUSPENDED':
      return withReason(`${n} suspended`, permit.statusReason);
    case 'CLOSED':
      return `${n} closed`;
    case 'CANCELLED':
      return withReason(`${n} cancelled`, permit.statusReason);
    case 'EXPIRED':
      return `${n} expired at ${permit.validTo.toISOString()}`;
  }
}

/**
 * A permit that ended (closed, cancelled, expired) stops blocking an item once another permit covering it
 * was issued after it ended: the job goes on under the new permit.
 */
export function superseded(permit: Permit, others: Permit[]): boolean {
  if (!FINAL_STATUSES.includes(permit.status) || !permit.endedAt) return false;
  return others.some((p) => p.id !== permit.id && p.issuedAt !== null && p.issuedAt.getTime() > permit.endedAt!.getTime());
}

export interface PermitReadiness {
  required: boolean;
  valid: boolean;
  ready: boolean;
  problems: string[];
}

/** The readiness of one work item from the permits covering it. */
export function readinessOf(permits: Permit[], now: Date): PermitReadiness {
  const problems = permits
    .filter((p) => !superseded(p, permits))
    .map((p) => permitProblem(p, now))
    .filter((problem): problem is string => problem !== null);
  const valid = permits.some((p) => authorises(p, now));
  return { required: permits.length > 0, valid, ready: permits.length === 0 || (valid && problems.length === 0), problems };
}
