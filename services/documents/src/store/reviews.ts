import { loaderGrouped } from '@opsgraph/core';
import type { EntityManager } from 'typeorm';
import { DocumentReview, DocumentReviewer } from '../entities';

/** Reviews of documents and their reviewers (one per person, with the id of the review work asked of Work): reads, locked reads, loaders and writes. */

export function reviewById(db: EntityManager, id: string): Promise<DocumentReview | null> {
  return db.getRepository(DocumentReview).findOneBy({ id });
}

/** The open review of a document, if any. */
export function openReviewOfDocument(db: EntityManager, documentId: string): Promise<DocumentReview | null> {
  return db.findOneBy(DocumentReview, { documentId, status: 'OPEN' });
}

export function openReviewExists(db: EntityManager, documentId: string): Promise<boolean> {
  return db.existsBy(DocumentReview, { documentId, status: 'OPEN' });
}

/** A review locked for change (`FOR UPDATE`); throws when it does not exist. */
export function lockReviewOrFail(db: EntityManager, id: string): Promise<DocumentReview> {
  return db.findOneOrFail(DocumentReview, { where: { id }, lock: { mode: 'pessimistic_write' } });
}

export const reviewsOfDocumentLoader = (db: EntityManager) => loaderGrouped(db, DocumentReview, 'documentId', { createdAt: 'DESC' });

/** A new review, with the database's id and times on the returned entity. */
export function insertReview(db: EntityManager, fields: Partial<DocumentReview>): Promise<DocumentReview> {
  return db.save(db.create(DocumentReview, fields));
}

export async function saveReview(db: EntityManager, review: DocumentReview): Promise<void> {
  await db.save(review);
}

// ---------- reviewers ----------

/** The reviewer whose review work has this request id, if any. */
export function reviewerOfRequest(db: EntityManager, requestId: string): Promise<DocumentReviewer | null> {
  return db.findOneBy(DocumentReviewer, { requestId });
}

/** The reviewers of a review, by person. */
export function reviewersOfReview(db: EntityManager, reviewId: string): Promise<DocumentReviewer[]> {
  return db.find(DocumentReviewer, { where: { reviewId }, order: { personId: 'ASC' } });
}

export const reviewersOfReviewLoader = (db: EntityManager) => loaderGrouped(db, DocumentReviewer, 'reviewId', { personId: 'ASC' });

export async function insertReviewer(db: EntityManager, row: Pick<DocumentReviewer, 'reviewId' | 'personId' | 'requestId'>): Promise<void> {
  await db.insert(DocumentReviewer, row);
}
