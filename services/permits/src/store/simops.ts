import { loaderGrouped, selectRowsWhere } from '@opsgraph/core';
import type { EntityManager } from 'typeorm';
import { Permit, SimopsDecision, type PermitStatus } from '../entities';

/** Simultaneous operations: the live permits of sites, the issuers' decisions, and the lock that serialises issuing at a site. */

/**
 * Serialises issuing and reinstating at one site until the transaction ends: two conflicting permits issued at
 * the same moment would each miss the other (neither live yet), so the second waits and then sees the first.
 */
export async function lockSiteForSimops(db: EntityManager, siteId: string): Promise<void> {
  await db.query(`SELECT pg_advisory_xact_lock(hashtextextended('opsgraph.simops:' || $1, 0))`, [siteId]);
}

/** Permits of these sites in one of these states (the live ones), by number: one statement on the (site_id, status) index. */
export function permitsOfSitesIn(db: EntityManager, siteIds: readonly string[], statuses: readonly PermitStatus[]): Promise<Permit[]> {
  return selectRowsWhere(db, Permit, 'site_id = ANY($1::uuid[]) AND status = ANY($2::text[])', [siteIds, statuses], { order: { number: 'ASC' } });
}

/** Decisions recorded on these permits or naming them as conflicting, oldest first: one statement (btree or GIN). */
export function decisionsInvolving(db: EntityManager, permitIds: readonly string[]): Promise<SimopsDecision[]> {
  return selectRowsWhere(db, SimopsDecision, 'permit_id = ANY($1::uuid[]) OR conflicting_permit_ids && ARRAY(SELECT unnest($1::uuid[]))', [permitIds], { order: { decidedAt: 'ASC' } });
}

/** Decisions recorded on each permit (for its history entries). */
export const decisionsOfPermitLoader = (db: EntityManager) => loaderGrouped(db, SimopsDecision, 'permitId', { decidedAt: 'ASC' });

/** A decision, with the database's id on the returned row. */
export function insertSimopsDecision(db: EntityManager, fields: Partial<SimopsDecision>): Promise<SimopsDecision> {
  return db.save(db.create(SimopsDecision, fields));
}
