import { inSiteScope, notFound, requireUuid, type Caller } from '@opsgraph/core';
import type { EntityManager } from 'typeorm';
import type { ComplianceCheck, ComplianceObligation, Requirement } from '../entities';
import { openChecksOfRequirementsAtSite } from '../store/checks';
import { obligationsOfRequirementsAtSite } from '../store/obligations';
import { requirementsAtSites } from '../store/requirements';
import { canSeeSite } from './context';
import { currentByTarget, evidenceList, worst, type ComplianceStatus } from './obligations';

/** A requirement's status from its occurrences and open checks (one requirement, any set of targets). */
export function requirementStatus(requirement: Requirement, occurrences: ComplianceObligation[], openChecks: number, now: Date): ComplianceStatus {
  const targets = currentByTarget(occurrences, requirement.leadDays, now).map((t) => t.status);
  if (openChecks) targets.push('DUE');
  return worst(targets);
}

/**
 * A requirement's status as the caller may know it: from its occurrences and open checks at the caller's
 * sites only, so a requirement shared with another site does not give away how that site stands.
 */
export function visibleRequirementStatus(caller: Caller, requirement: Requirement, occurrences: ComplianceObligation[], checks: ComplianceCheck[], now: Date): ComplianceStatus {
  const open = checks.filter((c) => c.status === 'OPEN' && canSeeSite(caller, c)).length;
  return requirementStatus(requirement, occurrences.filter((o) => canSeeSite(caller, o)), open, now);
}

/**
 * Compliance at a site: per requirement that applies there, MET / DUE / OVERDUE / SCHEDULED / NOT_MET with the
 * current occurrence per target (and the work behind it), open checks and the latest evidence.
 * Three statements whatever the number of requirements.
 */
export async function complianceStatus(db: EntityManager, caller: Caller, siteIdIn: string, now = new Date()) {
  const siteId = requireUuid(siteIdIn, 'siteId');
  if (!inSiteScope(caller, siteId)) throw notFound('site', siteId);
  const requirements = await requirementsAtSites(db, [siteId]);
  const ids = requirements.map((r) => r.id);
  const [occurrences, checks] = ids.length
    ? await Promise.all([
        obligationsOfRequirementsAtSite(db, ids, siteId),
        openChecksOfRequirementsAtSite(db, ids, siteId),
      ])
    : [[], []];
  const rows = requirements.map((requirement) => {
    const own = occurrences.filter((o) => o.requirementId === requirement.id);
    const targets = currentByTarget(own, requirement.leadDays, now);
    const openChecks = checks.filter((c) => c.requirementId === requirement.id);
    return {
      requirement,
      status: requirementStatus(requirement, own, openChecks.length, now),
      obligations: targets.map((t) => t.current),
      openChecks,
      lastEvidence: evidenceList(own)[0] ?? null,
    };
  });
  const count = (s: ComplianceStatus) => rows.filter((r) => r.status === s).length;
  return { site: { id: siteId }, met: count('MET'), due: count('DUE'), overdue: count('OVERDUE'), scheduled: count('SCHEDULED'), notMet: count('NOT_MET'), requirements: rows };
}
