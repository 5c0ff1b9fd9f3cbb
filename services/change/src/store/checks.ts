import { loaderBy, loaderGrouped } from '@opsgraph/core';
import { In, type EntityManager } from 'typeorm';
import { PreStartupCheck } from '../entities';

/** Pre-startup checks of changes (each raised as a work item): numbering, reads by id and per change, the locked read, writes and the per-request loader. */

/** The next check number of a change. */
export async function nextCheckSeq(db: EntityManager, changeId: string): Promise<number> {
  const row = await db.createQueryBuilder(PreStartupCheck, 'x').select('COALESCE(MAX(x.seq), 0)', 'max').where('x.changeId = :changeId', { changeId }).getRawOne<{ max: number }>();
  return Number(row?.max ?? 0) + 1;
}

export function checkById(db: EntityManager, id: string): Promise<PreStartupCheck | null> {
  return db.getRepository(PreStartupCheck).findOneBy({ id });
}

/** Locks (`FOR UPDATE`) and reads a check for a change. */
export function lockCheck(db: EntityManager, id: string): Promise<PreStartupCheck | null> {
  return db.findOne(PreStartupCheck, { where: { id }, lock: { mode: 'pessimistic_write' } });
}

/** A new check, with the database's id on the returned entity. */
export function insertCheck(db: EntityManager, fields: Partial<PreStartupCheck>): Promise<PreStartupCheck> {
  return db.save(db.create(PreStartupCheck, fields));
}

export function saveCheck(db: EntityManager, check: PreStartupCheck): Promise<PreStartupCheck> {
  return db.save(check);
}

/** A change's checks, in no particular order. */
export function checksOfChange(db: EntityManager, changeId: string): Promise<PreStartupCheck[]> {
  return db.find(PreStartupCheck, { where: { changeId } });
}

/** A change's checks, by number. */
export function checksOfChangeInOrder(db: EntityManager, changeId: string): Promise<PreStartupCheck[]> {
  return db.find(PreStartupCheck, { where: { changeId }, order: { seq: 'ASC' } });
}

/** The checks of these changes, by number. */
export function checksOfChanges(db: EntityManager, changeIds: string[]): Promise<PreStartupCheck[]> {
  return db.getRepository(PreStartupCheck).find({ where: { changeId: In(changeIds) }, order: { seq: 'ASC' } });
}

/** The checks that need a permit and were raised under these work request ids. */
export function permitChecksOfRequests(db: EntityManager, requestIds: string[]): Promise<PreStartupCheck[]> {
  return db.find(PreStartupCheck, { where: { requestId: In(requestIds), permitRequired: true } });
}

export const checksOfChangeLoader = (db: EntityManager) => loaderGrouped(db, PreStartupCheck, 'changeId', { seq: 'ASC' });
export const checkLoader = (db: EntityManager) => loaderBy(db, PreStartupCheck);
