import {
  DomainError,
  ErrorCode,
  badInput,
  forbidden,
  hasRole,
  illegalTransition,
  inScope,
  inSiteScope,
  notFound,
  oneOf,
  optionalDate,
  optionalLinkUrl,
  optionalText,
  optionalUuid,
  requireRole,
  requireText,
  requireUuid,
  type Caller,
  type Role,
} from '@opsgraph/core';
import { evidenceRequirements, requiredOutcome, type OutOfLimitsReadingV1 } from '@opsgraph/events';
import type { EntityManager } from 'typeorm';
import {
  ALL_ITEMS,
  AssetHold,
  EVIDENCE_KINDS,
  OWN_WORK,
  PREREQUISITE_KINDS,
  PRIORITIES,
  Prerequisite,
  SOURCE_DOMAINS,
  TERMINAL,
  WORK_ITEM_TYPES,
  WorkItem,
  type ChecklistAnswer,
  type EvidenceKind,
  type EvidenceRequirement,
  type PrerequisiteKind,
  type Priority,
  type RecordLink,
  type RequiredOutcome,
  type SourceDomain,
  type WorkItemStatus,
  type WorkItemType,
} from '../entities';
import { insertEvidence, lastSubmittedEvidence } from '../store/history';
import { classOfAsset, takeWorkItemNumber } from '../store/locations';
import { prerequisiteById } from '../store/prerequisites';
import { insertWorkItem, openWorkItemIdsOnAsset } from '../store/work-items';
import { activeHoldsOnAsset, holdsWithKeys } from '../store/holds';
import { ChangeSet, type KeptFact, type PerformanceHistory } from './change-set';
import { checkDetailPlaces, detailsForEvent, detailsOf, type WorkDetailsInput } from './details';
import { resolvePlace } from './locations';
import { WORK_PERMISSIONS } from './permissions';

// ---------- input shapes (plain objects; GraphQL is only one way in) ----------

export interface PrerequisiteInput {
  kind: PrerequisiteKind;
  description: string;
  sourceDomain?: SourceDomain | null;
  sourceRecordId?: string | null;
  /** Raised open (default) or already satisfied, e.g. a permit that is issued when the need is known. */
  state?: 'OPEN' | 'SATISFIED';
  reason?: string | null;
  /** When a satisfied condition lapses (a qualification's expiry, a permit's validTo): from then on it counts as open. */
  validUntil?: Date | string | null;
}

export interface CreateWorkItemInput {
  type: WorkItemType;
  title: string;
  description?: string | null;
  priority?: Priority | null;
  siteId: string;
  areaId?: string | null;
  lineId?: string | null;
  assetId?: string | null;
  shift?: string | null;
  batch?: string | null;
  vehicle?: string | null;
  contractorCompany?: string | null;
  windowStart?: Date | string | null;
  windowEnd?: Date | string | null;
  customerCommitment?: string | null;
  dueAt?: Date | string | null;
  ownerId?: string | null;
  team?: string | null;
  source?: { domain: SourceDomain; recordId?: string | null; reason?: string | null } | null;
  requiredOutcome?: { acceptanceCriteria: string; evidence?: EvidenceRequirement[] | null } | null;
  links?: RecordLink[] | null;
  prerequisites?: PrerequisiteInput[] | null;
  /** The `requestId` of the `work.requested` event this item answers, so its source can find it. */
  workRequestId?: string | null;
  /** The details of its type (domain/details.ts): exactly the member matching `type`. */
  details?: WorkDetailsInput | null;
}

export interface EvidenceInput {
  kind: EvidenceKind;
  label: string;
  text?: string | null;
  value?: number | null;
  unit?: string | null;
  url?: string | null;
  checksum?: string | null;
  answers?: ChecklistAnswer[] | null;
}

// ---------- validation helpers ----------

const MAX_LIST = 50;

function requiredOutcomeOf(input: CreateWorkItemInput['requiredOutcome'], title: string): RequiredOutcome {
  return requiredOutcome(input, { acceptanceCriteria: `${title}: done as described`, evidence: [] }) as RequiredOutcome;
}

function prerequisiteOf(input: PrerequisiteInput, field: string) {
  return {
    kind: oneOf(PREREQUISITE_KINDS, input.kind, `${field}.kind`),
    description: requireText(input.description, `${field}.description`, { max: 1000 }),
    sourceDomain: input.sourceDomain ? oneOf(SOURCE_DOMAINS, input.sourceDomain, `${field}.sourceDomain`) : ('MANUAL' as SourceDomain),
    sourceRecordId: input.sourceRecordId ? requireText(input.sourceRecordId, `${field}.sourceRecordId`, { max: 100 }) : '',
    state: input.state ?? 'OPEN',
    reason: optionalText(input.reason, `${field}.reason`, 1000),
    // Only a satisfied condition can lapse.
    validUntil: (input.state ?? 'OPEN') === 'SATISFIED' ? optionalDate(input.validUntil, `${field}.validUntil`) : null,
  };
}

// ---------- the shared mechanics of every change ----------

/**
 * One transaction's view of Work: who changes, and the change set that holds the locked items and what
 * changes in them until it is written (see `ChangeSet`). Made by `inTransaction`, which writes it at the end.
 */
export interface ChangeContext {
  manager: EntityManager;
  caller: Caller;
  requestId?: string;
  changes: ChangeSet;
}

/** Runs `work` with a fresh change set on a transaction's manager and writes what it changed before returning. */
export async function inTransaction<T>(manager: EntityManager, caller: Caller, requestId: string | undefined, work: (ctx: ChangeContext) => Promise<T>): Promise<T> {
  const ctx: ChangeContext = { manager, caller, requestId, changes: new ChangeSet(manager) };
  const result = await work(ctx);
  await ctx.changes.flush();
  return result;
}

/** Records an event of Work about an item, written with the rest of the transaction. */
function emit(ctx: ChangeContext, item: WorkItem, type: string, data: Record<string, unknown>) {
  ctx.changes.record({ domain: 'work', type, subject: item.id, data, requestId: ctx.requestId });
}

/** Moves an item to a new status with an append-only history entry and the matching event. */
function transition(ctx: ChangeContext, item: WorkItem, to: WorkItemStatus, note: string | null, event: string, extra: Record<string, unknown> = {}) {
  const from = item.status;
  item.status = to;
  ctx.changes.itemChanged(item);
  ctx.changes.addTransition(item, from, ctx.caller, note);
  emit(ctx, item, `work_item.${event}`, eventData(item, { from, to, actorId: ctx.caller.id, note, ...extra }));
}

/** The payload every work event carries: ids and states only, no names or free personal data. */
export function eventData(item: WorkItem, extra: Record<string, unknown> = {}) {
  return {
    workItemId: item.id,
    number: item.number,
    workType: item.type,
    status: item.status,
    siteId: item.siteId,
    areaId: item.areaId,
    lineId: item.lineId,
    assetId: item.assetId,
    sourceDomain: item.sourceDomain,
    sourceRecordId: item.sourceRecordId,
    ...extra,
  };
}

/** Competence and compliance key requirements on the asset class, so work events carry it. */
async function assetClassOf(manager: EntityManager, item: WorkItem): Promise<string | null> {
  if (!item.assetId) return null;
  return classOfAsset(manager, item.assetId);
}

// ---------- conditions with an end: judged at the moment of action, not when the lapse event arrives ----------

const timeOf = (d: Date | string | null | undefined) => (d === null || d === undefined ? null : new Date(d).getTime());

/** A satisfied condition whose validity has ended: it counts as open from that instant, whether or not its source has said so. */
export function hasLapsed(p: Pick<Prerequisite, 'state' | 'validUntil'>, now: Date): boolean {
  const until = timeOf(p.validUntil);
  return p.state === 'SATISFIED' && until !== null && until <= now.getTime();
}

/** Whether a blocker reads as lapsed: past its validity, satisfied (not yet tidied) or opened by Work for that reason. */
export function readsLapsed(p: Pick<Prerequisite, 'state' | 'validUntil'>, now: Date): boolean {
  const until = timeOf(p.validUntil);
  return p.state !== 'WAIVED' && until !== null && until <= now.getTime();
}

export const lapseText = (validUntil: Date | string) => `lapsed at ${new Date(validUntil).toISOString()}`;

/**
 * Opens, as of now, the satisfied prerequisites of an item whose validity has ended, keeping `validUntil` (it
 * says why the blocker is open) until the source's own word comes; every rule that judges blockers runs this first.
 */
function lapseExpired(ctx: ChangeContext, item: WorkItem, now = new Date()): void {
  for (const p of ctx.changes.prerequisitesOf(item)) {
    if (!hasLapsed(p, now)) continue;
    p.state = 'OPEN';
    p.reason = lapseText(p.validUntil!);
    p.resolvedAt = null;
    ctx.changes.prerequisiteChanged(p);
  }
}

/** Whether an item reads blocked at a moment: an open prerequisite, or a satisfied one past its validity. */
export function blockedAt(item: Pick<WorkItem, 'status' | 'openPrerequisites' | 'lapsesAt'>, now: Date): boolean {
  if (TERMINAL.includes(item.status)) return false;
  const lapse = timeOf(item.lapsesAt);
  return item.openPrerequisites > 0 || (lapse !== null && lapse <= now.getTime());
}

/** The status an item reads with at a moment: READY only while nothing blocks it, so a lapsed condition reads OPEN at once. */
export function statusAt(item: Pick<WorkItem, 'status' | 'openPrerequisites' | 'lapsesAt'>, now: Date): WorkItemStatus {
  return item.status === 'READY' && blockedAt(item, now) ? 'OPEN' : item.status;
}

/** The earliest moment one of an item's satisfied conditions lapses (null: none will). */
function nextLapse(ctx: ChangeContext, item: WorkItem): Date | null {
  const times = ctx.changes.prerequisitesOf(item).flatMap((p) => (p.state === 'SATISFIED' && p.validUntil ? [timeOf(p.validUntil)!] : []));
  return times.length ? new Date(Math.min(...times)) : null;
}

/** The item's open blockers as of now (lapsed conditions included). */
function openBlockers(ctx: ChangeContext, item: WorkItem) {
  lapseExpired(ctx, item);
  return ctx.changes.prerequisitesOf(item).filter((p) => p.state === 'OPEN');
}

/** A blocker in words: a lapsed condition says when it lapsed. */
const blockerText = (p: Prerequisite) => (p.validUntil && p.state === 'OPEN' ? `${p.description} ${lapseText(p.validUntil)}` : p.description);

function blockedError(blockers: Prerequisite[], action: string) {
  return new DomainError(ErrorCode.PREREQUISITES_OPEN, `cannot ${action}: ${blockers.length} prerequisite(s) open: ${blockers.map(blockerText).join('; ')}`, {
    blockers: blockers.map((b) => ({
      id: b.id,
      kind: b.kind,
      description: blockerText(b),
      sourceDomain: b.sourceDomain,
      sourceRecordId: b.sourceRecordId || null,
      reason: b.reason,
      lapsedAt: b.validUntil && b.state === 'OPEN' ? new Date(b.validUntil).toISOString() : null,
    })),
  });
}

/**
 * Keeps status and blockers consistent after any prerequisite change: an OPEN item whose last blocker
 * cleared becomes READY, a READY item that gains one goes back to OPEN, and an item in progress stays in
 * progress but is reported blocked (with an event) so the board shows it at once.
 */
export function settleReadiness(ctx: ChangeContext, item: WorkItem, note: string | null = null): void {
  const open = openBlockers(ctx, item).length;
  const wasBlocked = item.openPrerequisites > 0;
  item.openPrerequisites = open;
  item.lapsesAt = nextLapse(ctx, item);
  ctx.changes.itemChanged(item);
  if (item.status === 'OPEN' && open === 0) {
    transition(ctx, item, 'READY', note ?? 'all prerequisites satisfied', 'ready');
  } else if (item.status === 'READY' && open > 0) {
    transition(ctx, item, 'OPEN', note ?? 'a prerequisite is open', 'blocked');
  } else if (!wasBlocked && open > 0 && !TERMINAL.includes(item.status)) {
    emit(ctx, item, 'work_item.blocked', eventData(item, { openPrerequisites: open, note }));
  }
}

// ---------- operations ----------

async function nextNumber(manager: EntityManager, siteId: string): Promise<string> {
  const row = await takeWorkItemNumber(manager, siteId);
  return `${row.code}-${String(row.last_number).padStart(6, '0')}`;
}

export async function createWorkItem(db: EntityManager, caller: Caller, input: CreateWorkItemInput, requestId?: string): Promise<WorkItem> {
  requireRole(caller, ...WORK_PERMISSIONS.raiseWork);
  validateNewWorkItem(caller, input); // refuse bad input before opening a transaction
  return db.transaction((manager) => inTransaction(manager, caller, requestId, (ctx) => createWorkItemIn(ctx, input)));
}

function validateNewWorkItem(caller: Caller, input: CreateWorkItemInput) {
  const title = requireText(input.title, 'title', { max: 300 });
  const type = oneOf(WORK_ITEM_TYPES, input.type, 'type');
  const priority = input.priority ? oneOf(PRIORITIES, input.priority, 'priority') : 'MEDIUM';
  const windowStart = optionalDate(input.windowStart, 'windowStart');
  const windowEnd = optionalDate(input.windowEnd, 'windowEnd');
  if (windowStart && windowEnd && windowEnd < windowStart) throw badInput('windowEnd is before windowStart', { field: 'windowEnd' });
  const source = input.source ?? { domain: 'MANUAL' as SourceDomain };
  const prerequisites = (input.prerequisites ?? []).map((p, i) => prerequisiteOf(p, `prerequisites[${i}]`));
  if (prerequisites.length > MAX_LIST) throw badInput(`at most ${MAX_LIST} prerequisites`, { field: 'prerequisites' });
  const links = (input.links ?? []).map((l, i) => ({
    domain: oneOf(SOURCE_DOMAINS, l.domain, `links[${i}].domain`),
    recordId: requireText(l.recordId, `links[${i}].recordId`, { max: 100 }),
    relation: optionalText(l.relation, `links[${i}].relation`, 100),
  }));
  if (links.length > MAX_LIST) throw badInput(`at most ${MAX_LIST} links`, { field: 'links' });
  const fields = {
    type,
    title,
    priority,
    description: optionalText(input.description, 'description', 10_000),
    shift: optionalText(input.shift, 'shift', 50),
    batch: optionalText(input.batch, 'batch', 100),
    vehicle: optionalText(input.vehicle, 'vehicle', 100),
    contractorCompany: optionalText(input.contractorCompany, 'contractorCompany', 200),
    windowStart,
    windowEnd,
    customerCommitment: optionalText(input.customerCommitment, 'customerCommitment', 500),
    dueAt: optionalDate(input.dueAt, 'dueAt'),
    ownerId: optionalUuid(input.ownerId, 'ownerId') ?? null,
    team: optionalText(input.team, 'team', 100),
    sourceDomain: oneOf(SOURCE_DOMAINS, source.domain, 'source.domain'),
    sourceRecordId: source.recordId ? requireText(source.recordId, 'source.recordId', { max: 100 }) : null,
    sourceReason: optionalText(source.reason, 'source.reason', 2000),
    requiredOutcome: requiredOutcomeOf(input.requiredOutcome, title),
    links,
    details: detailsOf(type, input.details),
  };
  if (caller.company && hasRole(caller, 'contractor') && fields.contractorCompany !== caller.company) {
    throw forbidden('a contractor can only raise work for their own company');
  }
  return { fields, prerequisites };
}

/** Creates a work item inside an existing transaction (used by the API and by the event consumer). */
export async function createWorkItemIn(ctx: ChangeContext, input: CreateWorkItemInput, origin?: FactOrigin): Promise<WorkItem> {
  const { manager, caller } = ctx;
  const { fields, prerequisites } = validateNewWorkItem(caller, input);
  if (!inSiteScope(caller, input.siteId)) throw notFound('site', input.siteId);
  const place = await resolvePlace(manager, input);
  await checkDetailPlaces(manager, place, fields.details);
  const number = await nextNumber(manager, place.siteId);
  const item = await insertWorkItem(manager, { ...fields, ...place, number, status: 'OPEN', openPrerequisites: 0 });
  ctx.changes.adopt(item);
  ctx.changes.addTransition(item, null, caller, fields.sourceReason);
  // Raised on a source's request: its blockers carry the request's order, then take what their records said since.
  const order = origin ? factOrderOf(origin) : null;
  for (const p of prerequisites) ctx.changes.addPrerequisite(item, { ...p, resolvedAt: p.state === 'OPEN' ? null : new Date(), stateFact: order, descriptionFact: order });
  if (origin) await takeKeptFacts(ctx, item, ctx.changes.prerequisitesOf(item));
  emit(ctx, item, 'work_item.created', eventData(item, {
    ownerId: item.ownerId,
    priority: item.priority,
    dueAt: item.dueAt?.toISOString() ?? null,
    contractorCompany: item.contractorCompany,
    assetClass: await assetClassOf(manager, item),
    ...(item.details ? { details: detailsForEvent(item.details) } : {}),
    ...(input.workRequestId ? { workRequestId: input.workRequestId } : {}),
  }));
  settleReadiness(ctx, item, prerequisites.length ? null : 'no prerequisites');
  await holdIfAssetHeld(ctx, item);
  return item;
}

/** Options every work item change accepts. */
export interface ChangeOptions {
  requestId?: string;
  /** The version the caller last read; a different current version means someone else changed it. */
  expectedVersion?: number | null;
}

/** Runs one change on one locked work item inside a transaction. */
export async function changeWorkItem<T>(db: EntityManager, caller: Caller, id: string, { requestId, expectedVersion }: ChangeOptions, change: (ctx: ChangeContext, item: WorkItem) => Promise<T>): Promise<T> {
  const workItemId = requireUuid(id);
  return db.transaction((manager) =>
    inTransaction(manager, caller, requestId, async (ctx) => {
      const item = await ctx.changes.lock(workItemId);
      if (!inScope(caller, item)) throw notFound('work item', workItemId);
      if (expectedVersion !== undefined && expectedVersion !== null && item.version !== expectedVersion) {
        throw new DomainError(ErrorCode.CONFLICT, `work item ${item.number} was changed by someone else (now version ${item.version}, you had ${expectedVersion}); reload and try again`, { currentVersion: item.version, expectedVersion });
      }
      return change(ctx, item);
    }),
  );
}

export function assignWorkItem(db: EntityManager, caller: Caller, id: string, ownerId: string, team: string | null | undefined, options: ChangeOptions = {}) {
  requireRole(caller, ...WORK_PERMISSIONS.superviseWork);
  const owner = requireUuid(ownerId, 'ownerId');
  const teamName = optionalText(team, 'team', 100);
  return changeWorkItem(db, caller, id, options, async (ctx, item) => {
    if (TERMINAL.includes(item.status)) throw illegalTransition('work item', item.status, 'assign');
    const previousOwnerId = item.ownerId;
    item.ownerId = owner;
    if (teamName !== null) item.team = teamName;
    ctx.changes.itemChanged(item);
    emit(ctx, item, 'work_item.assigned', eventData(item, { ownerId: owner, previousOwnerId, actorId: caller.id, assetClass: await assetClassOf(ctx.manager, item) }));
    return item;
  });
}

/** What a tightened outcome would loosen, per requirement of the current one: empty when it only narrows. */
export function loosenings(before: RequiredOutcome, after: RequiredOutcome, field: string): { field: string; problem: string }[] {
  const found: { field: string; problem: string }[] = [];
  const lower = (s: string | null | undefined) => (s ?? '').toLowerCase();
  for (const old of before.evidence) {
    const name = `${old.kind.toLowerCase()} "${old.label}"`;
    const i = after.evidence.findIndex((e) => e.kind === old.kind && lower(e.label) === lower(old.label));
    if (i < 0) {
      found.push({ field: `${field}.evidence`, problem: `${name} would be dropped` });
      continue;
    }
    const now = after.evidence[i];
    const at = `${field}.evidence[${i}]`;
    if (old.unit && lower(now.unit) !== lower(old.unit)) found.push({ field: `${at}.unit`, problem: `${name}: the unit must stay ${old.unit}` });
    if (old.min !== null && old.min !== undefined && (now.min === null || now.min === undefined || now.min < old.min)) {
      found.push({ field: `${at}.min`, problem: `${name}: the minimum may only rise from ${old.min}` });
    }
    if (old.max !== null && old.max !== undefined && (now.max === null || now.max === undefined || now.max > old.max)) {
      found.push({ field: `${at}.max`, problem: `${name}: the maximum may only fall from ${old.max}` });
    }
    const asked = new Set((now.questions ?? []).map(lower));
    const dropped = (old.questions ?? []).filter((q) => !asked.has(lower(q)));
    if (dropped.length) found.push({ field: `${at}.questions`, problem: `${name}: questions may only be added (dropped: ${dropped.join(', ')})` });
  }
  return found;
}

/** How a tightened outcome differs from the current one, in words for the history. */
function tighteningSummary(before: RequiredOutcome, after: RequiredOutcome): string[] {
  const key = (e: EvidenceRequirement) => `${e.kind}|${e.label.toLowerCase()}`;
  const old = new Map(before.evidence.map((e) => [key(e), e]));
  const limits = (e: EvidenceRequirement) => `${e.min ?? '-∞'}..${e.max ?? '∞'}${e.unit ? ` ${e.unit}` : ''}`;
  const parts: string[] = [];
  for (const e of after.evidence) {
    const was = old.get(key(e));
    const name = `${e.kind.toLowerCase()} "${e.label}"`;
    if (!was) parts.push(`added ${name}${e.kind === 'MEASUREMENT' ? ` (${limits(e)})` : ''}${e.questions?.length ? ` (${e.questions.length} question(s))` : ''}`);
    else {
      if (limits(was) !== limits(e)) parts.push(`${name} limits ${limits(e)} (were ${limits(was)})`);
      const added = (e.questions ?? []).length - (was.questions ?? []).length;
      if (added > 0) parts.push(`${name}: ${added} question(s) added`);
    }
  }
  if (after.acceptanceCriteria !== before.acceptanceCriteria) parts.push(`acceptance criteria were: "${before.acceptanceCriteria}"`);
  return parts;
}

/**
 * A supervisor makes the proof an item needs stricter before anyone starts it: every requirement stays (limits
 * only narrow, checklists only gain questions), new ones may be added, the acceptance criteria may be reworded.
 * Anything looser is refused, so the outcome never weakens without trace; the old text stays in the history.
 */
export function tightenRequiredOutcome(
  db: EntityManager,
  caller: Caller,
  id: string,
  input: { acceptanceCriteria: string; evidence?: EvidenceRequirement[] | null },
  reason: string,
  options: ChangeOptions = {},
) {
  requireRole(caller, ...WORK_PERMISSIONS.tightenOutcome);
  if (!input) throw badInput('input is required', { field: 'input' });
  const why = requireText(reason, 'reason', { max: 2000 });
  const outcome = {
    acceptanceCriteria: requireText(input.acceptanceCriteria, 'input.acceptanceCriteria', { max: 4000 }),
    evidence: evidenceRequirements(input.evidence, 'input.evidence'),
  } as RequiredOutcome;
  return changeWorkItem(db, caller, id, options, async (ctx, item) => {
    const started = item.performerId !== null || (item.status === 'ON_HOLD' && item.heldFrom === 'IN_PROGRESS');
    if (!['OPEN', 'READY', 'ON_HOLD'].includes(item.status) || started) throw illegalTransition('work item', item.status, 'tighten the required outcome of');
    const loose = loosenings(item.requiredOutcome, outcome, 'input');
    if (loose.length) {
      throw badInput(`the required outcome may only be tightened: ${loose.map((l) => l.problem).join('; ')}`, { field: loose[0].field, loosened: loose });
    }
    const changes = tighteningSummary(item.requiredOutcome, outcome);
    if (!changes.length) throw badInput('the required outcome is unchanged: nothing to tighten', { field: 'input' });
    const before = item.requiredOutcome;
    item.requiredOutcome = outcome;
    ctx.changes.itemChanged(item);
    // The status stays: the history entry goes from it to itself and says what changed and why.
    ctx.changes.addTransition(item, item.status, caller, `required outcome tightened: ${why} (${changes.join('; ')})`);
    emit(ctx, item, 'work_item.outcome_tightened', eventData(item, {
      actorId: caller.id,
      note: why,
      evidence: outcome.evidence.map((e) => ({ kind: e.kind, label: e.label })),
      previousEvidenceCount: before.evidence.length,
    }));
    return item;
  });
}

export function startWork(db: EntityManager, caller: Caller, id: string, note?: string | null, options: ChangeOptions = {}) {
  requireRole(caller, ...WORK_PERMISSIONS.performWork);
  const text = optionalText(note, 'note');
  return changeWorkItem(db, caller, id, options, async (ctx, item) => {
    if (item.status !== 'READY' && item.status !== 'OPEN') throw illegalTransition('work item', item.status, 'start');
    const blockers = openBlockers(ctx, item);
    if (blockers.length) throw blockedError(blockers, 'start');
    item.performerId = caller.id;
    transition(ctx, item, 'IN_PROGRESS', text, 'started', { performerId: caller.id });
    return item;
  });
}

export function holdWork(db: EntityManager, caller: Caller, id: string, reason: string, options: ChangeOptions = {}) {
  requireRole(caller, ...WORK_PERMISSIONS.performWork);
  const why = requireText(reason, 'reason', { max: 2000 });
  return changeWorkItem(db, caller, id, options, async (ctx, item) => {
    if (!['OPEN', 'READY', 'IN_PROGRESS'].includes(item.status)) throw illegalTransition('work item', item.status, 'hold');
    item.heldFrom = item.status;
    item.holdReason = why;
    item.holdSourceDomain = null;
    item.holdSourceRecordId = null;
    transition(ctx, item, 'ON_HOLD', why, 'held');
    return item;
  });
}

/** The record whose hold stops work, as Work keeps it on the item and in `asset_hold`. */
export interface HoldSource {
  domain: SourceDomain;
  recordId: string;
}

/**
 * Puts open work on an asset on hold for a reason raised elsewhere (e.g. a serious incident). Work a person held
 * by hand is held by the record from then on too: its resume follows the record's hold.
 */
export async function holdWorkOnAsset(ctx: ChangeContext, assetId: string, reason: string, siteId: string | undefined, source: HoldSource): Promise<WorkItem[]> {
  // The set's copy of an item may be ahead of its row: lock by asset, then judge each item as the set holds it.
  await ctx.changes.load(await openWorkItemIdsOnAsset(ctx.manager, assetId));
  // A record of one site never holds another site's work (an asset id named at the wrong site).
  const onAsset = ctx.changes.loadedItems().filter((item) => item.assetId === assetId && (!siteId || item.siteId === siteId));
  const held: WorkItem[] = [];
  for (const item of onAsset) {
    if (item.status === 'ON_HOLD' && !item.holdSourceDomain) {
      item.holdReason = reason;
      item.holdSourceDomain = source.domain;
      item.holdSourceRecordId = source.recordId;
      ctx.changes.itemChanged(item);
      ctx.changes.addTransition(item, item.status, ctx.caller, `now held by ${source.domain.toLowerCase()} ${source.recordId}: ${reason}`);
      held.push(item);
    } else if (['OPEN', 'READY', 'IN_PROGRESS'].includes(item.status)) {
      putOnHold(ctx, item, reason, source);
      held.push(item);
    }
  }
  return held;
}

function putOnHold(ctx: ChangeContext, item: WorkItem, reason: string, source: HoldSource) {
  item.heldFrom = item.status;
  item.holdReason = reason;
  item.holdSourceDomain = source.domain;
  item.holdSourceRecordId = source.recordId;
  transition(ctx, item, 'ON_HOLD', reason, 'held');
}

/**
 * New work on an asset a record holds starts held, with the hold's reason; except the record's own work (an
 * incident's corrective actions are how its cause is dealt with).
 */
async function holdIfAssetHeld(ctx: ChangeContext, item: WorkItem): Promise<void> {
  if (!item.assetId || TERMINAL.includes(item.status)) return;
  const holds = (await activeHoldsOnAsset(ctx.manager, item.assetId, item.siteId)).filter((h) => !(h.sourceDomain === item.sourceDomain && h.sourceRecordId === item.sourceRecordId));
  if (!holds.length) return;
  const hold = holds[0];
  putOnHold(ctx, item, hold.reason ?? `asset held by ${hold.sourceDomain.toLowerCase()} ${hold.sourceRecordId}`, { domain: hold.sourceDomain, recordId: hold.sourceRecordId });
}

const holdName = (h: Pick<AssetHold, 'sourceDomain' | 'sourceRecordId'>) => `${h.sourceDomain.toLowerCase()} record ${h.sourceRecordId}`;
const rolesText = (roles: string[]) => roles.map((r) => r.replace('_', ' ')).join(' or ');

/**
 * The holds that govern resuming an item: the one that stopped it (even once released: the role it named still
 * resumes it) and every active one on its asset. The caller must hold a role each names (administrators always do);
 * while one is active only an override with a reason resumes. Returns the active holds overridden.
 */
async function judgeHolds(ctx: ChangeContext, item: WorkItem, override: boolean): Promise<AssetHold[]> {
  const own = item.holdSourceDomain && item.holdSourceRecordId && item.assetId
    ? await holdsWithKeys(ctx.manager, [{ domain: item.holdSourceDomain, recordId: item.holdSourceRecordId, assetId: item.assetId }])
    : [];
  const active = item.assetId ? await activeHoldsOnAsset(ctx.manager, item.assetId, item.siteId) : [];
  const governing = [...own, ...active.filter((a) => !own.some((o) => o.sourceDomain === a.sourceDomain && o.sourceRecordId === a.sourceRecordId))];
  if (!governing.length && item.holdSourceDomain) governing.push({ sourceDomain: item.holdSourceDomain, sourceRecordId: item.holdSourceRecordId ?? '', resumeRoles: ['supervisor'], releasedAt: null } as AssetHold);
  for (const hold of governing) {
    const roles = hold.resumeRoles?.length ? hold.resumeRoles : ['supervisor'];
    if (!hasRole(ctx.caller, 'administrator') && !roles.some((r) => hasRole(ctx.caller, r as Role))) {
      throw forbidden(`work held by ${holdName(hold)} is resumed by a ${rolesText(roles)}`);
    }
  }
  const open = governing.filter((h) => !h.releasedAt);
  if (open.length && !override) {
    throw new DomainError(
      ErrorCode.ILLEGAL_TRANSITION,
      `cannot resume: ${open.map((h) => `the hold of ${holdName(h)} is active${h.reason ? ` (${h.reason})` : ''}`).join('; ')}; a ${rolesText(open[0].resumeRoles ?? ['supervisor'])} may override it with a reason (override: true, note)`,
      { from: item.status, action: 'resume', holds: open.map((h) => ({ sourceDomain: h.sourceDomain, sourceRecordId: h.sourceRecordId, reason: h.reason, resumeRoles: h.resumeRoles })) },
    );
  }
  return open;
}

export function resumeWork(db: EntityManager, caller: Caller, id: string, note?: string | null, options: ChangeOptions & { override?: boolean | null } = {}) {
  requireRole(caller, ...WORK_PERMISSIONS.performWork);
  const override = options.override === true;
  // Overriding a hold whose cause is open is a decision on the record: it needs its reason.
  const text = override ? requireText(note, 'note', { max: 2000 }) : optionalText(note, 'note');
  return changeWorkItem(db, caller, id, options, async (ctx, item) => {
    if (item.status !== 'ON_HOLD') throw illegalTransition('work item', item.status, 'resume');
    const overridden = await judgeHolds(ctx, item, override);
    const back = item.heldFrom === 'IN_PROGRESS' ? 'IN_PROGRESS' : 'OPEN';
    // Taking work back in hand is judged like starting it: every condition must hold now.
    if (back === 'IN_PROGRESS') {
      const blockers = openBlockers(ctx, item);
      if (blockers.length) throw blockedError(blockers, 'resume');
    }
    item.heldFrom = null;
    item.holdReason = null;
    item.holdSourceDomain = null;
    item.holdSourceRecordId = null;
    const historyNote = overridden.length ? `hold overridden (${overridden.map(holdName).join(', ')} still active): ${text}` : text;
    // The event's note says it was an override, and of which hold (Work's `work_item.resumed` contract has no field for it).
    transition(ctx, item, back, historyNote, 'resumed');
    settleReadiness(ctx, item);
    return item;
  });
}

/** Checks submitted evidence against what the required outcome asked for; returns the rows to store. */
export function checkEvidence(outcome: RequiredOutcome, evidence: EvidenceInput[], caller: Caller) {
  if (evidence.length > MAX_LIST) throw badInput(`at most ${MAX_LIST} pieces of evidence`, { field: 'evidence' });
  const now = new Date();
  const rows = evidence.map((e, i) => {
    const field = `evidence[${i}]`;
    const answers = e.answers?.map((a, j) => ({
      question: requireText(a.question, `${field}.answers[${j}].question`, { max: 500 }),
      answer: requireText(a.answer, `${field}.answers[${j}].answer`, { max: 2000 }),
    })) ?? null;
    if (e.value !== undefined && e.value !== null && !Number.isFinite(e.value)) throw badInput(`${field}.value must be a number`, { field: `${field}.value` });
    return {
      kind: oneOf(EVIDENCE_KINDS, e.kind, `${field}.kind`),
      label: requireText(e.label, `${field}.label`, { max: 200 }),
      text: optionalText(e.text, `${field}.text`, 4000),
      value: e.value ?? null,
      unit: optionalText(e.unit, `${field}.unit`, 30),
      url: optionalLinkUrl(e.url, `${field}.url`, 2000),
      checksum: optionalText(e.checksum, `${field}.checksum`, 200),
      answers,
      withinLimits: null as boolean | null,
      submittedById: caller.id,
      submittedAt: now,
    };
  });
  const missing: string[] = [];
  const outOfLimits: OutOfLimitsReadingV1[] = [];
  for (const req of outcome.evidence) {
    // Every entry answering a requirement is checked, not only the first: a second, bad reading is not hidden.
    const matches = rows.flatMap((row, i) => (row.kind === req.kind && row.label.toLowerCase() === req.label.toLowerCase() ? [{ row, i }] : []));
    if (!matches.length) missing.push(`${req.kind.toLowerCase()} "${req.label}": not submitted`);
    for (const { row, i } of matches) {
      const problem = evidenceProblem(req, row);
      if (problem && problem !== 'out of limits') missing.push(`${req.kind.toLowerCase()} "${req.label}" (evidence[${i}]): ${problem}`);
      if (req.kind === 'MEASUREMENT' && (problem === null || problem === 'out of limits')) row.withinLimits = problem === null;
      // A reading outside its limits is a result, not bad input (a failed inspection): kept, marked, and told
      // to whoever asked for the work; verification accepts or rejects it.
      if (problem === 'out of limits') outOfLimits.push({ label: req.label, value: row.value!, unit: req.unit ?? null, min: req.min ?? null, max: req.max ?? null });
    }
  }
  if (missing.length) throw new DomainError(ErrorCode.EVIDENCE_INCOMPLETE, `the evidence does not meet the required outcome (missing or incomplete: ${missing.join('; ')})`, { missing });
  return { rows, outOfLimits };
}

/** The readings of the accepted submission that were outside their limits, with the limits they missed. */
function outOfLimitsOf(outcome: RequiredOutcome, evidence: { kind: string; label: string; value: number | null; withinLimits: boolean | null }[]): OutOfLimitsReadingV1[] {
  return evidence.flatMap((e) => {
    if (e.kind !== 'MEASUREMENT' || e.withinLimits !== false || e.value === null) return [];
    const req = outcome.evidence.find((r) => r.kind === 'MEASUREMENT' && r.label.toLowerCase() === e.label.toLowerCase());
    return [{ label: e.label, value: e.value, unit: req?.unit ?? null, min: req?.min ?? null, max: req?.max ?? null }];
  });
}

function evidenceProblem(req: EvidenceRequirement, e: { value: number | null; unit: string | null; url: string | null; text: string | null; answers: ChecklistAnswer[] | null }): string | null {
  switch (req.kind) {
    case 'MEASUREMENT':
      if (e.value === null) return 'a value is needed';
      if (req.unit && (e.unit ?? '').toLowerCase() !== req.unit.toLowerCase()) return `the unit must be ${req.unit}`;
      if ((req.min !== null && req.min !== undefined && e.value < req.min) || (req.max !== null && req.max !== undefined && e.value > req.max)) return 'out of limits';
      return null;
    case 'PHOTO':
    case 'DOCUMENT':
      return e.url ? null : 'a url to the file is needed';
    case 'SIGNATURE':
      return e.text ? null : 'the signer is needed';
    case 'CHECKLIST': {
      const answered = new Set((e.answers ?? []).map((a) => a.question.toLowerCase()));
      const unanswered = (req.questions ?? []).filter((q) => !answered.has(q.toLowerCase()));
      return unanswered.length ? `unanswered: ${unanswered.join(', ')}` : null;
    }
  }
}

export function completeWork(db: EntityManager, caller: Caller, id: string, evidence: EvidenceInput[], note?: string | null, options: ChangeOptions = {}) {
  requireRole(caller, ...WORK_PERMISSIONS.performWork);
  const text = optionalText(note, 'note');
  return changeWorkItem(db, caller, id, options, async (ctx, item) => {
    if (item.status !== 'IN_PROGRESS') throw illegalTransition('work item', item.status, 'complete');
    const blockers = openBlockers(ctx, item);
    if (blockers.length) throw blockedError(blockers, 'complete');
    const { rows, outOfLimits } = checkEvidence(item.requiredOutcome, evidence, caller);
    if (rows.length) await insertEvidence(ctx.manager, rows.map((r) => ({ ...r, workItemId: item.id })));
    item.completedAt = new Date();
    transition(ctx, item, 'AWAITING_VERIFICATION', text, 'completed', { performerId: item.performerId, evidenceCount: rows.length, ...(outOfLimits.length ? { outOfLimits } : {}) });
    return item;
  });
}

type PerformingPart = 'started' | 'resumed' | 'completed' | 'submitted evidence for';

/**
 * What a person did to perform an item, in any round of complete and reject: started it, resumed it,
 * completed it, submitted evidence for it. Rejecting (AWAITING_VERIFICATION → IN_PROGRESS) is verifying,
 * not performing, so a verifier who rejected may verify the next round.
 */
function partsPlayedBy(personId: string, history: PerformanceHistory): Set<PerformingPart> {
  const parts = new Set<PerformingPart>();
  for (const t of history.transitions) {
    if (t.actorId !== personId) continue;
    if (t.toStatus === 'AWAITING_VERIFICATION') parts.add('completed');
    else if (t.toStatus === 'IN_PROGRESS' && (t.fromStatus === 'OPEN' || t.fromStatus === 'READY')) parts.add('started');
    // Resuming work held IN_PROGRESS counts as performing: it takes the work back in hand, like starting it.
    else if (t.toStatus === 'IN_PROGRESS' && t.fromStatus === 'ON_HOLD') parts.add('resumed');
  }
  if (history.evidenceSubmitters.includes(personId)) parts.add('submitted evidence for');
  return parts;
}

export function verifyWork(db: EntityManager, caller: Caller, id: string, accept: boolean, note?: string | null, options: ChangeOptions = {}) {
  requireRole(caller, ...WORK_PERMISSIONS.verifyWork);
  const text = accept ? optionalText(note, 'note') : requireText(note, 'note', { max: 2000 });
  return changeWorkItem(db, caller, id, options, async (ctx, item) => {
    if (item.status !== 'AWAITING_VERIFICATION') throw illegalTransition('work item', item.status, 'verify');
    const parts = partsPlayedBy(caller.id, await ctx.changes.performanceOf(item));
    if (item.performerId === caller.id) parts.add('started');
    if (parts.size) {
      throw new DomainError(ErrorCode.SEPARATION_OF_DUTIES, `whoever started, resumed, completed or gave evidence for work cannot verify it (you ${[...parts].join(' and ')} it)`, { parts: [...parts] });
    }
    if (accept) {
      // Accepted work is done as of now: a condition that lapsed (or re-opened) since it was completed must hold again first.
      const blockers = openBlockers(ctx, item);
      if (blockers.length) throw blockedError(blockers, 'verify');
      item.verifiedById = caller.id;
      item.verifiedAt = new Date();
      const outOfLimits = outOfLimitsOf(item.requiredOutcome, await lastSubmittedEvidence(ctx.manager, item.id));
      transition(ctx, item, 'DONE', text, 'verified', { verifierId: caller.id, verifiedAt: item.verifiedAt.toISOString(), ...(outOfLimits.length ? { outOfLimits } : {}) });
    } else {
      item.completedAt = null;
      transition(ctx, item, 'IN_PROGRESS', text, 'rejected', { verifierId: caller.id, reason: text });
    }
    return item;
  });
}

export function cancelWork(db: EntityManager, caller: Caller, id: string, reason: string, options: ChangeOptions = {}) {
  requireRole(caller, ...WORK_PERMISSIONS.superviseWork);
  const why = requireText(reason, 'reason', { max: 2000 });
  return changeWorkItem(db, caller, id, options, async (ctx, item) => {
    if (TERMINAL.includes(item.status)) throw illegalTransition('work item', item.status, 'cancel');
    transition(ctx, item, 'CANCELLED', why, 'cancelled', { reason: why });
    return item;
  });
}

// ---------- prerequisites ----------

export function addPrerequisite(db: EntityManager, caller: Caller, workItemId: string, input: PrerequisiteInput, requestId?: string) {
  requireRole(caller, ...WORK_PERMISSIONS.raiseWork);
  prerequisiteOf(input, 'input'); // refuse bad input before taking any lock
  return changeWorkItem(db, caller, workItemId, { requestId }, async (ctx, item) => raisePrerequisite(ctx, item, input));
}

/**
 * Raises a blocker on an item, or updates the one with the same kind and source (so events may repeat).
 * Returns the stored prerequisite; the item's readiness settles in the same transaction.
 */
export function raisePrerequisite(ctx: ChangeContext, item: WorkItem, input: PrerequisiteInput): Prerequisite {
  if (TERMINAL.includes(item.status)) throw illegalTransition('work item', item.status, 'add a prerequisite to');
  const fields = prerequisiteOf(input, 'input');
  const existing = ctx.changes.prerequisitesOf(item).find((p) => p.kind === fields.kind && p.sourceDomain === fields.sourceDomain && p.sourceRecordId === fields.sourceRecordId);
  const state = fields.state ?? 'OPEN';
  let prerequisite: Prerequisite;
  if (existing) {
    existing.description = fields.description;
    if (existing.state !== 'WAIVED') {
      existing.state = state;
      existing.reason = fields.reason ?? existing.reason;
      existing.resolvedAt = state === 'OPEN' ? null : (existing.resolvedAt ?? new Date());
      existing.validUntil = fields.validUntil;
    }
    ctx.changes.prerequisiteChanged(existing);
    prerequisite = existing;
  } else {
    prerequisite = ctx.changes.addPrerequisite(item, { ...fields, state, resolvedAt: state === 'OPEN' ? null : new Date() });
    emit(ctx, item, 'prerequisite.raised', eventData(item, { prerequisiteId: prerequisite.id, kind: prerequisite.kind, prerequisiteState: state, prerequisiteSourceDomain: prerequisite.sourceDomain, prerequisiteSourceRecordId: prerequisite.sourceRecordId || null }));
  }
  settleReadiness(ctx, item, state === 'OPEN' ? `blocked: ${fields.description}` : null);
  return prerequisite;
}

async function changePrerequisite(db: EntityManager, caller: Caller, id: string, requestId: string | undefined, change: (ctx: ChangeContext, p: Prerequisite, item: WorkItem) => void) {
  const prerequisiteId = requireUuid(id);
  return db.transaction((manager) =>
    inTransaction(manager, caller, requestId, async (ctx) => {
      const found = await prerequisiteById(manager, prerequisiteId);
      if (!found) throw notFound('prerequisite', prerequisiteId);
      const item = await ctx.changes.lock(found.workItemId);
      if (!inScope(caller, item)) throw notFound('prerequisite', prerequisiteId);
      const p = ctx.changes.prerequisitesOf(item).find((x) => x.id === prerequisiteId)!;
      if (TERMINAL.includes(item.status)) throw illegalTransition('work item', item.status, 'change a prerequisite of');
      lapseExpired(ctx, item); // a lapsed condition is open: it may be satisfied or waived again
      change(ctx, p, item);
      p.resolvedAt = p.state === 'OPEN' ? null : new Date();
      // Satisfied or waived by a person: no end is known.
      p.validUntil = null;
      // A person's act is a fact as of now: a source's older word, arriving late, does not undo it.
      p.stateFact = factOrderOf({ time: p.resolvedAt ?? new Date(), eventId: '' });
      ctx.changes.prerequisiteChanged(p);
      emit(ctx, item, 'prerequisite.changed', eventData(item, { prerequisiteId: p.id, kind: p.kind, prerequisiteState: p.state, actorId: caller.id }));
      settleReadiness(ctx, item, p.state === 'OPEN' ? `blocked: ${p.description}` : null);
      return p;
    }),
  );
}

/** Satisfies a blocker by hand. Blockers owned by a supporting domain clear through that domain's events. */
export function satisfyPrerequisite(db: EntityManager, caller: Caller, id: string, note?: string | null, requestId?: string) {
  requireRole(caller, ...WORK_PERMISSIONS.performWork);
  const text = optionalText(note, 'note');
  return changePrerequisite(db, caller, id, requestId, (_ctx, p) => {
    if (p.state !== 'OPEN') throw illegalTransition('prerequisite', p.state, 'satisfy');
    if (p.sourceDomain !== 'MANUAL' && p.sourceDomain !== 'WORK' && !hasRole(caller, 'administrator')) {
      throw forbidden(`this prerequisite is cleared by the ${p.sourceDomain.toLowerCase()} domain, not by hand; a supervisor may waive it`);
    }
    p.state = 'SATISFIED';
    p.reason = text;
  });
}

export function waivePrerequisite(db: EntityManager, caller: Caller, id: string, reason: string, requestId?: string) {
  requireRole(caller, ...WORK_PERMISSIONS.superviseWork);
  const why = requireText(reason, 'reason', { max: 2000 });
  return changePrerequisite(db, caller, id, requestId, (_ctx, p) => {
    if (p.state !== 'OPEN') throw illegalTransition('prerequisite', p.state, 'waive');
    p.state = 'WAIVED';
    p.waivedReason = why;
    p.waivedById = caller.id;
  });
}

/**
 * Sets the state of every prerequisite a supporting record raised (e.g. all "valid permit" blockers of a
 * permit) and settles the affected items. Used by the event consumer; returns the items touched. With the
 * event's `origin` the change is a fact of the record: applied only over older ones, and kept for blockers
 * that appear later (see `applySourceFact`).
 */
export async function setPrerequisitesFromSource(
  ctx: ChangeContext,
  source: { domain: SourceDomain; recordId: string; kind?: PrerequisiteKind; workItemIds?: string[] },
  state: 'OPEN' | 'SATISFIED',
  reason: string | null,
  origin?: FactOrigin,
  validUntil: Date | null = null,
): Promise<WorkItem[]> {
  if (origin) {
    return applySourceFact(ctx, {
      sourceDomain: source.domain,
      sourceRecordId: source.recordId,
      kind: source.kind ?? '',
      targets: source.workItemIds ?? [ALL_ITEMS],
      state,
      description: null,
      reason,
      validUntil: state === 'SATISFIED' ? validUntil : null,
      factOrder: factOrderOf(origin),
      eventId: origin.eventId,
    });
  }
  // Every item with a prerequisite of the record is then in the set (a whole consumer group loads them at once).
  await ctx.changes.load([], [source]);
  const raisedBySource = (p: Prerequisite) => p.sourceDomain === source.domain && p.sourceRecordId === source.recordId && (!source.kind || p.kind === source.kind);
  const touched: WorkItem[] = [];
  for (const item of ctx.changes.itemsRaisedBy(source)) {
    if (source.workItemIds && !source.workItemIds.includes(item.id)) continue;
    const prerequisites = ctx.changes.prerequisitesOf(item).filter(raisedBySource);
    if (!prerequisites.length || TERMINAL.includes(item.status)) continue;
    let changed = false;
    for (const p of prerequisites.filter((x) => x.state !== 'WAIVED' && x.state !== state)) {
      p.state = state;
      p.reason = reason;
      p.resolvedAt = state === 'OPEN' ? null : new Date();
      p.validUntil = state === 'SATISFIED' ? validUntil : null;
      ctx.changes.prerequisiteChanged(p);
      changed = true;
    }
    if (changed) {
      settleReadiness(ctx, item, reason);
      touched.push(item);
    }
  }
  return touched;
}

// ---------- facts of supporting records: blockers whose outcome does not depend on the order events arrive in ----------

/**
 * Events of different records (and the retries of parked ones) reach Work in no fixed order: a record's
 * release may come before the request that raises its blocker, or in the same group. So what a source says
 * about its blockers is a fact with an order (`<event time>#<rank>`): a blocker takes a fact only when it is not
 * older than the one it holds (state and reason, and the description, each by their own), a fact about every
 * item of a record (or its own work) is kept to apply to blockers raised later, and a fact about an item
 * whose blocker is not there yet is kept until it appears. Then every order of the same events ends alike.
 */
export interface FactOrigin {
  time: Date;
  eventId: string;
  /** Among facts of the same millisecond: what Work reads from a record's status (DERIVED) yields to what its domain said (STATED, the default). */
  rank?: number;
}
export const DERIVED = 0;
export const STATED = 1;
export const factOrderOf = (origin: FactOrigin) => `${origin.time.toISOString()}#${origin.rank ?? STATED}`;

interface FactContent {
  state: 'OPEN' | 'SATISFIED';
  description?: string | null;
  reason: string | null;
  /** When a SATISFIED fact's condition lapses; an OPEN fact ends any validity (the source said why it is open). */
  validUntil?: Date | string | null;
  order: string;
}

/** Takes a fact unless the blocker holds a newer one (a waived blocker stays waived); true when its state or reason changed. */
function takeFact(ctx: ChangeContext, p: Prerequisite, fact: FactContent): boolean {
  let written = false;
  let settled = false;
  if (fact.description && (p.descriptionFact ?? '') <= fact.order) {
    written ||= p.description !== fact.description || p.descriptionFact !== fact.order;
    p.description = fact.description;
    p.descriptionFact = fact.order;
  }
  if ((p.stateFact ?? '') <= fact.order) {
    const validUntil = fact.state === 'SATISFIED' && fact.validUntil ? new Date(fact.validUntil) : null;
    if (p.state !== 'WAIVED' && (p.state !== fact.state || p.reason !== fact.reason || timeOf(p.validUntil) !== timeOf(validUntil))) {
      settled = true;
      p.state = fact.state;
      p.reason = fact.reason;
      p.resolvedAt = fact.state === 'OPEN' ? null : (p.resolvedAt ?? new Date());
      p.validUntil = validUntil;
    }
    written ||= settled || p.stateFact !== fact.order;
    p.stateFact = fact.order;
  }
  if (written) ctx.changes.prerequisiteChanged(p);
  return settled;
}

/** Whether a kept fact is about this blocker on this item. */
function factCovers(fact: KeptFact, item: WorkItem, p: Prerequisite): boolean {
  if (p.sourceDomain !== fact.sourceDomain || p.sourceRecordId !== fact.sourceRecordId || (fact.kind && p.kind !== fact.kind)) return false;
  if (fact.target === ALL_ITEMS || fact.target === item.id) return true;
  return fact.target === OWN_WORK && item.sourceDomain === fact.sourceDomain && item.sourceRecordId === fact.sourceRecordId;
}

/** New blockers raised on a source's request take the facts their records told before (oldest first); true when a state changed. */
async function takeKeptFacts(ctx: ChangeContext, item: WorkItem, prerequisites: Prerequisite[]): Promise<boolean> {
  let settled = false;
  for (const p of prerequisites) {
    if (!p.sourceRecordId || p.sourceDomain === 'MANUAL' || p.sourceDomain === 'WORK') continue;
    const facts = (await ctx.changes.factsOf({ domain: p.sourceDomain, recordId: p.sourceRecordId })).filter((f) => factCovers(f, item, p));
    for (const fact of facts.sort((a, b) => (a.factOrder < b.factOrder ? -1 : a.factOrder > b.factOrder ? 1 : 0))) {
      if (takeFact(ctx, p, { state: fact.state, description: fact.description, reason: fact.reason, validUntil: fact.validUntil, order: fact.factOrder })) settled = true;
      if (fact.target === item.id) ctx.changes.dropFact(fact); // taken: a later change of the record comes as a fact of its own
    }
  }
  return settled;
}

/**
 * Applies a record's fact to the blockers it covers now (items in the set) and keeps it for those raised later:
 * about every item (`*`) or the record's own work (`own`) always, about one item only while that item has none.
 */
export async function applySourceFact(ctx: ChangeContext, fact: Omit<KeptFact, 'target'> & { targets: string[] }): Promise<WorkItem[]> {
  const source = { domain: fact.sourceDomain, recordId: fact.sourceRecordId };
  await ctx.changes.load([], [source]);
  const { targets, ...content } = fact;
  const forItems = !targets.includes(ALL_ITEMS) && !targets.includes(OWN_WORK);
  const covered = new Set<string>();
  const touched: WorkItem[] = [];
  for (const item of ctx.changes.itemsRaisedBy(source)) {
    if (forItems && !targets.includes(item.id)) continue;
    const prerequisites = ctx.changes.prerequisitesOf(item).filter((p) => targets.some((target) => factCovers({ ...content, target }, item, p)));
    if (!prerequisites.length) continue;
    covered.add(item.id);
    if (TERMINAL.includes(item.status)) continue;
    let settled = false;
    for (const p of prerequisites) if (takeFact(ctx, p, { ...content, order: fact.factOrder })) settled = true;
    if (settled) {
      settleReadiness(ctx, item, fact.reason);
      touched.push(item);
    }
  }
  for (const target of targets) if (!forItems || !covered.has(target)) await ctx.changes.keepFact({ ...content, target });
  return touched;
}

/**
 * Raises a source's blocker on an item, or updates the one with the same kind and source, as a fact of the
 * record (see `applySourceFact`): a new blocker then takes what its record said before.
 */
export async function raiseSourcedPrerequisite(ctx: ChangeContext, item: WorkItem, input: PrerequisiteInput, origin: FactOrigin): Promise<Prerequisite> {
  if (TERMINAL.includes(item.status)) throw illegalTransition('work item', item.status, 'add a prerequisite to');
  const fields = prerequisiteOf(input, 'input');
  const order = factOrderOf(origin);
  const existing = ctx.changes.prerequisitesOf(item).find((p) => p.kind === fields.kind && p.sourceDomain === fields.sourceDomain && p.sourceRecordId === fields.sourceRecordId);
  if (existing) {
    if (takeFact(ctx, existing, { ...fields, order })) settleReadiness(ctx, item, existing.state === 'OPEN' ? `blocked: ${existing.description}` : null);
    return existing;
  }
  const prerequisite = ctx.changes.addPrerequisite(item, { ...fields, resolvedAt: fields.state === 'OPEN' ? null : new Date(), stateFact: order, descriptionFact: order });
  await takeKeptFacts(ctx, item, [prerequisite]);
  emit(ctx, item, 'prerequisite.raised', eventData(item, { prerequisiteId: prerequisite.id, kind: prerequisite.kind, prerequisiteState: prerequisite.state, prerequisiteSourceDomain: prerequisite.sourceDomain, prerequisiteSourceRecordId: prerequisite.sourceRecordId || null }));
  settleReadiness(ctx, item, prerequisite.state === 'OPEN' ? `blocked: ${prerequisite.description}` : null);
  return prerequisite;
}
