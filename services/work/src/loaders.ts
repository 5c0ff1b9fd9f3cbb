import { loaderBy, loaderGrouped } from '@opsgraph/core';
import DataLoader from 'dataloader';
import { In, Not, type DataSource } from 'typeorm';
import { Area, Asset, Evidence, Line, Prerequisite, Site, Transition, WorkItem, TERMINAL, type SourceDomain, type WorkItemStatus } from './entities';

/** Per-request batch loaders: every nested field of a list resolves in one statement per kind. */
export function createLoaders(db: DataSource) {
  return {
    site: loaderBy(db, Site),
    area: loaderBy(db, Area),
    line: loaderBy(db, Line),
    asset: loaderBy(db, Asset),
    workItem: loaderBy(db, WorkItem),
    prerequisite: loaderBy(db, Prerequisite),
    areasBySite: loaderGrouped(db, Area, 'siteId', { code: 'ASC' }),
    linesByArea: loaderGrouped(db, Line, 'areaId', { code: 'ASC' }),
    assetsByArea: loaderGrouped(db, Asset, 'areaId', { code: 'ASC' }),
    assetsByLine: loaderGrouped(db, Asset, 'lineId', { code: 'ASC' }),
    assetsByParent: loaderGrouped(db, Asset, 'parentId', { code: 'ASC' }),
    prerequisitesByWorkItem: loaderGrouped(db, Prerequisite, 'workItemId', { createdAt: 'ASC' }),
    historyByWorkItem: loaderGrouped(db, Transition, 'workItemId', { id: 'ASC' }),
    evidenceByWorkItem: loaderGrouped(db, Evidence, 'workItemId', { submittedAt: 'ASC' }),
    /** Work raised by (source) or linked to records of another domain, one statement per domain and tick. */
    workByRecord: recordLoaders(db),
    ownedWork: new DataLoader<string, WorkItem[], string>(
      async (keys) => {
        const parsed = keys.map((k) => JSON.parse(k) as [string, WorkItemStatus[]]);
        const rows = await db.getRepository(WorkItem).find({ where: { ownerId: In([...new Set(parsed.map(([id]) => id))]) }, order: { createdAt: 'ASC' } });
        return parsed.map(([id, statuses]) => rows.filter((w) => w.ownerId === id && statuses.includes(w.status)));
      },
    ),
    openWorkByAsset: new DataLoader<string, WorkItem[]>(async (assetIds) => {
      const rows = await db.getRepository(WorkItem).find({ where: { assetId: In(assetIds as string[]), status: Not(In(TERMINAL)) }, order: { createdAt: 'ASC' } });
      return assetIds.map((id) => rows.filter((w) => w.assetId === id));
    }),
  };
}
export type Loaders = ReturnType<typeof createLoaders>;

function recordLoaders(db: DataSource) {
  const byDomain = new Map<SourceDomain, DataLoader<string, WorkItem[]>>();
  return (domain: SourceDomain) => {
    let loader = byDomain.get(domain);
    if (!loader) {
      loader = new DataLoader<string, WorkItem[]>(async (recordIds) => {
        const rows = await db
          .getRepository(WorkItem)
          .createQueryBuilder('w')
          .where('w.sourceDomain = :domain AND w.sourceRecordId IN (:...ids)', { domain, ids: recordIds })
          .orWhere(`w.links @> ANY(ARRAY(SELECT jsonb_build_array(jsonb_build_object('domain', :domain::text, 'recordId', id)) FROM unnest(:ids::text[]) id))`)
          .orderBy('w.createdAt', 'ASC')
          .getMany();
        const linked = (w: WorkItem, id: string) => (w.sourceDomain === domain && w.sourceRecordId === id) || w.links.some((l) => l.domain === domain && l.recordId === id);
        return recordIds.map((id) => rows.filter((w) => linked(w, id)));
      });
      byDomain.set(domain, loader);
    }
    return loader;
  };
}
