import { DAY_MS, SYSTEM_CALLER, clipText, type TrackedWorkItem } from '@opsgraph/core';
import { EFFECTIVENESS_WINDOW_DAYS, effectivenessOutcome, incidentEffectivenessRequestId, type IncidentSeverity, type OutOfLimitsReadingV1, type ReopenTrigger } from '@opsgraph/events';
import type { EntityManager } from 'typeorm';
import type { Incident, IncidentHistoryAction } from '../entities';
import { incidentsWithEffectivenessDue, insertIncidentHistory, lockIncident, lockIncidentOfEffectivenessRequest, saveIncident } from '../store/incidents';
import { emit, type ChangeContext } from './common';
import { incidentFact, incidentNumber } from './facts';
import { holdAssetWork } from './holds';

/**
 * CAPA that proves it worked. An incident closed with verified actions is checked again a set time later
 * (`effectivenessCheckDays`, default 30): the check is raised then as an INSPECTION work item with the incident
 * as source, due two weeks after. Verified with its readings within limits (no recurrence) → the incident is
 * closed-effective; verified with a reading outside its limits → not effective, and the incident is reopened.
 * A rejection in Work sends the check back to whoever does it (Work's rework loop), so it is no verdict.
 */

/** Appends to an incident's history (after its status changed). */
export const noteHistory = (ctx: ChangeContext, incident: Incident, action: IncidentHistoryAction, from: Incident['status'] | null, note: string | null = null, workItemId: string | null = null) =>
  insertIncidentHistory(ctx.manager, { incidentId: incident.id, siteId: incident.siteId, action, fromStatus: from, toStatus: incident.status, actorId: ctx.caller.id, note, workItemId });

const priorityOf = (severity: IncidentSeverity) => (severity === 'CRITICAL' || severity === 'HIGH' ? 'HIGH' : 'MEDIUM');

/**
 * On closing (the incident locked, every action verified): the check is PENDING until `days` from now, or
 * NOT_REQUIRED when the incident closed without actions. Raised at once when `days` is 0.
 */
export async function scheduleEffectivenessCheck(ctx: ChangeContext, incident: Incident, verifiedActions: number, days: number, now: Date) {
  Object.assign(incident, {
    effectivenessCheckDays: verifiedActions ? days : null,
    effectivenessStatus: verifiedActions ? 'PENDING' : 'NOT_REQUIRED',
    effectivenessCheckAt: verifiedActions ? new Date(now.getTime() + days * DAY_MS) : null,
    effectivenessRequestId: null,
    effectivenessRaisedAt: null,
    effectivenessWorkItemId: null,
    effectivenessCheckedAt: null,
    effectivenessCheckedById: null,
  });
  await saveIncident(ctx.manager, incident);
  if (incident.effectivenessCheckAt && incident.effectivenessCheckAt.getTime() <= now.getTime()) await raiseEffectivenessCheck(ctx, incident, now);
}

async function raiseEffectivenessCheck(ctx: ChangeContext, incident: Incident, now: Date) {
  incident.effectivenessAttempt += 1;
  incident.effectivenessRequestId = incidentEffectivenessRequestId(incident.id, incident.effectivenessAttempt);
  incident.effectivenessStatus = 'RAISED';
  incident.effectivenessRaisedAt = now;
  await saveIncident(ctx.manager, incident);
  const number = incidentNumber(incident);
  const dueAt = new Date(now.getTime() + EFFECTIVENESS_WINDOW_DAYS * DAY_MS).toISOString();
  await emit(ctx, 'work.requested', incident.id, {
    requestId: incident.effectivenessRequestId,
    siteId: incident.siteId,
    // One place only: Work derives the area from an asset.
    areaId: incident.assetId ? null : incident.areaId,
    assetId: incident.assetId,
    type: 'INSPECTION',
    title: clipText(`Effectiveness check of ${number}: ${incident.title}`, 300),
    description: `${number} closed ${incident.effectivenessCheckDays} day(s) ago with its actions verified. Check that they are still in place and working and that it has not recurred; a recurrence count above 0 reopens the incident.`,
    priority: priorityOf(incident.severity),
    ownerId: incident.investigatorId,
    dueAt,
    sourceRecordId: incident.id,
    reason: clipText(`Effectiveness check of incident ${number}, ${incident.effectivenessCheckDays} day(s) after closing: ${incident.title}`, 2000),
    requiredOutcome: effectivenessOutcome(`The actions taken for ${number}`, incident.effectivenessCheckDays ?? 0),
  });
  await noteHistory(ctx, incident, 'EFFECTIVENESS_CHECK_RAISED', incident.status);
  await emit(ctx, 'incident.effectiveness_check_raised', incident.id, incidentFact(incident, ctx.caller.id, { requestId: incident.effectivenessRequestId, dueAt }));
}

/** Scheduled rule: raises every pending check whose time has come (each incident locked and re-checked). */
export async function raiseDueEffectivenessChecks(db: EntityManager, now: Date = new Date()) {
  const raised: Incident[] = [];
  for (const candidate of await incidentsWithEffectivenessDue(db, now)) {
    const done = await db.transaction(async (manager) => {
      const incident = await lockIncident(manager, candidate.id);
      if (!incident || incident.status !== 'CLOSED' || incident.effectivenessStatus !== 'PENDING' || !incident.effectivenessCheckAt || incident.effectivenessCheckAt > now) return null;
      await raiseEffectivenessCheck({ manager, caller: SYSTEM_CALLER }, incident, now);
      return incident;
    });
    if (done) raised.push(done);
  }
  return raised;
}

/**
 * CLOSED → INVESTIGATING (the incident locked): the loop starts again with its investigator (root causes
 * revisited, actions, close, check). A check pending or raised no longer counts.
 */
export async function reopenLockedIncident(ctx: ChangeContext, incident: Incident, reason: string, trigger: ReopenTrigger) {
  const from = incident.status;
  Object.assign(incident, { status: 'INVESTIGATING', closedAt: null, closedById: null, closingNote: null, noActionJustification: null, noActionJustifiedById: null, effectivenessRequestId: null });
  incident.reopenCount += 1;
  if (incident.effectivenessStatus === 'PENDING' || incident.effectivenessStatus === 'RAISED') {
    incident.effectivenessStatus = null;
    incident.effectivenessCheckAt = null;
  }
  await saveIncident(ctx.manager, incident);
  await noteHistory(ctx, incident, 'REOPENED', from, reason);
  await emit(ctx, 'incident.reopened', incident.id, incidentFact(incident, ctx.caller.id, { trigger, reopenCount: incident.reopenCount }));
  if (incident.holdRequestedAt) await holdAssetWork(ctx, incident);
}

export const describeReadings = (readings: OutOfLimitsReadingV1[]) =>
  readings.map((r) => `${r.label} ${r.value}${r.unit ? ` ${r.unit}` : ''} (limits ${r.min ?? '-∞'}..${r.max ?? '∞'})`).join('; ');

/**
 * Work's verdict on an effectiveness check (from the consumer): verified within limits → EFFECTIVE; verified
 * with readings outside their limits → NOT_EFFECTIVE and the incident is reopened; cancelled → PENDING again,
 * raised anew by the next run of the rule.
 */
export async function onEffectivenessWork(ctx: ChangeContext, type: string, work: TrackedWorkItem, outOfLimits: OutOfLimitsReadingV1[]) {
  if (!work.requestId || !work.requestId.includes(':effectiveness:')) return;
  const incident = await lockIncidentOfEffectivenessRequest(ctx.manager, work.requestId);
  if (!incident || incident.status !== 'CLOSED' || incident.effectivenessStatus !== 'RAISED') return;
  if (type.endsWith('work_item.cancelled')) {
    Object.assign(incident, { effectivenessStatus: 'PENDING', effectivenessRequestId: null, effectivenessRaisedAt: null });
    await saveIncident(ctx.manager, incident);
    return;
  }
  if (!type.endsWith('work_item.verified')) return;
  const effective = !outOfLimits.length;
  Object.assign(incident, {
    effectivenessStatus: effective ? 'EFFECTIVE' : 'NOT_EFFECTIVE',
    effectivenessWorkItemId: work.workItemId,
    effectivenessCheckedAt: work.verifiedAt ?? new Date(),
    effectivenessCheckedById: work.verifierId,
  });
  await saveIncident(ctx.manager, incident);
  await noteHistory(ctx, incident, effective ? 'EFFECTIVE' : 'NOT_EFFECTIVE', incident.status, effective ? null : `${work.number}: ${describeReadings(outOfLimits)}`, work.workItemId);
  await emit(ctx, 'incident.effectiveness_checked', incident.id, incidentFact(incident, work.verifierId ?? SYSTEM_CALLER.id, { workItemId: work.workItemId, effective }));
  if (!effective) await reopenLockedIncident(ctx, incident, clipText(`Effectiveness check ${work.number} failed: ${describeReadings(outOfLimits)}`, 2000), 'FAILED_EFFECTIVENESS_CHECK');
}
