import { loaderGrouped } from '@opsgraph/core';
import { In, type EntityManager } from 'typeorm';
import { ChangeTask } from '../entities';

/** Implementation tasks of changes (each raised as a work item): numbering, inserts, reads per change and the per-request loader. */

/** The next task number of a change. */
export async function nextTaskSeq(db: EntityManager, changeId: string): Promise<number> {
  const row = await db.createQueryBuilder(ChangeTask, 'x').select('COALESCE(MAX(x.seq), 0)', 'max').where('x.changeId = :changeId', { changeId }).getRawOne<{ max: number }>();
  return Number(row?.max ?? 0) + 1;
}

/** A new task, with the database's id on the returned entity. */
export function insertTask(db: EntityManager, fields: Partial<ChangeTask>): Promise<ChangeTask> {
  return db.save(db.create(ChangeTask, fields));
}

/** A change's tasks, in no particular order. */
export function tasksOfChange(db: EntityManager, changeId: string): Promise<ChangeTask[]> {
  return db.find(ChangeTask, { where: { changeId } });
}

/** A change's tasks, by number. */
export function tasksOfChangeInOrder(db: EntityManager, changeId: string): Promise<ChangeTask[]> {
  return db.find(ChangeTask, { where: { changeId }, order: { seq: 'ASC' } });
}

/** The tasks of these changes, in no particular order. */
export function tasksOfChanges(db: EntityManager, changeIds: string[]): Promise<ChangeTask[]> {
  return db.getRepository(ChangeTask).find({ where: { changeId: In(changeIds) } });
}

export const tasksOfChangeLoader = (db: EntityManager) => loaderGrouped(db, ChangeTask, 'changeId', { seq: 'ASC' });
