import { loaderBy, loaderGrouped, selectRowsWhere, type Caller, loaded } from '@opsgraph/core';
import DataLoader from 'dataloader';
import type { EntityManager } from 'typeorm';
import { permitVisible } from './domain/permits';
import { GasTest, Isolation, Permit, PermitTransition } from './entities';

/**
 * Per-request batch loaders: every nested field of a list resolves in one statement per kind. Permits
 * the caller may not see (another site, another contractor's) are dropped, so no reference leaks them.
 */
export function createLoaders(db: EntityManager, caller: Caller) {
  const visible = (permits: Permit[]) => permits.filter((p) => permitVisible(caller, p));
  const permit = new DataLoader<string, Permit | null>(async (ids) =>
    (await loaderBy(db, Permit).loadMany(ids)).map((p) => (p instanceof Error ? p : p && permitVisible(caller, p) ? p : null)),
  );
  return {
    permit,
    isolationsByPermit: loaderGrouped(db, Isolation, 'permitId', { createdAt: 'ASC' }),
    gasTestsByPermit: loaderGrouped(db, GasTest, 'permitId', { testedAt: 'DESC', createdAt: 'DESC' }),
    historyByPermit: loaderGrouped(db, PermitTransition, 'permitId', { id: 'ASC' }),
    /**
     * Permits covering each work item, newest first: one statement (GIN overlap) for a whole list. The ids
     * go in as a computed array: Postgres prices an overlap with fifty given ids as a quarter of the table
     * and scans it (test/plans.test.ts).
     */
    permitsByWorkItem: new DataLoader<string, Permit[]>(async (workItemIds) => {
      const rows = visible(await selectRowsWhere(db, Permit, 'work_item_ids && ARRAY(SELECT unnest($1::uuid[]))', [workItemIds], { order: { createdAt: 'DESC' } }));
      return workItemIds.map((id) => rows.filter((p) => p.workItemIds.includes(id)));
    }),
    /** Isolations applied and not yet removed, by asset (of permits the caller may see). */
    activeIsolationsByAsset: new DataLoader<string, Isolation[]>(async (assetIds) => {
      // The condition of the partial index isolation_active_by_asset, word for word.
      const rows = await selectRowsWhere(db, Isolation, 'asset_id = ANY($1) AND applied_at IS NOT NULL AND removed_at IS NULL', [assetIds], { order: { appliedAt: 'ASC' } });
      const permits = await permit.loadMany([...new Set(rows.map((i) => i.permitId))]);
      const seen = new Set(loaded(permits).map((p) => p.id));
      return assetIds.map((id) => rows.filter((i) => i.assetId === id && seen.has(i.permitId)));
    }),
  };
}
export type Loaders = ReturnType<typeof createLoaders>;
