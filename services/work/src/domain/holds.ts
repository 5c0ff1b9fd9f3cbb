import { logger } from '@opsgraph/core';
import type { WorkHoldReleasedV1, WorkHoldRequestedV1 } from '@opsgraph/events';
import type { AssetHold, SourceDomain } from '../entities';
import { lockHoldsOfRecord, saveAssetHold } from '../store/holds';
import { assetById } from '../store/locations';
import { holdWorkOnAsset, type ChangeContext } from './work-items';

/**
 * Holds supporting records put on assets (`work.hold_requested` … `work.hold_released`): Work keeps each one per
 * asset and record, so that new work on a held asset starts held and held work is resumed only by the roles the
 * record named, after its release or by their override with a reason (domain/work-items.ts, `resumeWork`).
 * Each change carries its event's time: a release is not undone by an older request read after it.
 */

const DEFAULT_RESUME_ROLES = ['supervisor'];

/** A record asks for its asset's work to stop: keep the hold and hold the open work on the asset. */
export async function requestHold(ctx: ChangeContext, source: SourceDomain, d: WorkHoldRequestedV1, at: Date): Promise<void> {
  const asset = await assetById(ctx.manager, d.assetId);
  // A record of one site never holds another site's asset (an asset id named at the wrong site).
  if (!asset || (d.siteId && asset.siteId !== d.siteId)) {
    logger.warn({ assetId: d.assetId, siteId: d.siteId, sourceDomain: source, sourceRecordId: d.sourceRecordId }, 'a hold for an asset of another site (or none) was ignored');
    return;
  }
  const [existing] = await lockHoldsOfRecord(ctx.manager, source, d.sourceRecordId, d.assetId);
  if (existing?.releasedAt && existing.releasedAt >= at) return; // released after this request was made
  if (existing?.requestedAt && existing.requestedAt > at && !existing.releasedAt) return; // a later request stands
  const hold: AssetHold = {
    sourceDomain: source,
    sourceRecordId: d.sourceRecordId,
    assetId: asset.id,
    siteId: asset.siteId,
    reason: d.reason,
    resumeRoles: d.resumeRoles?.length ? [...new Set(d.resumeRoles)] : DEFAULT_RESUME_ROLES,
    requestedAt: at,
    releasedAt: null,
    releaseReason: null,
  };
  await saveAssetHold(ctx.manager, hold);
  await holdWorkOnAsset(ctx, asset.id, d.reason, asset.siteId, { domain: source, recordId: d.sourceRecordId });
}

/** The cause ended: the record's holds (on one asset or all) stop holding new work; held work waits for a person to resume it. */
export async function releaseHold(ctx: ChangeContext, source: SourceDomain, d: WorkHoldReleasedV1, at: Date): Promise<void> {
  const holds = await lockHoldsOfRecord(ctx.manager, source, d.sourceRecordId, d.assetId);
  if (!holds.length && d.assetId) {
    // Released before its request was read: kept released, so the request, older, holds nothing.
    const asset = await assetById(ctx.manager, d.assetId);
    if (!asset || (d.siteId && asset.siteId !== d.siteId)) return;
    holds.push({ sourceDomain: source, sourceRecordId: d.sourceRecordId, assetId: asset.id, siteId: asset.siteId, reason: null, resumeRoles: DEFAULT_RESUME_ROLES, requestedAt: null, releasedAt: null, releaseReason: null });
  }
  for (const hold of holds) {
    if (d.siteId && hold.siteId !== d.siteId) continue;
    if (hold.requestedAt && hold.requestedAt > at) continue; // a later request stands
    if (hold.releasedAt && hold.releasedAt >= at) continue;
    hold.releasedAt = at;
    hold.releaseReason = d.reason ?? null;
    await saveAssetHold(ctx.manager, hold);
  }
}
