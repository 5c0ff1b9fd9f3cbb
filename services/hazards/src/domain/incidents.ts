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
} from '@opsgraph/events/src/schemas/hazards';
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
}

export interface ActionInput {
  kind: string;
  title: string;
  description?: string | null;
  ownerId: string;
  dueAt?: Date | string | null;
  areaId?: string | null;
  assetId?: string | null;
}

export interface IncidentFilter {
  siteId?: string | null;
  areaId?: string | null;
  assetId?: string | null;
  status?: IncidentStatus[] | null;
  severity?: IncidentSeverity[] | null;
  type?: IncidentType[] | null;
}

export const incidentNumber = (incident: Pick<Incident, 'serial'>) => `INC-${String(incident.serial).padStart(6, '0')}`;

/** Ids, classification, place and time: never the description or the people involved. */
export function incidentFact(incident: Incident, actorId: string, extra: Record<string, unknown> = {}) {
  return {
    incidentId: incident.id,
    number: incidentNumber(incident),
    incidentType: incident.type,
    severity: incident.severity,
    status: incident.status,
    occurredAt: incident.occurredAt.toISOString(),
    siteId: incident.siteId,
    areaId: incident.areaId,
    assetId: incident.assetId,
    actorId,
    at: new Date().toISOString(),
    ...extra,
  };
}

/** Who may see the people involved: HSE, supervisors, administrators, the investigator and the reporter. */
export function mayKnowPeopleInvolved(caller: Caller, incident: Incident) {
  return hasPermission(caller, 'seePeopleInvolved') || caller.id === incident.investigatorId || caller.id === incident.reporterId;
}

export async function reportIncident(db: EntityManager, caller: Caller, input: ReportIncidentInput, requestId?: string): Promise<Incident> {
  requirePermission(caller, 'reportIncident');
  const occurredAt = requireDate(input.occurredAt, 'occurredAt');
  if (occurredAt.getTime() > Date.now() + CLOCK_SKEW_MS) throw badInput('occurredAt is in the future', { field: 'occurredAt' });
  const fields = {
    type: oneOf(INCIDENT_TYPES, input.type, 'type'),
    severity: oneOf(INCIDENT_SEVERITIES, input.severity, 'severity'),
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
    if (hold) {
      await emit(ctx, 'work.hold_requested', incident.id, {
        assetId: fields.assetId,
        siteId: incident.siteId,
        reason: `${incidentNumber(incident)}: ${fields.severity.toLowerCase()} severity ${fields.type.toLowerCase().replace(/_/g, ' ')} on this asset; work stays on hold until a supervisor resumes it`,
        sourceRecordId: incident.id,
      });
    }
    await emit(ctx, 'incident.reported', incident.id, incidentFact(incident, caller.id, { holdRequested: hold }));
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
    await emit(ctx, 'incident.investigation_started', incident.id, incidentFact(incident, caller.id, { investigatorId: investigator }));
  });
}

export function completeInvestigation(db: EntityManager, caller: Caller, id: string, input: { rootCauses: string[]; findings: string }, requestId?: string) {
  const rootCauses = textList(input.rootCauses, 'rootCauses', { max: 20, maxLength: 1000 });
  if (!rootCauses.length) throw badInput('an investigation names at least one root cause', { field: 'rootCauses' });
  const findings = requireText(input.findings, 'findings', { max: 10_000 });
  return changeIncident(db, caller, id, requestId, async (ctx, incident) => {
    if (caller.id !== incident.investigatorId) requirePermission(caller, 'completeInvestigation');
    if (incident.status !== 'INVESTIGATING') throw illegalTransition('incident', incident.status, 'complete the investigation of');
    requireNotInvolved(incident, caller.id, 'complete its investigation');
    Object.assign(incident, { status: 'INVESTIGATED', rootCauses, findings, investigationCompletedAt: new Date(), investigationCompletedById: caller.id });
    await saveIncident(ctx.manager, incident);
    await emit(ctx, 'incident.investigation_completed', incident.id, incidentFact(incident, caller.id, { rootCauseCount: rootCauses.length }));
  });
}

const priorityOf = (severity: IncidentSeverity) => (severity === 'CRITICAL' ? 'CRITICAL' : severity === 'HIGH' ? 'HIGH' : 'MEDIUM');

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
    const number = (await countActionsOfIncident(manager, incident.id)) + 1;
    const workRequestId = incidentActionRequestId(incident.id, number);
    action = await insertIncidentAction(manager, { ...fields, incidentId: incident.id, number, requestId: workRequestId, createdById: caller.id });
    const reference = incidentNumber(incident);
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
      requiredOutcome: { acceptanceCriteria: `${fields.title}: done, and it removes or controls the cause found in ${reference}`.slice(0, 4000) },
    });
    await emit(ctx, 'incident.action_added', incident.id, incidentFact(incident, caller.id, { actionId: action.id, actionNumber: number, actionKind: fields.kind, requestId: workRequestId }));
  });
  return action;
}

/** INVESTIGATED → CLOSED by someone with no part in it, refused with PREREQUISITES_OPEN while any action is not verified done. */
export function closeIncident(db: EntityManager, caller: Caller, id: string, note?: string | null, requestId?: string) {
  requirePermission(caller, 'manageIncidents');
  const closingNote = optionalText(note, 'note', 4000);
  return changeIncident(db, caller, id, requestId, async (ctx, incident) => {
    if (incident.status !== 'INVESTIGATED') throw illegalTransition('incident', incident.status, 'close');
    const actions = await actionsOfIncident(ctx.manager, incident.id);
    const work = actions.length ? await trackedWorkOfRequests(ctx.manager, actions.map((a) => a.requestId)) : [];
    await requireNoPartInIncident(ctx, incident, actions, work);
    const open = actions
      .map((a) => ({ action: a, status: requestedWorkStatus(work.find((w) => w.requestId === a.requestId)) }))
      .filter((a) => a.status !== 'DONE' && a.status !== 'CANCELLED');
    if (open.length) {
      throw new DomainError(
        ErrorCode.PREREQUISITES_OPEN,
        `cannot close ${incidentNumber(incident)}: ${open.length} action(s) not verified done: ${open.map((a) => `#${a.action.number} ${a.action.title} (${a.status})`).join('; ')}`,
        { openActions: open.map((a) => ({ id: a.action.id, number: a.action.number, title: a.action.title, workStatus: a.status })) },
      );
    }
    Object.assign(incident, { status: 'CLOSED', closedAt: new Date(), closedById: caller.id, closingNote });
    await saveIncident(ctx.manager, incident);
    await emit(ctx, 'incident.closed', incident.id, incidentFact(incident, caller.id, { actionCount: actions.length }));
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

/** The people involved, for those who may know them. */
export function peopleInvolved(caller: Caller, incident: Incident): string[] {
  if (!mayKnowPeopleInvolved(caller, incident)) throw forbidden('only HSE, supervisors, the investigator and the reporter see who was involved');
  return incident.peopleInvolvedIds;
}
