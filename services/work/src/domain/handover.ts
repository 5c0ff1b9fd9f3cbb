import { createHash } from 'node:crypto';
import {
  DomainError,
  ErrorCode,
  badInput,
  hasRole,
  illegalTransition,
  inSiteScope,
  isContractorOnly,
  notFound,
  oneOf,
  optionalDate,
  optionalText,
  optionalUuid,
  pageSize,
  requireDate,
  requireNoPart,
  requireRole,
  requireText,
  requireUuid,
  type Caller,
} from '@opsgraph/core';
import type { EntityManager } from 'typeorm';
import {
  RECORDED_CONDITION_KINDS,
  type Area,
  type HandoverRecord,
  type PrerequisiteKind,
  type ShiftLogEntry,
  type Site,
  type StandingCondition,
  type StandingConditionKind,
  type WorkItem,
} from '../entities';
import {
  awaitingHandover,
  changesBetween,
  decideHandover,
  handoverById,
  handoversOf,
  handoverStateOfSite,
  heldItems,
  insertClearance,
  insertHandover,
  insertRecordedCondition,
  lastAcceptedHandover,
  nextHandover,
  openOrTouchedItems,
  recordedConditionById,
  standingRecordedConditions,
  type HandoverChangeRow,
  type HandoverPlace,
} from '../store/handovers';
import { areasOfSiteLoader } from '../store/locations';
import { prerequisitesOfWorkItems } from '../store/prerequisites';
import { shiftLogEntryById, shiftLogOfShift, shiftLogWrittenBetween, standingFlaggedNotes } from '../store/shift-log';
import { sitesOfWorkItems, workItemById } from '../store/work-items';
import { resolvePlace } from './locations';
import { WORK_PERMISSIONS } from './permissions';
import { requireSiteAndArea } from './queries';

/**
 * The shift handover (README, "Shift handover").
 *
 * What a handover of a place (a site, or one area of it) over a window [from, to) contains:
 * - every work item of the place that is open now (whatever its shift, whoever raised it) or that was touched in the
 *   window (a transition, a blocker raised or resolved), each in exactly one section by its state now: done,
 *   cancelled, awaiting verification, in progress, blocked (an open blocker, or on hold), ready (open, nothing blocks
 *   it, not started). The shift names whose handover it is: it selects the notes, never the work;
 * - the shift's notes of the place in the window;
 * - the standing conditions of the place (and of the whole site): recorded conditions and notes flagged for the next
 *   shift that nobody has cleared, and work on hold. They carry into every handover until cleared (a hold: until the
 *   work is resumed or cancelled);
 * - what changed since the last accepted handover of the place (since `from` when there is none): transitions,
 *   blockers raised and cleared, conditions recorded and cleared, oldest first.
 *
 * As a control point: the outgoing shift starts a handover, which stores that picture, as it stands at that moment,
 * as canonical JSON with its sha256 digest; the incoming responsible person named in it, or a supervisor, accepts it
 * or refuses it with a reason, never the person who started it (SEPARATION_OF_DUTIES).
 */

const PER_SECTION = 200;
const MAX_CHANGES = 500;
const MAX_CONDITIONS = 200;

export const SECTIONS = ['done', 'cancelled', 'awaitingVerification', 'inProgress', 'blocked', 'ready'] as const;
export type Section = (typeof SECTIONS)[number];

/** An item's handover section by its state now (the store's SECTION says the same in SQL). */
export function sectionOf(item: Pick<WorkItem, 'status' | 'openPrerequisites' | 'lapsesAt'>): Section {
  switch (item.status) {
    case 'DONE':
      return 'done';
    case 'CANCELLED':
      return 'cancelled';
    case 'AWAITING_VERIFICATION':
      return 'awaitingVerification';
    case 'ON_HOLD':
      return 'blocked';
  }
  // A condition past its validity blocks from that instant (domain/work-items.ts, `blockedAt`).
  if (item.openPrerequisites > 0 || (item.lapsesAt && new Date(item.lapsesAt).getTime() <= Date.now())) return 'blocked';
  return item.status === 'IN_PROGRESS' ? 'inProgress' : 'ready';
}

/** One entry of "what changed since", as the API and the stored picture show it. */
export interface HandoverChange {
  at: string;
  kind: HandoverChangeRow['kind'];
  workItemId: string | null;
  number: string | null;
  title: string | null;
  from: WorkItem['status'] | null;
  to: WorkItem['status'] | null;
  actor: { id: string } | null;
  prerequisiteKind: PrerequisiteKind | null;
  conditionKind: StandingConditionKind | null;
  conditionId: string | null;
  description: string | null;
  note: string | null;
}

const ref = (id: string | null | undefined) => (id ? { id } : null);
const iso = (d: Date | string) => new Date(d).toISOString();

function changeOf(row: HandoverChangeRow): HandoverChange {
  const condition = row.kind === 'CONDITION_RECORDED' || row.kind === 'CONDITION_CLEARED';
  return {
    at: iso(row.at),
    kind: row.kind,
    workItemId: row.workItemId,
    number: row.number,
    title: row.title,
    from: row.from,
    to: row.to,
    actor: ref(row.actorId),
    prerequisiteKind: condition ? null : (row.detailKind as PrerequisiteKind | null),
    conditionKind: condition ? (row.detailKind as StandingConditionKind) : null,
    conditionId: row.conditionId,
    description: row.description,
    note: row.note,
  };
}

/** A flagged note as the standing condition it is until cleared. */
const noteCondition = (note: ShiftLogEntry): StandingCondition => ({
  id: note.id,
  siteId: note.siteId,
  areaId: note.areaId,
  assetId: null,
  kind: 'FLAGGED_NOTE',
  description: note.text,
  workItemIds: note.workItemIds,
  raisedById: note.authorId,
  raisedAt: note.at,
});

/** Work on hold as a standing condition until it is resumed or cancelled. */
const holdCondition = ({ item, at, actorId }: { item: WorkItem; at: Date; actorId: string | null }): StandingCondition => ({
  id: item.id,
  siteId: item.siteId,
  areaId: item.areaId,
  assetId: item.assetId,
  kind: 'WORK_ON_HOLD',
  description: `${item.number} ${item.title}: on hold${item.holdReason ? ` (${item.holdReason})` : ''}`,
  workItemIds: [item.id],
  raisedById: actorId ?? '',
  raisedAt: at,
});

/** The handover of a place over [from, to), with changes since `since`: the live view and the stored picture's source. */
interface Collected extends Record<Section, WorkItem[]> {
  site: Site;
  area: Area | null;
  shift: string;
  from: Date;
  to: Date;
  since: Date;
  lastAccepted: HandoverRecord | null;
  notes: ShiftLogEntry[];
  standingConditions: StandingCondition[];
  changes: HandoverChange[];
  truncated: boolean;
}

async function collect(db: EntityManager, caller: Caller, site: Site, area: Area | null, shift: string, from: Date, to: Date): Promise<Collected> {
  const place: HandoverPlace = { siteId: site.id, areaId: area?.id ?? null };
  // One after the other: inside the start's transaction they share one connection.
  const lastAccepted = await lastAcceptedHandover(db, place, to);
  const since = lastAccepted ? lastAccepted.at : from;
  const items = await openOrTouchedItems(db, caller, place, from, to, PER_SECTION + 1);
  const changes = await changesBetween(db, caller, place, since, to, MAX_CHANGES + 1);
  // A contractor gets only the notes (and conditions) about their company's jobs: row-level security drops the
  // others (migrations/1796900000100-RowLevelSecurity.ts, 1797000000100-Handovers.ts).
  const notes = await shiftLogOfShift(db, place, shift, from, to);
  const recorded = await standingRecordedConditions(db, place, MAX_CONDITIONS + 1);
  const flagged = await standingFlaggedNotes(db, place, MAX_CONDITIONS + 1);
  const held = await heldItems(db, caller, place, MAX_CONDITIONS + 1);
  const sections = Object.fromEntries(SECTIONS.map((s) => [s, [] as WorkItem[]])) as Record<Section, WorkItem[]>;
  for (const item of items) sections[sectionOf(item)].push(item);
  const truncated =
    SECTIONS.some((s) => sections[s].length > PER_SECTION) || changes.length > MAX_CHANGES || [recorded, flagged, held].some((list) => list.length > MAX_CONDITIONS);
  for (const s of SECTIONS) sections[s] = sections[s].slice(0, PER_SECTION);
  const standingConditions = [...recorded.slice(0, MAX_CONDITIONS), ...flagged.slice(0, MAX_CONDITIONS).map(noteCondition), ...held.slice(0, MAX_CONDITIONS).map(holdCondition)];
  standingConditions.sort((a, b) => a.raisedAt.getTime() - b.raisedAt.getTime() || (a.id < b.id ? -1 : 1));
  return { site, area, shift, from, to, since, lastAccepted, ...sections, notes, standingConditions, changes: changes.slice(0, MAX_CHANGES).map(changeOf), truncated };
}

function window(input: { from: Date | string; to: Date | string }) {
  const from = requireDate(input.from, 'from');
  const to = requireDate(input.to, 'to');
  if (to <= from) throw badInput('to must be after from', { field: 'to' });
  return { from, to };
}

/** The live handover of a place over a window (nothing stored). */
export async function handover(db: EntityManager, caller: Caller, input: { siteId: string; areaId?: string | null; shift: string; from: Date | string; to: Date | string }) {
  const { site, area } = await requireSiteAndArea(db, caller, input.siteId, input.areaId);
  const shift = requireText(input.shift, 'shift', { max: 50 });
  const { from, to } = window(input);
  return collect(db, caller, site, area, shift, from, to);
}

// ---------- the stored picture ----------

/** JSON with object keys sorted and no whitespace: the bytes the digest is taken over. */
export function canonicalJson(value: unknown): string {
  if (value === null || typeof value !== 'object') return JSON.stringify(value) ?? 'null';
  if (Array.isArray(value)) return `[${value.map(canonicalJson).join(',')}]`;
  const entries = Object.entries(value as Record<string, unknown>).filter(([, v]) => v !== undefined);
  entries.sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0));
  return `{${entries.map(([k, v]) => `${JSON.stringify(k)}:${canonicalJson(v)}`).join(',')}}`;
}

export const sha256 = (text: string) => createHash('sha256').update(text, 'utf8').digest('hex');

/** The picture a handover stores: the collected handover with every item, note and condition as it stood. */
async function pictureOf(db: EntityManager, c: Collected, header: { startedById: string; incomingShift: string | null; incomingPersonId: string | null }) {
  const ids = SECTIONS.flatMap((s) => c[s].map((w) => w.id));
  const open = (await (ids.length ? prerequisitesOfWorkItems(db, ids) : Promise.resolve([]))).filter((p) => p.state === 'OPEN');
  const item = (w: WorkItem) => ({
    id: w.id,
    number: w.number,
    title: w.title,
    type: w.type,
    status: w.status,
    priority: w.priority,
    shift: w.shift,
    contractorCompany: w.contractorCompany,
    holdReason: w.holdReason,
    dueAt: w.dueAt ? iso(w.dueAt) : null,
    owner: ref(w.ownerId),
    blockers: open.filter((p) => p.workItemId === w.id).map((p) => ({ kind: p.kind, description: p.description })),
  });
  const place = (p: Site | Area | null) => (p ? { id: p.id, code: p.code, name: p.name } : null);
  return {
    version: 1,
    site: place(c.site),
    area: place(c.area),
    shift: c.shift,
    incomingShift: header.incomingShift,
    incomingPerson: ref(header.incomingPersonId),
    startedBy: { id: header.startedById },
    from: iso(c.from),
    to: iso(c.to),
    since: iso(c.since),
    followsHandoverId: c.lastAccepted?.id ?? null,
    ...Object.fromEntries(SECTIONS.map((s) => [s, c[s].map(item)])),
    notes: c.notes.map((n) => ({ id: n.id, at: iso(n.at), shift: n.shift, text: n.text, attentionNextShift: n.attentionNextShift, author: { id: n.authorId }, workItemIds: n.workItemIds })),
    standingConditions: c.standingConditions.map((s) => ({
      id: s.id,
      kind: s.kind,
      description: s.description,
      since: iso(s.raisedAt),
      raisedBy: ref(s.raisedById),
      areaId: s.areaId,
      assetId: s.assetId,
      workItemIds: s.workItemIds,
    })),
    changes: c.changes,
    truncated: c.truncated,
  };
}

/** The stored picture, as the API shows it. */
export const storedPicture = (record: HandoverRecord): unknown => JSON.parse(record.picture);

/** The digest re-computed over the stored picture: a picture edited after it was taken no longer matches. */
export function integrityOf(record: HandoverRecord) {
  const recomputed = sha256(record.picture);
  return { algorithm: 'sha256', digest: record.digest, recomputed, intact: recomputed === record.digest };
}

export interface StartHandoverInput {
  siteId: string;
  areaId?: string | null;
  shift: string;
  from?: Date | string | null;
  incoming?: { personId?: string | null; shift?: string | null } | null;
  note?: string | null;
}

/**
 * The outgoing shift starts the handover of a place: its picture as it stands now is stored with its digest, awaiting
 * the incoming side. One handover awaits acceptance per place at a time.
 */
export async function startHandover(db: EntityManager, caller: Caller, input: StartHandoverInput): Promise<HandoverRecord> {
  requireRole(caller, ...WORK_PERMISSIONS.startHandover);
  const shift = requireText(input.shift, 'shift', { max: 50 });
  const incomingShift = optionalText(input.incoming?.shift, 'incoming.shift', 50);
  const incomingPersonId = optionalUuid(input.incoming?.personId, 'incoming.personId') ?? null;
  const note = optionalText(input.note, 'note', 2000);
  const givenFrom = optionalDate(input.from, 'from');
  const { site, area } = await requireSiteAndArea(db, caller, input.siteId, input.areaId);
  if (incomingPersonId === caller.id) throw new DomainError(ErrorCode.SEPARATION_OF_DUTIES, 'the incoming responsible cannot be the person handing over', { field: 'incoming.personId' });
  const place: HandoverPlace = { siteId: site.id, areaId: area?.id ?? null };
  try {
    // Repeatable read: every part of the picture is read from one snapshot of the database.
    return await db.transaction('REPEATABLE READ', async (m) => {
      const at = new Date();
      const awaiting = await awaitingHandover(m, place);
      if (awaiting) throw awaitingConflict(awaiting);
      const last = await lastAcceptedHandover(m, place, at);
      const from = givenFrom ?? last?.at;
      if (!from) throw badInput('no handover of this place was accepted yet: give from, the start of the shift', { field: 'from' });
      if (from >= at) throw badInput('from must be before now', { field: 'from' });
      const collected = await collect(m, caller, site, area, shift, from, at);
      const picture = canonicalJson(await pictureOf(m, collected, { startedById: caller.id, incomingShift, incomingPersonId }));
      return insertHandover(m, {
        ...place,
        shift,
        incomingShift,
        incomingPersonId,
        status: 'AWAITING_ACCEPTANCE',
        windowFrom: from,
        at,
        followsId: last?.id ?? null,
        startedById: caller.id,
        note,
        picture,
        digest: sha256(picture),
        decidedById: null,
        decidedAt: null,
        decisionNote: null,
      });
    });
  } catch (e) {
    // Two starts at once: the unique index keeps one awaiting acceptance.
    if ((e as { code?: string }).code === '23505') throw new DomainError(ErrorCode.CONFLICT, 'a handover of this place is already awaiting acceptance');
    throw e;
  }
}

const awaitingConflict = (r: HandoverRecord) =>
  new DomainError(ErrorCode.CONFLICT, `handover ${r.id} of this place, started at ${r.at.toISOString()}, is awaiting acceptance: it must be accepted or refused first`, { handoverId: r.id });

/** Accepts (→ ACCEPTED) or refuses with a reason (→ REFUSED) a handover awaiting it. */
async function decide(db: EntityManager, caller: Caller, id: string, accept: boolean, text: string | null): Promise<HandoverRecord> {
  requireRole(caller, ...WORK_PERMISSIONS.acceptHandover);
  const handoverId = requireUuid(id);
  return db.transaction(async (m) => {
    const record = await handoverById(m, handoverId, true);
    if (!record || !inSiteScope(caller, record.siteId) || isContractorOnly(caller)) throw notFound('handover', handoverId);
    requireNoPart(caller, [{ personId: record.startedById, part: 'started' as const }], () => 'whoever started a handover cannot accept or refuse it: the incoming side does', { handoverId });
    if (!hasRole(caller, 'supervisor', 'administrator') && record.incomingPersonId !== caller.id) {
      throw new DomainError(ErrorCode.FORBIDDEN, 'only the incoming responsible named when the handover was started, or a supervisor, may accept or refuse it');
    }
    if (record.status !== 'AWAITING_ACCEPTANCE') throw illegalTransition('handover', record.status, accept ? 'accept' : 'refuse');
    if (accept && !integrityOf(record).intact) {
      throw new DomainError(ErrorCode.CONFLICT, 'the stored picture no longer matches its digest: it was changed after it was taken and cannot be accepted', { handoverId });
    }
    record.status = accept ? 'ACCEPTED' : 'REFUSED';
    record.decidedById = caller.id;
    record.decidedAt = new Date();
    record.decisionNote = text;
    await decideHandover(m, record);
    return record;
  });
}

export const acceptHandover = (db: EntityManager, caller: Caller, id: string, note?: string | null) => decide(db, caller, id, true, optionalText(note, 'note', 2000));

export const refuseHandover = (db: EntityManager, caller: Caller, id: string, reason: string) => decide(db, caller, id, false, requireText(reason, 'reason', { max: 2000 }));

// ---------- reading stored handovers ----------

export async function getHandoverRecord(db: EntityManager, caller: Caller, id: string): Promise<HandoverRecord> {
  const record = await handoverById(db, requireUuid(id));
  if (!record || !inSiteScope(caller, record.siteId) || isContractorOnly(caller)) throw notFound('handover', id);
  return record;
}

/** Stored handovers of a site, or of one area (when given), newest first. */
export async function listHandovers(db: EntityManager, caller: Caller, siteId: string, areaId?: string | null, first?: number | null): Promise<HandoverRecord[]> {
  const { site, area } = await requireSiteAndArea(db, caller, siteId, areaId);
  if (isContractorOnly(caller)) return [];
  return handoversOf(db, site.id, area ? area.id : undefined, first === undefined || first === null ? 50 : pageSize(first));
}

/**
 * Per area of a site, and the site as a whole when it was handed over as one: who accepted which picture last, what
 * awaits acceptance, and what was refused since the last acceptance.
 */
export async function handoverStatus(db: EntityManager, caller: Caller, siteId: string) {
  const { site } = await requireSiteAndArea(db, caller, siteId);
  const areas = await areasOfSiteLoader(db).load(site.id);
  const records = isContractorOnly(caller) ? [] : await handoverStateOfSite(db, site.id);
  const of = (areaId: string | null) => {
    const mine = records.filter((r) => r.areaId === areaId);
    return {
      site,
      lastAccepted: mine.find((r) => r.status === 'ACCEPTED') ?? null,
      awaitingAcceptance: mine.find((r) => r.status === 'AWAITING_ACCEPTANCE') ?? null,
      refusedSinceAccepted: mine.filter((r) => r.status === 'REFUSED'),
    };
  };
  const whole = records.some((r) => r.areaId === null) ? [{ ...of(null), area: null }] : [];
  return [...whole, ...areas.map((area) => ({ ...of(area.id), area }))];
}

/**
 * The outgoing shift's notes of the place written after the picture was taken (until the next handover of the
 * place): not part of the picture, each marked as written after acceptance or before it.
 */
export async function addedAfter(db: EntityManager, record: HandoverRecord) {
  const next = await nextHandover(db, record);
  const notes = await shiftLogWrittenBetween(db, { siteId: record.siteId, areaId: record.areaId }, record.shift, record.at, next?.at ?? null);
  return notes.map((entry) => ({ entry, afterAcceptance: record.status === 'ACCEPTED' && !!record.decidedAt && entry.at >= record.decidedAt }));
}

// ---------- standing conditions ----------

export interface StandingConditionInput {
  siteId: string;
  areaId?: string | null;
  assetId?: string | null;
  kind: string;
  description: string;
  workItemIds?: string[] | null;
}

/** A person records a standing condition of a place: it stands in every handover until someone clears it. */
export async function recordStandingCondition(db: EntityManager, caller: Caller, input: StandingConditionInput): Promise<StandingCondition> {
  requireRole(caller, ...WORK_PERMISSIONS.keepConditions);
  const kind = oneOf(RECORDED_CONDITION_KINDS, input.kind, 'kind');
  const description = requireText(input.description, 'description', { max: 2000 });
  const workItemIds = [...new Set((input.workItemIds ?? []).map((id, i) => requireUuid(id, `workItemIds[${i}]`)))];
  if (workItemIds.length > 50) throw badInput('at most 50 linked work items', { field: 'workItemIds' });
  const place = await resolvePlace(db, { siteId: input.siteId, areaId: optionalUuid(input.areaId, 'areaId'), assetId: optionalUuid(input.assetId, 'assetId') });
  if (workItemIds.length) {
    // Under the request's scope: another site's item is not found, as a random id is.
    const found = await sitesOfWorkItems(db, workItemIds);
    const missing = workItemIds.filter((id) => !found.some((w) => w.id === id && w.siteId === place.siteId));
    if (missing.length) throw badInput(`work items not found at this site: ${missing.join(', ')}`, { field: 'workItemIds', missing });
  }
  return insertRecordedCondition(db, { siteId: place.siteId, areaId: place.areaId, assetId: place.assetId, kind, description, workItemIds, raisedById: caller.id, raisedAt: new Date() });
}

/** Clears a recorded condition or a flagged note, once, with a note that stays on record. */
export async function clearStandingCondition(db: EntityManager, caller: Caller, id: string, note: string): Promise<StandingCondition> {
  requireRole(caller, ...WORK_PERMISSIONS.keepConditions);
  const subjectId = requireUuid(id);
  const text = requireText(note, 'note', { max: 2000 });
  return db.transaction(async (m) => {
    const recorded = await recordedConditionById(m, subjectId);
    const flagged = recorded ? null : await shiftLogEntryById(m, subjectId);
    const condition = recorded ?? (flagged?.attentionNextShift ? noteCondition(flagged) : null);
    if (!condition || !inSiteScope(caller, condition.siteId)) {
      const item = await workItemById(m, subjectId);
      if (item?.status === 'ON_HOLD' && inSiteScope(caller, item.siteId) && !isContractorOnly(caller)) {
        throw badInput('work on hold stands until it is resumed or cancelled', { field: 'id' });
      }
      throw notFound('standing condition', subjectId);
    }
    const clearedAt = new Date();
    const cleared = await insertClearance(m, { subjectId, subject: recorded ? 'RECORDED' : 'FLAGGED_NOTE', siteId: condition.siteId, clearedById: caller.id, clearedAt, note: text });
    if (!cleared) throw illegalTransition('standing condition', 'CLEARED', 'clear');
    return { ...condition, clearedById: caller.id, clearedAt, clearNote: text };
  });
}
