import { recordEvent } from '@opsgraph/events';
import { TrackedWorkItem, type Caller } from '@opsgraph/core';
import type { EntityManager } from 'typeorm';

/** What a change runs with: the transaction, who asked and the request id that travels into events. */
export interface ChangeContext {
  manager: EntityManager;
  caller: Caller;
  requestId?: string;
}

/** Records a hazards event in the caller's transaction (validated against libs/events/src/schemas/hazards.ts). */
export const emit = (ctx: ChangeContext, type: string, subject: string, data: Record<string, unknown>) =>
  recordEvent(ctx.manager, { domain: 'hazards', type, subject, data, requestId: ctx.requestId });

/**
 * The site an asset is at, as Work's events told us (from the work on it), or null when no work on it
 * is known yet. Hazards does not own the registry: this is what it can check a caller's asset against.
 */
export async function knownSiteOfAsset(manager: EntityManager, assetId: string): Promise<string | null> {
  const work = await manager.findOne(TrackedWorkItem, { where: { assetId }, select: { workItemId: true, siteId: true } });
  return work?.siteId ?? null;
}
