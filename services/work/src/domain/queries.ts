import {
  badInput,
  inScope,
  inSiteScope,
  isContractorOnly,
  type Caller,
  decodeCursor,
  encodeCursor,
  notFound,
  optionalUuid,
  pageSize,
  requireText,
  requireUuid,
  selectRows,
  selectRowsWhere,
  toConnection,
  type Connection,
} from '@opsgraph/core';
import { Brackets, type EntityManager, type SelectQueryBuilder } from 'typeorm';
import { Area, Asset, OPEN_STATUSES, STATUSES, ShiftLogEntry, Site, Transition, WorkItem, type SourceDomain, type WorkItemStatus, type WorkItemType } from '../entities';

/** The one place that reads work items: lists, the board and the handover all build on these. */

export interface WorkItemFilter {
  siteId?: string | null;
  areaId?: string | null;
  lineId?: string | null;
  assetId?: string | null;
  status?: WorkItemStatus[] | null;
  ownerId?: string | null;
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

function applyFilter(q: SelectQueryBuilder<WorkItem>, filter: WorkItemFilter = {}) {
  const uuid = (key: keyof WorkItemFilter) => optionalUuid(filter[key], `filter.${key}`);
  const eq = { siteId: uuid('siteId'), areaId: uuid('areaId'), lineId: uuid('lineId'), assetId: uuid('assetId'), ownerId: uuid('ownerId') };
  for (const [key, value] of Object.entries(eq)) {
    if (value) q.andWhere(`w.${key} = :${key}`, { [key]: value });
  }
  if (filter.status?.length) q.andWhere('w.status IN (:...status)', { status: filter.status });
  if (filter.type?.length) q.andWhere('w.type IN (:...type)', { type: filter.type });
  if (filter.sourceDomain) q.andWhere('w.sourceDomain = :sourceDomain', { sourceDomain: filter.sourceDomain });
  if (filter.sourceRecordId) q.andWhere('w.sourceRecordId = :sourceRecordId', { sourceRecordId: requireText(filter.sourceRecordId, 'filter.sourceRecordId', { max: 100 }) });
  if (filter.contractorCompany) q.andWhere('w.contractorCompany = :company', { company: requireText(filter.contractorCompany, 'filter.contractorCompany', { max: 200 }) });
  if (filter.blocked !== undefined && filter.blocked !== null) {
    q.andWhere(filter.blocked ? 'w.openPrerequisites > 0 AND w.status IN (:...open)' : 'w.openPrerequisites = 0', { open: OPEN_STATUSES });
  }
  if (filter.overdue !== undefined && filter.overdue !== null) {
    q.andWhere(filter.overdue ? 'w.dueAt < now() AND w.status IN (:...open)' : '(w.dueAt IS NULL OR w.dueAt >= now() OR w.status NOT IN (:...open))', { open: OPEN_STATUSES });
  }
  if (filter.awaitingVerification !== undefined && filter.awaitingVerification !== null) {
    q.andWhere(filter.awaitingVerification ? "w.status = 'AWAITING_VERIFICATION'" : "w.status <> 'AWAITING_VERIFICATION'");
  }
  if (filter.text) {
    const text = requireText(filter.text, 'filter.text', { max: 200 });
    const pattern = `%${text.replace(/[\\%_]/g, (c) => `\\${c}`)}%`;
    q.andWhere(new Brackets((b) => b.where('w.number ILIKE :p', { p: pattern }).orWhere('w.title ILIKE :p').orWhere('w.description ILIKE :p')));
  }
  return q;
}

/** Newest first, keyset-paginated on (createdAt, id) so pages stay stable while work is added. */
export async function listWorkItems(db: EntityManager, caller: Caller, filter: WorkItemFilter | null | undefined, first?: number | null, after?: string | null): Promise<Connection<WorkItem>> {
  const limit = pageSize(first);
  const cursor = decodeCursor(after, 2);
  const base = applyFilter(workItems(db, caller), filter ?? {});
  const page = base.clone().orderBy('w.createdAt', 'DESC').addOrderBy('w.id', 'DESC').limit(limit + 1);
  if (cursor) {
    const [createdAt, id] = cursor;
    if (typeof createdAt !== 'string' || typeof id !== 'string' || Number.isNaN(Date.parse(createdAt))) throw badInput('after is not a valid cursor', { field: 'after' });
    page.andWhere('(w.createdAt, w.id) < (:createdAt, :id)', { createdAt, id: requireUuid(id, 'after') });
  }
  const [rows, total] = await Promise.all([page.getMany(), base.getCount()]);
  return toConnection(rows, limit, total, (w) => encodeCursor([w.createdAt.toISOString(), w.id]));
}

export async function getWorkItem(db: EntityManager, caller: Caller, id: string): Promise<WorkItem> {
  // A plain lookup (no find): the work item page starts here.
  const [item] = await selectRows(db, WorkItem, 'id', [requireUuid(id)]);
  if (!item || !inScope(caller, item)) throw notFound('work item', id);
  return item;
}

export async function getWorkItemByNumber(db: EntityManager, caller: Caller, number: string): Promise<WorkItem> {
  const value = requireText(number, 'number', { max: 40 }).toUpperCase();
  const item = await db.getRepository(WorkItem).findOneBy({ number: value });
  if (!item || !inScope(caller, item)) throw notFound('work item', value);
  return item;
}

async function requireSiteAndArea(db: EntityManager, caller: Caller, siteId: string, areaId?: string | null) {
  // Plain lookups (no find): the board runs this on every refresh of every screen.
  const [site] = await selectRows(db, Site, 'id', [requireUuid(siteId, 'siteId')]);
  if (!site || !inSiteScope(caller, site.id)) throw notFound('site', siteId);
  const areaKey = optionalUuid(areaId, 'areaId');
  const [area = null] = areaKey ? (await selectRows(db, Area, 'id', [areaKey])).filter((a) => a.siteId === site.id) : [];
  if (areaKey && !area) throw notFound('area', areaKey);
  return { site, area };
}

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

/** Counts by state and the open items, most urgent first (priority, then due time). */
export async function board(db: EntityManager, caller: Caller, siteId: string, areaId?: string | null, first?: number | null) {
  const { site, area } = await requireSiteAndArea(db, caller, siteId, areaId);
  const limit = first === undefined || first === null ? 100 : pageSize(first);
  const { where, params } = boardScope(caller, site.id, area?.id ?? null);
  const [counts, items] = await Promise.all([
    db.query(
      `SELECT status, COUNT(*)::int AS count, COUNT(*) FILTER (WHERE open_prerequisites > 0)::int AS blocked FROM work_item WHERE ${where} GROUP BY status`,
      params,
    ) as Promise<{ status: WorkItemStatus; count: number; blocked: number }[]>,
    selectRowsWhere(db, WorkItem, `${where} AND status = ANY($${params.length + 1})`, [...params, OPEN_STATUSES], { order: BOARD_ORDER, limit }),
  ]);
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

const HANDOVER_LIMIT = 200;

/**
 * What the next shift needs: what was finished in the window, and the live state of the area now
 * (in progress, blocked and by what, awaiting verification), with the shift's log entries.
 */
export async function handover(db: EntityManager, caller: Caller, input: { siteId: string; areaId?: string | null; shift: string; from: Date | string; to: Date | string }) {
  const { site, area } = await requireSiteAndArea(db, caller, input.siteId, input.areaId);
  const shift = requireText(input.shift, 'shift', { max: 50 });
  const from = new Date(input.from);
  const to = new Date(input.to);
  if (Number.isNaN(from.getTime()) || Number.isNaN(to.getTime())) throw badInput('from and to must be ISO date-times', { field: 'from' });
  if (to <= from) throw badInput('to must be after from', { field: 'to' });
  const scope = () => applyFilter(workItems(db, caller), { siteId: site.id, areaId: area?.id });
  const [done, inProgress, blocked, awaitingVerification, notes] = await Promise.all([
    scope()
      .andWhere((qb) => {
        const sub = qb.subQuery().select('t.workItemId').from(Transition, 't').where("t.toStatus IN ('DONE', 'AWAITING_VERIFICATION')").andWhere('t.at >= :from AND t.at < :to').getQuery();
        return `w.id IN ${sub}`;
      })
      .setParameters({ from, to })
      .orderBy('w.updatedAt', 'DESC')
      .limit(HANDOVER_LIMIT)
      .getMany(),
    scope().andWhere("w.status = 'IN_PROGRESS' AND w.openPrerequisites = 0").orderBy('w.updatedAt', 'DESC').limit(HANDOVER_LIMIT).getMany(),
    scope()
      // Bracketed: an OR at the top level of this condition would escape the scope and place filters.
      .andWhere("((w.openPrerequisites > 0 AND w.status IN (:...open)) OR w.status = 'ON_HOLD')", { open: OPEN_STATUSES })
      .orderBy('w.updatedAt', 'DESC')
      .limit(HANDOVER_LIMIT)
      .getMany(),
    scope().andWhere("w.status = 'AWAITING_VERIFICATION'").orderBy('w.completedAt', 'ASC').limit(HANDOVER_LIMIT).getMany(),
    // A contractor gets only the notes about their company's jobs: row-level security drops the area's other
    // notes (policy shift_log_entry_contractor, migrations/1796900000100-RowLevelSecurity.ts).
    db
      .getRepository(ShiftLogEntry)
      .createQueryBuilder('s')
      .where('s.siteId = :siteId AND s.shift = :shift AND s.at >= :from AND s.at < :to', { siteId: site.id, shift, from, to })
      .andWhere(area ? 's.areaId = :areaId' : '1=1', { areaId: area?.id })
      .orderBy('s.attentionNextShift', 'DESC')
      .addOrderBy('s.at', 'ASC')
      .getMany(),
  ]);
  return { site, area, shift, from, to, done, inProgress, blocked, awaitingVerification, notes };
}

export async function listSites(db: EntityManager, caller: Caller) {
  return (await db.getRepository(Site).find({ order: { code: 'ASC' } })).filter((s) => inSiteScope(caller, s.id));
}

export async function getSite(db: EntityManager, caller: Caller, id: string) {
  const site = await db.getRepository(Site).findOneBy({ id: requireUuid(id) });
  if (!site || !inSiteScope(caller, site.id)) throw notFound('site', id);
  return site;
}

export async function getAsset(db: EntityManager, caller: Caller, id: string) {
  const asset = await db.getRepository(Asset).findOneBy({ id: requireUuid(id) });
  if (!asset || !inSiteScope(caller, asset.siteId)) throw notFound('asset', id);
  return asset;
}
