import { loaderBy, selectRowsWhere, type Caller } from '@opsgraph/core';
import type { DocumentType } from '@opsgraph/events';
import { Brackets, In, type EntityManager, type SelectQueryBuilder } from 'typeorm';
import { Document } from '../entities';

/**
 * Documents: lookups, the filtered and keyset-paginated list, the documents naming places, the documents
 * due for periodic review, the locked reads of a change and the writes.
 *
 * The list keeps the caller to the documents held at or applying to their sites (`applyScope`), on top of
 * row-level security.
 */

/** A filter on documents with its values already checked (`listDocuments` in domain/queries.ts). */
export interface DocumentConditions {
  siteId?: string;
  appliesAt?: string;
  type?: DocumentType[];
  pendingRevision?: boolean | null;
  text?: string;
}

/** Only documents the caller may see: held at or applying to one of their sites. */
function applyScope(q: SelectQueryBuilder<Document>, caller: Caller) {
  if (caller.sites.includes('*')) return q;
  const sites = caller.sites.length ? caller.sites : ['00000000-0000-0000-0000-000000000000'];
  return q.andWhere(new Brackets((b) => b.where('d.siteId IN (:...scopeSites)', { scopeSites: sites }).orWhere('d.siteIds && CAST(:scopeArray AS uuid[])', { scopeArray: sites })));
}

function applyFilter(q: SelectQueryBuilder<Document>, filter: DocumentConditions) {
  if (filter.siteId) q.andWhere('d.siteId = :siteId', { siteId: filter.siteId });
  const place = filter.appliesAt;
  if (place) {
    q.andWhere(new Brackets((b) => b.where(':place = ANY(d.siteIds)', { place }).orWhere(':place = ANY(d.areaIds)').orWhere(':place = ANY(d.assetIds)')));
  }
  if (filter.type?.length) q.andWhere('d.type IN (:...types)', { types: filter.type });
  if (filter.pendingRevision !== undefined && filter.pendingRevision !== null) {
    const exists = `EXISTS (SELECT 1 FROM document_revision r WHERE r.document_id = d.id AND r.status IN ('DRAFT', 'IN_REVIEW'))`;
    q.andWhere(filter.pendingRevision ? exists : `NOT ${exists}`);
  }
  if (filter.text) {
    const pattern = `%${filter.text.replace(/[\\%_]/g, (c) => `\\${c}`)}%`;
    q.andWhere(new Brackets((b) => b.where('d.number ILIKE :p', { p: pattern }).orWhere('d.title ILIKE :p')));
  }
  return q;
}

// ---------- lookups ----------

export function documentById(db: EntityManager, id: string): Promise<Document | null> {
  return db.getRepository(Document).findOneBy({ id });
}

export function documentByNumber(db: EntityManager, number: string): Promise<Document | null> {
  return db.getRepository(Document).findOneBy({ number });
}

export function documentsWithIds(db: EntityManager, ids: string[]): Promise<Document[]> {
  return db.getRepository(Document).findBy({ id: In(ids) });
}

// ---------- the list ----------

/**
 * A page of the filtered list by number, keyset-paginated on (number, id) after `cursor`, with one row more
 * than `limit` (whether a next page exists), and the filter's total count: two statements.
 */
export function documentsPage(
  db: EntityManager,
  caller: Caller,
  filter: DocumentConditions,
  limit: number,
  cursor: { number: string; id: string } | undefined,
): Promise<[Document[], number]> {
  const base = applyFilter(applyScope(db.getRepository(Document).createQueryBuilder('d'), caller), filter);
  const page = base.clone().orderBy('d.number', 'ASC').addOrderBy('d.id', 'ASC').limit(limit + 1);
  if (cursor) page.andWhere('(d.number, d.id) > (:cursorNumber, :cursorId)', { cursorNumber: cursor.number, cursorId: cursor.id });
  return Promise.all([page.getMany(), base.getCount()]);
}

// ---------- by place ----------

const uniq = (values: (string | null | undefined)[]) => [...new Set(values.filter((v): v is string => !!v))];

/** Documents naming any of the places (GIN overlap), by number: one statement for a whole list of places. */
export async function documentsAt(db: EntityManager, places: { siteId: string; areaId?: string | null; assetId?: string | null }[]): Promise<Document[]> {
  const sites = uniq(places.map((p) => p.siteId));
  const areas = uniq(places.map((p) => p.areaId));
  const assets = uniq(places.map((p) => p.assetId));
  if (!sites.length && !areas.length && !assets.length) return [];
  return selectRowsWhere(db, Document, 'site_ids && $1::uuid[] OR area_ids && $2::uuid[] OR asset_ids && $3::uuid[]', [sites, areas, assets], { order: { number: 'ASC' } });
}

// ---------- periodic review ----------

/** Documents with a review interval whose next review is due within `leadDays` of `now` and not under review, by number. */
export function documentsDueForReview(db: EntityManager, leadDays: number, now: Date): Promise<Document[]> {
  return db
    .getRepository(Document)
    .createQueryBuilder('d')
    .where('d.reviewIntervalDays IS NOT NULL AND d.lastReviewedAt IS NOT NULL')
    .andWhere(`d.lastReviewedAt + (d.reviewIntervalDays - :lead) * interval '1 day' <= :now`, { lead: leadDays, now })
    .andWhere(`NOT EXISTS (SELECT 1 FROM document_review r WHERE r.document_id = d.id AND r.status = 'OPEN')`)
    .orderBy('d.number', 'ASC')
    .getMany();
}

// ---------- what the per-request loaders batch ----------

export const documentLoader = (db: EntityManager) => loaderBy(db, Document);

// ---------- locked reads ----------

/** A document locked for change (`FOR UPDATE`); null when it does not exist. */
export function lockDocument(db: EntityManager, id: string): Promise<Document | null> {
  return db.findOne(Document, { where: { id }, lock: { mode: 'pessimistic_write' } });
}

/** A document locked for change (`FOR UPDATE`); throws when it does not exist. */
export function lockDocumentOrFail(db: EntityManager, id: string): Promise<Document> {
  return db.findOneOrFail(Document, { where: { id }, lock: { mode: 'pessimistic_write' } });
}

/** A document locked shared (`FOR SHARE`): it cannot change until the transaction ends; null when it does not exist. */
export function lockDocumentShared(db: EntityManager, id: string): Promise<Document | null> {
  return db.findOne(Document, { where: { id }, lock: { mode: 'pessimistic_read' } });
}

/** The documents with these ids locked shared (`FOR SHARE`), in id order. */
export function lockDocumentsShared(db: EntityManager, ids: string[]): Promise<Document[]> {
  return db.find(Document, { where: { id: In(ids) }, order: { id: 'ASC' }, lock: { mode: 'pessimistic_read' } });
}

// ---------- writes ----------

/** A new document, with the database's id and times on the returned entity. */
export function insertDocument(db: EntityManager, fields: Partial<Document>): Promise<Document> {
  return db.save(db.create(Document, fields));
}

export async function saveDocument(db: EntityManager, document: Document): Promise<void> {
  await db.save(document);
}
