import { loaderGrouped, selectRowsWhere } from '@opsgraph/core';
import type { EntityManager } from 'typeorm';
import { DocumentAcknowledgement } from '../entities';

/**
 * Acknowledgements ("read and understood"), one per person and revision, with the work items it blocks:
 * the locked reads of a change, the reads by person and by work item, the per-request loaders and the writes.
 */

/** Creates the person's acknowledgement of a revision, PENDING and blocking nothing, unless there is one. */
export async function insertPendingAcknowledgement(db: EntityManager, revision: { id: string; documentId: string }, personId: string): Promise<void> {
  await db
    .createQueryBuilder()
    .insert()
    .into(DocumentAcknowledgement)
    .values({ revisionId: revision.id, documentId: revision.documentId, personId, state: 'PENDING', workItemIds: [] })
    .orIgnore()
    .execute();
}

/** The person's acknowledgement of a revision locked for change (`FOR UPDATE`); throws when there is none. */
export function lockAcknowledgementOrFail(db: EntityManager, revisionId: string, personId: string): Promise<DocumentAcknowledgement> {
  return db.findOneOrFail(DocumentAcknowledgement, { where: { revisionId, personId }, lock: { mode: 'pessimistic_write' } });
}

/** The person's acknowledgement of a revision locked for change (`FOR UPDATE`), if any. */
export function lockAcknowledgement(db: EntityManager, revisionId: string, personId: string): Promise<DocumentAcknowledgement | null> {
  return db.findOne(DocumentAcknowledgement, { where: { revisionId, personId }, lock: { mode: 'pessimistic_write' } });
}

/** An acknowledgement by id locked for change (`FOR UPDATE`); throws when it does not exist. */
export function lockAcknowledgementByIdOrFail(db: EntityManager, id: string): Promise<DocumentAcknowledgement> {
  return db.findOneOrFail(DocumentAcknowledgement, { where: { id }, lock: { mode: 'pessimistic_write' } });
}

/** A person's superseded acknowledgements of a document locked for change (`FOR UPDATE`), in id order. */
export function lockSupersededAcknowledgements(db: EntityManager, documentId: string, personId: string): Promise<DocumentAcknowledgement[]> {
  return db.find(DocumentAcknowledgement, { where: { documentId, personId, state: 'SUPERSEDED' }, order: { id: 'ASC' }, lock: { mode: 'pessimistic_write' } });
}

/** The pending or superseded acknowledgements of a document blocking any of these work items, in id order. */
export function acknowledgementsBlockingWork(db: EntityManager, documentId: string, workItemIds: string[]): Promise<DocumentAcknowledgement[]> {
  return db
    .getRepository(DocumentAcknowledgement)
    .createQueryBuilder('a')
    .where('a.documentId = :documentId', { documentId })
    .andWhere(`a.state IN ('PENDING', 'SUPERSEDED')`)
    .andWhere('a.workItemIds && CAST(:ids AS uuid[])', { ids: workItemIds })
    .orderBy('a.id', 'ASC')
    .getMany();
}

/** The documents with a pending or superseded acknowledgement blocking a work item. */
export function documentsBlockingWorkItem(db: EntityManager, workItemId: string): Promise<{ documentId: string }[]> {
  return db
    .getRepository(DocumentAcknowledgement)
    .createQueryBuilder('a')
    .select('DISTINCT a.documentId', 'documentId')
    .where(`a.state IN ('PENDING', 'SUPERSEDED')`)
    .andWhere('a.workItemIds && CAST(:ids AS uuid[])', { ids: [workItemId] })
    .getRawMany<{ documentId: string }>();
}

/** What a person still has to acknowledge, oldest requirement first. */
export function pendingAcknowledgementsOfPerson(db: EntityManager, personId: string): Promise<DocumentAcknowledgement[]> {
  return db.getRepository(DocumentAcknowledgement).find({ where: { personId, state: 'PENDING' }, order: { requiredAt: 'ASC', id: 'ASC' } });
}

/** What these people still have to acknowledge, oldest requirement first: one plain SELECT. */
export function pendingAcknowledgementsOfPeople(db: EntityManager, personIds: readonly string[]): Promise<DocumentAcknowledgement[]> {
  return selectRowsWhere(db, DocumentAcknowledgement, `person_id = ANY($1) AND state = 'PENDING'`, [personIds], { order: { requiredAt: 'ASC', id: 'ASC' } });
}

export const acknowledgementsOfRevisionLoader = (db: EntityManager) => loaderGrouped(db, DocumentAcknowledgement, 'revisionId', { personId: 'ASC' });

// ---------- writes ----------

export async function saveAcknowledgement(db: EntityManager, ack: DocumentAcknowledgement): Promise<void> {
  await db.save(ack);
}

export async function removeAcknowledgement(db: EntityManager, ack: DocumentAcknowledgement): Promise<void> {
  await db.remove(ack);
}

/** What was still pending for a revision becomes SUPERSEDED (owed for the revision that replaced it). */
export async function supersedePendingAcknowledgements(db: EntityManager, revisionId: string): Promise<void> {
  await db.update(DocumentAcknowledgement, { revisionId, state: 'PENDING' }, { state: 'SUPERSEDED' });
}
