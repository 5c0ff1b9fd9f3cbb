import { selectRows } from '@opsgraph/core';
import { Brackets, In, type DeepPartial, type EntityManager } from 'typeorm';
import { OpenWorkItem, WorkPermitCover, type RequirementScope } from '../entities';

/**
 * The projection of Work's open items (`open_work_item`) and of the permits covering them
 * (`work_permit_cover`), kept from Work's and Permits' events: reads, locked reads and writes.
 */

// ---------- open work items ----------

export function openWorkItemById(db: EntityManager, workItemId: string): Promise<OpenWorkItem | null> {
  return db.getRepository(OpenWorkItem).findOneBy({ workItemId });
}

/** Open work items with these ids, in one plain SELECT (no find). */
export function openWorkItemsWithIds(db: EntityManager, ids: readonly string[]): Promise<OpenWorkItem[]> {
  return selectRows(db, OpenWorkItem, 'workItemId', ids);
}

/** Open work items with these ids, oldest first. */
export function openWorkItemsOldestFirst(db: EntityManager, ids: string[]): Promise<OpenWorkItem[]> {
  return db.find(OpenWorkItem, { where: { workItemId: In(ids) }, order: { createdAt: 'ASC' } });
}

/** Open work with an owner (this one, when given) that one of these (non-empty) requirement scopes applies to, oldest first. */
export function openWorkInScopes(db: EntityManager, scopes: { scope: RequirementScope; value: string }[], ownerId?: string): Promise<OpenWorkItem[]> {
  const q = db.createQueryBuilder(OpenWorkItem, 'w').where('w.ownerId IS NOT NULL');
  if (ownerId) q.andWhere('w.ownerId = :ownerId', { ownerId });
  const values = (scope: RequirementScope) => scopes.filter((s) => s.scope === scope).map((s) => s.value);
  const [workTypes, assetClasses, permitTypes] = [values('WORK_TYPE'), values('ASSET_CLASS'), values('PERMIT_TYPE')];
  q.andWhere(
    new Brackets((b) => {
      if (workTypes.length) b.orWhere('w.workType IN (:...workTypes)', { workTypes });
      if (assetClasses.length) b.orWhere('w.assetClass IN (:...assetClasses)', { assetClasses });
      if (permitTypes.length) b.orWhere('EXISTS (SELECT 1 FROM work_permit_cover c WHERE c.work_item_id = w.work_item_id AND c.permit_type IN (:...permitTypes))', { permitTypes });
    }),
  );
  return q.orderBy('w.createdAt', 'ASC').getMany();
}

/** Locks (`FOR UPDATE`) and reads an open work item. */
export function lockOpenWorkItem(db: EntityManager, workItemId: string): Promise<OpenWorkItem | null> {
  return db.findOne(OpenWorkItem, { where: { workItemId }, lock: { mode: 'pessimistic_write' } });
}

/** An open work item not yet written (saved with `saveOpenWorkItem`). */
export function newOpenWorkItem(db: EntityManager, fields: DeepPartial<OpenWorkItem>): OpenWorkItem {
  return db.create(OpenWorkItem, fields);
}

export function insertOpenWorkItem(db: EntityManager, fields: DeepPartial<OpenWorkItem>): Promise<OpenWorkItem> {
  return db.save(db.create(OpenWorkItem, fields));
}

/** Writes a new or changed open work item. */
export async function saveOpenWorkItem(db: EntityManager, item: OpenWorkItem): Promise<void> {
  await db.save(item);
}

export async function deleteOpenWorkItem(db: EntityManager, workItemId: string): Promise<void> {
  await db.delete(OpenWorkItem, { workItemId });
}

// ---------- permit covers ----------

/** The permits covering a work item. */
export function permitCoversOfWorkItem(db: EntityManager, workItemId: string): Promise<WorkPermitCover[]> {
  return db.find(WorkPermitCover, { where: { workItemId } });
}

/** The permits covering these work items, in one plain SELECT (no find). */
export function permitCoversOfWorkItems(db: EntityManager, workItemIds: readonly string[]): Promise<WorkPermitCover[]> {
  return selectRows(db, WorkPermitCover, 'workItemId', workItemIds);
}

/** The work items a permit covers. */
export function coversOfPermit(db: EntityManager, permitId: string): Promise<WorkPermitCover[]> {
  return db.find(WorkPermitCover, { where: { permitId } });
}

/** New covers, in one statement; those already recorded are left as they are. */
export async function insertPermitCovers(db: EntityManager, rows: Pick<WorkPermitCover, 'workItemId' | 'permitId' | 'permitType'>[]): Promise<void> {
  await db.createQueryBuilder().insert().into(WorkPermitCover).values(rows).orIgnore().execute();
}

export async function deleteCoversOfWorkItem(db: EntityManager, workItemId: string): Promise<void> {
  await db.delete(WorkPermitCover, { workItemId });
}

export async function deleteCoversOfPermit(db: EntityManager, permitId: string): Promise<void> {
  await db.delete(WorkPermitCover, { permitId });
}
