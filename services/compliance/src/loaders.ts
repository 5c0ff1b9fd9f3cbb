import { TrackedWorkItem, isUuid, loaderBy, loaderGrouped, type Caller } from '@opsgraph/core';
import DataLoader from 'dataloader';
import type { EntityManager } from 'typeorm';
import { AuditFinding, ComplianceAudit, ComplianceCheck, ComplianceFindingAction, ComplianceObligation, Requirement } from './entities';
import { canSeeRequirement } from './domain/context';
import { appliesTo, requirementsAtSites, type WorkFacts } from './domain/requirements';

/** Per-request batch loaders: every nested field of a list resolves in one statement per kind. */
export function createLoaders(db: EntityManager, caller: Caller) {
  return {
    requirement: loaderBy(db, Requirement),
    obligationsByRequirement: loaderGrouped(db, ComplianceObligation, 'requirementId', { dueAt: 'DESC' }),
    checksByRequirement: loaderGrouped(db, ComplianceCheck, 'requirementId', { createdAt: 'ASC' }),
    checksByWorkItem: loaderGrouped(db, ComplianceCheck, 'workItemId', { createdAt: 'ASC' }),
    audit: loaderBy(db, ComplianceAudit),
    finding: loaderBy(db, AuditFinding),
    findingsByAudit: loaderGrouped(db, AuditFinding, 'auditId', { seq: 'ASC' }),
    actionsByFinding: loaderGrouped(db, ComplianceFindingAction, 'findingId', { seq: 'ASC' }),
    /** The work item Work created for one of our requests, from the local view of Work's events. */
    workByRequest: loaderBy(db, TrackedWorkItem, 'requestId'),
    /** Requirements that apply to work items (keyed by their facts as JSON): one statement for a whole list. */
    requirementsForWork: new DataLoader<string, Requirement[]>(async (keys) => {
      const facts = keys.map((k) => JSON.parse(k) as WorkFacts);
      const sources = facts.filter((f) => f.sourceDomain === 'COMPLIANCE' && isUuid(f.sourceRecordId)).map((f) => f.sourceRecordId!);
      const candidates = (await requirementsAtSites(db, [...new Set(facts.map((f) => f.siteId))], [...new Set(sources)])).filter((r) => canSeeRequirement(caller, r));
      return facts.map((f) => candidates.filter((r) => appliesTo(r, f)));
    }),
  };
}
export type Loaders = ReturnType<typeof createLoaders>;
