import { loaderBy, loaderGrouped, selectRows } from '@opsgraph/core';
import { In, type EntityManager } from 'typeorm';
import { DocumentRevision } from '../entities';

/** Revisions of documents: reads by id and by document (pending, current), the locked reads of a change, the per-request loaders and the writes. */

export function revisionById(db: EntityManager, id: string): Promise<DocumentRevision | null> {
  return db.findOneBy(DocumentRevision, { id });
}

/** A revision by id; throws when it does not exist. */
export function revisionByIdOrFail(db: EntityManager, id: string): Promise<DocumentRevision> {
  return db.findOneByOrFail(DocumentRevision, { id });
}

/** The revision of a document in draft or in review, if any. */
export function pendingRevisionOfDocument(db: EntityManager, documentId: string): Promise<DocumentRevision | null> {
  return db.findOne(DocumentRevision, { where: [{ documentId, status: 'DRAFT' }, { documentId, status: 'IN_REVIEW' }] });
}

/** The approved (current) revision of a document, if any. */
export function currentRevisionOfDocument(db: EntityManager, documentId: string): Promise<DocumentRevision | null> {
  return db.findOneBy(DocumentRevision, { documentId, status: 'APPROVED' });
}

/** The approved (current) revisions of these documents. */
export function currentRevisionsOfDocuments(db: EntityManager, documentIds: string[]): Promise<DocumentRevision[]> {
  return db.findBy(DocumentRevision, { documentId: In(documentIds), status: 'APPROVED' });
}

/** Every revision of these documents, in one plain SELECT. */
export function revisionsOfDocuments(db: EntityManager, documentIds: readonly string[]): Promise<DocumentRevision[]> {
  return selectRows(db, DocumentRevision, 'documentId', documentIds);
}

export const revisionLoader = (db: EntityManager) => loaderBy(db, DocumentRevision);
export const revisionsOfDocumentLoader = (db: EntityManager) => loaderGrouped(db, DocumentRevision, 'documentId', { createdAt: 'DESC' });

// ---------- locked reads ----------

/** A revision locked for change (`FOR UPDATE`); throws when it does not exist. */
export function lockRevisionOrFail(db: EntityManager, id: string): Promise<DocumentRevision> {
  return db.findOneOrFail(DocumentRevision, { where: { id }, lock: { mode: 'pessimistic_write' } });
}

/** The approved (current) revision of a document locked for change (`FOR UPDATE`), if any. */
export function lockCurrentRevisionOfDocument(db: EntityManager, documentId: string): Promise<DocumentRevision | null> {
  return db.findOne(DocumentRevision, { where: { documentId, status: 'APPROVED' }, lock: { mode: 'pessimistic_write' } });
}

// ---------- writes ----------

/** A new revision, with the database's id and times on the returned entity. */
export function insertRevision(db: EntityManager, fields: Partial<DocumentRevision>): Promise<DocumentRevision> {
  return db.save(db.create(DocumentRevision, fields));
}

export async function saveRevision(db: EntityManager, revision: DocumentRevision): Promise<void> {
  await db.save(revision);
}
