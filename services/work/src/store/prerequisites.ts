import { insertRows, loaderBy, loaderGrouped, selectRows, updateRows } from '@opsgraph/core';
import type { EntityManager } from 'typeorm';
import { Prerequisite, type SourceDomain } from '../entities';

/** Prerequisites (the blockers on work items): reads by id, by item and by the record that raised them, and the change set's writes. */

export async function prerequisiteById(db: EntityManager, id: string): Promise<Prerequisite | null> {
  const [found] = await selectRows(db, Prerequisite, 'id', [id]);
  return found ?? null;
}

/** The prerequisites of these items, oldest first. */
export function prerequisitesOfWorkItems(db: EntityManager, workItemIds: readonly string[]): Promise<Prerequisite[]> {
  return selectRows(db, Prerequisite, 'workItemId', workItemIds, { order: { createdAt: 'ASC' } });
}

/** Which items each of these records of a domain raised a prerequisite on. */
export function workItemsBlockedByRecords(db: EntityManager, domain: SourceDomain, recordIds: readonly string[]): Promise<{ work_item_id: string; source_record_id: string }[]> {
  return db.query('SELECT work_item_id, source_record_id FROM prerequisite WHERE source_domain = $1 AND source_record_id = ANY($2::text[])', [domain, recordIds]);
}

export const prerequisiteLoader = (db: EntityManager) => loaderBy(db, Prerequisite);
export const prerequisitesOfWorkItemLoader = (db: EntityManager) => loaderGrouped(db, Prerequisite, 'workItemId', { createdAt: 'ASC' });

/** New prerequisites, in one statement (their ids are given by the caller). */
export function insertPrerequisites(db: EntityManager, rows: readonly Prerequisite[]): Promise<void> {
  return insertRows(db, Prerequisite, rows);
}

/** Writes `fields` of changed prerequisites, in one statement. */
export function updatePrerequisites(db: EntityManager, rows: readonly Prerequisite[], fields: readonly (keyof Prerequisite & string)[]): Promise<void> {
  return updateRows(db, Prerequisite, rows, fields);
}
