import {
  DAY_MS,
  DomainError,
  ErrorCode,
  SYSTEM_CALLER,
  badInput,
  illegalTransition,
  inSiteScope,
  isContractorOnly,
  textList,
  uuidList,
  notFound,
  oneOf,
  optionalDate,
  optionalText,
  optionalUuid,
  requireDate,
  requireNoPart,
  requireRole,
  requireText,
  requireUuid,
  type Caller,
  type Role,
} from '@opsgraph/core';
import { recordEvent, type PrerequisiteRequiredV1, type PrerequisiteSourceChangedV1 } from '@opsgraph/events';
import { PERMIT_TYPES, type PermitType } from '@opsgraph/events';
import type { EntityManager } from 'typeorm';
import { FINAL_STATUSES, gasFailures, isolationState, type Permit, type PermitStatus } from '../entities';
import { latestGasTestOfPermit } from '../store/gas-tests';
import { insertIsolations, isolationsOfPermit } from '../store/isolations';
import {
  endedPermitsOverlapping,
  insertPermit,
  insertPermitTransition,
  lockExpiredPermits,
  lockPermit as lockPermitRow,
  lockPermitsWithStaleGasTests,
  savePermit,
  takePermitNumber,
  transitionsOfPermitTo,
} from '../store/permits';
import { isolationOf, type IsolationInput } from './isolations';
import { PERMIT_PERMISSIONS } from './permissions';
import { permitProblem, requirementText } from './readiness';
import { requirePermitPlaces } from './places';
import { checkCoverable } from './work';
import { checkedDecision, checkSimultaneousOperations, recordDecision, type SimopsDecisionInput } from './simops';

// ---------- input ----------

export interface CreatePermitInput {
  type: PermitType;
  description: string;
  siteId: string;
  siteCode?: string | null;
  areaId?: string | null;
  assetIds?: string[] | null;
  workItemIds?: string[] | null;
  performingAuthorityId?: string | null;
  validFrom?: Date | string | null;
  validTo: Date | string;
  precautions?: string[] | null;
  conditions?: string | null;
  isolations?: IsolationInput[] | null;
}

export const MAX_LIST = 50;
/** A permit authorises a job for a shift or a few days, never open-ended. */
const MAX_VALIDITY_DAYS = 31;
const SITE_CODE = /^[A-Z0-9][A-Z0-9_-]{0,15}$/;

function validateNewPermit(input: CreatePermitInput, now: Date) {
  const validFrom = optionalDate(input.validFrom, 'validFrom') ?? now;
  const validTo = requireDate(input.validTo, 'validTo');
  if (validTo <= validFrom) throw badInput('validTo must be after validFrom', { field: 'validTo' });
  if (validTo <= now) throw badInput('validTo is already past', { field: 'validTo' });
  if (validTo.getTime() - validFrom.getTime() > MAX_VALIDITY_DAYS * DAY_MS) throw badInput(`a permit is valid for at most ${MAX_VALIDITY_DAYS} days`, { field: 'validTo' });
  const siteCode = input.siteCode ? requireText(input.siteCode, 'siteCode', { max: 16 }).toUpperCase() : null;
  if (siteCode && !SITE_CODE.test(siteCode)) throw badInput('siteCode must be 1-16 letters, digits, - or _', { field: 'siteCode' });
  const precautions = textList(input.precautions, 'precautions', { max: MAX_LIST, maxLength: 500 });
  const isolations = (input.isolations ?? []).map((iso, i) => isolationOf(iso, `isolations[${i}]`));
  if (isolations.length > MAX_LIST) throw badInput(`at most ${MAX_LIST} isolations`, { field: 'isolations' });
  return {
    fields: {
      type: oneOf(PERMIT_TYPES, input.type, 'type'),
      description: requireText(input.description, 'description', { max: 4000 }),
      siteId: requireUuid(input.siteId, 'siteId'),
      areaId: optionalUuid(input.areaId, 'areaId') ?? null,
      assetIds: uuidList(input.assetIds, 'assetIds', MAX_LIST),
      workItemIds: uuidList(input.workItemIds, 'workItemIds', MAX_LIST),
      performingAuthorityId: optionalUuid(input.performingAuthorityId, 'performingAuthorityId') ?? null,
      validFrom,
      validTo,
      precautions,
      conditions: optionalText(input.conditions, 'conditions', 4000),
    },
    siteCode,
    isolations,
  };
}

// ---------- shared mechanics of every change ----------

export interface ChangeContext {
  manager: EntityManager;
  caller: Caller;
  requestId?: string;
  /** One clock per change, so the stored times and the event agree. */
  now: Date;
}

/** Loads a permit for change, locked so concurrent changes queue instead of overwriting each other. */
export async function lockPermit(manager: EntityManager, id: string): Promise<Permit> {
  const permit = await lockPermitRow(manager, id);
  if (!permit) throw notFound('permit', id);
  return permit;
}

/**
 * Whether the caller may see a permit: its site is theirs, and a contractor sees only the permits they
 * asked for or accepted. Out of scope is reported as "not found", so a permit's existence does not leak.
 */
export function permitVisible(caller: Caller, permit: Pick<Permit, 'siteId' | 'requesterId' | 'performingAuthorityId'>): boolean {
  if (!inSiteScope(caller, permit.siteId)) return false;
  return !isContractorOnly(caller) || permit.requesterId === caller.id || permit.performingAuthorityId === caller.id;
}

/** Runs one change on one locked permit inside a transaction, for a caller who may see it. */
export function changePermit<T>(db: EntityManager, caller: Caller, id: string, requestId: string | undefined, change: (ctx: ChangeContext, permit: Permit) => Promise<T>): Promise<T> {
  const permitId = requireUuid(id);
  return db.transaction(async (manager) => {
    const permit = await lockPermit(manager, permitId);
    if (!permitVisible(caller, permit)) throw notFound('permit', permitId);
    return change({ manager, caller, requestId, now: new Date() }, permit);
  });
}

function expectStatus(permit: Permit, allowed: PermitStatus[], action: string) {
  if (!allowed.includes(permit.status)) throw illegalTransition('permit', permit.status, action);
}

/** The payload every permit fact carries: ids, type, state and scope, no names or free personal data. */
export function permitFact(permit: Permit, ctx: ChangeContext, extra: Record<string, unknown> = {}) {
  return {
    permitId: permit.id,
    number: permit.number,
    permitType: permit.type,
    status: permit.status,
    siteId: permit.siteId,
    areaId: permit.areaId,
    assetIds: permit.assetIds,
    workItemIds: permit.workItemIds,
    actorId: ctx.caller.id,
    at: ctx.now.toISOString(),
    ...extra,
  };
}

/** Moves a permit to a new state with an append-only history entry and the matching fact; returns the entry's id. */
export async function transition(ctx: ChangeContext, permit: Permit, to: PermitStatus, event: string, note: string | null, extra: Record<string, unknown> = {}): Promise<string> {
  const from = permit.status;
  permit.status = to;
  if (FINAL_STATUSES.includes(to)) permit.endedAt = ctx.now;
  await savePermit(ctx.manager, permit);
  const entry = await insertPermitTransition(ctx.manager, { permitId: permit.id, fromStatus: from, toStatus: to, actorId: ctx.caller.id, at: ctx.now, note });
  await recordEvent(ctx.manager, { domain: 'permits', type: `permit.${event}`, subject: permit.id, data: permitFact(permit, ctx, { from, note, ...extra }), requestId: ctx.requestId });
  return entry;
}

// ---------- into Work: the "valid permit" prerequisite on every covered work item ----------

const KIND = 'PERMIT_VALID' as const;

/**
 * Raises (or, repeated, updates) the prerequisite on covered items: already satisfied when the permit is
 * issued, else open with where the permit stands.
 */
async function requireOnWork(ctx: ChangeContext, permit: Permit, workItemIds: string[]) {
  const problem = permitProblem(permit, ctx.now);
  for (const workItemId of workItemIds) {
    await recordEvent(ctx.manager, {
      domain: 'permits',
      type: 'prerequisite.required',
      subject: permit.id,
      data: {
        workItemId,
        siteId: permit.siteId,
        kind: KIND,
        sourceRecordId: permit.id,
        description: requirementText(permit),
        state: problem ? 'OPEN' : 'SATISFIED',
        reason: problem ?? `${permit.number} issued`,
        // Work judges the end itself at the moment of action, before the expiry rule says so.
        ...(problem ? {} : { validUntil: permit.validTo.toISOString() }),
      } satisfies PrerequisiteRequiredV1,
      requestId: ctx.requestId,
    });
  }
}

/** `validUntil`: a permit's blockers satisfied by its being in force end with its validity (see requireOnWork). */
async function settleOnWork(ctx: ChangeContext, permit: Permit, type: 'satisfied' | 'reopened', reason: string, workItemIds?: string[], validUntil?: Date) {
  if (!(workItemIds ?? permit.workItemIds).length) return;
  await recordEvent(ctx.manager, {
    domain: 'permits',
    type: `prerequisite.${type}`,
    subject: permit.id,
    data: { sourceRecordId: permit.id, kind: KIND, reason, ...(workItemIds ? { workItemIds } : {}), ...(validUntil ? { validUntil: validUntil.toISOString() } : {}) } satisfies PrerequisiteSourceChangedV1,
    requestId: ctx.requestId,
  });
}

/** The work goes on under this permit now: permits that ended earlier for the same items stop blocking them. */
async function supersedeEnded(ctx: ChangeContext, permit: Permit) {
  if (!permit.workItemIds.length) return;
  const ended = await endedPermitsOverlapping(ctx.manager, permit);
  for (const old of ended) {
    const overlap = old.workItemIds.filter((id) => permit.workItemIds.includes(id));
    await settleOnWork(ctx, old, 'satisfied', `${old.number} superseded by ${permit.number}`, overlap);
  }
}

/** Stops work under an issued permit: SUSPENDED with the reason, its prerequisite re-opened on the work it covers. */
export async function suspendIn(ctx: ChangeContext, permit: Permit, reason: string) {
  permit.statusReason = reason;
  await transition(ctx, permit, 'SUSPENDED', 'suspended', reason, { reason });
  await reopenOnWork(ctx, permit);
}

/** Re-opens the prerequisite on covered work with the reason (the item in progress shows blocked at once). */
export async function reopenOnWork(ctx: ChangeContext, permit: Permit) {
  await settleOnWork(ctx, permit, 'reopened', permitProblem(permit, ctx.now) ?? `${permit.number} ${permit.status.toLowerCase()}`);
}

// ---------- numbering ----------

/** Hands out the next number of the site, learning the site's code with its first permit. */
async function nextNumber(manager: EntityManager, siteId: string, siteCode: string | null): Promise<string> {
  const row = await takePermitNumber(manager, siteId, siteCode);
  if (!row) throw badInput(`this is the first permit at site ${siteId}: give the site's code (siteCode)`, { field: 'siteCode' });
  if (siteCode && row.code !== siteCode) throw badInput(`site ${siteId} has the code ${row.code}, not ${siteCode}`, { field: 'siteCode' });
  return `PTW-${row.code}-${String(row.last_number).padStart(4, '0')}`;
}

// ---------- operations ----------

export async function createPermit(db: EntityManager, caller: Caller, input: CreatePermitInput, requestId?: string): Promise<Permit> {
  requireRole(caller, ...PERMIT_PERMISSIONS.draftPermits);
  const now = new Date();
  const { fields, siteCode, isolations } = validateNewPermit(input, now); // refuse bad input before opening a transaction
  if (!inSiteScope(caller, fields.siteId)) throw notFound('site', fields.siteId);
  return db.transaction(async (manager) => {
    const ctx: ChangeContext = { manager, caller, requestId, now };
    // Every place and item it names must be known here, at its site and in the caller's scope: before any write.
    await requirePermitPlaces(manager, { siteId: fields.siteId, areaId: fields.areaId, assetIds: fields.assetIds, isolations });
    await checkCoverable(manager, caller, fields.siteId, fields.workItemIds);
    const number = await nextNumber(manager, fields.siteId, siteCode);
    const permit = await insertPermit(manager, { ...fields, number, status: 'DRAFT', requesterId: caller.id, endedAt: null, statusReason: null });
    if (isolations.length) await insertIsolations(manager, isolations.map((iso) => ({ ...iso, permitId: permit.id, plannedById: caller.id })));
    await insertPermitTransition(manager, { permitId: permit.id, fromStatus: null, toStatus: 'DRAFT', actorId: caller.id, at: now, note: null });
    await recordEvent(manager, {
      domain: 'permits',
      type: 'permit.created',
      subject: permit.id,
      data: permitFact(permit, ctx, { from: null, note: null, validFrom: permit.validFrom.toISOString(), validTo: permit.validTo.toISOString() }),
      requestId,
    });
    await requireOnWork(ctx, permit, permit.workItemIds);
    return permit;
  });
}

/** The requester (while they may still draft permits), or someone running the permit system for the area. */
function requireRequesterOr(caller: Caller, permit: Permit, roles: readonly Role[]) {
  requireRole(caller, ...(permit.requesterId === caller.id ? PERMIT_PERMISSIONS.draftPermits : roles));
}

export function addPermitWorkItems(db: EntityManager, caller: Caller, id: string, workItemIds: string[], requestId?: string) {
  const ids = uuidList(workItemIds, 'workItemIds', MAX_LIST);
  if (!ids.length) throw badInput('give at least one work item', { field: 'workItemIds' });
  return changePermit(db, caller, id, requestId, async (ctx, permit) => {
    requireRequesterOr(caller, permit, PERMIT_PERMISSIONS.amendPermits);
    if (FINAL_STATUSES.includes(permit.status)) throw illegalTransition('permit', permit.status, 'add work items to');
    const added = ids.filter((w) => !permit.workItemIds.includes(w));
    if (!added.length) return permit; // already covered: adding again changes nothing
    if (permit.workItemIds.length + added.length > MAX_LIST) throw badInput(`a permit covers at most ${MAX_LIST} work items`, { field: 'workItemIds' });
    await checkCoverable(ctx.manager, caller, permit.siteId, added);
    permit.workItemIds = [...permit.workItemIds, ...added];
    if (!permit.workItemsAddedByIds.includes(caller.id)) permit.workItemsAddedByIds = [...permit.workItemsAddedByIds, caller.id];
    await savePermit(ctx.manager, permit);
    await recordEvent(ctx.manager, { domain: 'permits', type: 'permit.work_items_added', subject: permit.id, data: permitFact(permit, ctx, { addedWorkItemIds: added }), requestId });
    await requireOnWork(ctx, permit, added);
    return permit;
  });
}

export function requestPermit(db: EntityManager, caller: Caller, id: string, note?: string | null, requestId?: string) {
  const text = optionalText(note, 'note');
  return changePermit(db, caller, id, requestId, async (ctx, permit) => {
    requireRequesterOr(caller, permit, PERMIT_PERMISSIONS.requestForOthers);
    expectStatus(permit, ['DRAFT'], 'request');
    await transition(ctx, permit, 'REQUESTED', 'requested', text);
    await requireOnWork(ctx, permit, permit.workItemIds); // the blocker's reason follows the permit: "not yet issued (requested)"
    return permit;
  });
}

export function approvePermit(db: EntityManager, caller: Caller, id: string, note?: string | null, requestId?: string) {
  requireRole(caller, ...PERMIT_PERMISSIONS.approvePermits);
  const text = optionalText(note, 'note');
  return changePermit(db, caller, id, requestId, async (ctx, permit) => {
    expectStatus(permit, ['REQUESTED'], 'approve');
    await requireNoPartIn(ctx, permit, 'approve');
    permit.approvedById = caller.id;
    permit.approvedAt = ctx.now;
    await transition(ctx, permit, 'APPROVED', 'approved', text);
    await requireOnWork(ctx, permit, permit.workItemIds);
    return permit;
  });
}

/** A part someone took in a permit before it is approved or issued, as `details.part` of a refusal names it. */
type PermitPart = 'REQUESTER' | 'SUBMITTER' | 'WORK_ADDED' | 'APPROVER' | 'PERFORMING_AUTHORITY';

const PART_WORDS: Record<PermitPart, string> = {
  REQUESTER: 'the requester of',
  SUBMITTER: 'whoever requested',
  WORK_ADDED: 'whoever added work items to',
  APPROVER: 'the approver of',
  PERFORMING_AUTHORITY: 'the performing authority of',
};

/**
 * Everyone who took part in a permit so far, with their part: its requester, whoever requested it (a
 * supervisor may for someone else, from its history), whoever added work items to it, its approver and who
 * accepts it at the job.
 */
async function partsIn(ctx: ChangeContext, permit: Permit): Promise<{ personId: string; part: PermitPart }[]> {
  const requested = await transitionsOfPermitTo(ctx.manager, permit.id, 'REQUESTED');
  return [
    { personId: permit.requesterId, part: 'REQUESTER' as const },
    ...requested.map((t) => ({ personId: t.actorId, part: 'SUBMITTER' as const })),
    ...permit.workItemsAddedByIds.map((personId) => ({ personId, part: 'WORK_ADDED' as const })),
    ...(permit.approvedById ? [{ personId: permit.approvedById, part: 'APPROVER' as const }] : []),
    ...(permit.performingAuthorityId ? [{ personId: permit.performingAuthorityId, part: 'PERFORMING_AUTHORITY' as const }] : []),
  ];
}

/**
 * Approving and issuing (or reinstating) are checks by someone who had no part in the permit: not its
 * requester, whoever requested it or added work to it, its approver (for issuing), nor the person who will
 * do the work under it (the performing authority).
 */
async function requireNoPartIn(ctx: ChangeContext, permit: Permit, action: string) {
  requireNoPart(ctx.caller, await partsIn(ctx, permit), (part) => `${PART_WORDS[part]} permit ${permit.number} cannot ${action} it`, { permitId: permit.id });
}

/**
 * What must hold before work may go on under a permit (issuing and reinstating): inside the validity
 * window, every listed isolation applied and verified, and for confined space an in-date gas test within
 * limits. Everything missing is reported at once.
 */
async function checkAuthorisation(ctx: ChangeContext, permit: Permit, action: string) {
  if (ctx.now.getTime() >= permit.validTo.getTime()) {
    throw new DomainError(ErrorCode.ILLEGAL_TRANSITION, `cannot ${action} permit ${permit.number}: its validity ended at ${permit.validTo.toISOString()}`, { from: permit.status, action });
  }
  if (ctx.now.getTime() < permit.validFrom.getTime()) {
    throw new DomainError(ErrorCode.ILLEGAL_TRANSITION, `cannot ${action} permit ${permit.number} before it is valid (${permit.validFrom.toISOString()})`, { from: permit.status, action });
  }
  const problems: { reason: string; message: string; isolationIds?: string[] }[] = [];
  const isolations = await isolationsOfPermit(ctx.manager, permit.id);
  const notInPlace = isolations.filter((i) => isolationState(i) !== 'VERIFIED');
  if (notInPlace.length) {
    problems.push({
      reason: 'ISOLATIONS_NOT_VERIFIED',
      message: `isolations not applied and verified: ${notInPlace.map((i) => `${i.point} (${isolationState(i).toLowerCase()})`).join(', ')}`,
      isolationIds: notInPlace.map((i) => i.id),
    });
  }
  if (permit.type === 'CONFINED_SPACE') {
    const test = await latestGasTestOfPermit(ctx.manager, permit.id);
    if (!test) problems.push({ reason: 'GAS_TEST_MISSING', message: 'a confined-space permit needs a gas test' });
    else if (test.expiresAt.getTime() <= ctx.now.getTime()) problems.push({ reason: 'GAS_TEST_EXPIRED', message: `the last gas test expired at ${test.expiresAt.toISOString()}` });
    else if (!test.withinLimits) problems.push({ reason: 'GAS_TEST_OUT_OF_LIMITS', message: `the last gas test is outside limits (${gasFailures(test, test.limits).join(', ')})` });
  }
  if (problems.length) {
    throw new DomainError(ErrorCode.PREREQUISITES_OPEN, `cannot ${action} permit ${permit.number}: ${problems.map((p) => p.message).join('; ')}`, { problems });
  }
}

export function issuePermit(
  db: EntityManager,
  caller: Caller,
  id: string,
  performingAuthorityId?: string | null,
  note?: string | null,
  requestId?: string,
  simopsDecision?: SimopsDecisionInput | null,
) {
  requireRole(caller, ...PERMIT_PERMISSIONS.issuePermits);
  const authority = optionalUuid(performingAuthorityId, 'performingAuthorityId');
  const text = optionalText(note, 'note');
  const decision = checkedDecision(simopsDecision);
  return changePermit(db, caller, id, requestId, async (ctx, permit) => {
    expectStatus(permit, ['APPROVED'], 'issue');
    if (authority) permit.performingAuthorityId = authority; // naming oneself to do the work is a part too
    await requireNoPartIn(ctx, permit, 'issue');
    if (!permit.performingAuthorityId) throw badInput('someone must accept the permit at the job: give performingAuthorityId', { field: 'performingAuthorityId' });
    await checkAuthorisation(ctx, permit, 'issue');
    const conflicts = await checkSimultaneousOperations(ctx, permit, decision, 'issue');
    permit.issuerId = caller.id;
    permit.issuedAt = ctx.now;
    permit.statusReason = null;
    const entry = await transition(ctx, permit, 'ISSUED', 'issued', text, {
      performingAuthorityId: permit.performingAuthorityId,
      validFrom: permit.validFrom.toISOString(),
      validTo: permit.validTo.toISOString(),
    });
    if (decision) await recordDecision(ctx, permit, entry, 'ISSUE', decision, conflicts);
    await settleOnWork(ctx, permit, 'satisfied', `${permit.number} issued`, undefined, permit.validTo);
    await supersedeEnded(ctx, permit);
    return permit;
  });
}

export function suspendPermit(db: EntityManager, caller: Caller, id: string, reason: string, requestId?: string) {
  requireRole(caller, ...PERMIT_PERMISSIONS.suspendPermits);
  const why = requireText(reason, 'reason', { max: 2000 });
  return changePermit(db, caller, id, requestId, async (ctx, permit) => {
    expectStatus(permit, ['ISSUED'], 'suspend');
    await suspendIn(ctx, permit, why);
    return permit;
  });
}

export function reinstatePermit(db: EntityManager, caller: Caller, id: string, note?: string | null, requestId?: string, simopsDecision?: SimopsDecisionInput | null) {
  requireRole(caller, ...PERMIT_PERMISSIONS.issuePermits);
  const text = optionalText(note, 'note');
  const decision = checkedDecision(simopsDecision);
  return changePermit(db, caller, id, requestId, async (ctx, permit) => {
    expectStatus(permit, ['SUSPENDED'], 'reinstate');
    await requireNoPartIn(ctx, permit, 'reinstate');
    await checkAuthorisation(ctx, permit, 'reinstate');
    // Whatever was decided before the suspension is decided again: the conditions around the job have changed.
    const conflicts = await checkSimultaneousOperations(ctx, permit, decision, 'reinstate');
    permit.statusReason = null;
    const entry = await transition(ctx, permit, 'ISSUED', 'reinstated', text);
    if (decision) await recordDecision(ctx, permit, entry, 'REINSTATE', decision, conflicts);
    await settleOnWork(ctx, permit, 'satisfied', `${permit.number} reinstated`, undefined, permit.validTo);
    return permit;
  });
}

export function closePermit(db: EntityManager, caller: Caller, id: string, note?: string | null, requestId?: string) {
  requireRole(caller, ...PERMIT_PERMISSIONS.closePermits);
  const text = optionalText(note, 'note');
  return changePermit(db, caller, id, requestId, async (ctx, permit) => {
    expectStatus(permit, ['ISSUED', 'SUSPENDED'], 'close');
    const inPlace = (await isolationsOfPermit(ctx.manager, permit.id)).filter((i) => i.appliedAt && !i.removedAt);
    if (inPlace.length) {
      throw new DomainError(ErrorCode.PREREQUISITES_OPEN, `cannot close permit ${permit.number}: isolations still in place: ${inPlace.map((i) => i.point).join(', ')}`, {
        problems: [{ reason: 'ISOLATIONS_IN_PLACE', message: 'every isolation must be removed before closing', isolationIds: inPlace.map((i) => i.id) }],
      });
    }
    permit.statusReason = text;
    await transition(ctx, permit, 'CLOSED', 'closed', text);
    await reopenOnWork(ctx, permit);
    return permit;
  });
}

export function cancelPermit(db: EntityManager, caller: Caller, id: string, reason: string, requestId?: string) {
  const why = requireText(reason, 'reason', { max: 2000 });
  return changePermit(db, caller, id, requestId, async (ctx, permit) => {
    requireRequesterOr(caller, permit, PERMIT_PERMISSIONS.cancelPermits);
    expectStatus(permit, ['DRAFT', 'REQUESTED', 'APPROVED'], 'cancel');
    permit.statusReason = why;
    await transition(ctx, permit, 'CANCELLED', 'cancelled', why, { reason: why });
    await reopenOnWork(ctx, permit);
    return permit;
  });
}

// ---------- the time-driven rule ----------

const EXPIRY_BATCH = 100;

/**
 * Applies a time-driven rule to every permit `due` locks, in small transactions whose rows are taken with
 * SKIP LOCKED: idempotent and safe on several replicas. Returns the permits changed.
 */
async function forEachDue(
  db: EntityManager,
  now: Date,
  due: (manager: EntityManager, limit: number) => Promise<Permit[]>,
  apply: (ctx: ChangeContext, permit: Permit) => Promise<void>,
): Promise<Permit[]> {
  const changed: Permit[] = [];
  for (;;) {
    const batch = await db.transaction(async (manager) => {
      const permits = await due(manager, EXPIRY_BATCH);
      const ctx: ChangeContext = { manager, caller: SYSTEM_CALLER, now };
      for (const permit of permits) await apply(ctx, permit);
      return permits;
    });
    changed.push(...batch);
    if (batch.length < EXPIRY_BATCH) return changed;
  }
}

/** Expires every permit whose validity window has passed (any state short of closed/cancelled), re-opening its prerequisite on the work it covers. */
export function expirePermits(db: EntityManager, now: Date = new Date()): Promise<Permit[]> {
  return forEachDue(
    db,
    now,
    (manager, limit) => lockExpiredPermits(manager, now, limit),
    async (ctx, permit) => {
      const reason = `validity ended at ${permit.validTo.toISOString()}`;
      permit.statusReason = reason;
      await transition(ctx, permit, 'EXPIRED', 'expired', reason, { validTo: permit.validTo.toISOString() });
      await reopenOnWork(ctx, permit);
    },
  );
}

/**
 * Suspends every issued confined-space permit whose latest gas test has run out: the atmosphere is no
 * longer known to be safe, so work under it stops (its prerequisite re-opens on the work) until a new test
 * within limits lets an issuer reinstate it.
 */
export function suspendForStaleGasTests(db: EntityManager, now: Date = new Date()): Promise<Permit[]> {
  return forEachDue(
    db,
    now,
    (manager, limit) => lockPermitsWithStaleGasTests(manager, now, limit),
    (ctx, permit) => suspendIn(ctx, permit, `the last gas test of ${permit.number} has expired: test again before work goes on`),
  );
}
