import {
  DomainError,
  ErrorCode,
  SYSTEM_CALLER,
  badInput,
  forbidden,
  illegalTransition,
  inSiteScope,
  optionalDate,
  optionalText,
  optionalUuid,
  oneOf,
  requirePlace,
  requireText,
  requireUuid,
  requestedWorkStatus,
  unknownLocation,
  uuidList,
  textList,
  type Caller,
  type LocationKind,
  type Role,
  type TrackedWorkItem,
} from '@opsgraph/core';
import { recordEvent, requiredOutcome, type RequiredOutcomeV1 } from '@opsgraph/events';
import type { EntityManager } from 'typeorm';
import {
  APPROVER_ROLES,
  CHANGE_TYPES,
  FINISHED,
  PENDING_APPROVAL,
  RISK_RATINGS,
  type ApproverRole,
  type ChangeRequest,
  type ChangeStatus,
  type ChangeType,
  type PreStartupCheck,
  type RiskRating,
  type VerifiedCheck,
} from '../entities';
import { approvalsOfChange, insertApproval } from '../store/approvals';
import { changeById, insertChangeRequest, insertChangeTransition, insertStartupAuthorization, lockChangeRequest, saveChangeRequest, submissionsOfChange, temporaryChangesDue } from '../store/changes';
import { checkById, checksOfChange, checksOfChangeInOrder, insertCheck, lockCheck, nextCheckSeq } from '../store/checks';
import { insertTask, nextTaskSeq, tasksOfChange, tasksOfChangeInOrder } from '../store/tasks';
import { knownLocationsOfSites, trackedWorkOfRequest, trackedWorkOfRequests } from '../store/tracked-work';
import { canSee, changeNumber, lockChange, workStatusAsOf, type ChangeContext } from './context';
import { APPROVER_PERMISSION, CHANGE_PERMISSIONS, hasPermission, requirePermission } from './permissions';
import { gateOpenWork, raiseCheck, raiseRestoreAction, raiseTask, releaseOnApproval, releaseOnEnd } from './work';

// ---------- input shapes (plain objects; GraphQL is only one way in) ----------

/** The proof a raised work item asks for, as the one validation of it takes it. */
type RequiredOutcomeInput = NonNullable<Parameters<typeof requiredOutcome>[0]>;

export interface ChangeTaskInput {
  title: string;
  description?: string | null;
  workType?: string | null;
  siteId?: string | null;
  areaId?: string | null;
  lineId?: string | null;
  assetId?: string | null;
  ownerId?: string | null;
  dueAt?: Date | string | null;
  /** What "done" means and the evidence its work item asks for; default: see implementationProof. */
  requiredOutcome?: RequiredOutcomeInput | null;
}

export interface PreStartupCheckInput {
  title: string;
  whatChanged: string;
  documentIds?: string[] | null;
  permitRequired: boolean;
  permitNote?: string | null;
  confirmations: string[];
  siteId?: string | null;
  areaId?: string | null;
  lineId?: string | null;
  assetId?: string | null;
  ownerId?: string | null;
}

export interface CreateChangeRequestInput {
  title: string;
  description: string;
  type: ChangeType;
  reason: string;
  siteIds: string[];
  areaIds?: string[] | null;
  lineIds?: string[] | null;
  assetIds?: string[] | null;
  documentIds?: string[] | null;
  riskAssessment: string;
  riskRating: RiskRating;
  endDate?: Date | string | null;
  ownerId?: string | null;
  requiredApproverRoles: ApproverRole[];
  tasks?: ChangeTaskInput[] | null;
  preStartupChecks?: PreStartupCheckInput[] | null;
}

/** Work types a change may raise as implementation tasks (checks are always PRE_STARTUP_CHECK). */
const TASK_WORK_TYPES = ['MAINTENANCE', 'PRODUCTION_ACTION', 'INSPECTION', 'CLEANING', 'LOGISTICS', 'PUNCH_ITEM', 'CONTRACTOR_JOB', 'DOCUMENT_REVIEW', 'OTHER'] as const;
const MAX_ITEMS = 50;

/** Who may approve for which role (administrators may stand in for any): from the permission table. */
export const APPROVER_SYSTEM_ROLES = Object.fromEntries(APPROVER_ROLES.map((r) => [r, CHANGE_PERMISSIONS[APPROVER_PERMISSION[r]]])) as Record<ApproverRole, Role[]>;

// ---------- validation ----------

interface Scope {
  siteIds: string[];
  assetIds: string[];
}

function placeOf(input: { siteId?: string | null; areaId?: string | null; lineId?: string | null; assetId?: string | null }, scope: Scope, field: string) {
  const siteId = optionalUuid(input.siteId, `${field}.siteId`) ?? scope.siteIds[0];
  if (!scope.siteIds.includes(siteId)) throw badInput(`${field}.siteId must be one of the change's sites`, { field: `${field}.siteId` });
  const assetId = optionalUuid(input.assetId, `${field}.assetId`) ?? null;
  if (assetId && scope.assetIds.length && !scope.assetIds.includes(assetId)) {
    throw badInput(`${field}.assetId must be one of the change's assets`, { field: `${field}.assetId` });
  }
  return { siteId, areaId: optionalUuid(input.areaId, `${field}.areaId`) ?? null, lineId: optionalUuid(input.lineId, `${field}.lineId`) ?? null, assetId };
}

/**
 * The proof an implementation task asks for. A task a change raised is never closable with nothing: by
 * default the performer signs that it was implemented as approved, and a given outcome names some evidence.
 */
function implementationProof(input: RequiredOutcomeInput | null | undefined, title: string, field: string): RequiredOutcomeV1 {
  const outcome = requiredOutcome(input, { acceptanceCriteria: `${title}: implemented as the approved change describes`, evidence: [{ kind: 'SIGNATURE', label: 'Implemented as approved' }] }, field);
  if (!outcome.evidence.length) throw badInput(`${field}.evidence: an implementation task needs some proof (a signature, photo, measurement, document or checklist)`, { field: `${field}.evidence` });
  return outcome;
}

function taskFields(input: ChangeTaskInput, scope: Scope, field: string) {
  const title = requireText(input.title, `${field}.title`, { max: 300 });
  return {
    title,
    description: optionalText(input.description, `${field}.description`, 10_000),
    workType: input.workType ? oneOf(TASK_WORK_TYPES, input.workType, `${field}.workType`) : 'MAINTENANCE',
    ...placeOf(input, scope, field),
    ownerId: optionalUuid(input.ownerId, `${field}.ownerId`) ?? null,
    dueAt: optionalDate(input.dueAt, `${field}.dueAt`),
    requiredOutcome: implementationProof(input.requiredOutcome, title, `${field}.requiredOutcome`),
  };
}

function checkFields(input: PreStartupCheckInput, scope: Scope, field: string) {
  if (typeof input.permitRequired !== 'boolean') throw badInput(`${field}.permitRequired must be true or false`, { field: `${field}.permitRequired` });
  const confirmations = textList(input.confirmations, `${field}.confirmations`, { max: 30 });
  if (!confirmations.length) throw badInput(`${field}.confirmations: name at least one thing to confirm before production resumes`, { field: `${field}.confirmations` });
  return {
    title: requireText(input.title, `${field}.title`, { max: 300 }),
    whatChanged: requireText(input.whatChanged, `${field}.whatChanged`, { max: 4000 }),
    documentIds: uuidList(input.documentIds, `${field}.documentIds`, 20),
    permitRequired: input.permitRequired,
    permitNote: optionalText(input.permitNote, `${field}.permitNote`, 1000),
    confirmations,
    ...placeOf(input, scope, field),
    ownerId: optionalUuid(input.ownerId, `${field}.ownerId`) ?? null,
  };
}

function changeFields(caller: Caller, input: CreateChangeRequestInput, now: Date) {
  const type = oneOf(CHANGE_TYPES, input.type, 'type');
  const siteIds = uuidList(input.siteIds, 'siteIds', 20);
  if (!siteIds.length) throw badInput('siteIds: a change applies to at least one site', { field: 'siteIds' });
  // A site the caller does not work at is refused before any read, with the answer a random or not yet known site gets.
  for (const site of siteIds) if (!inSiteScope(caller, site)) throw unknownLocation('SITE', site, 'siteIds');
  const endDate = optionalDate(input.endDate, 'endDate');
  if (type === 'TEMPORARY' && !endDate) throw badInput('a temporary change needs its end date', { field: 'endDate' });
  if (type !== 'TEMPORARY' && endDate) throw badInput('only a temporary change has an end date', { field: 'endDate' });
  if (endDate && endDate <= now) throw badInput('endDate must be in the future', { field: 'endDate' });
  const roles = [...new Set((input.requiredApproverRoles ?? []).map((r, i) => oneOf(APPROVER_ROLES, r, `requiredApproverRoles[${i}]`)))];
  if (!roles.length) throw badInput('requiredApproverRoles: a change needs at least one approver role', { field: 'requiredApproverRoles' });
  const fields = {
    title: requireText(input.title, 'title', { max: 300 }),
    description: requireText(input.description, 'description', { max: 10_000 }),
    type,
    reason: requireText(input.reason, 'reason', { max: 4000 }),
    siteIds,
    areaIds: uuidList(input.areaIds, 'areaIds'),
    lineIds: uuidList(input.lineIds, 'lineIds'),
    assetIds: uuidList(input.assetIds, 'assetIds'),
    documentIds: uuidList(input.documentIds, 'documentIds'),
    riskAssessment: requireText(input.riskAssessment, 'riskAssessment', { max: 10_000 }),
    riskRating: oneOf(RISK_RATINGS, input.riskRating, 'riskRating'),
    endDate,
    ownerId: optionalUuid(input.ownerId, 'ownerId') ?? caller.id,
    requiredApproverRoles: roles,
  };
  if ((input.tasks?.length ?? 0) > MAX_ITEMS || (input.preStartupChecks?.length ?? 0) > MAX_ITEMS) throw badInput(`at most ${MAX_ITEMS} tasks and ${MAX_ITEMS} checks`);
  const tasks = (input.tasks ?? []).map((t, i) => taskFields(t, fields, `tasks[${i}]`));
  const checks = (input.preStartupChecks ?? []).map((c, i) => checkFields(c, fields, `preStartupChecks[${i}]`));
  return { fields, tasks, checks };
}

// ---------- places, against the copy of Work's registry ----------

/**
 * Checks locations of one kind against the copy of Work's registry, as the caller (row-level security shows a
 * request only its sites' locations): each must be known and of one of the change's sites, else "not found",
 * exactly as a random id (or one registered in Work a moment ago and not replicated yet) is.
 */
async function requireOfSites(manager: EntityManager, siteIds: string[], kind: LocationKind, ids: string[], field: string) {
  if (!ids.length) return;
  const rows = await knownLocationsOfSites(manager, ids, kind, siteIds);
  const known = new Set(rows.map((r) => r.id));
  const missing = ids.find((id) => !known.has(id));
  if (missing) throw unknownLocation(kind, missing, field);
}

/** A change's scope: its sites, and areas, lines and assets each of one of its sites, all known and in the caller's scope. */
async function requireScopeKnown(manager: EntityManager, scope: Pick<ChangeRequest, 'siteIds' | 'areaIds' | 'lineIds' | 'assetIds'>) {
  await requireOfSites(manager, scope.siteIds, 'SITE', scope.siteIds, 'siteIds');
  await requireOfSites(manager, scope.siteIds, 'AREA', scope.areaIds, 'areaIds');
  await requireOfSites(manager, scope.siteIds, 'LINE', scope.lineIds, 'lineIds');
  await requireOfSites(manager, scope.siteIds, 'ASSET', scope.assetIds, 'assetIds');
}

/** The place of a task or check (its site is one of the change's already): known, of that site, hanging together. */
const requireItemPlace = (manager: EntityManager, place: ReturnType<typeof placeOf>, field: string) =>
  requirePlace(manager, place, { siteId: `${field}.siteId`, areaId: `${field}.areaId`, lineId: `${field}.lineId`, assetId: `${field}.assetId` });

// ---------- shared mechanics ----------

async function transition(ctx: ChangeContext, change: ChangeRequest, to: ChangeStatus, note: string | null = null) {
  const from = change.status;
  change.status = to;
  await saveChangeRequest(ctx.manager, change);
  await insertChangeTransition(ctx.manager, { changeId: change.id, fromStatus: from, toStatus: to, actorId: ctx.caller.id, at: new Date(), note });
  await recordEvent(ctx.manager, { domain: 'change', type: 'change_request.status_changed', subject: change.id, data: { ...factOf(change), from, actorId: ctx.caller.id, note }, requestId: ctx.requestId });
}

/** What every change fact carries: ids, type, state and scope; no names or free personal data. */
export function factOf(change: ChangeRequest) {
  return {
    changeId: change.id,
    number: changeNumber(change),
    changeType: change.type,
    status: change.status,
    riskRating: change.riskRating,
    siteIds: change.siteIds,
    areaIds: change.areaIds,
    lineIds: change.lineIds,
    assetIds: change.assetIds,
    documentIds: change.documentIds,
    endDate: change.endDate?.toISOString() ?? null,
  };
}

async function inChange<T>(db: EntityManager, caller: Caller, id: string, requestId: string | undefined, change: (ctx: ChangeContext, record: ChangeRequest) => Promise<T>): Promise<T> {
  const changeId = requireUuid(id);
  return db.transaction(async (manager) => {
    const ctx = { manager, caller, requestId };
    return change(ctx, await lockChange(ctx, changeId));
  });
}

/**
 * The change's requester or owner, holding a role that may propose changes: someone named owner whose role
 * changes nothing (read-only, auditor, contractor) does not steer it either.
 */
const isRequesterOrOwner = (caller: Caller, change: ChangeRequest) =>
  (caller.id === change.requesterId || caller.id === change.ownerId) && hasPermission(caller, 'proposeChange');

const stewardsOnly = (action: string) => forbidden(`only the change's requester, its owner or a supervisor may ${action}`);

/** The requester, the owner, or a supervisor (administrators always) may steer a change through its lifecycle. */
function requireSteward(caller: Caller, change: ChangeRequest, action: string) {
  if (!isRequesterOrOwner(caller, change) && !hasPermission(caller, 'steerChange')) throw stewardsOnly(action);
}

/**
 * Refuses, before the change is looked up, a caller whose roles steer no change at all, not even as its
 * requester or owner (read-only, auditor, contractor): FORBIDDEN whatever the id, so it tells nothing about
 * the change. (A contractor, who sees only the changes behind their company's jobs, would otherwise be told
 * "not found" for the others.)
 */
function requireMaySteerSome(caller: Caller, action: string) {
  if (!hasPermission(caller, 'steerChange') && !hasPermission(caller, 'proposeChange')) throw stewardsOnly(action);
}

const submittersOnly = () => forbidden("only the change's requester or owner may submit it");

function requireStatus(change: ChangeRequest, allowed: ChangeStatus[], action: string) {
  if (!allowed.includes(change.status)) throw illegalTransition('change request', change.status, action);
}

async function addTaskIn(ctx: ChangeContext, change: ChangeRequest, fields: ReturnType<typeof taskFields>) {
  const seq = await nextTaskSeq(ctx.manager, change.id);
  const task = await insertTask(ctx.manager, { ...fields, changeId: change.id, seq, requestId: `change:${change.id}:task:${seq}`, createdById: ctx.caller.id });
  await raiseTask(ctx, change, task);
  return task;
}

async function addCheckIn(ctx: ChangeContext, change: ChangeRequest, fields: ReturnType<typeof checkFields>) {
  const seq = await nextCheckSeq(ctx.manager, change.id);
  const check = await insertCheck(ctx.manager, { ...fields, changeId: change.id, seq, attempt: 0, requestId: null, raisedAt: null, createdById: ctx.caller.id });
  if (change.status === 'PRE_STARTUP_REVIEW') await raiseCheck(ctx, change, check);
  return check;
}

// ---------- operations ----------

export async function createChangeRequest(db: EntityManager, caller: Caller, input: CreateChangeRequestInput, requestId?: string, now = new Date()): Promise<ChangeRequest> {
  requirePermission(caller, 'proposeChange');
  const { fields, tasks, checks } = changeFields(caller, input, now); // refuse bad input before the transaction
  return db.transaction(async (manager) => {
    const ctx = { manager, caller, requestId };
    // Every place it names is checked before anything is written (the change's number included).
    await requireScopeKnown(manager, fields);
    for (const [i, task] of tasks.entries()) await requireItemPlace(manager, task, `tasks[${i}]`);
    for (const [i, check] of checks.entries()) await requireItemPlace(manager, check, `preStartupChecks[${i}]`);
    const change = await insertChangeRequest(manager, { ...fields, status: 'DRAFT', requesterId: caller.id });
    await insertChangeTransition(manager, { changeId: change.id, fromStatus: null, toStatus: 'DRAFT', actorId: caller.id, at: new Date(), note: null });
    await recordEvent(manager, { domain: 'change', type: 'change_request.created', subject: change.id, data: { ...factOf(change), actorId: change.requesterId, ownerId: change.ownerId, requiredApproverRoles: change.requiredApproverRoles }, requestId });
    for (const task of tasks) await addTaskIn(ctx, change, task);
    for (const check of checks) await addCheckIn(ctx, change, check);
    return change;
  });
}

export function submitChangeRequest(db: EntityManager, caller: Caller, id: string, requestId?: string) {
  // Roles that submit no change, not even their own, are refused before the lookup (see requireMaySteerSome).
  if (!hasPermission(caller, 'proposeChange') && !hasPermission(caller, 'submitChange')) throw submittersOnly();
  return inChange(db, caller, id, requestId, async (ctx, change) => {
    if (!isRequesterOrOwner(caller, change) && !hasPermission(caller, 'submitChange')) throw submittersOnly();
    requireStatus(change, ['DRAFT'], 'submit');
    change.submittedAt = new Date();
    await transition(ctx, change, 'SUBMITTED');
    await gateOpenWork(ctx, change);
    return change;
  });
}

export function startChangeReview(db: EntityManager, caller: Caller, id: string, requestId?: string) {
  requirePermission(caller, 'startReview');
  return inChange(db, caller, id, requestId, async (ctx, change) => {
    requireStatus(change, ['SUBMITTED'], 'start the review of');
    await transition(ctx, change, 'IN_REVIEW');
    return change;
  });
}

/**
 * Everyone who took part in a change: its requester and owner, whoever submitted it (from its history) and
 * whoever added its implementation tasks or pre-startup checks.
 */
async function participantsOf(ctx: ChangeContext, change: ChangeRequest): Promise<Set<string>> {
  const { manager } = ctx;
  const submitted = await submissionsOfChange(manager, change.id);
  const tasks = await tasksOfChange(manager, change.id);
  const checks = await checksOfChange(manager, change.id);
  return new Set([change.requesterId, change.ownerId, ...submitted.map((t) => t.actorId), ...tasks.map((t) => t.createdById), ...checks.map((c) => c.createdById)]);
}

/**
 * Approval is a check by someone else: a participant may approve for one role, but at least one of the
 * approvals that complete a change must come from someone who had no part in it.
 */
async function requireIndependentApprover(ctx: ChangeContext, change: ChangeRequest, approverIds: string[]) {
  const approvers = new Set(approverIds);
  const participants = await participantsOf(ctx, change);
  if (![...approvers].every((id) => participants.has(id))) return;
  const message =
    approvers.size === 1 && approvers.has(change.requesterId)
      ? "a change's requester cannot be its only approver"
      : `the people who took part in ${changeNumber(change)} (its requester, owner, submitter, authors of its tasks and checks) cannot be its only approvers: someone else must approve one of its roles`;
  throw new DomainError(ErrorCode.SEPARATION_OF_DUTIES, message, { changeId: change.id });
}

/** Records one role's decision; all required roles approved → APPROVED, any rejection → REJECTED. */
export function decideChangeApproval(db: EntityManager, caller: Caller, id: string, role: ApproverRole, approve: boolean, comment?: string | null, requestId?: string) {
  const approverRole = oneOf(APPROVER_ROLES, role, 'role');
  requirePermission(caller, APPROVER_PERMISSION[approverRole]);
  const text = approve ? optionalText(comment, 'comment', 4000) : requireText(comment, 'comment', { max: 4000 });
  return inChange(db, caller, id, requestId, async (ctx, change) => {
    requireStatus(change, ['IN_REVIEW'], approve ? 'approve' : 'reject');
    if (!change.requiredApproverRoles.includes(approverRole)) {
      throw badInput(`${approverRole} is not a required approver of ${changeNumber(change)} (required: ${change.requiredApproverRoles.join(', ')})`, { field: 'role' });
    }
    const approvals = await approvalsOfChange(ctx.manager, change.id);
    if (approvals.some((a) => a.role === approverRole)) throw new DomainError(ErrorCode.CONFLICT, `${approverRole} has already decided on ${changeNumber(change)}`);
    if (approvals.some((a) => a.approverId === caller.id)) {
      throw new DomainError(ErrorCode.SEPARATION_OF_DUTIES, 'one person approves a change for one role only: another person must decide for this role');
    }
    const decision = approve ? 'APPROVED' : 'REJECTED';
    const complete = approve && change.requiredApproverRoles.every((r) => r === approverRole || approvals.some((a) => a.role === r));
    if (complete) await requireIndependentApprover(ctx, change, [...approvals.map((a) => a.approverId), caller.id]);
    await insertApproval(ctx.manager, { changeId: change.id, role: approverRole, approverId: caller.id, decision, comment: text, at: new Date() });
    await recordEvent(ctx.manager, { domain: 'change', type: 'change_request.approval_recorded', subject: change.id, data: { ...factOf(change), role: approverRole, decision, actorId: caller.id }, requestId });
    if (!approve) {
      change.endReason = `${approverRole} rejected: ${text}`;
      await transition(ctx, change, 'REJECTED', text);
      await releaseOnEnd(ctx, change);
    } else if (complete) {
      change.approvedAt = new Date();
      await transition(ctx, change, 'APPROVED', 'every required role approved');
      await releaseOnApproval(ctx, change);
    }
    return change;
  });
}

export function startChangeImplementation(db: EntityManager, caller: Caller, id: string, requestId?: string) {
  requireMaySteerSome(caller, 'start implementing it');
  return inChange(db, caller, id, requestId, async (ctx, change) => {
    requireSteward(caller, change, 'start implementing it');
    requireStatus(change, ['APPROVED'], 'start implementing');
    await transition(ctx, change, 'IMPLEMENTING');
    return change;
  });
}

/** Work of the change (by request id) that is not verified done, with its live status. */
async function unfinished<T extends { requestId: string | null }>(manager: EntityManager, records: T[], acceptCancelled: boolean) {
  const ids = records.map((r) => r.requestId).filter((r): r is string => !!r);
  const tracked = ids.length ? await trackedWorkOfRequests(manager, ids) : [];
  const byRequest = new Map(tracked.map((t) => [t.requestId, t]));
  return records
    .map((record) => ({ record, tracked: record.requestId ? byRequest.get(record.requestId) : undefined }))
    .filter(({ tracked }) => !(tracked?.status === 'DONE' || (acceptCancelled && tracked?.status === 'CANCELLED')));
}

export function startPreStartupReview(db: EntityManager, caller: Caller, id: string, requestId?: string) {
  requireMaySteerSome(caller, 'start its pre-startup review');
  return inChange(db, caller, id, requestId, async (ctx, change) => {
    requireSteward(caller, change, 'start its pre-startup review');
    requireStatus(change, ['IMPLEMENTING'], 'start the pre-startup review of');
    const checks = await checksOfChangeInOrder(ctx.manager, change.id);
    if (!checks.length) {
      throw new DomainError(ErrorCode.ILLEGAL_TRANSITION, `cannot start the pre-startup review of ${changeNumber(change)} without checks: add at least one`, { from: change.status, action: 'start the pre-startup review of' });
    }
    // Cancelled implementation work was dropped on purpose; anything else must be verified done first.
    const open = await unfinished(ctx.manager, await tasksOfChangeInOrder(ctx.manager, change.id), true);
    if (open.length) {
      throw new DomainError(ErrorCode.PREREQUISITES_OPEN, `cannot start the pre-startup review: ${open.length} implementation task(s) not verified done: ${listOpen(open)}`, {
        tasks: open.map(openDetail),
      });
    }
    await transition(ctx, change, 'PRE_STARTUP_REVIEW');
    for (const check of checks) if (!check.requestId) await raiseCheck(ctx, change, check);
    return change;
  });
}

/**
 * Open work in a refusal: title and where its work item stood as of Work's last event here (the copy lags Work,
 * so never as if current).
 */
const listOpen = (open: { record: { title: string }; tracked?: TrackedWorkItem }[]) => open.map((o) => `"${o.record.title}" (${workStatusAsOf(o.tracked)})`).join('; ');
const openDetail = (o: { record: { id: string; title: string }; tracked?: TrackedWorkItem }) => ({
  id: o.record.id,
  title: o.record.title,
  workItemId: o.tracked?.workItemId ?? null,
  workStatus: requestedWorkStatus(o.tracked),
  asOf: o.tracked?.lastEventAt.toISOString() ?? null,
});

const refuseOpenChecks = (change: ChangeRequest, action: string, open: Awaited<ReturnType<typeof unfinished<PreStartupCheck>>>) =>
  new DomainError(ErrorCode.PREREQUISITES_OPEN, `cannot ${action} ${changeNumber(change)}: ${open.length} pre-startup check(s) not verified done: ${listOpen(open)}`, { checks: open.map(openDetail) });

/** Who may authorize start-up, in the words the restart answer and the refusals use. */
export const STARTUP_AUTHORIZERS = "an engineering or operations lead (a supervisor or verifier), not the change's requester or owner";

/**
 * STARTUP_AUTHORIZED → CLOSED: the change's close-out after production resumed. Start-up is authorized first
 * (`authorizeStartup`); in the pre-startup review, open checks are refused as before.
 */
export function closeChangeRequest(db: EntityManager, caller: Caller, id: string, note?: string | null, requestId?: string) {
  const text = optionalText(note, 'note', 4000);
  requireMaySteerSome(caller, 'close it');
  return inChange(db, caller, id, requestId, async (ctx, change) => {
    requireSteward(caller, change, 'close it');
    if (change.status === 'PRE_STARTUP_REVIEW') {
      const open = await unfinished(ctx.manager, await checksOfChangeInOrder(ctx.manager, change.id), false);
      if (open.length) throw refuseOpenChecks(change, 'close', open);
      throw new DomainError(ErrorCode.ILLEGAL_TRANSITION, `cannot close ${changeNumber(change)} before its start-up is authorized (authorizeStartup, by ${STARTUP_AUTHORIZERS})`, { from: change.status, action: 'close' });
    }
    requireStatus(change, ['STARTUP_AUTHORIZED'], 'close');
    change.closedAt = new Date();
    await transition(ctx, change, 'CLOSED', text ?? 'closed out after start-up');
    return change;
  });
}

/**
 * PRE_STARTUP_REVIEW → STARTUP_AUTHORIZED: an accountable person releases production in the change's scope
 * once every pre-startup check is verified done in Work. Its own role (`authorizeStartup`), never the change's
 * requester or owner (they drove the change; the release is someone else's judgement), and recorded with the
 * verified checks it rests on.
 */
export function authorizeStartup(db: EntityManager, caller: Caller, id: string, note: string, expectedVersion?: number | null, requestId?: string) {
  requirePermission(caller, 'authorizeStartup');
  const text = requireText(note, 'note', { max: 4000 });
  if (expectedVersion !== undefined && expectedVersion !== null && (!Number.isInteger(expectedVersion) || expectedVersion < 1)) {
    throw badInput('expectedVersion must be a positive whole number', { field: 'expectedVersion' });
  }
  return inChange(db, caller, id, requestId, async (ctx, change) => {
    if (expectedVersion !== undefined && expectedVersion !== null && change.version !== expectedVersion) {
      throw new DomainError(ErrorCode.CONFLICT, `${changeNumber(change)} was changed by someone else (now version ${change.version}, you had ${expectedVersion}); reload and try again`, { currentVersion: change.version, expectedVersion });
    }
    requireStatus(change, ['PRE_STARTUP_REVIEW'], 'authorize start-up of');
    if (caller.id === change.requesterId || caller.id === change.ownerId) {
      throw new DomainError(ErrorCode.SEPARATION_OF_DUTIES, `start-up after ${changeNumber(change)} is authorized by ${STARTUP_AUTHORIZERS}`, { changeId: change.id });
    }
    const checks = await checksOfChangeInOrder(ctx.manager, change.id);
    const open = await unfinished(ctx.manager, checks, false);
    if (open.length) throw refuseOpenChecks(change, 'authorize start-up after', open);
    const tracked = await trackedWorkOfRequests(ctx.manager, checks.map((c) => c.requestId!));
    const verifiedChecks: VerifiedCheck[] = checks.map((check) => {
      const work = tracked.find((t) => t.requestId === check.requestId)!;
      return { checkId: check.id, title: check.title, workItemId: work.workItemId, workItemNumber: work.number, verifiedAt: work.verifiedAt?.toISOString() ?? null, verifierId: work.verifierId };
    });
    const authorizedAt = new Date();
    await insertStartupAuthorization(ctx.manager, { changeId: change.id, authorizedById: caller.id, authorizedAt, note: text, verifiedChecks });
    await transition(ctx, change, 'STARTUP_AUTHORIZED', text);
    await recordEvent(ctx.manager, {
      domain: 'change',
      type: 'change_request.startup_authorized',
      subject: change.id,
      data: { ...factOf(change), actorId: caller.id, authorizedAt: authorizedAt.toISOString(), verifiedChecks },
      requestId,
    });
    return change;
  });
}

export function cancelChangeRequest(db: EntityManager, caller: Caller, id: string, reason: string, requestId?: string) {
  const why = requireText(reason, 'reason', { max: 4000 });
  requireMaySteerSome(caller, 'cancel it');
  return inChange(db, caller, id, requestId, async (ctx, change) => {
    requireSteward(caller, change, 'cancel it');
    // Once the plant is being changed, the way back is finishing or restoring it, not cancelling the record.
    requireStatus(change, ['DRAFT', ...PENDING_APPROVAL, 'APPROVED'], 'cancel');
    change.endReason = why;
    await transition(ctx, change, 'CANCELLED', why);
    await releaseOnEnd(ctx, change);
    return change;
  });
}

export function addChangeTask(db: EntityManager, caller: Caller, changeId: string, input: ChangeTaskInput, requestId?: string) {
  requireMaySteerSome(caller, 'add implementation tasks');
  return inChange(db, caller, changeId, requestId, async (ctx, change) => {
    requireSteward(caller, change, 'add implementation tasks');
    requireStatus(change, ['DRAFT', ...PENDING_APPROVAL, 'APPROVED', 'IMPLEMENTING'], 'add an implementation task to');
    const fields = taskFields(input, change, 'input');
    await requireItemPlace(ctx.manager, fields, 'input');
    return addTaskIn(ctx, change, fields);
  });
}

export function addPreStartupCheck(db: EntityManager, caller: Caller, changeId: string, input: PreStartupCheckInput, requestId?: string) {
  requireMaySteerSome(caller, 'add pre-startup checks');
  return inChange(db, caller, changeId, requestId, async (ctx, change) => {
    requireSteward(caller, change, 'add pre-startup checks');
    // Once start-up is authorized the review is over: a check added now would never hold the restart.
    if ([...FINISHED, 'STARTUP_AUTHORIZED'].includes(change.status)) throw illegalTransition('change request', change.status, 'add a pre-startup check to');
    const fields = checkFields(input, change, 'input');
    await requireItemPlace(ctx.manager, fields, 'input');
    return addCheckIn(ctx, change, fields);
  });
}

export async function reraisePreStartupCheck(db: EntityManager, caller: Caller, id: string, reason: string, requestId?: string) {
  requireMaySteerSome(caller, 'raise a check again');
  const checkId = requireUuid(id);
  const why = requireText(reason, 'reason', { max: 2000 });
  const found = await checkById(db, checkId);
  const owner = found && (await changeById(db, found.changeId));
  // Out of scope is the check "not found": an error naming its change would give the change away.
  if (!found || !owner || !canSee(caller, owner)) throw notFoundCheck(checkId);
  return inChange(db, caller, found.changeId, requestId, async (ctx, change) => {
    requireSteward(caller, change, 'raise a check again');
    requireStatus(change, ['PRE_STARTUP_REVIEW'], 'raise a pre-startup check again for');
    const check = (await lockCheck(ctx.manager, checkId))!;
    const tracked = check.requestId ? await trackedWorkOfRequest(ctx.manager, check.requestId) : null;
    if (tracked?.status !== 'CANCELLED') {
      throw new DomainError(ErrorCode.ILLEGAL_TRANSITION, `only a check whose work item was cancelled is raised again; this one's: ${workStatusAsOf(tracked)}`, { from: requestedWorkStatus(tracked), asOf: tracked?.lastEventAt.toISOString() ?? null, action: 'raise again' });
    }
    await insertChangeTransition(ctx.manager, { changeId: change.id, fromStatus: change.status, toStatus: change.status, actorId: caller.id, at: new Date(), note: `check "${check.title}" raised again: ${why}` });
    await raiseCheck(ctx, change, check);
    return check;
  });
}

const notFoundCheck = (id: string) => new DomainError(ErrorCode.NOT_FOUND, `pre-startup check ${id} not found`, { id });

/**
 * Scheduled rule: a temporary change in place (implementing, in review, or closed) whose end date has
 * passed raises, once, an action to restore the plant or make the change permanent.
 */
export async function reviewTemporaryChanges(db: EntityManager, now: Date = new Date()): Promise<ChangeRequest[]> {
  const due = await temporaryChangesDue(db, now);
  const raised: ChangeRequest[] = [];
  for (const candidate of due) {
    const change = await db.transaction(async (manager) => {
      const ctx: ChangeContext = { manager, caller: SYSTEM_CALLER };
      const locked = await lockChangeRequest(manager, candidate.id);
      if (!locked || locked.restoreRequestId) return null; // another replica was first
      await raiseRestoreAction(ctx, locked, now);
      await recordEvent(manager, { domain: 'change', type: 'change_request.temporary_expired', subject: locked.id, data: { ...factOf(locked), actorId: SYSTEM_CALLER.id, restoreRequestId: locked.restoreRequestId } });
      return locked;
    });
    if (change) raised.push(change);
  }
  return raised;
}
