import { TrackedWorkItem, loaderBy, loaderGrouped, type Caller } from '@opsgraph/core';
import DataLoader from 'dataloader';
import type { EntityManager } from 'typeorm';
import { ChangeApproval, ChangeRequest, ChangeTask, ChangeTransition, PreStartupCheck } from './entities';

/** Per-request batch loaders: every nested field of a list resolves in one statement per kind. */
export function createLoaders(db: EntityManager, caller: Caller) {
  return {
    change: loaderBy(db, ChangeRequest),
    approvalsByChange: loaderGrouped(db, ChangeApproval, 'changeId', { at: 'ASC' }),
    historyByChange: loaderGrouped(db, ChangeTransition, 'changeId', { id: 'ASC' }),
    tasksByChange: loaderGrouped(db, ChangeTask, 'changeId', { seq: 'ASC' }),
    checksByChange: loaderGrouped(db, PreStartupCheck, 'changeId', { seq: 'ASC' }),
    /** The work item Work created for one of our requests, from the local view of Work's events. */
    workByRequest: loaderBy(db, TrackedWorkItem, 'requestId'),
    /** Whether the work item Work created for one of our requests is the caller's contractor company's. */
    companyWorkByRequest: new DataLoader<string, boolean>(async (requestIds) => {
      const rows: { request_id: string }[] = caller.company
        ? await db.query(
            `SELECT t.request_id FROM tracked_work_item t JOIN work_contractor w ON w.work_item_id = t.work_item_id
              WHERE t.request_id = ANY($1) AND w.contractor_company = $2`,
            [requestIds, caller.company],
          )
        : [];
      const theirs = new Set(rows.map((r) => r.request_id));
      return requestIds.map((id) => theirs.has(id));
    }),
  };
}
export type Loaders = ReturnType<typeof createLoaders>;
