import { isContractorOnly, selectRows, selectRowsWhere, type Caller } from '@opsgraph/core';
import { Brackets, type EntityManager, type SelectQueryBuilder } from 'typeorm';
import { Asset, TERMINAL, WorkItem } from '../entities';
import type { PunchCategory, WorkDetails } from '../entities';

/**
 * The details of work items (domain/details.ts): the jsonb document on `work_item`, its filters for the list and
 * the logistics moves that need the same bay or dock in overlapping slots.
 */

/** What people sort details by, with values checked (`checkedFilter` in domain/queries.ts). */
export interface DetailConditions {
  /** A bay or dock code, as origin or destination of a logistics move. */
  bay?: string | null;
  /** Logistics moves whose slot overlaps [slotFrom, slotTo). */
  slotFrom?: Date | string | null;
  slotTo?: Date | string | null;
  punchCategory?: PunchCategory | null;
  /** A production action's order or batch. */
  orderOrBatch?: string | null;
}

/** Adds the detail conditions to a work item query (alias `w`); containment, so the GIN index on `details` serves them. */
export function applyDetailFilter(q: SelectQueryBuilder<WorkItem>, filter: DetailConditions) {
  const has = (name: string) => `w.details @> :${name}::jsonb`;
  if (filter.bay) {
    const places = ['from', 'to'].flatMap((end) => ['bay', 'dock'].map((kind) => JSON.stringify({ logistics: { [end]: { [kind]: filter.bay } } })));
    q.andWhere(new Brackets((b) => places.forEach((doc, i) => b.orWhere(has(`bay${i}`), { [`bay${i}`]: doc }))));
  }
  if (filter.slotFrom || filter.slotTo) {
    q.andWhere("w.details ? 'logistics'");
    if (filter.slotTo) q.andWhere(`(w.details->'logistics'->>'slotStart')::timestamptz < :slotTo`, { slotTo: filter.slotTo });
    if (filter.slotFrom) q.andWhere(`(w.details->'logistics'->>'slotEnd')::timestamptz > :slotFrom`, { slotFrom: filter.slotFrom });
  }
  if (filter.punchCategory) q.andWhere(has('punchCategory'), { punchCategory: JSON.stringify({ punchItem: { category: filter.punchCategory } }) });
  if (filter.orderOrBatch) {
    const byOrder = JSON.stringify({ productionAction: { order: filter.orderOrBatch } });
    const byBatch = JSON.stringify({ productionAction: { batch: filter.orderOrBatch } });
    q.andWhere(new Brackets((b) => b.where(has('byOrder'), { byOrder }).orWhere(has('byBatch'), { byBatch })));
  }
  return q;
}

/** Assets with these ids, in one plain SELECT. */
export function assetsWithIds(db: EntityManager, ids: readonly string[]): Promise<Asset[]> {
  return selectRows(db, Asset, 'id', ids);
}

/** Writes an item's details document (the item is locked by the change that calls it). */
export async function writeWorkItemDetails(db: EntityManager, id: string, details: WorkDetails): Promise<void> {
  await db.query(`UPDATE work_item SET details = $2::jsonb WHERE id = $1`, [id, JSON.stringify(details)]);
}

/**
 * For each of these logistics moves that is open, the other open moves of its site that need the same bay or dock
 * of the same area (as origin or destination of either) in an overlapping slot, in the caller's scope: one
 * statement. Returns pairs (the move asked about, the conflicting move), the latter oldest first.
 */
export async function bayConflictsOf(db: EntityManager, caller: Caller, ids: readonly string[]): Promise<{ forId: string; item: WorkItem }[]> {
  const pairs: { for_id: string; id: string }[] = await db.query(
    `WITH moves AS (
       SELECT id, site_id, (details->'logistics'->>'slotStart')::timestamptz AS slot_start, (details->'logistics'->>'slotEnd')::timestamptz AS slot_end,
              jsonb_build_array(details->'logistics'->'from', details->'logistics'->'to') AS places
         FROM work_item WHERE type = 'LOGISTICS' AND details ? 'logistics' AND status <> ALL($2))
     SELECT x.id AS for_id, m.id FROM moves x JOIN moves m ON m.site_id = x.site_id AND m.id <> x.id
            AND m.slot_start < x.slot_end AND m.slot_end > x.slot_start
      WHERE x.id = ANY($1::uuid[])
        AND EXISTS (SELECT 1 FROM jsonb_array_elements(x.places) a, jsonb_array_elements(m.places) b
                     WHERE a->>'areaId' = b->>'areaId' AND (a->>'bay' = b->>'bay' OR a->>'dock' = b->>'dock'))`,
    [ids, TERMINAL],
  );
  if (!pairs.length) return [];
  // The conflicting moves the caller may see: their sites and, for a contractor, their company's jobs.
  const params: unknown[] = [[...new Set(pairs.map((p) => p.id))]];
  const where = ['id = ANY($1::uuid[])'];
  if (!caller.sites.includes('*')) where.push(`site_id = ANY($${params.push(caller.sites)}::uuid[])`);
  if (isContractorOnly(caller)) where.push(`contractor_company = $${params.push(caller.company ?? '')}`);
  const visible = new Map((await selectRowsWhere(db, WorkItem, where.join(' AND '), params, { order: 'created_at, id' })).map((w) => [w.id, w]));
  return pairs
    .filter((p) => visible.has(p.id))
    .map((p) => ({ forId: p.for_id, item: visible.get(p.id)! }))
    .sort((a, b) => a.item.createdAt.getTime() - b.item.createdAt.getTime());
}

/** Scheduled rounds whose start has come and whose next round is not raised yet (not cancelled), oldest start first. */
export async function roundsDueToRecur(db: EntityManager, now: Date, limit = 500): Promise<string[]> {
  const rows: { id: string }[] = await db.query(
    `SELECT id FROM work_item
      WHERE type = 'ROUND' AND status <> 'CANCELLED' AND details->'round'->'schedule' IS NOT NULL AND jsonb_typeof(details->'round'->'schedule') = 'object'
        AND details->'round'->'schedule'->>'nextRoundId' IS NULL AND (details->'round'->'schedule'->>'occurrence')::timestamptz <= $1
      ORDER BY (details->'round'->'schedule'->>'occurrence')::timestamptz, id LIMIT $2`,
    [now, limit],
  );
  return rows.map((r) => r.id);
}
