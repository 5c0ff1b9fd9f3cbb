import { loaderGrouped } from '@opsgraph/core';
import { In, IsNull, type EntityManager } from 'typeorm';
import { DocumentBlockedWork, type BlockerClearing } from '../entities';

/** The record of acknowledgement blockers on work items (open and cleared): writes, the open ones of a person's acknowledgement, the per-request loader. */

export interface BlockerEnd {
  at: Date;
  by: BlockerClearing;
  byRevisionId: string | null;
  reason: string;
}

/** Records blockers just raised; one already open for the same revision, person and item is left as it is. */
export async function insertBlockedWork(db: EntityManager, rows: Omit<DocumentBlockedWork, 'id' | 'clearedAt' | 'clearedBy' | 'clearedByRevisionId' | 'clearedReason'>[]): Promise<void> {
  if (!rows.length) return;
  await db.createQueryBuilder().insert().into(DocumentBlockedWork).values(rows).orIgnore().execute();
}

/** The open blockers of a person's acknowledgement of a revision (on these items, if given). */
export function openBlockedWork(db: EntityManager, revisionId: string, personId: string, workItemIds?: string[]): Promise<DocumentBlockedWork[]> {
  return db.findBy(DocumentBlockedWork, { revisionId, personId, clearedAt: IsNull(), ...(workItemIds ? { workItemId: In(workItemIds) } : {}) });
}

/** Ends the open blockers of a person's acknowledgement of a revision (on these items, or all); the rows stay. */
export async function clearBlockedWork(db: EntityManager, revisionId: string, personId: string, workItemIds: string[] | null, end: BlockerEnd): Promise<void> {
  if (workItemIds && !workItemIds.length) return;
  await db.update(
    DocumentBlockedWork,
    { revisionId, personId, clearedAt: IsNull(), ...(workItemIds ? { workItemId: In(workItemIds) } : {}) },
    { clearedAt: end.at, clearedBy: end.by, clearedByRevisionId: end.byRevisionId, clearedReason: end.reason },
  );
}

/** What these blockers say now (as sent to Work). */
export async function describeBlockedWork(db: EntityManager, ids: string[], description: string): Promise<void> {
  if (!ids.length) return;
  await db.update(DocumentBlockedWork, { id: In(ids) }, { description });
}

export const blockedWorkOfRevisionLoader = (db: EntityManager) => loaderGrouped(db, DocumentBlockedWork, 'revisionId', { raisedAt: 'ASC', id: 'ASC' });
