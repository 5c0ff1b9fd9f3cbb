import {
  DomainError,
  ErrorCode,
  type TrackedWorkItem,
  badInput,
  isUuid,
  clipText,
  illegalTransition,
  inSiteScope,
  notFound,
  oneOf,
  optionalDate,
  optionalText,
  optionalUuid,
  requestedWorkStatus,
  requireDate,
  requireText,
  requireUuid,
  uuidList,
  type Caller,
  requireNoPart,
  requireLocations,
  requirePlace,
} from '@opsgraph/core';
import { effectivenessDays, requiredOutcome, type RequiredOutcomeV1 } from '@opsgraph/events';
import type { EntityManager } from 'typeorm';
import { FINDING_SEVERITIES, type AuditFinding, type ComplianceAudit, type ComplianceFindingAction, type ComplianceObligation, type FindingSeverity, type InspectionReading, type Requirement } from '../entities';
import { lockObligationOfFinding, saveObligation } from '../store/obligations';
import { describeReadings, noteHistory, reopenLockedFinding, scheduleEffectivenessCheck } from './effectiveness';
import { auditById, auditsOfSite, insertAudit, lockAudit } from '../store/audits';
import { actionsOfFindings, findingById, insertFinding, insertFindingAction, lockFinding as lockFindingRow, nextActionSeq, nextFindingSeq, saveFinding } from '../store/findings';
import { requirementById } from '../store/requirements';
import { participantsOfWork, trackedWorkOfRequests } from '../store/tracked-work';
import { auditNumber, canSeeRequirement, canSeeSite, findingFact, findingNumber, record, requireSite, type ComplianceContext } from './context';
import { requirePermission } from './permissions';

export interface RecordAuditInput {
  title: string;
  siteId: string;
  areaIds?: string[] | null;
  scope: string;
  auditDate: Date | string;
  auditorId?: string | null;
}

export interface ComplianceActionInput {
  title: string;
  description?: string | null;
  ownerId?: string | null;
  dueAt?: Date | string | null;
  /** What "done" means and the evidence its work item asks for; default: see actionProof. */
  requiredOutcome?: Parameters<typeof requiredOutcome>[0];
}

export interface RecordAuditFindingInput {
  auditId: string;
  severity: FindingSeverity;
  requirementId?: string | null;
  areaId?: string | null;
  assetId?: string | null;
  description: string;
  correctiveActions?: ComplianceActionInput[] | null;
}

const PRIORITY_BY_SEVERITY: Record<FindingSeverity, string> = { OBSERVATION: 'LOW', MINOR: 'MEDIUM', MAJOR: 'HIGH', CRITICAL: 'CRITICAL' };

/**
 * The proof a corrective action's work item asks for. Never nothing: by default a record of what was done (a
 * file: a photo of the fix, a certificate, the updated record) and its owner's signature that it is done and
 * effective; a given outcome names some evidence.
 */
function actionProof(given: ComplianceActionInput['requiredOutcome'], title: string, field: string): RequiredOutcomeV1 {
  const outcome = requiredOutcome(given, {
    acceptanceCriteria: `${title}: done, and it corrects the finding`,
    evidence: [
      { kind: 'DOCUMENT', label: 'Record of the action taken' },
      { kind: 'SIGNATURE', label: 'Done and effective' },
    ],
  }, field);
  if (!outcome.evidence.length) throw badInput(`${field}.evidence: a corrective action needs some proof (a photo, document, measurement, checklist or signature)`, { field: `${field}.evidence` });
  return outcome;
}

function actionFields(input: ComplianceActionInput, field: string) {
  const title = requireText(input.title, `${field}.title`, { max: 300 });
  return {
    title,
    description: optionalText(input.description, `${field}.description`, 4000),
    ownerId: optionalUuid(input.ownerId, `${field}.ownerId`) ?? null,
    dueAt: optionalDate(input.dueAt, `${field}.dueAt`),
    requiredOutcome: actionProof(input.requiredOutcome, title, `${field}.requiredOutcome`),
  };
}

export async function recordAudit(db: EntityManager, caller: Caller, input: RecordAuditInput, requestId?: string): Promise<ComplianceAudit> {
  requirePermission(caller, 'recordAudits');
  const siteId = requireUuid(input.siteId, 'siteId');
  const fields = {
    title: requireText(input.title, 'title', { max: 300 }),
    siteId,
    areaIds: uuidList(input.areaIds, 'areaIds'),
    scope: requireText(input.scope, 'scope', { max: 4000 }),
    auditDate: requireDate(input.auditDate, 'auditDate'),
    auditorId: optionalUuid(input.auditorId, 'auditorId') ?? caller.id,
  };
  return db.transaction(async (manager) => {
    // The site and its areas as Work registered them, in the caller's scope: else "not found", as a random id.
    await requireSite(manager, caller, siteId);
    await requireLocations(manager, siteId, 'AREA', fields.areaIds, 'areaIds');
    const audit = await insertAudit(manager, { ...fields, createdById: caller.id });
    await record({ manager, caller, requestId }, 'audit.recorded', audit.id, {
      auditId: audit.id,
      number: auditNumber(audit),
      siteId: audit.siteId,
      areaIds: audit.areaIds,
      auditDate: audit.auditDate.toISOString(),
      actorId: caller.id,
    });
    return audit;
  });
}

/** Records a corrective action and asks Work for it: a CORRECTIVE_ACTION with the finding as its source. */
async function raiseAction(ctx: ComplianceContext, audit: ComplianceAudit, finding: AuditFinding, { requiredOutcome: proof, ...fields }: ReturnType<typeof actionFields>, links: { domain: string; recordId: string; relation: string }[] = []) {
  const seq = await nextActionSeq(ctx.manager, finding.id);
  const action = await insertFindingAction(ctx.manager, { ...fields, findingId: finding.id, seq, requestId: `compliance:finding:${finding.id}:action:${seq}`, createdById: ctx.caller.id });
  const number = findingNumber(audit, finding.seq);
  await record(ctx, 'work.requested', finding.id, {
    requestId: action.requestId,
    siteId: finding.siteId,
    areaId: finding.areaId,
    assetId: finding.assetId,
    type: 'CORRECTIVE_ACTION',
    title: action.title,
    description: clipText([action.description, `Audit finding ${number} (${finding.severity}): ${finding.description}`].filter(Boolean).join('\n\n'), 10_000),
    priority: PRIORITY_BY_SEVERITY[finding.severity],
    ownerId: action.ownerId,
    dueAt: action.dueAt?.toISOString() ?? null,
    sourceRecordId: finding.id,
    reason: clipText(`Corrective action for audit finding ${number} of "${audit.title}" (${finding.severity})`, 2000),
    requiredOutcome: proof,
    // The requirement the finding is against shows this work too (Work resolves links as well as sources).
    links: [...links, ...(finding.requirementId ? [{ domain: 'COMPLIANCE', recordId: finding.requirementId, relation: 'corrects non-compliance with' }] : [])],
  });
  return action;
}

export async function recordAuditFinding(db: EntityManager, caller: Caller, input: RecordAuditFindingInput, requestId?: string): Promise<AuditFinding> {
  requirePermission(caller, 'recordAudits');
  const auditId = requireUuid(input.auditId, 'auditId');
  const severity = oneOf(FINDING_SEVERITIES, input.severity, 'severity');
  const requirementId = optionalUuid(input.requirementId, 'requirementId') ?? null;
  const areaId = optionalUuid(input.areaId, 'areaId') ?? null;
  const assetId = optionalUuid(input.assetId, 'assetId') ?? null;
  const description = requireText(input.description, 'description', { max: 10_000 });
  const actions = (input.correctiveActions ?? []).map((a, i) => actionFields(a, `correctiveActions[${i}]`));
  if (actions.length > 20) throw badInput('at most 20 corrective actions at once', { field: 'correctiveActions' });
  return db.transaction(async (manager) => {
    const ctx = { manager, caller, requestId };
    const audit = await lockAudit(manager, auditId);
    if (!audit || !canSeeSite(caller, audit)) throw notFound('audit', auditId);
    if (requirementId) {
      const requirement = await requirementById(manager, requirementId);
      if (!requirement || !canSeeRequirement(caller, requirement)) throw notFound('requirement', requirementId);
      if (!requirement.siteIds.includes(audit.siteId)) throw badInput("the requirement does not apply at the audit's site", { field: 'requirementId' });
    }
    // The area and asset as Work registered them at the audit's site: else "not found", as a random id.
    if (areaId || assetId) await requirePlace(manager, { siteId: audit.siteId, areaId, assetId });
    const seq = await nextFindingSeq(manager, auditId);
    const finding = await insertFinding(manager, {
      auditId,
      seq,
      severity,
      requirementId,
      siteId: audit.siteId,
      areaId,
      assetId,
      description,
      status: 'OPEN',
      createdById: caller.id,
    });
    await noteHistory(ctx, finding, 'RECORDED', null);
    await record(ctx, 'finding.recorded', finding.id, { ...findingFact(audit, finding), actorId: caller.id });
    for (const action of actions) await raiseAction(ctx, audit, finding, action);
    return finding;
  });
}

export { findingFact };

async function lockFinding(ctx: ComplianceContext, id: string) {
  const finding = await lockFindingRow(ctx.manager, id);
  if (!finding || !canSeeSite(ctx.caller, finding)) throw notFound('audit finding', id);
  const audit = (await auditById(ctx.manager, finding.auditId))!;
  return { finding, audit };
}

export async function addFindingAction(db: EntityManager, caller: Caller, findingId: string, input: ComplianceActionInput, requestId?: string) {
  requirePermission(caller, 'addFindingActions');
  const id = requireUuid(findingId, 'findingId');
  const fields = actionFields(input, 'input');
  return db.transaction(async (manager) => {
    const ctx = { manager, caller, requestId };
    const { finding, audit } = await lockFinding(ctx, id);
    if (finding.status !== 'OPEN') throw illegalTransition('audit finding', finding.status, 'add a corrective action to');
    return raiseAction(ctx, audit, finding, fields);
  });
}

/** The corrective actions of findings with their live work (one statement each for actions and work). */
export async function actionsWithWork(manager: EntityManager, findingIds: string[]) {
  const actions = findingIds.length ? await actionsOfFindings(manager, findingIds) : [];
  const tracked = actions.length ? await trackedWorkOfRequests(manager, actions.map((a) => a.requestId)) : [];
  const byRequest = new Map(tracked.map((t) => [t.requestId, t]));
  return actions.map((action) => ({ action, work: byRequest.get(action.requestId) ?? null }));
}

/** A finding may close when every action is verified done; all but an observation need at least one. */
export function closability(finding: AuditFinding, actions: { action: ComplianceFindingAction; work: TrackedWorkItem | null }[]) {
  const open = actions.filter((a) => a.work?.status !== 'DONE');
  const missing = !actions.length && finding.severity !== 'OBSERVATION';
  return { closable: !open.length && !missing, open, missing };
}

type FindingPart = 'RECORDER' | 'ACTION_OWNER' | 'ACTION_PERFORMER';

const FINDING_PART_WORDS: Record<FindingPart, string> = {
  RECORDER: 'whoever recorded',
  ACTION_OWNER: 'the owner of a corrective action of',
  ACTION_PERFORMER: 'whoever started or completed a corrective action of',
};

/**
 * Closing confirms the finding is dealt with: never by whoever recorded it, nor by anyone who owns a
 * corrective action (as asked, or as Work last reported) or started or completed one in Work.
 */
async function requireNoPartInFinding(ctx: ComplianceContext, audit: ComplianceAudit, finding: AuditFinding, actions: Awaited<ReturnType<typeof actionsWithWork>>) {
  const workItemIds = actions.map((a) => a.work?.workItemId).filter((id): id is string => !!id);
  const parts: { personId: string; part: FindingPart }[] = [
    { personId: finding.createdById, part: 'RECORDER' },
    ...actions.filter((a) => a.action.ownerId).map((a) => ({ personId: a.action.ownerId!, part: 'ACTION_OWNER' as const })),
    ...(await participantsOfWork(ctx.manager, workItemIds)).map((p) => ({ personId: p.personId, part: p.part === 'OWNER' ? ('ACTION_OWNER' as const) : ('ACTION_PERFORMER' as const) })),
  ];
  const number = findingNumber(audit, finding.seq);
  requireNoPart(ctx.caller, parts, (part) => `${FINDING_PART_WORDS[part]} ${number} cannot close it`, { findingId: finding.id });
}

export async function closeAuditFinding(db: EntityManager, caller: Caller, id: string, note?: string | null, requestId?: string, effectivenessCheckDays?: number | null): Promise<AuditFinding> {
  requirePermission(caller, 'recordAudits');
  const findingId = requireUuid(id);
  const text = optionalText(note, 'note', 4000);
  const days = effectivenessDays(effectivenessCheckDays);
  return db.transaction(async (manager) => {
    const ctx = { manager, caller, requestId };
    const { finding, audit } = await lockFinding(ctx, findingId);
    if (finding.status !== 'OPEN') throw illegalTransition('audit finding', finding.status, 'close');
    const actions = await actionsWithWork(manager, [finding.id]);
    await requireNoPartInFinding(ctx, audit, finding, actions);
    const { closable, open, missing } = closability(finding, actions);
    if (!closable) {
      const message = missing
        ? `a ${finding.severity.toLowerCase()} finding needs at least one corrective action before it closes`
        : `${open.length} corrective action(s) not verified done: ${open.map((o) => `"${o.action.title}" (${requestedWorkStatus(o.work)})`).join('; ')}`;
      throw new DomainError(ErrorCode.PREREQUISITES_OPEN, `cannot close ${findingNumber(audit, finding.seq)}: ${message}`, {
        actions: open.map((o) => ({ id: o.action.id, title: o.action.title, workItemId: o.work?.workItemId ?? null, workStatus: requestedWorkStatus(o.work) })),
      });
    }
    const now = new Date();
    finding.status = 'CLOSED';
    finding.closedAt = now;
    finding.closedById = caller.id;
    finding.closeNote = text;
    await saveFinding(manager, finding);
    await noteHistory(ctx, finding, 'CLOSED', 'OPEN', text);
    // The non-conformance of a failed inspection is corrected: its occurrence no longer holds the target NOT_MET.
    if (finding.inspectionWorkItemId) {
      const occurrence = await lockObligationOfFinding(manager, finding.id);
      if (occurrence) {
        occurrence.correctedAt = now;
        await saveObligation(manager, occurrence);
      }
    }
    await record(ctx, 'finding.closed', finding.id, { ...findingFact(audit, finding), actorId: caller.id });
    await scheduleEffectivenessCheck(ctx, audit, finding, actions.filter((a) => a.work?.status === 'DONE').length, days, now);
    return finding;
  });
}

/** CLOSED → OPEN with a reason (a recurrence, new facts): new corrective actions, close and check follow. */
export async function reopenAuditFinding(db: EntityManager, caller: Caller, id: string, reason: string, requestId?: string): Promise<AuditFinding> {
  requirePermission(caller, 'reopenFindings');
  const findingId = requireUuid(id);
  const why = requireText(reason, 'reason', { max: 2000 });
  return db.transaction(async (manager) => {
    const ctx = { manager, caller, requestId };
    const { finding, audit } = await lockFinding(ctx, findingId);
    if (finding.status !== 'CLOSED') throw illegalTransition('audit finding', finding.status, 'reopen');
    await reopenLockedFinding(ctx, audit, finding, why, 'PERSON');
    return finding;
  });
}

/**
 * A failed inspection (verified with readings outside their limits; the occurrence locked by the consumer):
 * recorded as an audit of kind INSPECTION with its readings and the verifier as auditor, with one MAJOR
 * finding against the requirement (the non-conformance, `inspectionWorkItemId` = the failed inspection) and
 * one corrective action raised in Work (CORRECTIVE_ACTION, the finding as source, linked to the failed
 * inspection and the requirement) whose proof is the requirement's own evidence again: the fix is shown by
 * readings within limits.
 */
export async function recordFailedInspection(ctx: ComplianceContext, requirement: Requirement, o: ComplianceObligation, work: TrackedWorkItem, readings: InspectionReading[]) {
  const ref = `${requirement.reference}${requirement.clause ? ` ${requirement.clause}` : ''}`;
  const verifiedAt = work.verifiedAt ?? new Date();
  const audit = await insertAudit(ctx.manager, {
    kind: 'INSPECTION',
    title: clipText(`Failed inspection ${work.number}: ${requirement.title}`, 300),
    siteId: o.siteId,
    areaIds: o.areaId ? [o.areaId] : [],
    scope: clipText(`${ref}: ${requirement.acceptanceCriteria}`, 4000),
    auditDate: verifiedAt,
    auditorId: work.verifierId ?? ctx.caller.id,
    createdById: ctx.caller.id,
    inspectionWorkItemId: work.workItemId,
    inspectionWorkItemNumber: work.number,
    obligationId: o.id,
    readings,
  });
  await record(ctx, 'audit.recorded', audit.id, {
    auditId: audit.id,
    number: auditNumber(audit),
    siteId: audit.siteId,
    areaIds: audit.areaIds,
    auditDate: audit.auditDate.toISOString(),
    actorId: ctx.caller.id,
    kind: 'INSPECTION',
  });
  const finding = await insertFinding(ctx.manager, {
    auditId: audit.id,
    seq: 1,
    severity: 'MAJOR',
    requirementId: requirement.id,
    siteId: o.siteId,
    areaId: o.assetId ? null : o.areaId,
    assetId: o.assetId,
    description: clipText(`Inspection ${work.number} against ${ref} (due ${o.dueAt.toISOString().slice(0, 10)}) failed: ${describeReadings(readings)}`, 10_000),
    status: 'OPEN',
    createdById: ctx.caller.id,
    inspectionWorkItemId: work.workItemId,
  });
  await noteHistory(ctx, finding, 'RECORDED', null, `from the failed inspection ${work.number}`, work.workItemId);
  await record(ctx, 'finding.recorded', finding.id, { ...findingFact(audit, finding), actorId: ctx.caller.id });
  const evidence = [...requirement.evidence, { kind: 'DOCUMENT' as const, label: 'Record of the action taken' }].filter((e, i, all) => all.findIndex((x) => x.label.toLowerCase() === e.label.toLowerCase()) === i);
  await raiseAction(ctx, audit, finding, {
    title: clipText(`Restore compliance after failed inspection ${work.number}: ${requirement.title}`, 300),
    description: clipText(`Correct what the inspection found outside limits (${describeReadings(readings)}) so that it meets ${ref} again.`, 4000),
    ownerId: requirement.ownerId && isUuid(requirement.ownerId) ? requirement.ownerId : null,
    dueAt: null,
    requiredOutcome: { acceptanceCriteria: clipText(`${requirement.acceptanceCriteria}: met again after the failed inspection ${work.number}`, 4000), evidence },
  }, [{ domain: 'WORK', recordId: work.workItemId, relation: 'corrects the failed inspection' }]);
  return { audit, finding };
}

export async function getAudit(db: EntityManager, caller: Caller, id: string) {
  const audit = await auditById(db, requireUuid(id));
  if (!audit || !canSeeSite(caller, audit)) throw notFound('audit', id);
  return audit;
}

export async function listAudits(db: EntityManager, caller: Caller, siteId: string) {
  const site = requireUuid(siteId, 'siteId');
  if (!inSiteScope(caller, site)) return [];
  return auditsOfSite(db, site);
}

export async function getAuditFinding(db: EntityManager, caller: Caller, id: string) {
  const finding = await findingById(db, requireUuid(id));
  if (!finding || !canSeeSite(caller, finding)) throw notFound('audit finding', id);
  return finding;
}
