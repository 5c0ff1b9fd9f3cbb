import { isContractorOnly, selectRowsWhere, type Caller } from '@opsgraph/core';
import type { EntityManager } from 'typeorm';
import { ConditionClearance, HandoverRecord, OPEN_STATUSES, StandingCondition, WorkItem, type WorkItemStatus } from '../entities';

/**
 * The shift handover's reads and writes (domain/handover.ts): the items of a place that are open or were touched
 * in a window, what changed since a moment, the standing conditions, and the stored handovers. Work item reads
 * keep the caller to their sites and, for a contractor, their company's jobs, on top of row-level security.
 */

/** A site, or one area of it (null: the whole site). */
export interface HandoverPlace {
  siteId: string;
  areaId: string | null;
}

/** The sites a caller may see, for SQL; with none, a site that matches nothing. */
const scopeSites = (caller: Caller) => (caller.sites.length ? caller.sites : ['00000000-0000-0000-0000-000000000000']);

/**
 * The place and the caller's scope as a condition on work items (`alias.` columns), its values pushed onto
 * `params`: one of a few constant texts, so statements stay cacheable.
 */
function itemsOfPlace(caller: Caller, place: HandoverPlace, params: unknown[], alias = ''): string {
  const where = [`${alias}site_id = $${params.push(place.siteId)}`];
  if (place.areaId) where.push(`${alias}area_id = $${params.push(place.areaId)}`);
  if (!caller.sites.includes('*')) where.push(`${alias}site_id = ANY($${params.push(scopeSites(caller))}::uuid[])`);
  if (isContractorOnly(caller)) where.push(`${alias}contractor_company = $${params.push(caller.company ?? '')}`);
  return where.join(' AND ');
}

/** Conditions and notes of a place: an area's own and the whole site's. */
function recordsOfPlace(place: HandoverPlace, params: unknown[], alias = ''): string {
  const site = `${alias}site_id = $${params.push(place.siteId)}`;
  return place.areaId ? `${site} AND (${alias}area_id = $${params.push(place.areaId)} OR ${alias}area_id IS NULL)` : site;
}

/**
 * The handover's section of an item by its state now; `sectionOf` in domain/handover.ts says the same. Every item
 * is in exactly one.
 */
const SECTION = `CASE WHEN status = 'DONE' THEN 'done' WHEN status = 'CANCELLED' THEN 'cancelled'
  WHEN status = 'AWAITING_VERIFICATION' THEN 'awaitingVerification' WHEN status = 'ON_HOLD' OR open_prerequisites > 0 OR lapses_at <= now() THEN 'blocked'
  WHEN status = 'IN_PROGRESS' THEN 'inProgress' ELSE 'ready' END`;

/** Most urgent first (priority, then due time), then last changed first. */
export const HANDOVER_ORDER = `CASE priority WHEN 'CRITICAL' THEN 0 WHEN 'HIGH' THEN 1 WHEN 'MEDIUM' THEN 2 ELSE 3 END, due_at NULLS LAST, updated_at DESC, id`;

/** Items with history (a transition, a blocker raised or resolved) in [from, to). */
const TOUCHED = (f: number, t: number) => `SELECT work_item_id FROM transition WHERE at >= $${f} AND at < $${t}
  UNION SELECT work_item_id FROM prerequisite WHERE created_at >= $${f} AND created_at < $${t}
  UNION SELECT work_item_id FROM prerequisite WHERE resolved_at >= $${f} AND resolved_at < $${t}`;

/**
 * The items of a place that are open now, or were touched in [from, to), at most `perSection` of each handover
 * section (in `HANDOVER_ORDER`): one statement.
 */
export function openOrTouchedItems(db: EntityManager, caller: Caller, place: HandoverPlace, from: Date, to: Date, perSection: number): Promise<WorkItem[]> {
  const params: unknown[] = [];
  const scope = itemsOfPlace(caller, place, params);
  const open = params.push(OPEN_STATUSES);
  const f = params.push(from);
  const t = params.push(to);
  const limit = params.push(perSection);
  const where = `id IN (SELECT id FROM (SELECT id, row_number() OVER (PARTITION BY ${SECTION} ORDER BY ${HANDOVER_ORDER}) AS n FROM work_item
    WHERE ${scope} AND (status = ANY($${open}::text[]) OR id IN (${TOUCHED(f, t)}))) ranked WHERE n <= $${limit})`;
  return selectRowsWhere(db, WorkItem, where, params, { order: HANDOVER_ORDER });
}

/** The items of a place on hold now, with when and by whom they were put on hold (their last such transition). */
export function heldItems(db: EntityManager, caller: Caller, place: HandoverPlace, limit: number): Promise<{ item: WorkItem; at: Date; actorId: string | null }[]> {
  const params: unknown[] = [];
  const scope = itemsOfPlace(caller, place, params, 'w.');
  return db
    .query(
      `SELECT w.id, w.number, w.title, w.hold_reason AS "holdReason", w.site_id AS "siteId", w.area_id AS "areaId", w.asset_id AS "assetId",
              coalesce(t.at, w.updated_at) AS at, t.actor_id AS "actorId"
         FROM work_item w LEFT JOIN LATERAL (SELECT at, actor_id FROM transition WHERE work_item_id = w.id AND to_status = 'ON_HOLD' ORDER BY id DESC LIMIT 1) t ON true
        WHERE ${scope} AND w.status = 'ON_HOLD' ORDER BY at, w.id LIMIT $${params.push(limit)}`,
      params,
    )
    .then((rows: (Pick<WorkItem, 'id' | 'number' | 'title' | 'holdReason' | 'siteId' | 'areaId' | 'assetId'> & { at: Date; actorId: string | null })[]) =>
      rows.map(({ at, actorId, ...item }) => ({ item: item as WorkItem, at, actorId })),
    );
}

export type HandoverChangeKind = 'TRANSITION' | 'BLOCKER_RAISED' | 'BLOCKER_CLEARED' | 'CONDITION_RECORDED' | 'CONDITION_CLEARED';

/** One entry of "what changed since": an item's transition, a blocker raised or cleared, a condition recorded or cleared. */
export interface HandoverChangeRow {
  at: Date;
  kind: HandoverChangeKind;
  workItemId: string | null;
  number: string | null;
  title: string | null;
  from: WorkItemStatus | null;
  to: WorkItemStatus | null;
  actorId: string | null;
  /** The blocker's prerequisite kind, or the condition's kind. */
  detailKind: string | null;
  /** The condition's id (recorded condition or flagged note). */
  conditionId: string | null;
  description: string | null;
  note: string | null;
}

/**
 * What changed at a place in [since, until), oldest first, at most `limit` entries: from the items' history, their
 * blockers' raise and resolve times, and the conditions recorded and cleared. One statement.
 */
export function changesBetween(db: EntityManager, caller: Caller, place: HandoverPlace, since: Date, until: Date, limit: number): Promise<HandoverChangeRow[]> {
  const params: unknown[] = [];
  const items = itemsOfPlace(caller, place, params, 'w.');
  const conditions = recordsOfPlace(place, params, 'c.');
  const s = params.push(since);
  const u = params.push(until);
  const cleared = params.push(place.siteId);
  const clearedArea = place.areaId ? `AND (coalesce(c.area_id, n.area_id) = $${params.push(place.areaId)} OR coalesce(c.area_id, n.area_id) IS NULL)` : '';
  const item = `w.id AS "workItemId", w.number, w.title`;
  const noItem = `NULL::uuid AS "workItemId", NULL AS number, NULL AS title`;
  return db.query(
    `SELECT at, kind, "workItemId", number, title, "from", "to", "actorId", "detailKind", "conditionId", description, note FROM (
       SELECT t.at, 'TRANSITION' AS kind, ${item}, t.from_status AS "from", t.to_status AS "to", t.actor_id AS "actorId",
              NULL AS "detailKind", NULL::uuid AS "conditionId", NULL AS description, t.note, t.id::text AS seq
         FROM transition t JOIN work_item w ON w.id = t.work_item_id WHERE ${items} AND t.at >= $${s} AND t.at < $${u}
       UNION ALL
       SELECT p.created_at, 'BLOCKER_RAISED', ${item}, NULL, NULL, NULL, p.kind, NULL, p.description, p.reason, p.id::text
         FROM prerequisite p JOIN work_item w ON w.id = p.work_item_id WHERE ${items} AND p.created_at >= $${s} AND p.created_at < $${u}
       UNION ALL
       SELECT p.resolved_at, 'BLOCKER_CLEARED', ${item}, NULL, NULL, p.waived_by_id::text, p.kind, NULL, p.description, p.waived_reason, p.id::text
         FROM prerequisite p JOIN work_item w ON w.id = p.work_item_id WHERE ${items} AND p.state <> 'OPEN' AND p.resolved_at >= $${s} AND p.resolved_at < $${u}
       UNION ALL
       SELECT c.raised_at, 'CONDITION_RECORDED', ${noItem}, NULL, NULL, c.raised_by_id, c.kind, c.id, c.description, NULL, c.id::text
         FROM recorded_condition c WHERE ${conditions} AND c.raised_at >= $${s} AND c.raised_at < $${u}
       UNION ALL
       SELECT k.cleared_at, 'CONDITION_CLEARED', ${noItem}, NULL, NULL, k.cleared_by_id, coalesce(c.kind, 'FLAGGED_NOTE'), k.subject_id, coalesce(c.description, n.text), k.note, k.subject_id::text
         FROM condition_clearance k LEFT JOIN recorded_condition c ON c.id = k.subject_id LEFT JOIN shift_log_entry n ON n.id = k.subject_id
        WHERE k.site_id = $${cleared} ${clearedArea} AND k.cleared_at >= $${s} AND k.cleared_at < $${u} AND (c.id IS NOT NULL OR n.id IS NOT NULL)
     ) changes ORDER BY at, kind, seq LIMIT $${params.push(limit)}`,
    params,
  );
}

// ---------- standing conditions ----------

/** The recorded conditions of a place nobody has cleared, oldest first. */
export function standingRecordedConditions(db: EntityManager, place: HandoverPlace, limit: number): Promise<StandingCondition[]> {
  const params: unknown[] = [];
  const where = `${recordsOfPlace(place, params)} AND NOT EXISTS (SELECT 1 FROM condition_clearance k WHERE k.subject_id = recorded_condition.id)`;
  return selectRowsWhere(db, StandingCondition, where, params, { order: { raisedAt: 'ASC', id: 'ASC' }, limit });
}

export async function recordedConditionById(db: EntityManager, id: string): Promise<StandingCondition | null> {
  const [row] = await selectRowsWhere(db, StandingCondition, 'id = $1', [id]);
  return row ?? null;
}

export async function insertRecordedCondition(db: EntityManager, fields: Omit<StandingCondition, 'id'>): Promise<StandingCondition> {
  const row = db.create(StandingCondition, fields);
  await db.insert(StandingCondition, row);
  return row;
}

/** Clears a condition, once: false when it was cleared already (also by a concurrent request). */
export async function insertClearance(db: EntityManager, row: ConditionClearance): Promise<boolean> {
  const inserted: unknown[] = await db.query(
    `INSERT INTO condition_clearance (subject_id, subject, site_id, cleared_by_id, cleared_at, note) VALUES ($1, $2, $3, $4, $5, $6) ON CONFLICT (subject_id) DO NOTHING RETURNING subject_id`,
    [row.subjectId, row.subject, row.siteId, row.clearedById, row.clearedAt, row.note],
  );
  return inserted.length === 1;
}

// ---------- stored handovers ----------

const PLACE = (areaParam: number) => `site_id = $1 AND area_id IS NOT DISTINCT FROM $${areaParam}::uuid`;

export async function insertHandover(db: EntityManager, fields: Omit<HandoverRecord, 'id'>): Promise<HandoverRecord> {
  const row = db.create(HandoverRecord, fields);
  await db.insert(HandoverRecord, row);
  return row;
}

/** The handover awaiting acceptance at exactly this place, if any. */
export async function awaitingHandover(db: EntityManager, place: HandoverPlace): Promise<HandoverRecord | null> {
  const [row] = await selectRowsWhere(db, HandoverRecord, `${PLACE(2)} AND status = 'AWAITING_ACCEPTANCE'`, [place.siteId, place.areaId]);
  return row ?? null;
}

export async function handoverById(db: EntityManager, id: string, lock = false): Promise<HandoverRecord | null> {
  const [row] = await selectRowsWhere(db, HandoverRecord, 'id = $1', [id], { lock });
  return row ?? null;
}

/** Writes the decision on a handover awaiting it (the only write a stored handover takes). */
export async function decideHandover(db: EntityManager, record: HandoverRecord): Promise<void> {
  await db.query(`UPDATE handover SET status = $2, decided_by_id = $3, decided_at = $4, decision_note = $5 WHERE id = $1`, [
    record.id,
    record.status,
    record.decidedById,
    record.decidedAt,
    record.decisionNote,
  ]);
}

/** The last handover of exactly this place (the whole site is a place of its own) accepted with a picture taken before `before`. */
export async function lastAcceptedHandover(db: EntityManager, place: HandoverPlace, before: Date): Promise<HandoverRecord | null> {
  const [row] = await selectRowsWhere(db, HandoverRecord, `${PLACE(2)} AND status = 'ACCEPTED' AND at < $3`, [place.siteId, place.areaId, before], { order: { at: 'DESC' }, limit: 1 });
  return row ?? null;
}

/** The handover started at the same place right after this one, if any. */
export async function nextHandover(db: EntityManager, record: HandoverRecord): Promise<HandoverRecord | null> {
  const [row] = await selectRowsWhere(db, HandoverRecord, `${PLACE(2)} AND at > $3`, [record.siteId, record.areaId, record.at], { order: { at: 'ASC' }, limit: 1 });
  return row ?? null;
}

/** Stored handovers of a site, or of one place of it (`areaId` null: the whole site's own), newest first. */
export function handoversOf(db: EntityManager, siteId: string, areaId: string | null | undefined, limit: number): Promise<HandoverRecord[]> {
  if (areaId === undefined) return selectRowsWhere(db, HandoverRecord, 'site_id = $1', [siteId], { order: { at: 'DESC' }, limit });
  return selectRowsWhere(db, HandoverRecord, PLACE(2), [siteId, areaId], { order: { at: 'DESC' }, limit });
}

/**
 * Per place of a site: its last accepted handover, the one awaiting acceptance, and those refused since the last
 * acceptance. One statement.
 */
export function handoverStateOfSite(db: EntityManager, siteId: string): Promise<HandoverRecord[]> {
  return selectRowsWhere(
    db,
    HandoverRecord,
    `site_id = $1 AND (status = 'AWAITING_ACCEPTANCE'
      OR id IN (SELECT DISTINCT ON (area_id) id FROM handover WHERE site_id = $1 AND status = 'ACCEPTED' ORDER BY area_id, at DESC)
      OR (status = 'REFUSED' AND at > coalesce((SELECT max(a.at) FROM handover a WHERE a.site_id = $1 AND a.status = 'ACCEPTED' AND a.area_id IS NOT DISTINCT FROM handover.area_id), '-infinity')))`,
    [siteId],
    { order: { at: 'DESC' } },
  );
}
