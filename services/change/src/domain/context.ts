import { inSiteScope, notFound, type Caller, type TrackedWorkItem } from '@opsgraph/core';
import type { EntityManager } from 'typeorm';
import type { ChangeRequest } from '../entities';
import { lockChangeRequest } from '../store/changes';

/** What every change to this domain's records runs with: the transaction, who acts, the request id. */
export interface ChangeContext {
  manager: EntityManager;
  caller: Caller;
  requestId?: string;
}

export const changeNumber = (change: Pick<ChangeRequest, 'seq'>) => `MOC-${String(change.seq).padStart(6, '0')}`;

/**
 * Where a work item stood, as this domain last heard it from Work. The copy lags Work by the time its events
 * take, so a text never states the status as current: it says as of which of Work's events (DONE and CANCELLED
 * are final, yet dated all the same).
 */
export const workStatusAsOf = (tracked: Pick<TrackedWorkItem, 'number' | 'status' | 'lastEventAt'> | null | undefined) =>
  tracked ? `${tracked.number} was ${tracked.status} as of ${tracked.lastEventAt.toISOString()}` : 'no work item reported by Work yet';

/**
 * A change is visible to callers working at one of its sites. A contractor-only caller sees, on top of it,
 * only the changes behind their company's jobs: that rule is the database's (policy
 * `change_request_contractor`, see the RowLevelSecurity migration), and which fields they read the resolvers'.
 */
export const canSee = (caller: Caller, change: Pick<ChangeRequest, 'siteIds'>) => change.siteIds.some((site) => inSiteScope(caller, site));

/** Loads a change for an update, locked so concurrent decisions queue; out of site scope is not found. */
export async function lockChange(ctx: ChangeContext, id: string): Promise<ChangeRequest> {
  const change = await lockChangeRequest(ctx.manager, id);
  if (!change || !canSee(ctx.caller, change)) throw notFound('change request', id);
  return change;
}
