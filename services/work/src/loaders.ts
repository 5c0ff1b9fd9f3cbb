import { inScope, inSiteScope, type Caller } from '@opsgraph/core';
import DataLoader from 'dataloader';
import type { EntityManager } from 'typeorm';
import type { Site, WorkItem, SourceDomain, WorkItemStatus } from './entities';
import { evidenceOfWorkItemLoader, transitionsOfWorkItemLoader } from './store/history';
import {
  areaLoader,
  areasOfSiteLoader,
  assetLoader,
  assetsOfAreaLoader,
  assetsOfLineLoader,
  childAssetsLoader,
  lineLoader,
  linesOfAreaLoader,
  siteLoader,
} from './store/locations';
import { prerequisiteLoader, prerequisitesOfWorkItemLoader, workItemsBlockedByRecords } from './store/prerequisites';
import { bayConflictsOf } from './store/details';
import { openWorkItemsOnAssets, workItemLoader, workItemsOfRecords, workItemsOwnedBy } from './store/work-items';

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
    site: new DataLoader<string, Site | null>(async (keys) => (await siteLoader(db).loadMany(keys)).map((s) => (s instanceof Error ? s : s && inSiteScope(caller, s.id) ? s : null))),
    area: scoped(areaLoader(db)),
    line: scoped(lineLoader(db)),
    asset: scoped(assetLoader(db)),
    workItem: scoped(workItemLoader(db)),
    prerequisite: prerequisiteLoader(db),
    /** The moment this request judges validity by (a condition's lapse): taken once, so one answer shows one moment. */
    readAt: readMoment(),
    areasBySite: scopedList(areasOfSiteLoader(db)),
    linesByArea: scopedList(linesOfAreaLoader(db)),
    assetsByArea: scopedList(assetsOfAreaLoader(db)),
    assetsByLine: scopedList(assetsOfLineLoader(db)),
    assetsByParent: scopedList(childAssetsLoader(db)),
    prerequisitesByWorkItem: prerequisitesOfWorkItemLoader(db),
    historyByWorkItem: transitionsOfWorkItemLoader(db),
    evidenceByWorkItem: evidenceOfWorkItemLoader(db),
    /** Work raised by (source) or linked to records of another domain, one statement per domain and tick. */
    workByRecord: recordLoaders(db, scopedList),
    ownedWork: scopedList(new DataLoader<string, WorkItem[], string>(
      async (keys) => {
        const parsed = keys.map((k) => JSON.parse(k) as [string, WorkItemStatus[]]);
        const rows = await workItemsOwnedBy(db, [...new Set(parsed.map(([id]) => id))]);
        return parsed.map(([id, statuses]) => rows.filter((w) => w.ownerId === id && statuses.includes(w.status)));
      },
    )),
    /** Per logistics move, the open moves needing the same bay or dock in an overlapping slot (scoped in the statement). */
    bayConflicts: scopedList(new DataLoader<string, WorkItem[]>(async (ids) => {
      const pairs = await bayConflictsOf(db, caller, ids);
      return ids.map((id) => pairs.filter((p) => p.forId === id).map((p) => p.item));
    })),
    openWorkByAsset: scopedList(new DataLoader<string, WorkItem[]>(async (assetIds) => {
      const rows = await openWorkItemsOnAssets(db, assetIds as string[]);
      return assetIds.map((id) => rows.filter((w) => w.assetId === id));
    })),
  };
}
export type Loaders = ReturnType<typeof createLoaders>;

function readMoment(): () => Date {
  let at: Date | undefined;
  return () => (at ??= new Date());
}

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
        const blocked = COVERED_BY_BLOCKER.has(domain) ? await workItemsBlockedByRecords(db, domain, recordIds) : [];
        const blockedIds = [...new Set(blocked.map((b) => b.work_item_id))];
        const rows = await workItemsOfRecords(db, domain, recordIds, blockedIds);
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
