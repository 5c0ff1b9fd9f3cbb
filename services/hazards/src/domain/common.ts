import { recordEvent } from '@opsgraph/events';
import { DomainError, ErrorCode, TrackedWorkItem, inSiteScope, type Caller } from '@opsgraph/core';
import type { EntityManager } from 'typeorm';
import { siteOfTrackedWorkItem } from '../store/tracked-work';

/** What a change runs with: the transaction, who asked and the request id that travels into events. */
export interface ChangeContext {
  manager: EntityManager;
  caller: Caller;
  requestId?: string;
}

/** Records a hazards event in the caller's transaction (validated against libs/events/src/schemas/hazards.ts). */
export const emit = (ctx: ChangeContext, type: string, subject: string, data: Record<string, unknown>) =>
  recordEvent(ctx.manager, { domain: 'hazards', type, subject, data, requestId: ctx.requestId });

/** The answer for a work item hazards cannot act on: the same for a random id, another site's, or one not known yet. */
export const unknownWorkItem = (id: string, field = 'workItemId') =>
  new DomainError(ErrorCode.NOT_FOUND, `work item ${id} not found (one created in Work a moment ago may not be known here yet: retry shortly)`, { id, field });

/**
 * A work item as Work's events told us (the tracked view), of the caller's sites: the database shows a request
 * only its sites' tracked work (row-level security). Any other id is "not found", exactly as a random id is, so
 * blocking it from here can neither reach nor reveal another site's work. An item created in Work a moment
 * ago may not be known here yet: the same answer, which says to retry shortly. Never accepted on trust.
 */
export async function requireKnownWorkItem(ctx: ChangeContext, workItemId: string, field = 'workItemId'): Promise<Pick<TrackedWorkItem, 'workItemId' | 'siteId'>> {
  const work = await siteOfTrackedWorkItem(ctx.manager, workItemId);
  if (!work || !inSiteScope(ctx.caller, work.siteId)) throw unknownWorkItem(workItemId, field);
  return work;
}
