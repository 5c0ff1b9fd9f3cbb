import {
  badInput,
  inScope,
  inSiteScope,
  type Caller,
  decodeCursor,
  encodeCursor,
  notFound,
  optionalUuid,
  pageSize,
  requireText,
  requireUuid,
  toConnection,
  type Connection,
} from '@opsgraph/core';
import type { EntityManager } from 'typeorm';
import { OPEN_STATUSES, STATUSES, WorkItem } from '../entities';
import { checkedDetailFilter } from './details';
import { allSites, areasWithIds, assetById, siteById, sitesWithIds } from '../store/locations';
import {
  boardCounts,
  boardItems,
  workItemById,
  workItemByNumber,
  workItemsPage,
  type WorkItemConditions,
} from '../store/work-items';

/**
 * The reads of Work's API: lists and the board, checked against the caller's scope; their queries are in
 * store/work-items.ts (and the registry's in store/locations.ts). The handover is in domain/handover.ts.
 */

/** The list's filter as a client gives it: the store's conditions before `checkedFilter` has checked them. */
export type WorkItemFilter = WorkItemConditions;

/** The filter with its values checked (ids, lengths), as the store's work item queries take it. */
function checkedFilter(filter: WorkItemFilter = {}): WorkItemConditions {
  const uuid = (key: keyof WorkItemFilter) => optionalUuid(filter[key], `filter.${key}`);
  const checked: WorkItemConditions = { siteId: uuid('siteId'), areaId: uuid('areaId'), lineId: uuid('lineId'), assetId: uuid('assetId'), ownerId: uuid('ownerId') };
  checked.status = filter.status;
  checked.type = filter.type;
  checked.sourceDomain = filter.sourceDomain;
  if (filter.sourceRecordId) checked.sourceRecordId = requireText(filter.sourceRecordId, 'filter.sourceRecordId', { max: 100 });
  if (filter.contractorCompany) checked.contractorCompany = requireText(filter.contractorCompany, 'filter.contractorCompany', { max: 200 });
  checked.blocked = filter.blocked;
  checked.overdue = filter.overdue;
  checked.awaitingVerification = filter.awaitingVerification;
  if (filter.text) checked.text = requireText(filter.text, 'filter.text', { max: 200 });
  Object.assign(checked, checkedDetailFilter(filter));
  return checked;
}

/** Newest first, keyset-paginated on (createdAt, id) so pages stay stable while work is added. */
export async function listWorkItems(db: EntityManager, caller: Caller, filter: WorkItemFilter | null | undefined, first?: number | null, after?: string | null): Promise<Connection<WorkItem>> {
  const limit = pageSize(first);
  const cursor = decodeCursor(after, 2);
  const conditions = checkedFilter(filter ?? {});
  let afterRow: { createdAt: string; id: string } | undefined;
  if (cursor) {
    const [createdAt, id] = cursor;
    if (typeof createdAt !== 'string' || typeof id !== 'string' || Number.isNaN(Date.parse(createdAt))) throw badInput('after is not a valid cursor', { field: 'after' });
    afterRow = { createdAt, id: requireUuid(id, 'after') };
  }
  const [rows, total] = await workItemsPage(db, caller, conditions, limit, afterRow);
  return toConnection(rows, limit, total, (w) => encodeCursor([w.createdAt.toISOString(), w.id]));
}

export async function getWorkItem(db: EntityManager, caller: Caller, id: string): Promise<WorkItem> {
  // A plain lookup (no find): the work item page starts here.
  const item = await workItemById(db, requireUuid(id));
  if (!item || !inScope(caller, item)) throw notFound('work item', id);
  return item;
}

export async function getWorkItemByNumber(db: EntityManager, caller: Caller, number: string): Promise<WorkItem> {
  const value = requireText(number, 'number', { max: 40 }).toUpperCase();
  const item = await workItemByNumber(db, value);
  if (!item || !inScope(caller, item)) throw notFound('work item', value);
  return item;
}

/** The site and (when given) one of its areas, in the caller's scope; another site's is not found, as a random id is. */
export async function requireSiteAndArea(db: EntityManager, caller: Caller, siteId: string, areaId?: string | null) {
  // Plain lookups (no find): the board runs this on every refresh of every screen.
  const [site] = await sitesWithIds(db, [requireUuid(siteId, 'siteId')]);
  if (!site || !inSiteScope(caller, site.id)) throw notFound('site', siteId);
  const areaKey = optionalUuid(areaId, 'areaId');
  const [area = null] = areaKey ? (await areasWithIds(db, [areaKey])).filter((a) => a.siteId === site.id) : [];
  if (areaKey && !area) throw notFound('area', areaKey);
  return { site, area };
}

/** Counts by state and the open items, most urgent first (priority, then due time). */
export async function board(db: EntityManager, caller: Caller, siteId: string, areaId?: string | null, first?: number | null) {
  const { site, area } = await requireSiteAndArea(db, caller, siteId, areaId);
  const limit = first === undefined || first === null ? 100 : pageSize(first);
  const [counts, items] = await Promise.all([boardCounts(db, caller, site.id, area?.id ?? null), boardItems(db, caller, site.id, area?.id ?? null, limit)]);
  const byStatus = new Map(counts.map((c) => [c.status, c]));
  return {
    site,
    area,
    counts: STATUSES.map((status) => ({ status, count: byStatus.get(status)?.count ?? 0 })),
    items,
    blockedCount: counts.filter((c) => OPEN_STATUSES.includes(c.status)).reduce((n, c) => n + c.blocked, 0),
    awaitingVerificationCount: byStatus.get('AWAITING_VERIFICATION')?.count ?? 0,
  };
}

export async function listSites(db: EntityManager, caller: Caller) {
  return (await allSites(db)).filter((s) => inSiteScope(caller, s.id));
}

export async function getSite(db: EntityManager, caller: Caller, id: string) {
  const site = await siteById(db, requireUuid(id));
  if (!site || !inSiteScope(caller, site.id)) throw notFound('site', id);
  return site;
}

export async function getAsset(db: EntityManager, caller: Caller, id: string) {
  const asset = await assetById(db, requireUuid(id));
  if (!asset || !inSiteScope(caller, asset.siteId)) throw notFound('asset', id);
  return asset;
}
