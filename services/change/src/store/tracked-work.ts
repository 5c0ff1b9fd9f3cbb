import { TrackedWorkItem, applyWorkEvent, loaderBy, type LocationKind, type WorkEventData } from '@opsgraph/core';
import { In, type EntityManager } from 'typeorm';

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
