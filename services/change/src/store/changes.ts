import { loaderBy, loaderGrouped, type Caller } from '@opsgraph/core';
import { In, type EntityManager } from 'typeorm';
import { BLOCKING_RESTART, ChangeGate, ChangeRequest, ChangeTransition, IN_PLACE, PENDING_APPROVAL, StartupAuthorization, type ChangeStatus, type ChangeType } from '../entities';

/**
 * Change requests, their history (transitions) and their gates (the work items a pending change holds
 * behind its approval): reads by id, the locked read and writes of a change, the filtered and keyset-paginated
 * list (kept to the caller's sites on top of row-level security), the changes the restart answer, the
 * consumer and the scheduler look at, and the per-request loaders.
 */

/** A filter on changes with its values already checked (`listChangeRequests` in domain/queries.ts). */
export interface ChangeConditions {
  siteId?: string;
  assetId?: string;
  status?: ChangeStatus[] | null;
  type?: ChangeType | null;
}

// ---------- change requests ----------

export function changeById(db: EntityManager, id: string): Promise<ChangeRequest | null> {
  return db.getRepository(ChangeRequest).findOneBy({ id });
}

/** Locks (`FOR UPDATE`) and reads a change, so concurrent decisions queue. */
export function lockChangeRequest(db: EntityManager, id: string): Promise<ChangeRequest | null> {
  return db.findOne(ChangeRequest, { where: { id }, lock: { mode: 'pessimistic_write' } });
}

/** A new change, with the database's id, number and times on the returned entity. */
export function insertChangeRequest(db: EntityManager, fields: Partial<ChangeRequest>): Promise<ChangeRequest> {
  return db.save(db.create(ChangeRequest, fields));
}

export function saveChangeRequest(db: EntityManager, change: ChangeRequest): Promise<ChangeRequest> {
  return db.save(change);
}

/**
 * Newest first, keyset-paginated on the change number below `cursorSeq`, one row more than `limit`: the
 * filter's total count, then the page (two statements, in this order).
 */
export async function changeRequestsPage(db: EntityManager, caller: Caller, filter: ChangeConditions, limit: number, cursorSeq: number | undefined): Promise<[ChangeRequest[], number]> {
  const q = db.getRepository(ChangeRequest).createQueryBuilder('c');
  if (!caller.sites.includes('*')) q.andWhere('c.siteIds && :sites::uuid[]', { sites: caller.sites });
  if (filter.siteId) q.andWhere(':siteId = ANY(c.siteIds)', { siteId: filter.siteId });
  if (filter.assetId) q.andWhere(':assetId = ANY(c.assetIds)', { assetId: filter.assetId });
  if (filter.status?.length) q.andWhere('c.status IN (:...statuses)', { statuses: filter.status });
  if (filter.type) q.andWhere('c.type = :type', { type: filter.type });
  const totalCount = await q.clone().getCount();
  if (cursorSeq !== undefined) q.andWhere('c.seq < :seq', { seq: cursorSeq });
  const rows = await q.orderBy('c.seq', 'DESC').take(limit + 1).getMany();
  return [rows, totalCount];
}

/** The changes that stand in the way of a restart (implementing or in pre-startup review), oldest first. */
export function changesBlockingRestart(db: EntityManager): Promise<ChangeRequest[]> {
  return db.getRepository(ChangeRequest).find({ where: { status: In(BLOCKING_RESTART) }, order: { seq: 'ASC' } });
}

/** The changes awaiting approval with this asset in scope, at this site, oldest first. */
export function pendingChangesOnAsset(db: EntityManager, assetId: string, siteId: string): Promise<ChangeRequest[]> {
  return db
    .getRepository(ChangeRequest)
    .createQueryBuilder('c')
    .where('c.status IN (:...statuses) AND :assetId = ANY(c.assetIds) AND :siteId = ANY(c.siteIds)', { statuses: PENDING_APPROVAL, assetId, siteId })
    .orderBy('c.seq', 'ASC')
    .getMany();
}

/** Temporary changes in place past their end date that have not raised their restore action, oldest first. */
export function temporaryChangesDue(db: EntityManager, now: Date): Promise<ChangeRequest[]> {
  return db.getRepository(ChangeRequest).createQueryBuilder('c')
    .where(`c.type = 'TEMPORARY' AND c.status IN (:...statuses) AND c.endDate <= :now AND c.restoreRequestId IS NULL`, { statuses: IN_PLACE, now })
    .orderBy('c.seq', 'ASC')
    .getMany();
}

// ---------- history ----------

export async function insertChangeTransition(db: EntityManager, row: Omit<ChangeTransition, 'id'>): Promise<void> {
  await db.insert(ChangeTransition, row);
}

/** The transitions of a change into SUBMITTED (who submitted it). */
export function submissionsOfChange(db: EntityManager, changeId: string): Promise<ChangeTransition[]> {
  return db.find(ChangeTransition, { where: { changeId, toStatus: 'SUBMITTED' } });
}

// ---------- start-up authorization ----------

/** Records the start-up authorization of a change (once: the unique index refuses a second). */
export async function insertStartupAuthorization(db: EntityManager, row: Omit<StartupAuthorization, 'id'>): Promise<StartupAuthorization> {
  return db.save(db.create(StartupAuthorization, row));
}

// ---------- gates ----------

/** Puts a work item behind a change's approval, once: whether it was not there yet. */
export async function insertGate(db: EntityManager, changeId: string, workItemId: string): Promise<boolean> {
  const inserted: unknown[] = await db.query(
    `INSERT INTO change_gate (change_id, work_item_id) VALUES ($1, $2) ON CONFLICT (change_id, work_item_id) DO NOTHING RETURNING id`,
    [changeId, workItemId],
  );
  return inserted.length > 0;
}

/** The gates of a change (the work items it held behind its approval). */
export function gatesOfChange(db: EntityManager, changeId: string): Promise<ChangeGate[]> {
  return db.find(ChangeGate, { where: { changeId } });
}

// ---------- per-request loaders (one statement per tick) ----------

export const changeLoader = (db: EntityManager) => loaderBy(db, ChangeRequest);
export const startupAuthorizationLoader = (db: EntityManager) => loaderBy(db, StartupAuthorization, 'changeId');
export const historyOfChangeLoader = (db: EntityManager) => loaderGrouped(db, ChangeTransition, 'changeId', { id: 'ASC' });
