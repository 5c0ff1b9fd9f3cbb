import { loaderBy, loaderGrouped } from '@opsgraph/core';
import DataLoader from 'dataloader';
import { In, Not, type DataSource } from 'typeorm';
import { Area, Asset, Evidence, Line, Prerequisite, Site, Transition, WorkItem, TERMINAL } from './entities';

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
    openWorkByAsset: new DataLoader<string, WorkItem[]>(async (assetIds) => {
      const rows = await db.getRepository(WorkItem).find({ where: { assetId: In(assetIds as string[]), status: Not(In(TERMINAL)) }, order: { createdAt: 'ASC' } });
      return assetIds.map((id) => rows.filter((w) => w.assetId === id));
    }),
  };
}
export type Loaders = ReturnType<typeof createLoaders>;
