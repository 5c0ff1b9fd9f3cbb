import type { Caller } from '@opsgraph/core';
import DataLoader from 'dataloader';
import type { EntityManager } from 'typeorm';
import { approvalsOfChangeLoader } from './store/approvals';
import { changeLoader, historyOfChangeLoader, startupAuthorizationLoader } from './store/changes';
import { checkLoader, checksOfChangeLoader } from './store/checks';
import { tasksOfChangeLoader } from './store/tasks';
import { requestsOfCompanyWork, trackedWorkOfRequestLoader } from './store/tracked-work';

/** Per-request batch loaders: every nested field of a list resolves in one statement per kind. */
export function createLoaders(db: EntityManager, caller: Caller) {
  return {
    change: changeLoader(db),
    approvalsByChange: approvalsOfChangeLoader(db),
    historyByChange: historyOfChangeLoader(db),
    tasksByChange: tasksOfChangeLoader(db),
    checksByChange: checksOfChangeLoader(db),
    checkById: checkLoader(db),
    startupAuthorizationByChange: startupAuthorizationLoader(db),
    /** The work item Work created for one of our requests, from the local view of Work's events. */
    workByRequest: trackedWorkOfRequestLoader(db),
    /** Whether the work item Work created for one of our requests is the caller's contractor company's. */
    companyWorkByRequest: new DataLoader<string, boolean>(async (requestIds) => {
      const rows = caller.company ? await requestsOfCompanyWork(db, requestIds, caller.company) : [];
      const theirs = new Set(rows.map((r) => r.request_id));
      return requestIds.map((id) => theirs.has(id));
    }),
  };
}
export type Loaders = ReturnType<typeof createLoaders>;
