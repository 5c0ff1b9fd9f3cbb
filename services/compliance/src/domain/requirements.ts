import {
  DomainError,
  ErrorCode,
  type TrackedWorkItem,
  addMonths,
  badInput,
  clipText,
  inSiteScope,
  notFound,
  oneOf,
  optionalDate,
  optionalText,
  optionalUuid,
  requireText,
  requireUuid,
  textList,
  uuidList,
  type Caller,
  requireNoPart,
  requireLocations,
  unknownLocation,
} from '@opsgraph/core';
import { evidenceRequirements } from '@opsgraph/events';
import type { EntityManager } from 'typeorm';
import { REQUIREMENT_SOURCES, type ComplianceCheck, type Requirement, type ComplianceEvidenceRequirement, type ObligationTarget, type RequirementSource } from '../entities';
import { canSeeRequirement, record, requireSite, type ComplianceContext } from './context';
import { requirePermission } from './permissions';
import { isDue, raiseOccurrence } from './obligations';
import { insertCheckIfNew, lockCheck, saveCheck } from '../store/checks';
import { insertObligation } from '../store/obligations';
import { allRequirements, insertRequirement, requirementById, requirementsAtSites } from '../store/requirements';
import { openTrackedWorkAtSites, participantsOfWork } from '../store/tracked-work';

export const WORK_TYPES = [
  'MAINTENANCE', 'PRODUCTION_ACTION', 'INSPECTION', 'ROUND', 'CLEANING', 'LOGISTICS', 'PUNCH_ITEM',
  'CONTRACTOR_JOB', 'CORRECTIVE_ACTION', 'PRE_STARTUP_CHECK', 'DOCUMENT_REVIEW', 'OTHER',
] as const;

export interface CreateRequirementInput {
  reference: string;
  clause?: string | null;
  title: string;
  text: string;
  source: RequirementSource;
  siteIds: string[];
  areaIds?: string[] | null;
  assetIds?: string[] | null;
  assetClasses?: string[] | null;
  workTypes?: string[] | null;
  workCheck?: string | null;
  recurrenceMonths?: number | null;
  leadDays?: number | null;
  firstDueAt?: Date | string | null;
  acceptanceCriteria: string;
  evidence?: ComplianceEvidenceRequirement[] | null;
  ownerId?: string | null;
}

/** The facts of a work item a requirement's applicability is decided on (from Work's events or the graph). */
export interface WorkFacts {
  workItemId: string;
  siteId: string;
  areaId: string | null;
  assetId: string | null;
  assetClass: string | null;
  workType: string;
  sourceDomain: string | null;
  sourceRecordId: string | null;
}

/**
 * Whether a requirement applies to a work item: at one of its sites; of one of its work types when it
 * names any; and, when it names areas, assets or asset classes, on one of them (else anywhere at the site).
 * The work it raised itself (its inspections) always relates to it.
 */
export function appliesTo(requirement: Requirement, work: WorkFacts): boolean {
  if (work.sourceDomain === 'COMPLIANCE' && work.sourceRecordId === requirement.id) return true;
  if (!requirement.siteIds.includes(work.siteId)) return false;
  if (requirement.workTypes.length && !requirement.workTypes.includes(work.workType)) return false;
  if (!requirement.areaIds.length && !requirement.assetIds.length && !requirement.assetClasses.length) return true;
  return (
    (!!work.areaId && requirement.areaIds.includes(work.areaId)) ||
    (!!work.assetId && requirement.assetIds.includes(work.assetId)) ||
    (!!work.assetClass && requirement.assetClasses.includes(work.assetClass))
  );
}

function evidenceOf(input: ComplianceEvidenceRequirement[] | null | undefined): ComplianceEvidenceRequirement[] {
  return evidenceRequirements(input, 'evidence') as ComplianceEvidenceRequirement[];
}

function requirementFields(caller: Caller, input: CreateRequirementInput) {
  const siteIds = uuidList(input.siteIds, 'siteIds', 50);
  if (!siteIds.length) throw badInput('siteIds: a requirement applies at one site at least', { field: 'siteIds' });
  // Another site's id is "not found", as a random id is (the registry is checked in the transaction).
  for (const site of siteIds) if (!inSiteScope(caller, site)) throw unknownLocation('SITE', site, 'siteIds');
  const areaIds = uuidList(input.areaIds, 'areaIds');
  const assetIds = uuidList(input.assetIds, 'assetIds');
  const assetClasses = textList(input.assetClasses, 'assetClasses', { maxLength: 100 });
  // Areas and assets belong to one site; naming them for several would leave their site unknown.
  if ((areaIds.length || assetIds.length) && siteIds.length > 1) throw badInput('name areas or assets for one site at a time', { field: 'siteIds' });
  const recurrenceMonths = input.recurrenceMonths ?? null;
  if (recurrenceMonths !== null && (!Number.isInteger(recurrenceMonths) || recurrenceMonths < 1 || recurrenceMonths > 120)) {
    throw badInput('recurrenceMonths must be a whole number of months from 1 to 120', { field: 'recurrenceMonths' });
  }
  if (recurrenceMonths !== null && !assetIds.length && !areaIds.length && assetClasses.length) {
    // The domain learns of assets only through work; a recurring proof needs its targets named.
    throw badInput('a recurring requirement on asset classes must name the assets to inspect', { field: 'assetIds' });
  }
  const leadDays = input.leadDays ?? 30;
  if (!Number.isInteger(leadDays) || leadDays < 0 || leadDays > 365) throw badInput('leadDays must be from 0 to 365', { field: 'leadDays' });
  const workCheck = optionalText(input.workCheck, 'workCheck', 1000);
  if (!recurrenceMonths && !workCheck) throw badInput('a requirement needs a recurrence, a work check, or both: otherwise nothing proves it', { field: 'recurrenceMonths' });
  return {
    reference: requireText(input.reference, 'reference', { max: 200 }),
    clause: optionalText(input.clause, 'clause', 100),
    title: requireText(input.title, 'title', { max: 300 }),
    text: requireText(input.text, 'text', { max: 10_000 }),
    source: oneOf(REQUIREMENT_SOURCES, input.source, 'source'),
    siteIds,
    areaIds,
    assetIds,
    assetClasses,
    workTypes: [...new Set((input.workTypes ?? []).map((t, i) => oneOf(WORK_TYPES, t, `workTypes[${i}]`)))],
    workCheck,
    recurrenceMonths,
    leadDays,
    acceptanceCriteria: requireText(input.acceptanceCriteria, 'acceptanceCriteria', { max: 4000 }),
    evidence: evidenceOf(input.evidence),
    ownerId: optionalUuid(input.ownerId, 'ownerId') ?? null,
    firstDueAt: optionalDate(input.firstDueAt, 'firstDueAt'),
  };
}

/** The places a recurring requirement must be proven at: named assets, else named areas, else its sites. */
function targetsOf(r: Requirement): { targetKind: ObligationTarget; siteId: string; areaId: string | null; assetId: string | null }[] {
  if (r.assetIds.length) return r.assetIds.map((assetId) => ({ targetKind: 'ASSET', siteId: r.siteIds[0], areaId: null, assetId }));
  if (r.areaIds.length) return r.areaIds.map((areaId) => ({ targetKind: 'AREA', siteId: r.siteIds[0], areaId, assetId: null }));
  return r.siteIds.map((siteId) => ({ targetKind: 'SITE', siteId, areaId: null, assetId: null }));
}

export const requirementFact = (r: Requirement) => ({
  requirementId: r.id,
  reference: r.reference,
  clause: r.clause,
  source: r.source,
  siteIds: r.siteIds,
  areaIds: r.areaIds,
  assetIds: r.assetIds,
  assetClasses: r.assetClasses,
  workTypes: r.workTypes,
  recurrenceMonths: r.recurrenceMonths,
  hasWorkCheck: !!r.workCheck,
});

/**
 * The places a requirement applies at, as Work registered them: each site known and in the caller's scope,
 * its areas and assets of that site (there is one site when they are named). Else "not found", exactly as a
 * random id is; one registered in Work a moment ago may not be known here yet (the message says to retry).
 */
async function requirePlaces(manager: EntityManager, caller: Caller, fields: Pick<Requirement, 'siteIds' | 'areaIds' | 'assetIds'>) {
  for (const site of fields.siteIds) await requireSite(manager, caller, site, 'siteIds');
  await requireLocations(manager, fields.siteIds[0], 'AREA', fields.areaIds, 'areaIds');
  await requireLocations(manager, fields.siteIds[0], 'ASSET', fields.assetIds, 'assetIds');
}

export async function createRequirement(db: EntityManager, caller: Caller, input: CreateRequirementInput, requestId?: string, now = new Date()): Promise<Requirement> {
  requirePermission(caller, 'manageRequirements');
  const { firstDueAt, ...fields } = requirementFields(caller, input);
  return db.transaction(async (manager) => {
    const ctx = { manager, caller, requestId };
    await requirePlaces(manager, caller, fields);
    const requirement = await insertRequirement(manager, { ...fields, createdById: caller.id });
    await record(ctx, 'requirement.created', requirement.id, { ...requirementFact(requirement), actorId: caller.id });
    if (requirement.recurrenceMonths) {
      const dueAt = firstDueAt ?? addMonths(now, requirement.recurrenceMonths);
      for (const target of targetsOf(requirement)) {
        const occurrence = await insertObligation(manager, { ...target, requirementId: requirement.id, dueAt, status: 'OPEN', attempt: 0, previousId: null });
        // Already inside its lead time (or late): raised now rather than at the rule's next run.
        if (isDue(occurrence, requirement.leadDays, now)) await raiseOccurrence(ctx, requirement, occurrence, now);
      }
    }
    if (requirement.workCheck) {
      // Open work already known that it applies to is gated too, not only work created from now on.
      const open = await openTrackedWorkAtSites(manager, requirement.siteIds);
      for (const work of open) await raiseChecks(ctx, factsOf(work), [requirement]);
    }
    return requirement;
  });
}

export const factsOf = (t: TrackedWorkItem): WorkFacts => ({
  workItemId: t.workItemId,
  siteId: t.siteId,
  areaId: t.areaId,
  assetId: t.assetId,
  assetClass: t.assetClass,
  workType: t.workType,
  sourceDomain: t.sourceDomain,
  sourceRecordId: t.sourceRecordId,
});

/**
 * Gates a work item with a COMPLIANCE_CHECK prerequisite per requirement with a work check that applies
 * to it (not the work the requirement raised itself: an inspection does not wait for itself).
 */
export async function raiseChecks(ctx: ComplianceContext, work: WorkFacts, candidates: Requirement[]) {
  for (const requirement of candidates) {
    if (!requirement.workCheck || (work.sourceDomain === 'COMPLIANCE' && work.sourceRecordId === requirement.id) || !appliesTo(requirement, work)) continue;
    if (!(await insertCheckIfNew(ctx.manager, requirement.id, work.workItemId, work.siteId))) continue;
    await record(ctx, 'prerequisite.required', requirement.id, {
      workItemId: work.workItemId,
      // The site the check is raised for (the work item's, one of the requirement's): Work applies it only there.
      siteId: work.siteId,
      kind: 'COMPLIANCE_CHECK',
      sourceRecordId: requirement.id,
      description: clipText(`${requirement.reference}${requirement.clause ? ` ${requirement.clause}` : ''}: ${requirement.workCheck}`, 1000),
      state: 'OPEN',
      reason: clipText(`compliance requirement "${requirement.title}" applies to this work`, 1000),
    });
  }
}

/** Confirms the statutory check on a work item: its COMPLIANCE_CHECK prerequisite is satisfied. */
export async function confirmComplianceCheck(db: EntityManager, caller: Caller, requirementId: string, workItemId: string, note?: string | null, requestId?: string): Promise<ComplianceCheck> {
  requirePermission(caller, 'confirmChecks');
  const reqId = requireUuid(requirementId, 'requirementId');
  const itemId = requireUuid(workItemId, 'workItemId');
  const text = optionalText(note, 'note', 2000);
  return db.transaction(async (manager) => {
    const ctx = { manager, caller, requestId };
    const check = await lockCheck(manager, reqId, itemId);
    // Only a work item of the caller's sites that this service knows (from Work's events) has a check: any
    // other id, another site's included, is "not found" as a random id is.
    if (!check || !inSiteScope(caller, check.siteId)) {
      throw new DomainError(ErrorCode.NOT_FOUND, `compliance check of work item ${itemId} not found (one created in Work a moment ago may not be known here yet: retry shortly)`, { id: itemId, field: 'workItemId' });
    }
    if (check.status !== 'OPEN') throw new DomainError(ErrorCode.ILLEGAL_TRANSITION, `this compliance check is already ${check.status.toLowerCase()}`, { from: check.status, action: 'confirm' });
    // The statutory check is someone else's look at the work: never its owner's, nor theirs who did it.
    requireNoPart(caller, await participantsOfWork(manager, [itemId]), (part) => `${part === 'OWNER' ? 'the owner of' : 'whoever started or completed'} a work item cannot confirm its compliance check`, { requirementId: reqId, workItemId: itemId });
    const requirement = (await requirementById(manager, reqId))!;
    check.status = 'CONFIRMED';
    check.confirmedById = caller.id;
    check.confirmedAt = new Date();
    check.note = text;
    await saveCheck(manager, check);
    await record(ctx, 'compliance_check.confirmed', requirement.id, { requirementId: requirement.id, workItemId: itemId, siteId: check.siteId, actorId: caller.id, at: check.confirmedAt.toISOString() });
    await record(ctx, 'prerequisite.satisfied', requirement.id, {
      sourceRecordId: requirement.id,
      kind: 'COMPLIANCE_CHECK',
      workItemIds: [itemId],
      reason: clipText(`${requirement.reference}${requirement.clause ? ` ${requirement.clause}` : ''} confirmed${text ? `: ${text}` : ''}`, 2000),
    });
    return check;
  });
}

export async function getRequirement(db: EntityManager, caller: Caller, id: string): Promise<Requirement> {
  const requirement = await requirementById(db, requireUuid(id));
  if (!requirement || !canSeeRequirement(caller, requirement)) throw notFound('requirement', id);
  return requirement;
}

export async function listRequirements(db: EntityManager, caller: Caller, siteId?: string | null): Promise<Requirement[]> {
  const site = optionalUuid(siteId, 'siteId');
  if (site) return inSiteScope(caller, site) ? requirementsAtSites(db, [site]) : [];
  const rows = await allRequirements(db);
  return rows.filter((r) => canSeeRequirement(caller, r));
}
