import { insertRows, loaderGrouped } from '@opsgraph/core';
import type { EntityManager } from 'typeorm';
import { Evidence, Transition } from '../entities';

/**
 * What was done to work items: the append-only transitions (status history) and the evidence submitted on
 * completion. Both are only inserted, never updated.
 */

export const transitionsOfWorkItemLoader = (db: EntityManager) => loaderGrouped(db, Transition, 'workItemId', { id: 'ASC' });
export const evidenceOfWorkItemLoader = (db: EntityManager) => loaderGrouped(db, Evidence, 'workItemId', { submittedAt: 'ASC' });

/**
 * Who performed an item so far, in one statement: its transitions into IN_PROGRESS or AWAITING_VERIFICATION,
 * then one row per person who submitted evidence for it (with null statuses).
 */
export function performanceOfWorkItem(
  db: EntityManager,
  workItemId: string,
): Promise<{ actorId: string; fromStatus: Transition['fromStatus']; toStatus: Transition['toStatus'] | null }[]> {
  return db.query(
    `SELECT actor_id AS "actorId", from_status AS "fromStatus", to_status AS "toStatus" FROM transition
        WHERE work_item_id = $1 AND to_status IN ('IN_PROGRESS', 'AWAITING_VERIFICATION')
       UNION ALL
       SELECT DISTINCT submitted_by_id, NULL, NULL FROM evidence WHERE work_item_id = $1`,
    [workItemId],
  );
}

/** History entries, in one statement. */
export function insertTransitions(db: EntityManager, rows: readonly Partial<Transition>[]): Promise<void> {
  return insertRows(db, Transition, rows);
}

export async function insertEvidence(db: EntityManager, rows: Partial<Evidence>[]): Promise<void> {
  await db.insert(Evidence, rows);
}

/** The evidence of an item's last submission (one completion submits its pieces together, at one instant). */
export function lastSubmittedEvidence(db: EntityManager, workItemId: string): Promise<Evidence[]> {
  return db
    .getRepository(Evidence)
    .createQueryBuilder('e')
    .where('e.workItemId = :workItemId', { workItemId })
    .andWhere('e.submittedAt = (SELECT max(x.submitted_at) FROM evidence x WHERE x.work_item_id = :workItemId)')
    .getMany();
}
