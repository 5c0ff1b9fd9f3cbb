import { loaderGrouped, selectRowsWhere } from '@opsgraph/core';
import type { EntityManager } from 'typeorm';
import { Isolation } from '../entities';

/** Isolations of permits (planned, applied, verified, removed): reads by id, by permit and by asset, the locked read of a change and the writes. */

export function isolationById(db: EntityManager, id: string): Promise<Isolation | null> {
  return db.findOneBy(Isolation, { id });
}

/** An isolation locked for change (`FOR UPDATE`); null when it does not exist. */
export function lockIsolation(db: EntityManager, id: string): Promise<Isolation | null> {
  return db.findOne(Isolation, { where: { id }, lock: { mode: 'pessimistic_write' } });
}

/** The isolations of a permit, in the order they were planned. */
export function isolationsOfPermit(db: EntityManager, permitId: string): Promise<Isolation[]> {
  return db.find(Isolation, { where: { permitId }, order: { createdAt: 'ASC' } });
}

export const isolationsOfPermitLoader = (db: EntityManager) => loaderGrouped(db, Isolation, 'permitId', { createdAt: 'ASC' });

/** Isolations applied and not yet removed on any of these assets, earliest applied first. */
export function activeIsolationsOnAssets(db: EntityManager, assetIds: readonly string[]): Promise<Isolation[]> {
  // The condition of the partial index isolation_active_by_asset, word for word.
  return selectRowsWhere(db, Isolation, 'asset_id = ANY($1) AND applied_at IS NOT NULL AND removed_at IS NULL', [assetIds], { order: { appliedAt: 'ASC' } });
}

/** New isolations, in one statement. */
export async function insertIsolations(db: EntityManager, rows: Partial<Isolation>[]): Promise<void> {
  await db.insert(Isolation, rows);
}

/** A new isolation, with the database's id and times on the returned entity. */
export function insertIsolation(db: EntityManager, fields: Partial<Isolation>): Promise<Isolation> {
  return db.save(db.create(Isolation, fields));
}

export async function saveIsolation(db: EntityManager, isolation: Isolation): Promise<void> {
  await db.save(isolation);
}
