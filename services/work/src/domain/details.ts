import { badInput, illegalTransition, oneOf, optionalDate, optionalText, requireDate, requireRole, requireText, requireUuid, type Caller } from '@opsgraph/core';
import type { EntityManager } from 'typeorm';
import type { WorkItem, WorkItemType } from '../entities';
import { areasWithIds } from '../store/locations';
import { assetsWithIds, writeWorkItemDetails, type DetailConditions } from '../store/details';
import { WORK_PERMISSIONS } from './permissions';
import { changeWorkItem, eventData, type ChangeContext, type ChangeOptions } from './work-items';

/**
 * The details of the work types that have their own (issue 28), under the one control every item has. Stored
 * as one jsonb document on the item (`work_item.details`, keyed by the member: `{ "logistics": {...} }`), so
 * they are read, locked and scoped with it (row-level security of `work_item`); the GIN index serves the filters.
 */

export * from '../entities/work-details';
import { PUNCH_CATEGORIES, ROUND_CHECK_KINDS, type CustomerCommitment, type LogisticsDetails, type LogisticsPlace, type ProductionActionDetails, type RoundDetails, type RoundSchedule, type WorkDetails } from '../entities/work-details';

export type DetailMember = keyof WorkDetails;

/** Which member of the details input each work type takes; types not listed have no details of their own. */
export const DETAIL_MEMBER: Partial<Record<WorkItemType, DetailMember>> = {
  ROUND: 'round',
  LOGISTICS: 'logistics',
  PUNCH_ITEM: 'punchItem',
  PRODUCTION_ACTION: 'productionAction',
};
const MEMBERS: DetailMember[] = ['round', 'logistics', 'punchItem', 'productionAction'];

/** The details input as a client sends it (GraphQL `WorkItemDetailsInput`, or a plain object). */
export type WorkDetailsInput = Record<string, unknown>;

const MAX_CHECKPOINTS = 100;
const MAX_CHECKS = 30;

type Obj = Record<string, unknown>;
const asObject = (value: unknown, field: string): Obj => {
  if (!value || typeof value !== 'object' || Array.isArray(value)) throw badInput(`${field} is required`, { field });
  return value as Obj;
};
function optionalNumber(value: unknown, field: string): number | null {
  if (value === undefined || value === null) return null;
  if (typeof value !== 'number' || !Number.isFinite(value)) throw badInput(`${field} must be a number`, { field });
  return value;
}
function positive(value: unknown, field: string): number {
  const n = optionalNumber(value, field);
  if (n === null) throw badInput(`${field} is required`, { field });
  if (n <= 0) throw badInput(`${field} must be more than 0`, { field });
  return n;
}
/** Bays and docks are codes: trimmed and upper-cased, so "b3" and "B3 " are the same bay. */
const code = (value: unknown, field: string) => optionalText(value, field, 50)?.toUpperCase() ?? null;

/**
 * Checks the details of a new or changed item of `type`: exactly the member matching the type (any other member
 * is BAD_USER_INPUT at `details.<member>`), each field checked at its path. Returns the document to store, or
 * null when none was given. Places are checked against the item's site by `checkDetailPlaces`.
 */
export function detailsOf(type: WorkItemType, input: WorkDetailsInput | null | undefined, field = 'details'): WorkDetails | null {
  if (input === undefined || input === null) return null;
  const given = MEMBERS.filter((m) => input[m] !== undefined && input[m] !== null);
  const expected = DETAIL_MEMBER[type];
  const wrong = given.find((m) => m !== expected);
  if (wrong) {
    throw badInput(expected ? `a ${type} item takes details.${expected} only, not details.${wrong}` : `a ${type} item has no details of its own (details.${wrong} given)`, { field: `${field}.${wrong}` });
  }
  if (!expected || !given.length) throw badInput(expected ? `details.${expected} is required for a ${type} item` : `a ${type} item has no details of its own`, { field: expected ? `${field}.${expected}` : field });
  const at = `${field}.${expected}`;
  const member = asObject(input[expected], at);
  switch (expected) {
    case 'round':
      return { round: roundOf(member, at) };
    case 'logistics':
      return { logistics: logisticsOf(member, at) };
    case 'punchItem':
      return {
        punchItem: {
          project: requireText(member.project, `${at}.project`, { max: 100 }),
          system: requireText(member.system, `${at}.system`, { max: 100 }),
          category: oneOf(PUNCH_CATEGORIES, member.category, `${at}.category`),
          milestone: requireText(member.milestone, `${at}.milestone`, { max: 200 }),
        },
      };
    case 'productionAction':
      return { productionAction: productionActionOf(member, at) };
  }
}

function roundOf(input: Obj, at: string, now = new Date()): RoundDetails {
  const route = input.route;
  if (!Array.isArray(route) || !route.length) throw badInput(`${at}.route needs at least one checkpoint`, { field: `${at}.route` });
  if (route.length > MAX_CHECKPOINTS) throw badInput(`at most ${MAX_CHECKPOINTS} checkpoints`, { field: `${at}.route` });
  return {
    route: route.map((raw, i) => {
      const f = `${at}.route[${i}]`;
      const c = asObject(raw, f);
      const assetId = c.assetId ? requireUuid(c.assetId, `${f}.assetId`) : null;
      const areaId = c.areaId ? requireUuid(c.areaId, `${f}.areaId`) : null;
      if (!assetId && !areaId) throw badInput(`${f} needs an assetId or an areaId`, { field: `${f}.assetId` });
      const checks = c.checks;
      if (!Array.isArray(checks) || !checks.length) throw badInput(`${f}.checks needs at least one check or reading`, { field: `${f}.checks` });
      if (checks.length > MAX_CHECKS) throw badInput(`at most ${MAX_CHECKS} checks per checkpoint`, { field: `${f}.checks` });
      const labels = new Set<string>();
      return {
        checkpoint: i + 1,
        name: requireText(c.name, `${f}.name`, { max: 200 }),
        assetId,
        areaId,
        checks: checks.map((rawCheck, j) => {
          const g = `${f}.checks[${j}]`;
          const k = asObject(rawCheck, g);
          const label = requireText(k.label, `${g}.label`, { max: 200 });
          if (labels.has(label.toLowerCase())) throw badInput(`${g}.label "${label}" is already a check of this checkpoint`, { field: `${g}.label` });
          labels.add(label.toLowerCase());
          const kind = oneOf(ROUND_CHECK_KINDS, k.kind, `${g}.kind`);
          const min = optionalNumber(k.min, `${g}.min`);
          const max = optionalNumber(k.max, `${g}.max`);
          const unit = optionalText(k.unit, `${g}.unit`, 30);
          if (kind === 'READING' && !unit) throw badInput(`${g}.unit is required for a reading`, { field: `${g}.unit` });
          if (kind === 'READING' && min === null && max === null) throw badInput(`${g} needs a min or a max: a reading has limits`, { field: `${g}.min` });
          if (kind === 'CHECK' && (min !== null || max !== null || unit)) throw badInput(`${g}: a check is answered ok or not, it has no unit or limits`, { field: `${g}.kind` });
          if (min !== null && max !== null && min > max) throw badInput(`${g}.min is above max`, { field: `${g}.min` });
          return { label, kind, unit, min, max };
        }),
      };
    }),
    recordings: [],
    schedule: input.schedule ? scheduleOf(asObject(input.schedule, `${at}.schedule`), `${at}.schedule`, now) : null,
  };
}

const TIME_OF_DAY = /^([01]\d|2[0-3]):([0-5]\d)$/;
const minutesOf = (at: string) => Number(at.slice(0, 2)) * 60 + Number(at.slice(3, 5));

/** The first start of a schedule strictly after `after` (starts are times of day, UTC). */
export function nextStart(schedule: Pick<RoundSchedule, 'starts'>, after: Date): Date {
  const day = Date.UTC(after.getUTCFullYear(), after.getUTCMonth(), after.getUTCDate());
  const candidates = [0, 1].flatMap((d) => schedule.starts.map((s) => new Date(day + d * 86_400_000 + minutesOf(s.at) * 60_000)));
  return candidates.filter((t) => t > after).sort((a, b) => a.getTime() - b.getTime())[0];
}

function scheduleOf(input: Obj, at: string, now: Date): RoundSchedule {
  const starts = input.starts;
  if (!Array.isArray(starts) || !starts.length || starts.length > 12) throw badInput(`${at}.starts needs 1 to 12 start times`, { field: `${at}.starts` });
  const parsed = starts.map((raw, i) => {
    const s = asObject(raw, `${at}.starts[${i}]`);
    const time = typeof s.at === 'string' ? s.at.trim() : '';
    if (!TIME_OF_DAY.test(time)) throw badInput(`${at}.starts[${i}].at must be a time of day HH:MM (UTC)`, { field: `${at}.starts[${i}].at` });
    return { at: time, shift: optionalText(s.shift, `${at}.starts[${i}].shift`, 50) };
  });
  if (new Set(parsed.map((p) => p.at)).size !== parsed.length) throw badInput(`${at}.starts repeats a time`, { field: `${at}.starts` });
  const allowed = input.allowedMinutes;
  if (typeof allowed !== 'number' || !Number.isInteger(allowed) || allowed < 1 || allowed > 1440) throw badInput(`${at}.allowedMinutes must be 1..1440`, { field: `${at}.allowedMinutes` });
  const first = optionalDate(input.firstAt, `${at}.firstAt`);
  const sorted = [...parsed].sort((a, b) => minutesOf(a.at) - minutesOf(b.at));
  return { starts: sorted, allowedMinutes: allowed, occurrence: (first ?? nextStart({ starts: sorted }, new Date(now.getTime() - 60_000))).toISOString(), nextRoundId: null };
}

function placeOf(raw: unknown, f: string): LogisticsPlace {
  const p = asObject(raw, f);
  const bay = code(p.bay, `${f}.bay`);
  const dock = code(p.dock, `${f}.dock`);
  if (!bay === !dock) throw badInput(`${f} needs a bay or a dock (one of them)`, { field: `${f}.bay` });
  return { areaId: requireUuid(p.areaId, `${f}.areaId`), bay, dock };
}

function logisticsOf(input: Obj, at: string): LogisticsDetails {
  const slotStart = requireDate(input.slotStart, `${at}.slotStart`);
  const slotEnd = requireDate(input.slotEnd, `${at}.slotEnd`);
  if (slotEnd <= slotStart) throw badInput(`${at}.slotEnd must be after slotStart`, { field: `${at}.slotEnd` });
  const from = placeOf(input.from, `${at}.from`);
  const to = placeOf(input.to, `${at}.to`);
  if (from.areaId === to.areaId && from.bay === to.bay && from.dock === to.dock) throw badInput(`${at}.to is the same place as from`, { field: `${at}.to` });
  return {
    material: requireText(input.material, `${at}.material`, { max: 200 }),
    quantity: positive(input.quantity, `${at}.quantity`),
    unit: requireText(input.unit, `${at}.unit`, { max: 30 }),
    from,
    to,
    vehicle: optionalText(input.vehicle, `${at}.vehicle`, 100),
    slotStart: slotStart.toISOString(),
    slotEnd: slotEnd.toISOString(),
  };
}

function productionActionOf(input: Obj, at: string): ProductionActionDetails {
  const order = optionalText(input.order, `${at}.order`, 100);
  const batch = optionalText(input.batch, `${at}.batch`, 100);
  if (!order && !batch) throw badInput(`${at} needs an order or a batch`, { field: `${at}.order` });
  let customerCommitment: CustomerCommitment | null = null;
  if (input.customerCommitment) {
    const c = asObject(input.customerCommitment, `${at}.customerCommitment`);
    customerCommitment = {
      customer: requireText(c.customer, `${at}.customerCommitment.customer`, { max: 200 }),
      reference: optionalText(c.reference, `${at}.customerCommitment.reference`, 100),
      dueAt: optionalDate(c.dueAt, `${at}.customerCommitment.dueAt`)?.toISOString() ?? null,
    };
  }
  return {
    order,
    batch,
    product: requireText(input.product, `${at}.product`, { max: 200 }),
    quantity: positive(input.quantity, `${at}.quantity`),
    unit: requireText(input.unit, `${at}.unit`, { max: 30 }),
    customerCommitment,
  };
}

/**
 * The places the details name must be of the item's site (an id of another site is refused as a random one is,
 * naming the field), and a production action needs the item's line.
 */
export async function checkDetailPlaces(
  manager: EntityManager,
  item: { siteId: string; lineId: string | null },
  details: WorkDetails | null,
  field = 'details',
  { lineGiven = true } = {},
): Promise<void> {
  if (!details) return;
  const areas: { id: string; field: string }[] = [];
  const assets: { id: string; field: string }[] = [];
  if (details.logistics) {
    areas.push({ id: details.logistics.from.areaId, field: `${field}.logistics.from.areaId` }, { id: details.logistics.to.areaId, field: `${field}.logistics.to.areaId` });
  }
  details.round?.route.forEach((c, i) => {
    if (c.areaId) areas.push({ id: c.areaId, field: `${field}.round.route[${i}].areaId` });
    if (c.assetId) assets.push({ id: c.assetId, field: `${field}.round.route[${i}].assetId` });
  });
  if (details.productionAction && lineGiven && !item.lineId) throw badInput('a production action is on a line: lineId is required', { field: 'lineId' });
  const ofSite = new Set([
    ...(areas.length ? await areasWithIds(manager, [...new Set(areas.map((a) => a.id))]) : []),
    ...(assets.length ? await assetsWithIds(manager, [...new Set(assets.map((a) => a.id))]) : []),
  ].filter((row) => row.siteId === item.siteId).map((row) => row.id));
  const missing = [...areas, ...assets].find((p) => !ofSite.has(p.id));
  if (missing) throw badInput(`${missing.field}: no such place at the item's site`, { field: missing.field });
}

/** The work item's details as the graph shows them: one of the union's types, or null. */
export function detailsView(item: WorkItem) {
  const d = item.details;
  if (!d) return null;
  if (d.round) return { __typename: 'RoundDetails' as const, item, ...d.round };
  if (d.logistics) return { __typename: 'LogisticsDetails' as const, item, ...d.logistics };
  if (d.punchItem) return { __typename: 'PunchItemDetails' as const, item, ...d.punchItem };
  if (d.productionAction) return { __typename: 'ProductionActionDetails' as const, item, ...d.productionAction };
  return null;
}

/** What the details say, in words for the history. */
export function detailsSummary(details: WorkDetails): string {
  if (details.round) return `round of ${details.round.route.length} checkpoint(s)${details.round.schedule ? `, every day at ${details.round.schedule.starts.map((s) => s.at).join(', ')} UTC` : ''}`;
  if (details.logistics) {
    const l = details.logistics;
    const place = (p: LogisticsPlace) => (p.bay ? `bay ${p.bay}` : `dock ${p.dock}`);
    return `${l.quantity} ${l.unit} ${l.material} from ${place(l.from)} to ${place(l.to)}, ${l.slotStart}..${l.slotEnd}`;
  }
  if (details.punchItem) return `punch item category ${details.punchItem.category}, ${details.punchItem.project}/${details.punchItem.system}, milestone ${details.punchItem.milestone}`;
  const p = details.productionAction!;
  return `${p.quantity} ${p.unit} ${p.product} for ${[p.order && `order ${p.order}`, p.batch && `batch ${p.batch}`].filter(Boolean).join(', ')}`;
}

/** The details as events carry them: the document without a round's recordings (those have their own event). */
export function detailsForEvent(details: WorkDetails | null): Record<string, unknown> | undefined {
  if (!details) return undefined;
  if (details.round) return { round: { route: details.round.route, ...(details.round.schedule ? { schedule: { starts: details.round.schedule.starts, allowedMinutes: details.round.schedule.allowedMinutes, occurrence: details.round.schedule.occurrence } } : {}) } };
  return details as Record<string, unknown>;
}

/**
 * A supervisor changes the details of work not yet started (OPEN, READY, or ON_HOLD before it ever started),
 * with a history entry saying what they were and why; the type stays, so the member must match it.
 */
export function updateWorkItemDetails(db: EntityManager, caller: Caller, id: string, input: WorkDetailsInput, reason: string | null | undefined, options: ChangeOptions = {}) {
  requireRole(caller, ...WORK_PERMISSIONS.changeDetails);
  if (!input) throw badInput('details are required', { field: 'details' });
  const why = optionalText(reason, 'reason', 2000);
  return changeWorkItem(db, caller, id, options, async (ctx, item) => {
    const details = detailsOf(item.type, input, 'details')!;
    const started = item.performerId !== null || (item.status === 'ON_HOLD' && item.heldFrom === 'IN_PROGRESS');
    if (!['OPEN', 'READY', 'ON_HOLD'].includes(item.status) || started) throw illegalTransition('work item', item.status, 'change the details of');
    await checkDetailPlaces(ctx.manager, item, details);
    const before = item.details;
    // A changed route keeps the start this round is for and the next round already raised for it (raised once).
    const kept = before?.round?.schedule;
    const firstAt = (((input.round ?? {}) as Obj).schedule as Obj | undefined)?.firstAt;
    if (details.round?.schedule && kept && !firstAt) {
      details.round.schedule = { ...details.round.schedule, occurrence: kept.occurrence, nextRoundId: kept.nextRoundId };
    }
    await storeDetails(ctx, item, details);
    ctx.changes.addTransition(item, item.status, caller, `details changed${why ? `: ${why}` : ''} (now ${detailsSummary(details)}${before ? `; were ${detailsSummary(before)}` : ''})`);
    ctx.changes.record({
      domain: 'work',
      type: 'work_item.details_changed',
      subject: item.id,
      requestId: ctx.requestId,
      data: { ...eventData(item), actorId: caller.id, note: why, details: detailsForEvent(details) },
    });
    return item;
  });
}

/** Writes the details of a locked item and marks it changed (its version moves with the rest of the change). */
export async function storeDetails(ctx: ChangeContext, item: WorkItem, details: WorkDetails): Promise<void> {
  await writeWorkItemDetails(ctx.manager, item.id, details);
  item.details = details;
  ctx.changes.itemChanged(item);
}

/** The list filter's detail conditions, checked. */
export function checkedDetailFilter(filter: DetailConditions): DetailConditions {
  const slotFrom = optionalDate(filter.slotFrom, 'filter.slotFrom');
  const slotTo = optionalDate(filter.slotTo, 'filter.slotTo');
  if (slotFrom && slotTo && slotTo <= slotFrom) throw badInput('filter.slotTo must be after slotFrom', { field: 'filter.slotTo' });
  return {
    bay: code(filter.bay, 'filter.bay'),
    slotFrom,
    slotTo,
    punchCategory: filter.punchCategory ? oneOf(PUNCH_CATEGORIES, filter.punchCategory, 'filter.punchCategory') : null,
    orderOrBatch: optionalText(filter.orderOrBatch, 'filter.orderOrBatch', 100),
  };
}
