import {
  DomainError,
  ErrorCode,
  badInput,
  decodeCursor,
  encodeCursor,
  forbidden,
  illegalTransition,
  inSiteScope,
  notFound,
  oneOf,
  optionalDate,
  optionalText,
  optionalUuid,
  pageSize,
  requestedWorkStatus,
  requireDate,
  requireText,
  requireUuid,
  textList,
  toConnection,
  uuidList,
  type Caller,
  type Connection,
  type TrackedWorkItem,
  hasRole,
  requireNoPart,
  requirePlace,
  unknownLocation,
} from '@opsgraph/core';
import {
  ACTION_KINDS,
  INCIDENT_SEVERITIES,
  INCIDENT_STATUSES,
  INCIDENT_TYPES,
  incidentActionRequestId,
  type IncidentSeverity,
  type IncidentStatus,
  type IncidentType,
} from '@opsgraph/events';
import { effectivenessDays, requiredOutcome, type RequiredOutcomeV1 } from '@opsgraph/events';
import type { EntityManager } from 'typeorm';
import type { Incident, IncidentAction } from '../entities';
import {
  actionsOfIncident,
  countActionsOfIncident,
  incidentById,
  incidentBySerial,
  incidentsPage,
  insertIncident,
  insertIncidentAction,
  lockIncident,
  saveIncident,
  type IncidentConditions,
} from '../store/incidents';
import { participantsOfWork, trackedWorkOfRequests } from '../store/tracked-work';
import { emit, type ChangeContext } from './common';
import { noteHistory, reopenLockedIncident, scheduleEffectivenessCheck } from './effectiveness';
import { classificationFact, incidentFact, incidentNumber } from './facts';
import { holdAssetWork } from './holds';
import { injuries as injuryList, rootCauseCategories, whys as whyList, witnesses as witnessList, type InjuryInput } from './recordability';
import { canSeeIncident, hasPermission, requirePermission } from './permissions';

/**
 * Incidents: REPORTED → INVESTIGATING → INVESTIGATED → CLOSED. Corrective and preventive actions are work
 * items Work creates from our requests (type CORRECTIVE_ACTION, the incident as source); the incident
 * closes only when every action's work is verified done. Work cancelled by a supervisor (with its reason
 * on record in Work) counts as a withdrawn action, not as an open one.
 *
 * The hold rule: an incident of severity HIGH or CRITICAL reported on an asset asks Work to put all open,
 * ready and in-progress work on that asset on hold, with the incident as the reason.
 */
export const HOLD_SEVERITIES: IncidentSeverity[] = ['HIGH', 'CRITICAL'];
/** Clocks differ: an occurrence time up to this far ahead of ours is accepted. */
const CLOCK_SKEW_MS = 5 * 60_000;

export interface ReportIncidentInput {
  type: IncidentType;
  severity: IncidentSeverity;
  occurredAt: Date | string;
  siteId: string;
  areaId?: string | null;
  assetId?: string | null;
  title: string;
  description: string;
  peopleInvolvedIds?: string[] | null;
  potentialSeverity?: IncidentSeverity | null;
  injuries?: InjuryInput[] | null;
  witnesses?: { personId: string; statement?: string | null }[] | null;
}

/** The classification regulators and HSE ask for; each list given replaces the one recorded. */
export interface IncidentDetailsInput {
  potentialSeverity?: IncidentSeverity | null;
  injuries?: InjuryInput[] | null;
  witnesses?: { personId: string; statement?: string | null }[] | null;
}

export interface ActionInput {
  kind: string;
  title: string;
  description?: string | null;
  ownerId: string;
  dueAt?: Date | string | null;
  areaId?: string | null;
  assetId?: string | null;
  /** What "done" means and the evidence its work item asks for; default: see actionProof. */
  requiredOutcome?: Parameters<typeof requiredOutcome>[0];
}

export interface IncidentFilter {
  siteId?: string | null;
  areaId?: string | null;
  assetId?: string | null;
  status?: IncidentStatus[] | null;
  severity?: IncidentSeverity[] | null;
  type?: IncidentType[] | null;
}

export { incidentFact, incidentNumber };

/** Who may see the people involved: HSE, supervisors, administrators, the investigator and the reporter. */
export function mayKnowPeopleInvolved(caller: Caller, incident: Incident) {
  return hasPermission(caller, 'seePeopleInvolved') || caller.id === incident.investigatorId || caller.id === incident.reporterId;
}

/** The potential severity is the worst credible outcome: never below what happened. */
function potentialSeverity(value: string | null | undefined, actual: IncidentSeverity): IncidentSeverity | null {
  if (value === null || value === undefined) return null;
  const potential = oneOf(INCIDENT_SEVERITIES, value, 'potentialSeverity');
  if (INCIDENT_SEVERITIES.indexOf(potential) < INCIDENT_SEVERITIES.indexOf(actual)) {
    throw badInput(`potentialSeverity (the worst credible outcome) cannot be below the actual severity ${actual}`, { field: 'potentialSeverity' });
  }
  return potential;
}

export async function reportIncident(db: EntityManager, caller: Caller, input: ReportIncidentInput, requestId?: string): Promise<Incident> {
  requirePermission(caller, 'reportIncident');
  const occurredAt = requireDate(input.occurredAt, 'occurredAt');
  if (occurredAt.getTime() > Date.now() + CLOCK_SKEW_MS) throw badInput('occurredAt is in the future', { field: 'occurredAt' });
  const severity = oneOf(INCIDENT_SEVERITIES, input.severity, 'severity');
  const fields = {
    type: oneOf(INCIDENT_TYPES, input.type, 'type'),
    severity,
    potentialSeverity: potentialSeverity(input.potentialSeverity, severity),
    injuries: injuryList(input.injuries),
    witnesses: witnessList(input.witnesses),
    occurredAt,
    siteId: requireUuid(input.siteId, 'siteId'),
    areaId: optionalUuid(input.areaId, 'areaId') ?? null,
    assetId: optionalUuid(input.assetId, 'assetId') ?? null,
    title: requireText(input.title, 'title', { max: 300 }),
    description: requireText(input.description, 'description', { max: 10_000 }),
    peopleInvolvedIds: uuidList(input.peopleInvolvedIds, 'peopleInvolvedIds', 50),
  };
  // Another site's site is refused before any read, with the answer a random or not yet known site gets.
  if (!inSiteScope(caller, fields.siteId)) throw unknownLocation('SITE', fields.siteId, 'siteId');
  return db.transaction(async (manager) => {
    const ctx = { manager, caller, requestId };
    // The site, area and asset must be known from Work's registry, of the incident's site and in the caller's
    // scope: a serious incident holds the open work on its asset, never another site's (nor an unknown id's).
    await requirePlace(manager, fields);
    const hold = !!fields.assetId && HOLD_SEVERITIES.includes(fields.severity);
    const incident = await insertIncident(manager, { ...fields, status: 'REPORTED', reporterId: caller.id, holdRequestedAt: hold ? new Date() : null });
    if (hold) await holdAssetWork(ctx, incident);
    await noteHistory(ctx, incident, 'REPORTED', null);
    await emit(ctx, 'incident.reported', incident.id, incidentFact(incident, caller.id, { holdRequested: hold, ...classificationFact(incident) }));
    return incident;
  });
}

async function changeIncident(db: EntityManager, caller: Caller, id: string, requestId: string | undefined, change: (ctx: ChangeContext, incident: Incident) => Promise<void>) {
  const incidentId = requireUuid(id);
  return db.transaction(async (manager) => {
    const incident = await lockIncident(manager, incidentId);
    if (!incident || !canSeeIncident(caller, incident)) throw notFound('incident', incidentId);
    await change({ manager, caller, requestId }, incident);
    return incident;
  });
}

/** Nobody involved in an incident investigates it or signs off its investigation. */
function requireNotInvolved(incident: Incident, personId: string, action: string) {
  if (incident.peopleInvolvedIds.includes(personId)) {
    throw new DomainError(ErrorCode.SEPARATION_OF_DUTIES, `someone involved in ${incidentNumber(incident)} cannot ${action}`, { incidentId: incident.id, part: 'INVOLVED' });
  }
}

type ClosingPart = 'INVESTIGATOR' | 'INVOLVED' | 'ACTION_OWNER' | 'ACTION_PERFORMER';

const CLOSING_PART_WORDS: Record<ClosingPart, string> = {
  INVESTIGATOR: 'whoever investigated',
  INVOLVED: 'someone involved in',
  ACTION_OWNER: 'the owner of an action of',
  ACTION_PERFORMER: 'whoever started or completed an action of',
};

/**
 * Closing signs off the investigation and its actions: never by the investigator or whoever completed the
 * investigation, anyone involved, nor anyone who owns an action (as asked, or as Work last reported) or
 * started or completed one in Work. The reporter may close: reporting is not a part in what is checked.
 */
async function requireNoPartInIncident(ctx: ChangeContext, incident: Incident, actions: IncidentAction[], work: TrackedWorkItem[]) {
  const parts: { personId: string; part: ClosingPart }[] = [
    ...[incident.investigatorId, incident.investigationCompletedById].filter((id): id is string => !!id).map((personId) => ({ personId, part: 'INVESTIGATOR' as const })),
    ...incident.peopleInvolvedIds.map((personId) => ({ personId, part: 'INVOLVED' as const })),
    ...actions.map((a) => ({ personId: a.ownerId, part: 'ACTION_OWNER' as const })),
    ...(await participantsOfWork(ctx.manager, work.map((w) => w.workItemId))).map((p) => ({ personId: p.personId, part: p.part === 'OWNER' ? ('ACTION_OWNER' as const) : ('ACTION_PERFORMER' as const) })),
  ];
  requireNoPart(ctx.caller, parts, (part) => `${CLOSING_PART_WORDS[part]} ${incidentNumber(incident)} cannot close it`, { incidentId: incident.id });
}

export function startInvestigation(db: EntityManager, caller: Caller, id: string, investigatorId: string, requestId?: string) {
  requirePermission(caller, 'manageIncidents');
  const investigator = requireUuid(investigatorId, 'investigatorId');
  return changeIncident(db, caller, id, requestId, async (ctx, incident) => {
    if (incident.status !== 'REPORTED') throw illegalTransition('incident', incident.status, 'start the investigation of');
    requireNotInvolved(incident, investigator, 'investigate it');
    Object.assign(incident, { status: 'INVESTIGATING', investigatorId: investigator, investigationStartedAt: new Date() });
    await saveIncident(ctx.manager, incident);
    await noteHistory(ctx, incident, 'INVESTIGATION_STARTED', 'REPORTED');
    await emit(ctx, 'incident.investigation_started', incident.id, incidentFact(incident, caller.id, { investigatorId: investigator }));
  });
}

/** The investigation's result: root causes (at least one), findings, and the structured cause: categories and five whys. */
export interface InvestigationInput {
  rootCauses: string[];
  findings: string;
  rootCauseCategories?: string[] | null;
  whys?: string[] | null;
}

export function completeInvestigation(db: EntityManager, caller: Caller, id: string, input: InvestigationInput, requestId?: string) {
  const rootCauses = textList(input.rootCauses, 'rootCauses', { max: 20, maxLength: 1000 });
  if (!rootCauses.length) throw badInput('an investigation names at least one root cause', { field: 'rootCauses' });
  const findings = requireText(input.findings, 'findings', { max: 10_000 });
  const categories = rootCauseCategories(input.rootCauseCategories, 'input.rootCauseCategories');
  const whys = whyList(input.whys, 'input.whys');
  return changeIncident(db, caller, id, requestId, async (ctx, incident) => {
    if (caller.id !== incident.investigatorId) requirePermission(caller, 'completeInvestigation');
    if (incident.status !== 'INVESTIGATING') throw illegalTransition('incident', incident.status, 'complete the investigation of');
    requireNotInvolved(incident, caller.id, 'complete its investigation');
    Object.assign(incident, { status: 'INVESTIGATED', rootCauses, findings, rootCauseCategories: categories, whys, investigationCompletedAt: new Date(), investigationCompletedById: caller.id });
    await saveIncident(ctx.manager, incident);
    await noteHistory(ctx, incident, 'INVESTIGATION_COMPLETED', 'INVESTIGATING');
    await emit(ctx, 'incident.investigation_completed', incident.id, incidentFact(incident, caller.id, { rootCauseCount: rootCauses.length }));
  });
}

const priorityOf = (severity: IncidentSeverity) => (severity === 'CRITICAL' ? 'CRITICAL' : severity === 'HIGH' ? 'HIGH' : 'MEDIUM');

/**
 * The proof an action's work item asks for. An action is never closable with nothing: by default a record
 * of what was done (a file: a photo of the fix, the updated procedure, a training record) and its owner's
 * signature that it is done and effective; a given outcome names some evidence.
 */
function actionProof(given: ActionInput['requiredOutcome'], title: string, reference: string): RequiredOutcomeV1 {
  const outcome = requiredOutcome(given, {
    acceptanceCriteria: `${title}: done, and it removes or controls the cause found in ${reference}`.slice(0, 4000),
    evidence: [
      { kind: 'DOCUMENT', label: 'Record of the action taken' },
      { kind: 'SIGNATURE', label: 'Done and effective' },
    ],
  });
  if (!outcome.evidence.length) throw badInput('requiredOutcome.evidence: an action needs some proof (a photo, document, measurement, checklist or signature)', { field: 'requiredOutcome.evidence' });
  return outcome;
}

/** Adds an action and asks Work for its CORRECTIVE_ACTION work item, in one transaction. */
export async function addAction(db: EntityManager, caller: Caller, incidentId: string, input: ActionInput, requestId?: string): Promise<IncidentAction> {
  const fields = {
    kind: oneOf(ACTION_KINDS, input.kind, 'kind'),
    title: requireText(input.title, 'title', { max: 300 }),
    description: optionalText(input.description, 'description', 10_000),
    ownerId: requireUuid(input.ownerId, 'ownerId'),
    dueAt: optionalDate(input.dueAt, 'dueAt'),
  };
  const areaId = optionalUuid(input.areaId, 'areaId');
  const assetId = optionalUuid(input.assetId, 'assetId');
  let action!: IncidentAction;
  await changeIncident(db, caller, incidentId, requestId, async (ctx, incident) => {
    if (caller.id !== incident.investigatorId) requirePermission(caller, 'addIncidentAction');
    if (incident.status === 'CLOSED') throw illegalTransition('incident', incident.status, 'add an action to');
    const { manager } = ctx;
    // The action's own place, when it names one, is checked as the incident's was: known, of the incident's site.
    if (areaId || assetId) await requirePlace(manager, { siteId: incident.siteId, areaId, assetId }, { siteId: 'incidentId' });
    const reference = incidentNumber(incident);
    // Checked here, where the default can name the incident: a refusal rolls the transaction back.
    const proof = actionProof(input.requiredOutcome, fields.title, reference);
    const number = (await countActionsOfIncident(manager, incident.id)) + 1;
    const workRequestId = incidentActionRequestId(incident.id, number);
    action = await insertIncidentAction(manager, { ...fields, incidentId: incident.id, number, requestId: workRequestId, createdById: caller.id });
    await emit(ctx, 'work.requested', incident.id, {
      requestId: workRequestId,
      siteId: incident.siteId,
      // One place only: Work derives the area from an asset, and would refuse a pair that disagrees.
      areaId: assetId || (!areaId && incident.assetId) ? null : (areaId ?? incident.areaId),
      assetId: assetId ?? (areaId ? null : incident.assetId),
      type: 'CORRECTIVE_ACTION',
      title: fields.title,
      description: fields.description,
      priority: priorityOf(incident.severity),
      ownerId: fields.ownerId,
      dueAt: fields.dueAt?.toISOString() ?? null,
      sourceRecordId: incident.id,
      reason: `${fields.kind.toLowerCase()} action ${number} of incident ${reference}: ${incident.title}`.slice(0, 2000),
      requiredOutcome: proof,
    });
    await emit(ctx, 'incident.action_added', incident.id, incidentFact(incident, caller.id, { actionId: action.id, actionNumber: number, actionKind: fields.kind, requestId: workRequestId }));
  });
  return action;
}

export interface CloseIncidentInput {
  note?: string | null;
  /** Why a HIGH or CRITICAL incident needs no action: recorded by HSE only. */
  noActionJustification?: string | null;
  /** Days after closing its effectiveness check is raised (default 30; 0 raises it at once). */
  effectivenessCheckDays?: number | null;
}

/**
 * INVESTIGATED → CLOSED by someone with no part in it, refused with PREREQUISITES_OPEN while any action is not
 * verified done, and for a HIGH or CRITICAL incident without actions unless HSE records why none is needed.
 * With verified actions, the effectiveness check is scheduled; the incident is closed-effective only once it is
 * verified done.
 */
export function closeIncident(db: EntityManager, caller: Caller, id: string, input: CloseIncidentInput = {}, requestId?: string) {
  requirePermission(caller, 'manageIncidents');
  const closingNote = optionalText(input.note, 'note', 4000);
  const justification = optionalText(input.noActionJustification, 'noActionJustification', 4000) ?? null;
  const days = effectivenessDays(input.effectivenessCheckDays);
  return changeIncident(db, caller, id, requestId, async (ctx, incident) => {
    if (incident.status !== 'INVESTIGATED') throw illegalTransition('incident', incident.status, 'close');
    const actions = await actionsOfIncident(ctx.manager, incident.id);
    const work = actions.length ? await trackedWorkOfRequests(ctx.manager, actions.map((a) => a.requestId)) : [];
    await requireNoPartInIncident(ctx, incident, actions, work);
    const statuses = actions.map((a) => ({ action: a, status: requestedWorkStatus(work.find((w) => w.requestId === a.requestId)) }));
    const open = statuses.filter((a) => a.status !== 'DONE' && a.status !== 'CANCELLED');
    if (open.length) {
      throw new DomainError(
        ErrorCode.PREREQUISITES_OPEN,
        `cannot close ${incidentNumber(incident)}: ${open.length} action(s) not verified done: ${open.map((a) => `#${a.action.number} ${a.action.title} (${a.status})`).join('; ')}`,
        { openActions: open.map((a) => ({ id: a.action.id, number: a.action.number, title: a.action.title, workStatus: a.status })) },
      );
    }
    // Withdrawn (cancelled) actions do not count: a serious incident needs one done, or HSE's reason why none is.
    const done = statuses.filter((a) => a.status === 'DONE').length;
    if (justification !== null) {
      if (done || !HOLD_SEVERITIES.includes(incident.severity)) throw badInput('noActionJustification is only for a HIGH or CRITICAL incident closed without actions', { field: 'noActionJustification' });
      if (!hasRole(caller, 'hse', 'administrator')) throw forbidden('only HSE records why a serious incident needs no action');
    } else if (!done && HOLD_SEVERITIES.includes(incident.severity)) {
      throw new DomainError(
        ErrorCode.PREREQUISITES_OPEN,
        `cannot close ${incidentNumber(incident)}: a ${incident.severity.toLowerCase()} incident closes with at least one action verified done, or with HSE's recorded justification that none is needed (noActionJustification)`,
        { openActions: [], justificationRequired: true },
      );
    }
    const now = new Date();
    Object.assign(incident, { status: 'CLOSED', closedAt: now, closedById: caller.id, closingNote, noActionJustification: justification, noActionJustifiedById: justification ? caller.id : null });
    await saveIncident(ctx.manager, incident);
    await noteHistory(ctx, incident, 'CLOSED', 'INVESTIGATED', justification ? `No action needed: ${justification}` : closingNote);
    const checkAt = done ? new Date(now.getTime() + days * 86_400_000).toISOString() : null;
    await emit(ctx, 'incident.closed', incident.id, incidentFact(incident, caller.id, { actionCount: actions.length, effectivenessCheckAt: checkAt, noActionJustified: !!justification }));
    // The cause is dealt with: new work on the asset is no longer held, and the held work may be resumed.
    if (incident.holdRequestedAt && incident.assetId) {
      await emit(ctx, 'work.hold_released', incident.id, { sourceRecordId: incident.id, assetId: incident.assetId, siteId: incident.siteId, reason: `${incidentNumber(incident)} closed` });
    }
    await scheduleEffectivenessCheck(ctx, incident, done, days, now);
  });
}

/** CLOSED → INVESTIGATING with a reason (a recurrence, new facts): the investigation, actions, close and check start again. */
export function reopenIncident(db: EntityManager, caller: Caller, id: string, reason: string, requestId?: string) {
  requirePermission(caller, 'reopenIncident');
  const why = requireText(reason, 'reason', { max: 2000 });
  return changeIncident(db, caller, id, requestId, async (ctx, incident) => {
    if (incident.status !== 'CLOSED') throw illegalTransition('incident', incident.status, 'reopen');
    await reopenLockedIncident(ctx, incident, why, 'PERSON');
  });
}

/**
 * Records or revises the classification: potential severity, injuries (body part, treatment, lost days: they
 * accumulate after the report) and witnesses. HSE, supervisors and the investigator; at any status.
 */
export function recordIncidentDetails(db: EntityManager, caller: Caller, id: string, input: IncidentDetailsInput, requestId?: string) {
  const injuries = input.injuries === undefined || input.injuries === null ? null : injuryList(input.injuries, 'input.injuries');
  const witnesses = input.witnesses === undefined || input.witnesses === null ? null : witnessList(input.witnesses, 'input.witnesses');
  return changeIncident(db, caller, id, requestId, async (ctx, incident) => {
    if (caller.id !== incident.investigatorId) requirePermission(caller, 'recordIncidentDetails');
    const potential = input.potentialSeverity === undefined ? incident.potentialSeverity : potentialSeverity(input.potentialSeverity, incident.severity);
    Object.assign(incident, { potentialSeverity: potential, injuries: injuries ?? incident.injuries, witnesses: witnesses ?? incident.witnesses });
    await saveIncident(ctx.manager, incident);
    await noteHistory(ctx, incident, 'DETAILS_RECORDED', incident.status);
    await emit(ctx, 'incident.details_recorded', incident.id, incidentFact(incident, caller.id, classificationFact(incident)));
  });
}

export async function getIncident(db: EntityManager, caller: Caller, id: string): Promise<Incident> {
  const incident = await incidentById(db, requireUuid(id));
  if (!incident || !canSeeIncident(caller, incident)) throw notFound('incident', id);
  return incident;
}

export async function getIncidentByNumber(db: EntityManager, caller: Caller, number: string): Promise<Incident> {
  const match = /^INC-(\d{1,9})$/i.exec(requireText(number, 'number', { max: 20 }));
  const incident = match ? await incidentBySerial(db, Number(match[1])) : null;
  if (!incident || !canSeeIncident(caller, incident)) throw notFound('incident', number);
  return incident;
}

/** Newest first, keyset-paginated on (serial). */
export async function listIncidents(db: EntityManager, caller: Caller, filter: IncidentFilter | null | undefined, first?: number | null, after?: string | null): Promise<Connection<Incident>> {
  const f = filter ?? {};
  const limit = pageSize(first);
  const cursor = decodeCursor(after, 1);
  const conditions: IncidentConditions = {};
  for (const key of ['siteId', 'areaId', 'assetId'] as const) {
    const value = optionalUuid(f[key], `filter.${key}`);
    if (value) conditions[key] = value;
  }
  if (f.status?.length) conditions.status = f.status.map((s, i) => oneOf(INCIDENT_STATUSES, s, `filter.status[${i}]`));
  if (f.severity?.length) conditions.severity = f.severity.map((s, i) => oneOf(INCIDENT_SEVERITIES, s, `filter.severity[${i}]`));
  if (f.type?.length) conditions.type = f.type.map((t, i) => oneOf(INCIDENT_TYPES, t, `filter.type[${i}]`));
  const [rows, total] = await incidentsPage(db, caller, conditions, limit, cursor ? Number(cursor[0]) : undefined);
  return toConnection(rows, limit, total, (i) => encodeCursor([i.serial]));
}

/** Injuries and witnesses are personal data, like the people involved: for those who may know them. */
export function personalDetails<K extends 'injuries' | 'witnesses'>(caller: Caller, incident: Incident, field: K): Incident[K] {
  if (!mayKnowPeopleInvolved(caller, incident)) throw forbidden(`only HSE, supervisors, the investigator and the reporter see the ${field}`);
  return incident[field];
}

/** The people involved, for those who may know them. */
export function peopleInvolved(caller: Caller, incident: Incident): string[] {
  if (!mayKnowPeopleInvolved(caller, incident)) throw forbidden('only HSE, supervisors, the investigator and the reporter see who was involved');
  return incident.peopleInvolvedIds;
}

