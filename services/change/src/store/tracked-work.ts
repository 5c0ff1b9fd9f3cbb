import { TrackedWorkItem, applyWorkEvent, loaderBy, type LocationKind, type WorkEventData } from '@opsgraph/core';
import { In, type EntityManager } from 'typeorm';
import { PermitCover } from '../entities';

/**
 * What this domain knows of Work: the tracked view of work items (kept from Work's events, libs/core/src/tracked-work.ts),
 * the contractor company of each (what the contractor rule of row-level security reads), and the copy of Work's
 * location registry (known locations) the places of a change are checked against.
 */

// ---------- tracked work items ----------

/** The tracked work items that answer these requests. */
export function trackedWorkOfRequests(db: EntityManager, requestIds: string[]): Promise<TrackedWorkItem[]> {
  return db.find(TrackedWorkItem, { where: { requestId: In(requestIds) } });
}

/** The tracked work item that answers one request. */
export function trackedWorkOfRequest(db: EntityManager, requestId: string): Promise<TrackedWorkItem | null> {
  return db.findOneBy(TrackedWorkItem, { requestId });
}

/** The tracked work items with these ids. */
export function trackedWorkItems(db: EntityManager, workItemIds: string[]): Promise<TrackedWorkItem[]> {
  return db.find(TrackedWorkItem, { where: { workItemId: In(workItemIds) } });
}

/** Open work not started yet (OPEN, READY, ON_HOLD) on these assets at these sites, by work item id: only ids, site and source. */
export function unstartedWorkOnAssets(db: EntityManager, assetIds: string[], siteIds: string[]): Promise<Pick<TrackedWorkItem, 'workItemId' | 'siteId' | 'sourceDomain' | 'sourceRecordId'>[]> {
  return db.find(TrackedWorkItem, {
    where: { assetId: In(assetIds), siteId: In(siteIds), status: In(['OPEN', 'READY', 'ON_HOLD']) },
    select: { workItemId: true, siteId: true, sourceDomain: true, sourceRecordId: true },
    order: { workItemId: 'ASC' },
  });
}

/** Where these assets are: the area and line of the work Work last reported on each. */
export function placesOfAssets(db: EntityManager, assetIds: string[]): Promise<{ asset_id: string; area_id: string | null; line_id: string | null }[]> {
  return db.query('SELECT DISTINCT ON (asset_id) asset_id, area_id, line_id FROM tracked_work_item WHERE asset_id = ANY($1::uuid[]) ORDER BY asset_id, last_event_at DESC', [assetIds]);
}

/** Applies one of Work's work item events to the tracked view: the item before and after, and whether it applied. */
export function applyWorkItemEvent(db: EntityManager, type: string, data: WorkEventData, time: Date) {
  return applyWorkEvent(db, type, data, time);
}

export const trackedWorkOfRequestLoader = (db: EntityManager) => loaderBy(db, TrackedWorkItem, 'requestId');

// ---------- contractor companies of work items ----------

/** Records (or corrects) the contractor company of a work item. */
export async function upsertWorkContractor(db: EntityManager, workItemId: string, siteId: string, company: string): Promise<void> {
  await db.query(
    `INSERT INTO work_contractor (work_item_id, site_id, contractor_company) VALUES ($1, $2, $3)
       ON CONFLICT (work_item_id) DO UPDATE SET contractor_company = EXCLUDED.contractor_company`,
    [workItemId, siteId, company],
  );
}

/** Moves a contractor's work item to another site. */
export async function moveWorkContractor(db: EntityManager, workItemId: string, siteId: string): Promise<void> {
  await db.query(`UPDATE work_contractor SET site_id = $2 WHERE work_item_id = $1`, [workItemId, siteId]);
}

/** Which of these requests were answered by a work item of this contractor company. */
export function requestsOfCompanyWork(db: EntityManager, requestIds: readonly string[], company: string): Promise<{ request_id: string }[]> {
  return db.query(
    `SELECT t.request_id FROM tracked_work_item t JOIN work_contractor w ON w.work_item_id = t.work_item_id
              WHERE t.request_id = ANY($1) AND w.contractor_company = $2`,
    [requestIds, company],
  );
}

// ---------- known locations ----------

/** Which of these locations of a kind are known, of one of these sites (row-level security shows the request's sites only). */
export function knownLocationsOfSites(db: EntityManager, ids: string[], kind: LocationKind, siteIds: string[]): Promise<{ id: string }[]> {
  return db.query(`SELECT id FROM known_location WHERE id = ANY($1::uuid[]) AND kind = $2 AND site_id = ANY($3::uuid[])`, [ids, kind, siteIds]);
}

/** A location of a kind by its code within a site (an area's code is unique in its site, a line's in its area). */
export function knownLocationsByCode(db: EntityManager, siteId: string, kind: LocationKind, code: string): Promise<{ id: string; areaId: string | null; code: string }[]> {
  return db.query(`SELECT id, area_id AS "areaId", code FROM known_location WHERE site_id = $1 AND kind = $2 AND code = $3 ORDER BY id`, [siteId, kind, code]);
}

/** Locations of a kind, known and in the caller's scope (row-level security), by id. */
export function knownLocationsById(db: EntityManager, ids: string[], kind: LocationKind): Promise<{ id: string; siteId: string; areaId: string | null; code: string; name: string }[]> {
  return db.query(`SELECT id, site_id AS "siteId", area_id AS "areaId", code, name FROM known_location WHERE id = ANY($1::uuid[]) AND kind = $2`, [ids, kind]);
}

// ---------- issued permits covering work items ----------

/** Records that an issued permit covers a work item (a repeat changes nothing). */
export async function insertPermitCover(db: EntityManager, row: Omit<PermitCover, 'id'>): Promise<void> {
  await db.query(
    `INSERT INTO permit_cover (work_item_id, permit_id, permit_number, site_id, issued_at) VALUES ($1, $2, $3, $4, $5) ON CONFLICT (work_item_id, permit_id) DO NOTHING`,
    [row.workItemId, row.permitId, row.permitNumber, row.siteId, row.issuedAt],
  );
}

/** The issued permits known to cover these work items, earliest first. */
export function permitCoversOf(db: EntityManager, workItemIds: string[]): Promise<PermitCover[]> {
  return db.find(PermitCover, { where: { workItemId: In(workItemIds) }, order: { issuedAt: 'ASC' } });
}
