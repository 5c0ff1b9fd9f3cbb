import { DAY_MS, SYSTEM_CALLER, clipText, isUuid, type TrackedWorkItem } from '@opsgraph/core';
import { EFFECTIVENESS_WINDOW_DAYS, effectivenessOutcome, findingEffectivenessRequestId } from '@opsgraph/events';
import type { EntityManager } from 'typeorm';
import type { AuditFinding, ComplianceAudit, FindingHistoryAction, InspectionReading } from '../entities';
import { auditById } from '../store/audits';
import { findingsWithEffectivenessDue, insertFindingHistory, lockFinding, lockFindingOfEffectivenessRequest, saveFinding } from '../store/findings';
import { lockObligationOfFinding, saveObligation } from '../store/obligations';
import { findingFact, findingNumber, record, type ComplianceContext } from './context';

/**
 * CAPA that proves it worked. A finding closed with verified corrective actions is checked again a set time
 * later (`effectivenessCheckDays`, default 30): the check is raised then as an INSPECTION work item with the
 * finding as source, due two weeks after. Verified with its readings within limits (no recurrence) → the
 * finding is closed-effective; verified with a reading outside its limits → not effective, and the finding is
 * reopened. A rejection in Work sends the check back to whoever does it (Work's rework loop), so it is no verdict.
 */

/** Appends to a finding's history. */
export const noteHistory = (ctx: ComplianceContext, finding: AuditFinding, action: FindingHistoryAction, from: string | null, note: string | null = null, workItemId: string | null = null) =>
  insertFindingHistory(ctx.manager, { findingId: finding.id, siteId: finding.siteId, action, fromStatus: from, toStatus: finding.status, actorId: ctx.caller.id, note, workItemId });

/**
 * On closing (the finding locked, every action verified): the check is PENDING until `days` from now, or
 * NOT_REQUIRED when the finding closed without actions (an observation). Raised at once when `days` is 0.
 */
export async function scheduleEffectivenessCheck(ctx: ComplianceContext, audit: ComplianceAudit, finding: AuditFinding, verifiedActions: number, days: number, now: Date) {
  finding.effectivenessCheckDays = verifiedActions ? days : null;
  finding.effectivenessStatus = verifiedActions ? 'PENDING' : 'NOT_REQUIRED';
  finding.effectivenessCheckAt = verifiedActions ? new Date(now.getTime() + days * DAY_MS) : null;
  finding.effectivenessRequestId = null;
  finding.effectivenessRaisedAt = null;
  finding.effectivenessWorkItemId = null;
  finding.effectivenessCheckedAt = null;
  finding.effectivenessCheckedById = null;
  await saveFinding(ctx.manager, finding);
  if (finding.effectivenessCheckAt && finding.effectivenessCheckAt.getTime() <= now.getTime()) await raiseEffectivenessCheck(ctx, audit, finding, now);
}

async function raiseEffectivenessCheck(ctx: ComplianceContext, audit: ComplianceAudit, finding: AuditFinding, now: Date) {
  finding.effectivenessAttempt += 1;
  finding.effectivenessRequestId = findingEffectivenessRequestId(finding.id, finding.effectivenessAttempt);
  finding.effectivenessStatus = 'RAISED';
  finding.effectivenessRaisedAt = now;
  await saveFinding(ctx.manager, finding);
  const number = findingNumber(audit, finding.seq);
  const dueAt = new Date(now.getTime() + EFFECTIVENESS_WINDOW_DAYS * DAY_MS).toISOString();
  await record(ctx, 'work.requested', finding.id, {
    requestId: finding.effectivenessRequestId,
    siteId: finding.siteId,
    areaId: finding.areaId,
    assetId: finding.assetId,
    type: 'INSPECTION',
    title: clipText(`Effectiveness check of ${number}: ${finding.description}`, 300),
    description: clipText(`${number} closed ${finding.effectivenessCheckDays} day(s) ago with its corrective actions verified. Check that they are still in place and working and that it has not recurred; a recurrence count above 0 reopens the finding.\n\n${finding.description}`, 10_000),
    priority: 'MEDIUM',
    ownerId: isUuid(audit.auditorId) ? audit.auditorId : null,
    dueAt,
    sourceRecordId: finding.id,
    reason: clipText(`Effectiveness check of ${number} of "${audit.title}", ${finding.effectivenessCheckDays} day(s) after closing`, 2000),
    requiredOutcome: effectivenessOutcome(`The corrective actions of ${number}`, finding.effectivenessCheckDays ?? 0),
    links: finding.requirementId ? [{ domain: 'COMPLIANCE', recordId: finding.requirementId, relation: 'checks the correction of non-compliance with' }] : [],
  });
  await noteHistory(ctx, finding, 'EFFECTIVENESS_CHECK_RAISED', finding.status);
  await record(ctx, 'finding.effectiveness_check_raised', finding.id, { ...findingFact(audit, finding), actorId: ctx.caller.id, requestId: finding.effectivenessRequestId, dueAt });
}

/**
 * Scheduled rule: raises every pending check whose time has come. Idempotent and safe with several replicas
 * (each finding is locked and re-checked).
 */
export async function raiseDueEffectivenessChecks(db: EntityManager, now: Date = new Date()) {
  const raised: AuditFinding[] = [];
  for (const candidate of await findingsWithEffectivenessDue(db, now)) {
    const done = await db.transaction(async (manager) => {
      const finding = await lockFinding(manager, candidate.id);
      if (!finding || finding.status !== 'CLOSED' || finding.effectivenessStatus !== 'PENDING' || !finding.effectivenessCheckAt || finding.effectivenessCheckAt > now) return null;
      await raiseEffectivenessCheck({ manager, caller: SYSTEM_CALLER }, (await auditById(manager, finding.auditId))!, finding, now);
      return finding;
    });
    if (done) raised.push(done);
  }
  return raised;
}

/**
 * CLOSED → OPEN (the finding locked): the loop starts again (actions, close, check). A check pending or raised
 * no longer counts; a failed inspection's occurrence is no longer corrected.
 */
export async function reopenLockedFinding(ctx: ComplianceContext, audit: ComplianceAudit, finding: AuditFinding, reason: string, trigger: 'PERSON' | 'FAILED_EFFECTIVENESS_CHECK') {
  const from = finding.status;
  finding.status = 'OPEN';
  finding.reopenCount += 1;
  finding.closedAt = null;
  finding.closedById = null;
  finding.closeNote = null;
  if (finding.effectivenessStatus === 'PENDING' || finding.effectivenessStatus === 'RAISED') {
    finding.effectivenessStatus = null;
    finding.effectivenessCheckAt = null;
  }
  finding.effectivenessRequestId = null;
  await saveFinding(ctx.manager, finding);
  await noteHistory(ctx, finding, 'REOPENED', from, reason);
  if (finding.inspectionWorkItemId) {
    const occurrence = await lockObligationOfFinding(ctx.manager, finding.id);
    if (occurrence?.correctedAt) {
      occurrence.correctedAt = null;
      await saveObligation(ctx.manager, occurrence);
    }
  }
  await record(ctx, 'finding.reopened', finding.id, { ...findingFact(audit, finding), actorId: ctx.caller.id, trigger, reopenCount: finding.reopenCount });
}

const describeReadings = (readings: InspectionReading[]) =>
  readings.map((r) => `${r.label} ${r.value}${r.unit ? ` ${r.unit}` : ''} (limits ${r.min ?? '-∞'}..${r.max ?? '∞'})`).join('; ');

/**
 * Work's verdict on an effectiveness check (from the consumer): verified within limits → EFFECTIVE; verified
 * with readings outside their limits → NOT_EFFECTIVE and the finding is reopened; cancelled → PENDING again,
 * raised anew by the next run of the rule (the check did not go away).
 */
export async function onEffectivenessWork(ctx: ComplianceContext, type: string, work: TrackedWorkItem, outOfLimits: InspectionReading[]) {
  if (!work.requestId || !work.requestId.includes(':effectiveness:')) return;
  const finding = await lockFindingOfEffectivenessRequest(ctx.manager, work.requestId);
  if (!finding || finding.status !== 'CLOSED' || finding.effectivenessStatus !== 'RAISED') return;
  const audit = (await auditById(ctx.manager, finding.auditId))!;
  if (type.endsWith('work_item.cancelled')) {
    finding.effectivenessStatus = 'PENDING';
    finding.effectivenessRequestId = null;
    finding.effectivenessRaisedAt = null;
    await saveFinding(ctx.manager, finding);
    return;
  }
  if (!type.endsWith('work_item.verified')) return;
  const effective = !outOfLimits.length;
  finding.effectivenessStatus = effective ? 'EFFECTIVE' : 'NOT_EFFECTIVE';
  finding.effectivenessWorkItemId = work.workItemId;
  finding.effectivenessCheckedAt = work.verifiedAt ?? new Date();
  finding.effectivenessCheckedById = work.verifierId;
  await saveFinding(ctx.manager, finding);
  const note = effective ? null : `${work.number}: ${describeReadings(outOfLimits)}`;
  await noteHistory(ctx, finding, effective ? 'EFFECTIVE' : 'NOT_EFFECTIVE', finding.status, note, work.workItemId);
  await record(ctx, 'finding.effectiveness_checked', finding.id, { ...findingFact(audit, finding), actorId: work.verifierId ?? SYSTEM_CALLER.id, workItemId: work.workItemId, effective });
  if (!effective) await reopenLockedFinding(ctx, audit, finding, clipText(`Effectiveness check ${work.number} failed: ${describeReadings(outOfLimits)}`, 2000), 'FAILED_EFFECTIVENESS_CHECK');
}

export { describeReadings };
