import { selectRowsWhere } from '@opsgraph/core';
import type { EntityManager } from 'typeorm';
import { AssetHold, type SourceDomain } from '../entities';

/** The holds supporting records put on assets (see AssetHold): the active ones of an asset, a record's, and their writes. */

/** The active holds on an asset at a site, oldest first (the partial index on active holds starts with the asset). */
export function activeHoldsOnAsset(db: EntityManager, assetId: string, siteId: string): Promise<AssetHold[]> {
  return selectRowsWhere(db, AssetHold, 'asset_id = $1 AND site_id = $2 AND released_at IS NULL', [assetId, siteId], { order: 'requested_at NULLS LAST, source_domain, source_record_id' });
}

/** A record's holds (all its assets, or one), locked: its request and release events change them one at a time. */
export function lockHoldsOfRecord(db: EntityManager, domain: SourceDomain, recordId: string, assetId?: string | null): Promise<AssetHold[]> {
  return assetId
    ? selectRowsWhere(db, AssetHold, 'source_domain = $1 AND source_record_id = $2 AND asset_id = $3', [domain, recordId, assetId], { lock: true })
    : selectRowsWhere(db, AssetHold, 'source_domain = $1 AND source_record_id = $2', [domain, recordId], { order: 'asset_id', lock: true });
}

/** The holds with these keys (the ones that stopped some items), in one statement. */
export function holdsWithKeys(db: EntityManager, keys: readonly { domain: SourceDomain; recordId: string; assetId: string }[]): Promise<AssetHold[]> {
  if (!keys.length) return Promise.resolve([]);
  return selectRowsWhere(db, AssetHold, '(source_domain, source_record_id, asset_id) IN (SELECT * FROM unnest($1::text[], $2::text[], $3::uuid[]))', [
    keys.map((k) => k.domain),
    keys.map((k) => k.recordId),
    keys.map((k) => k.assetId),
  ]);
}

/** Writes a hold (new or changed) whole. */
export async function saveAssetHold(db: EntityManager, hold: AssetHold): Promise<void> {
  await db.query(
    `INSERT INTO asset_hold (source_domain, source_record_id, asset_id, site_id, reason, resume_roles, requested_at, released_at, release_reason)
     VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9)
     ON CONFLICT (source_domain, source_record_id, asset_id) DO UPDATE SET site_id = excluded.site_id, reason = excluded.reason, resume_roles = excluded.resume_roles,
       requested_at = excluded.requested_at, released_at = excluded.released_at, release_reason = excluded.release_reason`,
    [hold.sourceDomain, hold.sourceRecordId, hold.assetId, hold.siteId, hold.reason, hold.resumeRoles, hold.requestedAt, hold.releasedAt, hold.releaseReason],
  );
}
