import { TrackedWorkItem, loaderBy, loaderGrouped } from '@opsgraph/core';
import type { DataSource } from 'typeorm';
import { ChangeApproval, ChangeRequest, ChangeTask, ChangeTransition, PreStartupCheck } from './entities';

/** Per-request batch loaders: every nested field of a list resolves in one statement per kind. */
export function createLoaders(db: DataSource) {
  return {
    change: loaderBy(db, ChangeRequest),
    approvalsByChange: loaderGrouped(db, ChangeApproval, 'changeId', { at: 'ASC' }),
    historyByChange: loaderGrouped(db, ChangeTransition, 'changeId', { id: 'ASC' }),
    tasksByChange: loaderGrouped(db, ChangeTask, 'changeId', { seq: 'ASC' }),
    checksByChange: loaderGrouped(db, PreStartupCheck, 'changeId', { seq: 'ASC' }),
    /** The work item Work created for one of our requests, from the local view of Work's events. */
    workByRequest: loaderBy(db, TrackedWorkItem, 'requestId'),
  };
}
export type Loaders = ReturnType<typeof createLoaders>;
