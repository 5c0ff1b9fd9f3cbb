import { isContractorOnly, loaderBy, selectRows, selectRowsWhere, updateRows, type Caller } from '@opsgraph/core';
import { Brackets, In, Not, type DeepPartial, type EntityManager, type SelectQueryBuilder } from 'typeorm';
import { applyDetailFilter, type DetailConditions } from './details';
import { OPEN_STATUSES, TERMINAL, WorkItem, type SourceDomain, type WorkItemStatus, type WorkItemType } from '../entities';

/**
 * Work items: lookups, the filtered and keyset-paginated list, the board, the reads the
 * per-request loaders batch, the locked reads of the change set and the item writes.
 *
 * The list, board and handover queries also keep the caller to their sites and, for a contractor, to their
 * company's jobs (`applyScope`, `boardScope`), on top of row-level security.
 */

/** A filter on work items with its values already checked (`checkedFilter` in domain/queries.ts). */
export interface WorkItemConditions extends DetailConditions {
  siteId?: string | null;
  areaId?: string | null;
  lineId?: string | null;
  assetId?: string | null;
  ownerId?: string | null;
  status?: WorkItemStatus[] | null;
  type?: WorkItemType[] | null;
  sourceDomain?: SourceDomain | null;
  sourceRecordId?: string | null;
  contractorCompany?: string | null;
  blocked?: boolean | null;
  overdue?: boolean | null;
  awaitingVerification?: boolean | null;
  text?: string | null;
}

/** The sites a caller may see, for SQL (`*`: all); with none, a site that matches nothing. */
const scopeSites = (caller: Caller) => (caller.sites.length ? caller.sites : ['00000000-0000-0000-0000-000000000000']);

/** Limits any work item query to what the caller may see: their sites, and a contractor's own jobs. */
function applyScope(q: SelectQueryBuilder<WorkItem>, caller: Caller) {
  if (!caller.sites.includes('*')) q.andWhere('w.siteId IN (:...scopeSites)', { scopeSites: scopeSites(caller) });
  if (isContractorOnly(caller)) q.andWhere('w.contractorCompany = :scopeCompany', { scopeCompany: caller.company ?? '' });
  return q;
}

const workItems = (db: EntityManager, caller: Caller) => applyScope(db.getRepository(WorkItem).createQueryBuilder('w'), caller);

/** A satisfied condition of the item is past its validity (never NULL, so it negates safely). */
const LAPSED = `COALESCE(w.lapsesAt <= now(), false)`;
const LAPSED_OR_BLOCKED = `(w.openPrerequisites > 0 OR ${LAPSED})`;

function applyFilter(q: SelectQueryBuilder<WorkItem>, filter: WorkItemConditions = {}) {
  const eq = { siteId: filter.siteId, areaId: filter.areaId, lineId: filter.lineId, assetId: filter.assetId, ownerId: filter.ownerId };
  for (const [key, value] of Object.entries(eq)) {
    if (value) q.andWhere(`w.${key} = :${key}`, { [key]: value });
  }
  if (filter.status?.length) {
    // A READY item past a condition's validity reads OPEN (domain/work-items.ts, `statusAt`): the filter says the same.
    const open = filter.status.includes('OPEN');
    const ready = filter.status.includes('READY');
    if (open && !ready) q.andWhere(`(w.status IN (:...status) OR (w.status = 'READY' AND ${LAPSED}))`, { status: filter.status });
    else if (ready && !open) q.andWhere(`(w.status IN (:...status) AND NOT (w.status = 'READY' AND ${LAPSED_OR_BLOCKED}))`, { status: filter.status });
    else q.andWhere('w.status IN (:...status)', { status: filter.status });
  }
  if (filter.type?.length) q.andWhere('w.type IN (:...type)', { type: filter.type });
  if (filter.sourceDomain) q.andWhere('w.sourceDomain = :sourceDomain', { sourceDomain: filter.sourceDomain });
  if (filter.sourceRecordId) q.andWhere('w.sourceRecordId = :sourceRecordId', { sourceRecordId: filter.sourceRecordId });
  if (filter.contractorCompany) q.andWhere('w.contractorCompany = :company', { company: filter.contractorCompany });
  if (filter.blocked !== undefined && filter.blocked !== null) {
    q.andWhere(filter.blocked ? `(w.openPrerequisites > 0 OR ${LAPSED}) AND w.status IN (:...open)` : `(w.openPrerequisites = 0 AND NOT ${LAPSED})`, { open: OPEN_STATUSES });
  }
  if (filter.overdue !== undefined && filter.overdue !== null) {
    q.andWhere(filter.overdue ? 'w.dueAt < now() AND w.status IN (:...open)' : '(w.dueAt IS NULL OR w.dueAt >= now() OR w.status NOT IN (:...open))', { open: OPEN_STATUSES });
  }
  if (filter.awaitingVerification !== undefined && filter.awaitingVerification !== null) {
    q.andWhere(filter.awaitingVerification ? "w.status = 'AWAITING_VERIFICATION'" : "w.status <> 'AWAITING_VERIFICATION'");
  }
  if (filter.text) {
    const pattern = `%${filter.text.replace(/[\\%_]/g, (c) => `\\${c}`)}%`;
    q.andWhere(new Brackets((b) => b.where('w.number ILIKE :p', { p: pattern }).orWhere('w.title ILIKE :p').orWhere('w.description ILIKE :p')));
  }
  applyDetailFilter(q, filter);
  return q;
}

// ---------- lookups ----------

/** A plain lookup (no find): the work item page starts here. */
export async function workItemById(db: EntityManager, id: string): Promise<WorkItem | null> {
  const [item] = await selectRows(db, WorkItem, 'id', [id]);
  return item ?? null;
}

export function workItemByNumber(db: EntityManager, number: string): Promise<WorkItem | null> {
  return db.getRepository(WorkItem).findOneBy({ number });
}

/** The id and site of each of these items that exists (and the request may see). */
export function sitesOfWorkItems(db: EntityManager, ids: string[]): Promise<Pick<WorkItem, 'id' | 'siteId'>[]> {
  return db.getRepository(WorkItem).find({ where: { id: In(ids) }, select: { id: true, siteId: true } });
}

/** The ids of the items on an asset that are not done or cancelled, in id order. */
export async function openWorkItemIdsOnAsset(db: EntityManager, assetId: string): Promise<string[]> {
  const rows: { id: string }[] = await db.query(`SELECT id FROM work_item WHERE asset_id = $1 AND status <> ALL($2) ORDER BY id`, [assetId, TERMINAL]);
  return rows.map((r) => r.id);
}

// ---------- the list ----------

/**
 * A page of the filtered list, newest first, keyset-paginated on (createdAt, id) after `cursor`, with one row
 * more than `limit` (whether a next page exists), and the filter's total count: two statements.
 */
export async function workItemsPage(
  db: EntityManager,
  caller: Caller,
  filter: WorkItemConditions,
  limit: number,
  cursor: { createdAt: string; id: string } | undefined,
): Promise<[WorkItem[], number]> {
  const base = applyFilter(workItems(db, caller), filter);
  const page = base.clone().orderBy('w.createdAt', 'DESC').addOrderBy('w.id', 'DESC').limit(limit + 1);
  if (cursor) page.andWhere('(w.createdAt, w.id) < (:createdAt, :id)', { createdAt: cursor.createdAt, id: cursor.id });
  return Promise.all([page.getMany(), base.getCount()]);
}

// ---------- the board ----------

/**
 * The board's work items in plain SQL (no QueryBuilder: the board runs on every refresh of every screen):
 * `applyScope` and the place filter of `applyFilter`, as one of eight constant texts (area or not, all
 * sites or not, contractor or not) with the values as parameters.
 */
function boardScope(caller: Caller, siteId: string, areaId: string | null) {
  const params: unknown[] = [siteId];
  const where = ['site_id = $1'];
  if (areaId) where.push(`area_id = $${params.push(areaId)}`);
  if (!caller.sites.includes('*')) where.push(`site_id = ANY($${params.push(scopeSites(caller))}::uuid[])`);
  if (isContractorOnly(caller)) where.push(`contractor_company = $${params.push(caller.company ?? '')}`);
  return { where: where.join(' AND '), params };
}

/** Most urgent first: priority, then due time, then age. */
const BOARD_ORDER = `CASE priority WHEN 'CRITICAL' THEN 0 WHEN 'HIGH' THEN 1 WHEN 'MEDIUM' THEN 2 ELSE 3 END, due_at NULLS LAST, created_at`;

/** The board's counts of a site (or one of its areas): items by status, and how many of them are blocked. */
export function boardCounts(db: EntityManager, caller: Caller, siteId: string, areaId: string | null): Promise<{ status: WorkItemStatus; count: number; blocked: number }[]> {
  const { where, params } = boardScope(caller, siteId, areaId);
  // A READY item past a condition's validity counts OPEN and blocked (domain/work-items.ts, `statusAt`).
  return db.query(
    `SELECT CASE WHEN status = 'READY' AND lapses_at <= now() THEN 'OPEN' ELSE status END AS status, COUNT(*)::int AS count,
       COUNT(*) FILTER (WHERE open_prerequisites > 0 OR lapses_at <= now())::int AS blocked
     FROM work_item WHERE ${where} GROUP BY 1`,
    params,
  );
}

/** The board's open items of a site (or one of its areas), most urgent first. */
export function boardItems(db: EntityManager, caller: Caller, siteId: string, areaId: string | null, limit: number): Promise<WorkItem[]> {
  const { where, params } = boardScope(caller, siteId, areaId);
  return selectRowsWhere(db, WorkItem, `${where} AND status = ANY($${params.length + 1})`, [...params, OPEN_STATUSES], { order: BOARD_ORDER, limit });
}

// ---------- what the per-request loaders batch ----------

export const workItemLoader = (db: EntityManager) => loaderBy(db, WorkItem);

/** The items these people own, oldest first. */
export function workItemsOwnedBy(db: EntityManager, ownerIds: string[]): Promise<WorkItem[]> {
  return db.getRepository(WorkItem).find({ where: { ownerId: In(ownerIds) }, order: { createdAt: 'ASC' } });
}

/** The items on these assets that are not done or cancelled, oldest first. */
export function openWorkItemsOnAssets(db: EntityManager, assetIds: string[]): Promise<WorkItem[]> {
  return db.getRepository(WorkItem).find({ where: { assetId: In(assetIds), status: Not(In(TERMINAL)) }, order: { createdAt: 'ASC' } });
}

/**
 * The items records of a domain raised (source) or are linked to, and the items with these ids (those the
 * records put a blocker on), oldest first.
 */
export function workItemsOfRecords(db: EntityManager, domain: SourceDomain, recordIds: readonly string[], blockedIds: string[]): Promise<WorkItem[]> {
  return db
    .getRepository(WorkItem)
    .createQueryBuilder('w')
    .where('w.sourceDomain = :domain AND w.sourceRecordId IN (:...ids)', { domain, ids: recordIds })
    .orWhere(`w.links @> ANY(ARRAY(SELECT jsonb_build_array(jsonb_build_object('domain', :domain::text, 'recordId', id)) FROM unnest(:ids::text[]) id))`)
    .orWhere(blockedIds.length ? 'w.id IN (:...blockedIds)' : 'false', { blockedIds })
    .orderBy('w.createdAt', 'ASC')
    .getMany();
}

// ---------- the change set's locked reads and writes ----------

/**
 * Locks (`FOR UPDATE`) and reads, in one statement, the items with these ids and the items the given source
 * records raised prerequisites on, in id order (two transactions cannot deadlock); ids that do not exist are
 * left out. The ids are gathered first so the items are read by primary key.
 */
export function lockWorkItems(db: EntityManager, ids: string[], raisedBy: readonly { domain: SourceDomain; recordId: string }[] = []): Promise<WorkItem[]> {
  return selectRowsWhere(
    db,
    WorkItem,
    `id = ANY(ARRAY(SELECT unnest($1::uuid[]) UNION SELECT work_item_id FROM prerequisite WHERE (source_domain, source_record_id) IN (SELECT * FROM unnest($2::text[], $3::text[]))))`,
    [ids, raisedBy.map((s) => s.domain), raisedBy.map((s) => s.recordId)],
    { order: { id: 'ASC' }, lock: true },
  );
}

/** A new item, with the database's id, creation time and version on the returned entity. */
export async function insertWorkItem(db: EntityManager, fields: DeepPartial<WorkItem>): Promise<WorkItem> {
  const item = db.create(WorkItem, fields);
  await db.save(item);
  return item;
}

/** Writes `fields` of these items in one statement, bumping their versions and update times (written back onto them). */
export function updateWorkItems(db: EntityManager, items: readonly WorkItem[], fields: readonly (keyof WorkItem & string)[]): Promise<void> {
  return updateRows(db, WorkItem, items, fields);
}
