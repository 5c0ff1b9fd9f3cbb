import { loaderGrouped } from '@opsgraph/core';
import type { EntityManager } from 'typeorm';
import { GasTest } from '../entities';

/** Gas tests taken under permits: the latest of a permit, the per-request loader and the insert. */

/** The latest gas test of a permit (by time tested, then recorded), or null. */
export function latestGasTestOfPermit(db: EntityManager, permitId: string): Promise<GasTest | null> {
  return db.findOne(GasTest, { where: { permitId }, order: { testedAt: 'DESC', createdAt: 'DESC' } });
}

export const gasTestsOfPermitLoader = (db: EntityManager) => loaderGrouped(db, GasTest, 'permitId', { testedAt: 'DESC', createdAt: 'DESC' });

/** A new gas test, with the database's id and times on the returned entity. */
export function insertGasTest(db: EntityManager, fields: Partial<GasTest>): Promise<GasTest> {
  return db.save(db.create(GasTest, fields));
}
