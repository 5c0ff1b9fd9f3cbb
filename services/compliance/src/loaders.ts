import { isUuid, type Caller } from '@opsgraph/core';
import DataLoader from 'dataloader';
import type { EntityManager } from 'typeorm';
import type { Requirement } from './entities';
import { canSeeRequirement } from './domain/context';
import { appliesTo, type WorkFacts } from './domain/requirements';
import { auditLoader } from './store/audits';
import { checksOfRequirementLoader, checksOfWorkItemLoader } from './store/checks';
import { actionsOfFindingLoader, findingLoader, findingsOfAuditLoader, historyOfFindingLoader } from './store/findings';
import { obligationLoader, obligationsOfRequirementLoader } from './store/obligations';
import { requirementLoader, requirementsAtSites } from './store/requirements';
import { trackedWorkByRequestLoader } from './store/tracked-work';

/** Per-request batch loaders: every nested field of a list resolves in one statement per kind. */
export function createLoaders(db: EntityManager, caller: Caller) {
  return {
    requirement: requirementLoader(db),
    obligationsByRequirement: obligationsOfRequirementLoader(db),
    checksByRequirement: checksOfRequirementLoader(db),
    checksByWorkItem: checksOfWorkItemLoader(db),
    audit: auditLoader(db),
    finding: findingLoader(db),
    findingsByAudit: findingsOfAuditLoader(db),
    actionsByFinding: actionsOfFindingLoader(db),
    historyByFinding: historyOfFindingLoader(db),
    obligation: obligationLoader(db),
    /** The work item Work created for one of our requests, from the local view of Work's events. */
    workByRequest: trackedWorkByRequestLoader(db),
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
