import { decodeCursor, encodeCursor, notFound, oneOf, optionalUuid, pageSize, requireText, requireUuid, toConnection, type Caller, type Connection } from '@opsgraph/core';
import { DOCUMENT_TYPES, type DocumentType } from '@opsgraph/events';
import type { EntityManager } from 'typeorm';
import type { Document, DocumentReview, DocumentRevision } from '../entities';
import { documentById, documentByNumber, documentsPage, type DocumentConditions } from '../store/documents';
import { reviewById } from '../store/reviews';
import { revisionById } from '../store/revisions';
import { canSee } from './common';

export interface DocumentFilter {
  siteId?: string | null;
  appliesAt?: string | null;
  type?: DocumentType[] | null;
  pendingRevision?: boolean | null;
  text?: string | null;
}

/** The filter with its values checked, in the order the fields are checked. */
function conditionsOf(filter: DocumentFilter): DocumentConditions {
  const siteId = optionalUuid(filter.siteId, 'filter.siteId');
  const appliesAt = optionalUuid(filter.appliesAt, 'filter.appliesAt');
  const type = filter.type?.length ? filter.type.map((t, i) => oneOf(DOCUMENT_TYPES, t, `filter.type[${i}]`)) : undefined;
  const text = filter.text ? requireText(filter.text, 'filter.text', { max: 200 }) : undefined;
  return { siteId, appliesAt, type, pendingRevision: filter.pendingRevision, text };
}

/** By number, keyset-paginated on (number, id). */
export async function listDocuments(db: EntityManager, caller: Caller, filter: DocumentFilter | null | undefined, first?: number | null, after?: string | null): Promise<Connection<Document>> {
  const limit = pageSize(first);
  const cursor = decodeCursor(after, 2);
  const conditions = conditionsOf(filter ?? {});
  const position = cursor ? { number: String(cursor[0]), id: requireUuid(cursor[1], 'after') } : undefined;
  const [rows, total] = await documentsPage(db, caller, conditions, limit, position);
  return toConnection(rows, limit, total, (d) => encodeCursor([d.number, d.id]));
}

export async function getDocument(db: EntityManager, caller: Caller, id: string): Promise<Document> {
  const document = await documentById(db, requireUuid(id));
  if (!document || !canSee(caller, document)) throw notFound('document', id);
  return document;
}

export async function getDocumentByNumber(db: EntityManager, caller: Caller, number: string): Promise<Document> {
  const value = requireText(number, 'number', { max: 50 }).toUpperCase();
  const document = await documentByNumber(db, value);
  if (!document || !canSee(caller, document)) throw notFound('document', value);
  return document;
}

export async function getRevision(db: EntityManager, caller: Caller, id: string): Promise<DocumentRevision> {
  const revision = await revisionById(db, requireUuid(id));
  const document = revision && (await documentById(db, revision.documentId));
  if (!revision || !document || !canSee(caller, document)) throw notFound('document revision', id);
  return revision;
}

export async function getReview(db: EntityManager, caller: Caller, id: string): Promise<DocumentReview> {
  const review = await reviewById(db, requireUuid(id));
  const document = review && (await documentById(db, review.documentId));
  if (!review || !document || !canSee(caller, document)) throw notFound('document review', id);
  return review;
}
