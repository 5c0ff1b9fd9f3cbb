import { inScope, inSiteScope, loaderBy, loaderGrouped, type Caller } from '@opsgraph/core';
import DataLoader from 'dataloader';
import { In, Not, type EntityManager } from 'typeorm';
import { Area, Asset, Evidence, Line, Prerequisite, Site, Transition, WorkItem, TERMINAL, type SourceDomain, type WorkItemStatus } from './entities';

/**
 * Per-request batch loaders: every nested field of a list resolves in one statement per kind. Each
 * drops what the caller may not see, so no nested field or federation reference leaks another site's
 * or another contractor's records.
 */
export function createLoaders(db: EntityManager, caller: Caller) {
  // Work items carry the contractor boundary; the location registry is visible to everyone at the site.
  const visible = <T extends { siteId: string; contractorCompany?: string | null }>(row: T | null) =>
    row && ('contractorCompany' in row ? inScope(caller, row) : inSiteScope(caller, row.siteId)) ? row : null;
  const scoped = <T extends { siteId: string }>(loader: DataLoader<string, T | null>) =>
    new DataLoader<string, T | null>(async (keys) => (await loader.loadMany(keys)).map((row) => (row instanceof Error ? row : visible(row))));
  const scopedList = <K, T extends { siteId: string }>(loader: DataLoader<K, T[], unknown>) =>
    new DataLoader<K, T[], unknown>(async (keys) => (await loader.loadMany(keys)).map((rows) => (rows instanceof Error ? rows : rows.filter((r) => visible(r)))));
  return {
    site: new DataLoader<string, Site | null>(async (keys) => (await loaderBy(db, Site).loadMany(keys)).map((s) => (s instanceof Error ? s : s && inSiteScope(caller, s.id) ? s : null))),
    area: scoped(loaderBy(db, Area)),
    line: scoped(loaderBy(db, Line)),
    asset: scoped(loaderBy(db, Asset)),
    workItem: scoped(loaderBy(db, WorkItem)),
    prerequisite: loaderBy(db, Prerequisite),
    areasBySite: scopedList(loaderGrouped(db, Area, 'siteId', { code: 'ASC' })),
    linesByArea: scopedList(loaderGrouped(db, Line, 'areaId', { code: 'ASC' })),
    assetsByArea: scopedList(loaderGrouped(db, Asset, 'areaId', { code: 'ASC' })),
    assetsByLine: scopedList(loaderGrouped(db, Asset, 'lineId', { code: 'ASC' })),
    assetsByParent: scopedList(loaderGrouped(db, Asset, 'parentId', { code: 'ASC' })),
    prerequisitesByWorkItem: loaderGrouped(db, Prerequisite, 'workItemId', { createdAt: 'ASC' }),
    historyByWorkItem: loaderGrouped(db, Transition, 'workItemId', { id: 'ASC' }),
    evidenceByWorkItem: loaderGrouped(db, Evidence, 'workItemId', { submittedAt: 'ASC' }),
    /** Work raised by (source) or linked to records of another domain, one statement per domain and tick. */
    workByRecord: recordLoaders(db, scopedList),
    ownedWork: scopedList(new DataLoader<string, WorkItem[], string>(
      async (keys) => {
        const parsed = keys.map((k) => JSON.parse(k) as [string, WorkItemStatus[]]);
        const rows = await db.getRepository(WorkItem).find({ where: { ownerId: In([...new Set(parsed.map(([id]) => id))]) }, order: { createdAt: 'ASC' } });
        return parsed.map(([id, statuses]) => rows.filter((w) => w.ownerId === id && statuses.includes(w.status)));
      },
    )),
    openWorkByAsset: scopedList(new DataLoader<string, WorkItem[]>(async (assetIds) => {
      const rows = await db.getRepository(WorkItem).find({ where: { assetId: In(assetIds as string[]), status: Not(In(TERMINAL)) }, order: { createdAt: 'ASC' } });
      return assetIds.map((id) => rows.filter((w) => w.assetId === id));
    })),
  };
}
export type Loaders = ReturnType<typeof createLoaders>;

const COVERED_BY_BLOCKER = new Set<SourceDomain>(['PERMITS']);

function recordLoaders(db: EntityManager, scope: (loader: DataLoader<string, WorkItem[]>) => DataLoader<string, WorkItem[], unknown>) {
  const byDomain = new Map<SourceDomain, DataLoader<string, WorkItem[], unknown>>();
  return (domain: SourceDomain) => {
    let loader = byDomain.get(domain);
    if (!loader) {
      loader = scope(new DataLoader<string, WorkItem[]>(async (recordIds) => {
        // A record's work: items it raised (source) and items linked to it; for a permit also the items
        // it covers, i.e. those it put a "valid permit" blocker on. (A change's blockers on other work
        // mean "affected by", not "its work", so they do not count.) At most two statements per domain.
        const blocked: { work_item_id: string; source_record_id: string }[] = COVERED_BY_BLOCKER.has(domain)
          ? await db.query('SELECT work_item_id, source_record_id FROM prerequisite WHERE source_domain = $1 AND source_record_id = ANY($2::text[])', [domain, recordIds])
          : [];
        const blockedIds = [...new Set(blocked.map((b) => b.work_item_id))];
        const rows = await db
          .getRepository(WorkItem)
          .createQueryBuilder('w')
          .where('w.sourceDomain = :domain AND w.sourceRecordId IN (:...ids)', { domain, ids: recordIds })
          .orWhere(`w.links @> ANY(ARRAY(SELECT jsonb_build_array(jsonb_build_object('domain', :domain::text, 'recordId', id)) FROM unnest(:ids::text[]) id))`)
          .orWhere(blockedIds.length ? 'w.id IN (:...blockedIds)' : 'false', { blockedIds })
          .orderBy('w.createdAt', 'ASC')
          .getMany();
        const linked = (w: WorkItem, id: string) =>
          (w.sourceDomain === domain && w.sourceRecordId === id) ||
          w.links.some((l) => l.domain === domain && l.recordId === id) ||
          blocked.some((b) => b.work_item_id === w.id && b.source_record_id === id);
        return recordIds.map((id) => rows.filter((w) => linked(w, id)));
      }));
      byDomain.set(domain, loader);
    }
    return loader;
  };
}
