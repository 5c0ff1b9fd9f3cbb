import { DAY_MS, SYSTEM_CALLER, addMonths, clipText, optionalUuid, type Caller, type TrackedWorkItem } from '@opsgraph/core';
import type { EntityManager } from 'typeorm';
import type { ComplianceObligation, InspectionReading, Requirement } from '../entities';
import { recordFailedInspection } from './audits';
import { insertObligation, lockObligation, lockObligationOfRequest, obligationsDueToRaise, obligationsOverdueUnannounced, obligationsWithRequirements, saveObligation } from '../store/obligations';
import { requirementById } from '../store/requirements';
import { canSeeSite, record, type ComplianceContext } from './context';

export type ComplianceStatus = 'MET' | 'DUE' | 'OVERDUE' | 'SCHEDULED' | 'NOT_MET';
/** Worst first: a requirement is as bad as its worst target; a failed inspection not yet corrected is the worst. */
const SEVERITY: Record<ComplianceStatus, number> = { NOT_MET: 4, OVERDUE: 3, DUE: 2, SCHEDULED: 1, MET: 0 };
export const worst = (statuses: ComplianceStatus[], none: ComplianceStatus = 'MET'): ComplianceStatus =>
  statuses.reduce<ComplianceStatus>((w, s) => (SEVERITY[s] > SEVERITY[w] ? s : w), statuses.length ? 'MET' : none);

export const obligationRequestId = (o: Pick<ComplianceObligation, 'id' | 'attempt'>) => `compliance:obligation:${o.id}${o.attempt > 1 ? `:${o.attempt}` : ''}`;

/** One occurrence: MET when proven, NOT_MET when its inspection failed, OVERDUE past its due date, DUE inside its lead time, else SCHEDULED. */
export function occurrenceStatus(o: ComplianceObligation, leadDays: number, now: Date): ComplianceStatus {
  if (o.status === 'MET' || o.status === 'NOT_MET') return o.status;
  if (now.getTime() > o.dueAt.getTime()) return 'OVERDUE';
  if (o.raisedAt || now.getTime() >= o.dueAt.getTime() - leadDays * DAY_MS) return 'DUE';
  return 'SCHEDULED';
}

const targetKey = (o: ComplianceObligation) => `${o.siteId}|${o.areaId ?? ''}|${o.assetId ?? ''}`;

/**
 * The current state of each target of a requirement: its open occurrence (there is one at a time), and
 * the target counts as MET while that occurrence is not yet due and the one before it was proven (or failed
 * and was corrected: its non-conformance closed). A failed one not yet corrected keeps the target NOT_MET.
 */
export function currentByTarget(occurrences: ComplianceObligation[], leadDays: number, now: Date) {
  const groups = new Map<string, ComplianceObligation[]>();
  for (const o of occurrences) groups.set(targetKey(o), [...(groups.get(targetKey(o)) ?? []), o]);
  return [...groups.values()].map((list) => {
    const sorted = [...list].sort((a, b) => b.dueAt.getTime() - a.dueAt.getTime());
    const open = sorted.find((o) => o.status === 'OPEN') ?? null;
    const lastMet = sorted.find((o) => o.status === 'MET') ?? null;
    const lastDone = sorted.find((o) => o.status !== 'OPEN') ?? null;
    const failed = lastDone?.status === 'NOT_MET' && !lastDone.correctedAt ? lastDone : null;
    const current = failed ?? open ?? lastDone!;
    let status = occurrenceStatus(current, leadDays, now);
    if (status === 'SCHEDULED' && lastDone) status = 'MET';
    if (failed && open) status = worst([status, occurrenceStatus(open, leadDays, now)]);
    return { current, lastMet, status };
  });
}

/**
 * Scheduled rule: every open occurrence inside its lead time is raised once as an INSPECTION work item
 * with the requirement as its source and the proof it must produce; an occurrence past its due date is
 * announced as overdue once. Idempotent and safe with several replicas (rows are locked and re-checked).
 */
export async function raiseDueObligations(db: EntityManager, now: Date = new Date()) {
  const due = await obligationsDueToRaise(db, now);
  const raised: ComplianceObligation[] = [];
  for (const candidate of due) {
    const done = await db.transaction(async (manager) => {
      const ctx: ComplianceContext = { manager, caller: SYSTEM_CALLER };
      const o = await lockObligation(manager, candidate.id);
      if (!o || o.status !== 'OPEN' || o.requestId) return null; // another replica was first
      const requirement = (await requirementById(manager, o.requirementId))!;
      await raiseOccurrence(ctx, requirement, o, now);
      return o;
    });
    if (done) raised.push(done);
  }
  const overdue = await markOverdue(db, now);
  return { raised, overdue };
}

async function markOverdue(db: EntityManager, now: Date) {
  const late = await obligationsOverdueUnannounced(db, now);
  const marked: ComplianceObligation[] = [];
  for (const candidate of late) {
    const done = await db.transaction(async (manager) => {
      const o = await lockObligation(manager, candidate.id);
      if (!o || o.status !== 'OPEN' || o.overdueNotifiedAt) return null;
      o.overdueNotifiedAt = now;
      await saveObligation(manager, o);
      await record({ manager, caller: SYSTEM_CALLER }, 'obligation.overdue', o.requirementId, obligationFact(o));
      return o;
    });
    if (done) marked.push(done);
  }
  return marked;
}

/** Whether an open occurrence has reached its lead time and should be raised. */
export const isDue = (o: ComplianceObligation, leadDays: number, now: Date) => o.status === 'OPEN' && !o.requestId && o.dueAt.getTime() - leadDays * DAY_MS <= now.getTime();

/**
 * The proof each inspection of a requirement must produce: the requirement's own evidence, or when it names
 * none the inspector's signature, so that an inspection is never closable with nothing.
 */
export const inspectionOutcome = (requirement: Pick<Requirement, 'acceptanceCriteria' | 'evidence'>) => ({
  acceptanceCriteria: requirement.acceptanceCriteria,
  evidence: requirement.evidence.length ? requirement.evidence : [{ kind: 'SIGNATURE' as const, label: 'Inspected by' }],
});

/**
 * Raises one occurrence as an INSPECTION work item with the requirement as its source and the proof it
 * must produce as its required outcome (the occurrence must be locked by the caller).
 */
export async function raiseOccurrence(ctx: ComplianceContext, requirement: Requirement, o: ComplianceObligation, now: Date) {
  o.attempt += 1;
  o.requestId = obligationRequestId(o);
  o.raisedAt = now;
  await saveObligation(ctx.manager, o);
  const ref = `${requirement.reference}${requirement.clause ? ` ${requirement.clause}` : ''}`;
  await record(ctx, 'work.requested', requirement.id, {
    requestId: o.requestId,
    siteId: o.siteId,
    areaId: o.areaId,
    assetId: o.assetId,
    type: 'INSPECTION',
    title: clipText(`${requirement.title} (${ref})`, 300),
    description: clipText(`${requirement.text}\n\nDue by ${o.dueAt.toISOString().slice(0, 10)}; the obligation counts as met only when this inspection is verified done.`, 10_000),
    priority: 'HIGH',
    ownerId: requirement.ownerId,
    dueAt: o.dueAt.toISOString(),
    sourceRecordId: requirement.id,
    reason: clipText(`Recurring obligation ${ref}: every ${requirement.recurrenceMonths} month(s), due ${o.dueAt.toISOString().slice(0, 10)}`, 2000),
    requiredOutcome: inspectionOutcome(requirement),
  });
}

export const obligationFact = (o: ComplianceObligation) => ({
  obligationId: o.id,
  requirementId: o.requirementId,
  targetKind: o.targetKind,
  siteId: o.siteId,
  areaId: o.areaId,
  assetId: o.assetId,
  dueAt: o.dueAt.toISOString(),
});

/**
 * Work's verdict on an inspection an occurrence raised. Verified within limits → the occurrence is MET with
 * the work as evidence. Verified with readings outside their limits (`outOfLimits` of `work_item.verified`)
 * → a failed inspection: NOT_MET, recorded with its readings, its non-conformance and corrective work raised
 * (recordFailedInspection). Either way the next occurrence is due a recurrence after this one's due date, so a
 * late inspection does not shift the schedule. Cancelled → it is raised again by the next run of the rule (the
 * obligation did not go away).
 */
export async function onInspectionWork(ctx: ComplianceContext, type: string, work: TrackedWorkItem, outOfLimits: InspectionReading[] = []) {
  if (!work.requestId) return;
  const o = await lockObligationOfRequest(ctx.manager, work.requestId);
  if (!o || o.status !== 'OPEN') return;
  if (type.endsWith('work_item.cancelled')) {
    o.requestId = null;
    o.raisedAt = null;
    await saveObligation(ctx.manager, o);
    return;
  }
  if (!type.endsWith('work_item.verified')) return;
  const requirement = (await requirementById(ctx.manager, o.requirementId))!;
  const verifiedAt = work.verifiedAt ?? new Date();
  o.status = outOfLimits.length ? 'NOT_MET' : 'MET';
  o.metAt = outOfLimits.length ? null : verifiedAt;
  o.evidenceWorkItemId = work.workItemId;
  o.evidenceVerifiedAt = verifiedAt;
  o.evidenceVerifierId = work.verifierId;
  o.evidenceNumber = work.number;
  const failed = outOfLimits.length ? await recordFailedInspection(ctx, requirement, o, work, outOfLimits) : null;
  if (failed) {
    o.inspectionId = failed.audit.id;
    o.findingId = failed.finding.id;
  }
  await saveObligation(ctx.manager, o);
  const next = requirement.recurrenceMonths
    ? await insertObligation(ctx.manager, {
        requirementId: o.requirementId,
        targetKind: o.targetKind,
        siteId: o.siteId,
        areaId: o.areaId,
        assetId: o.assetId,
        dueAt: nextDueAt(o.dueAt, requirement.recurrenceMonths),
        status: 'OPEN',
        attempt: 0,
        previousId: o.id,
      })
    : null;
  const fact = {
    ...obligationFact(o),
    workItemId: work.workItemId,
    verifiedAt: verifiedAt.toISOString(),
    verifierId: work.verifierId,
    nextObligationId: next?.id ?? null,
    nextDueAt: next?.dueAt.toISOString() ?? null,
  };
  if (failed) await record(ctx, 'obligation.not_met', o.requirementId, { ...fact, outOfLimits, inspectionId: failed.audit.id, findingId: failed.finding.id });
  else await record(ctx, 'obligation.met', o.requirementId, fact);
}

/** The next occurrence is due a recurrence after the previous due date (not after the inspection was done). */
export const nextDueAt = (previousDueAt: Date, recurrenceMonths: number) => addMonths(previousDueAt, recurrenceMonths);

export interface ObligationFilter {
  siteId?: string | null;
  requirementId?: string | null;
  assetId?: string | null;
  status?: ComplianceStatus[] | null;
}

/** Occurrences by site, requirement or asset; `status` filters on the computed status at `now`. */
export async function listObligations(db: EntityManager, caller: Caller, filter: ObligationFilter | null | undefined, now = new Date()) {
  const siteId = optionalUuid(filter?.siteId, 'filter.siteId');
  const requirementId = optionalUuid(filter?.requirementId, 'filter.requirementId');
  const assetId = optionalUuid(filter?.assetId, 'filter.assetId');
  let sites: string[] | undefined;
  if (!caller.sites.includes('*')) {
    if (!caller.sites.length) return [];
    sites = caller.sites;
  }
  const rows = await obligationsWithRequirements(db, { siteId, requirementId, assetId, sites });
  const wanted = filter?.status?.length ? new Set(filter.status) : null;
  return rows.filter((o) => canSeeSite(caller, o) && (!wanted || wanted.has(occurrenceStatus(o, o.requirement.leadDays, now))));
}

/** The evidence of a met occurrence: the verified work item, who verified it and when. */
export function evidenceOf(o: ComplianceObligation) {
  if (o.status !== 'MET' || !o.evidenceWorkItemId || !o.evidenceVerifiedAt) return null;
  return {
    workItem: { id: o.evidenceWorkItemId },
    number: o.evidenceNumber,
    verifiedAt: o.evidenceVerifiedAt,
    verifiedBy: o.evidenceVerifierId ? { id: o.evidenceVerifierId } : null,
    dueAt: o.dueAt,
    obligation: o,
  };
}

/** Evidence of a requirement, newest verification first. */
export const evidenceList = (occurrences: ComplianceObligation[]) =>
  occurrences
    .map(evidenceOf)
    .filter((e): e is NonNullable<ReturnType<typeof evidenceOf>> => !!e)
    .sort((a, b) => b.verifiedAt.getTime() - a.verifiedAt.getTime());
