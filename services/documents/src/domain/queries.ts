import { decodeCursor, encodeCursor, notFound, oneOf, optionalUuid, pageSize, requireText, requireUuid, toConnection, type Caller, type Connection } from '@opsgraph/core';
import { DOCUMENT_TYPES, type DocumentType } from '@opsgraph/events/src/schemas/documents';
import { Brackets, type EntityManager, type SelectQueryBuilder } from 'typeorm';
import { Document, DocumentReview, DocumentRevision } from '../entities';
import { canSee } from './common';

export interface DocumentFilter {
  siteId?: string | null;
  appliesAt?: string | null;
  type?: DocumentType[] | null;
  pendingRevision?: boolean | null;
  text?: string | null;
}

/** Only documents the caller may see: held at or applying to one of their sites. */
function applyScope(q: SelectQueryBuilder<Document>, caller: Caller) {
  if (caller.sites.includes('*')) return q;
  const sites = caller.sites.length ? caller.sites : ['00000000-0000-0000-0000-000000000000'];
  return q.andWhere(new Brackets((b) => b.where('d.siteId IN (:...scopeSites)', { scopeSites: sites }).orWhere('d.siteIds && CAST(:scopeArray AS uuid[])', { scopeArray: sites })));
}

function applyFilter(q: SelectQueryBuilder<Document>, filter: DocumentFilter) {
  const siteId = optionalUuid(filter.siteId, 'filter.siteId');
  if (siteId) q.andWhere('d.siteId = :siteId', { siteId });
  const place = optionalUuid(filter.appliesAt, 'filter.appliesAt');
  if (place) {
    q.andWhere(new Brackets((b) => b.where(':place = ANY(d.siteIds)', { place }).orWhere(':place = ANY(d.areaIds)').orWhere(':place = ANY(d.assetIds)')));
  }
  if (filter.type?.length) q.andWhere('d.type IN (:...types)', { types: filter.type.map((t, i) => oneOf(DOCUMENT_TYPES, t, `filter.type[${i}]`)) });
  if (filter.pendingRevision !== undefined && filter.pendingRevision !== null) {
    const exists = `EXISTS (SELECT 1 FROM document_revision r WHERE r.document_id = d.id AND r.status IN ('DRAFT', 'IN_REVIEW'))`;
    q.andWhere(filter.pendingRevision ? exists : `NOT ${exists}`);
  }
  if (filter.text) {
    const text = requireText(filter.text, 'filter.text', { max: 200 });
    const pattern = `%${text.replace(/[\\%_]/g, (c) => `\\${c}`)}%`;
    q.andWhere(new Brackets((b) => b.where('d.number ILIKE :p', { p: pattern }).orWhere('d.title ILIKE :p')));
  }
  return q;
}

/** By number, keyset-paginated on (number, id). */
export async function listDocuments(db: EntityManager, caller: Caller, filter: DocumentFilter | null | undefined, first?: number | null, after?: string | null): Promise<Connection<Document>> {
  const limit = pageSize(first);
  const cursor = decodeCursor(after, 2);
  const base = applyFilter(applyScope(db.getRepository(Document).createQueryBuilder('d'), caller), filter ?? {});
  const page = base.clone().orderBy('d.number', 'ASC').addOrderBy('d.id', 'ASC').limit(limit + 1);
  if (cursor) page.andWhere('(d.number, d.id) > (:cursorNumber, :cursorId)', { cursorNumber: String(cursor[0]), cursorId: requireUuid(cursor[1], 'after') });
  const [rows, total] = await Promise.all([page.getMany(), base.getCount()]);
  return toConnection(rows, limit, total, (d) => encodeCursor([d.number, d.id]));
}

export async function getDocument(db: EntityManager, caller: Caller, id: string): Promise<Document> {
  const document = await db.getRepository(Document).findOneBy({ id: requireUuid(id) });
  if (!document || !canSee(caller, document)) throw notFound('document', id);
  return document;
}

export async function getDocumentByNumber(db: EntityManager, caller: Caller, number: string): Promise<Document> {
  const value = requireText(number, 'number', { max: 50 }).toUpperCase();
  const document = await db.getRepository(Document).findOneBy({ number: value });
  if (!document || !canSee(caller, document)) throw notFound('document', value);
  return document;
}

export async function getRevision(db: EntityManager, caller: Caller, id: string): Promise<DocumentRevision> {
  const revision = await db.getRepository(DocumentRevision).findOneBy({ id: requireUuid(id) });
  const document = revision && (await db.getRepository(Document).findOneBy({ id: revision.documentId }));
  if (!revision || !document || !canSee(caller, document)) throw notFound('document revision', id);
  return revision;
}

export async function getReview(db: EntityManager, caller: Caller, id: string): Promise<DocumentReview> {
  const review = await db.getRepository(DocumentReview).findOneBy({ id: requireUuid(id) });
  const document = review && (await db.getRepository(Document).findOneBy({ id: review.documentId }));
  if (!review || !document || !canSee(caller, document)) throw notFound('document review', id);
  return review;
}
