import { type Caller, loaded } from '@opsgraph/core';
import DataLoader from 'dataloader';
import type { EntityManager } from 'typeorm';
import { permitVisible } from './domain/permits';
import type { Isolation, Permit } from './entities';
import { gasTestsOfPermitLoader } from './store/gas-tests';
import { activeIsolationsOnAssets, isolationsOfPermitLoader } from './store/isolations';
import { historyOfPermitLoader, permitLoader, permitsOfWorkItems } from './store/permits';
import { decisionsOfPermitLoader } from './store/simops';
import { simultaneousOperations, type SimopsConflictView } from './domain/simops';

/**
 * Per-request batch loaders: every nested field of a list resolves in one statement per kind. Permits
 * the caller may not see (another site, another contractor's) are dropped, so no reference leaks them.
 */
export function createLoaders(db: EntityManager, caller: Caller) {
  const visible = (permits: Permit[]) => permits.filter((p) => permitVisible(caller, p));
  const permit = new DataLoader<string, Permit | null>(async (ids) =>
    (await permitLoader(db).loadMany(ids)).map((p) => (p instanceof Error ? p : p && permitVisible(caller, p) ? p : null)),
  );
  return {
    permit,
    isolationsByPermit: isolationsOfPermitLoader(db),
    gasTestsByPermit: gasTestsOfPermitLoader(db),
    historyByPermit: historyOfPermitLoader(db),
    /** Simultaneous-operations decisions recorded on each permit (for its history). */
    decisionsByPermit: decisionsOfPermitLoader(db),
    /** The live conflicts of each permit with their decisions: three statements for a whole list. */
    simopsByPermit: new DataLoader<Permit, SimopsConflictView[], string>((permits) => simultaneousOperations(db, caller, permits), { cacheKeyFn: (p) => p.id }),
    /** Permits covering each work item, newest first: one statement (GIN overlap) for a whole list. */
    permitsByWorkItem: new DataLoader<string, Permit[]>(async (workItemIds) => {
      const rows = visible(await permitsOfWorkItems(db, workItemIds));
      return workItemIds.map((id) => rows.filter((p) => p.workItemIds.includes(id)));
    }),
    /** Isolations applied and not yet removed, by asset (of permits the caller may see). */
    activeIsolationsByAsset: new DataLoader<string, Isolation[]>(async (assetIds) => {
      const rows = await activeIsolationsOnAssets(db, assetIds);
      const permits = await permit.loadMany([...new Set(rows.map((i) => i.permitId))]);
      const seen = new Set(loaded(permits).map((p) => p.id));
      return assetIds.map((id) => rows.filter((i) => i.assetId === id && seen.has(i.permitId)));
    }),
  };
}
export type Loaders = ReturnType<typeof createLoaders>;
