import { DomainError, ErrorCode, badInput, illegalTransition, inSiteScope, notFound, optionalLinkUrl, optionalText, requireText, requireUuid, uuidList, type Caller } from '@opsgraph/core';
import type { EntityManager } from 'typeorm';
import type { Hazard, JobHazardControl, JobRiskAssessment } from '../entities';
import {
  assessmentById,
  assessmentOfWorkItem,
  existingAssessmentOfWorkItem,
  insertAssessmentUnlessExists,
  insertJobHazard,
  insertJobHazardControl,
  lockJobHazardControl,
  saveJobHazardControl,
} from '../store/assessments';
import { controlsOfHazards, hazardsWithIds } from '../store/hazards';
import { emit, requireKnownWorkItem, type ChangeContext } from './common';
import { requirePermission } from './permissions';
import { controlsOf, type ControlInput } from './register';
import { bandOf, highestBand } from './risk';

/**
 * Job risk assessment: the hazards a job meets and the controls it requires. Each control is a
 * HAZARD_CONTROL_IN_PLACE blocker on the work item, raised under the control's id, so confirming one
 * clears exactly its blocker and re-opening it blocks the work again.
 */
const KIND = 'HAZARD_CONTROL_IN_PLACE';
const MAX_HAZARDS = 30;

export interface JobRiskAssessmentInput {
  workItemId: string;
  hazards: { hazardId: string; controlIds?: string[] | null; additionalControls?: ControlInput[] | null }[];
  notes?: string | null;
}

const describeControl = (control: Pick<JobHazardControl, 'kind' | 'description'>, hazard: Hazard) =>
  `${control.kind.replace('_', ' ')}: ${control.description} (hazard: ${hazard.title})`.slice(0, 1000);

export async function assessJobRisk(db: EntityManager, caller: Caller, input: JobRiskAssessmentInput, requestId?: string): Promise<JobRiskAssessment> {
  requirePermission(caller, 'assessJobRisk');
  const workItemId = requireUuid(input.workItemId, 'workItemId');
  const notes = optionalText(input.notes, 'notes', 4000);
  if (!input.hazards?.length) throw badInput('an assessment selects at least one hazard', { field: 'hazards' });
  if (input.hazards.length > MAX_HAZARDS) throw badInput(`at most ${MAX_HAZARDS} hazards`, { field: 'hazards' });
  const selections = input.hazards.map((h, i) => ({
    hazardId: requireUuid(h.hazardId, `hazards[${i}].hazardId`),
    controlIds: h.controlIds ? uuidList(h.controlIds, `hazards[${i}].controlIds`, 30) : null,
    additional: controlsOf(h.additionalControls, `hazards[${i}].additionalControls`, false),
  }));
  if (new Set(selections.map((s) => s.hazardId)).size !== selections.length) throw badInput('each hazard may be selected once', { field: 'hazards' });

  return db.transaction(async (manager) => {
    const ctx: ChangeContext = { manager, caller, requestId };
    // The job must be known here (Work's events), at one of the caller's sites: another site's work item, a
    // random id or one whose creation is still on its way is "not found", never blocked on trust.
    const work = await requireKnownWorkItem(ctx, workItemId);
    const hazards = await hazardsWithIds(manager, selections.map((s) => s.hazardId));
    const registerControls = await controlsOfHazards(manager, selections.map((s) => s.hazardId));
    const siteIds = new Set(hazards.map((h) => h.siteId));
    selections.forEach((s, i) => {
      const hazard = hazards.find((h) => h.id === s.hazardId);
      if (!hazard || !inSiteScope(caller, hazard.siteId)) throw notFound('hazard', s.hazardId);
      if (!hazard.active) throw badInput(`hazard "${hazard.title}" is retired`, { field: `hazards[${i}].hazardId` });
      const own = registerControls.filter((c) => c.hazardId === hazard.id);
      const unknown = (s.controlIds ?? []).filter((id) => !own.some((c) => c.id === id));
      if (unknown.length) throw badInput(`controls ${unknown.join(', ')} are not controls of hazard "${hazard.title}"`, { field: `hazards[${i}].controlIds` });
      if ((s.controlIds ? s.controlIds.length : own.length) + s.additional.length === 0) throw badInput(`hazard "${hazard.title}" needs at least one control`, { field: `hazards[${i}]` });
    });
    if (siteIds.size > 1) throw badInput('the hazards of one job belong to one site', { field: 'hazards' });
    if (!siteIds.has(work.siteId)) throw badInput("the hazards must be of the work item's site", { field: 'hazards' });

    const inserted = await insertAssessmentUnlessExists(manager, { workItemId, siteId: work.siteId, notes, assessedById: caller.id });
    if (!inserted) throw new DomainError(ErrorCode.CONFLICT, `work item ${workItemId} already has a risk assessment`, { workItemId });
    const assessment = await existingAssessmentOfWorkItem(manager, workItemId);

    const controlIds: string[] = [];
    for (const [position, s] of selections.entries()) {
      const hazard = hazards.find((h) => h.id === s.hazardId)!;
      const jobHazard = await insertJobHazard(manager, { assessmentId: assessment.id, workItemId, hazardId: hazard.id, position });
      const chosen = registerControls.filter((c) => c.hazardId === hazard.id && (!s.controlIds || s.controlIds.includes(c.id)));
      const rows = [
        ...chosen.map((c) => ({ hazardControlId: c.id, kind: c.kind, description: c.description })),
        ...s.additional.map((c) => ({ hazardControlId: null, ...c })),
      ];
      for (const [i, row] of rows.entries()) {
        const control = await insertJobHazardControl(manager, { ...row, assessmentId: assessment.id, jobHazardId: jobHazard.id, workItemId, hazardId: hazard.id, position: i, state: 'REQUIRED' });
        controlIds.push(control.id);
        await emit(ctx, 'prerequisite.required', control.id, { workItemId, siteId: assessment.siteId, kind: KIND, sourceRecordId: control.id, description: describeControl(control, hazard) });
      }
    }
    await emit(ctx, 'job_risk_assessment.recorded', assessment.id, {
      assessmentId: assessment.id,
      workItemId,
      siteId: assessment.siteId,
      hazardIds: selections.map((s) => s.hazardId),
      controlIds,
      highestResidualBand: highestBand(hazards.map((h) => bandOf(h.residualRating))),
      actorId: caller.id,
      at: new Date().toISOString(),
    });
    return assessment;
  });
}

async function changeControl(db: EntityManager, caller: Caller, id: string, requestId: string | undefined, change: (ctx: ChangeContext, control: JobHazardControl) => Promise<void>) {
  const controlId = requireUuid(id);
  return db.transaction(async (manager) => {
    const control = await lockJobHazardControl(manager, controlId);
    const assessment = control && (await assessmentById(manager, control.assessmentId));
    if (!control || !assessment || !inSiteScope(caller, assessment.siteId)) throw notFound('hazard control', controlId);
    await change({ manager, caller, requestId }, control);
    return control;
  });
}

const controlFact = (control: JobHazardControl, actorId: string) => ({
  controlId: control.id,
  assessmentId: control.assessmentId,
  workItemId: control.workItemId,
  hazardId: control.hazardId,
  kind: control.kind,
  actorId,
  at: new Date().toISOString(),
});

/**
 * Someone at the job confirms, with evidence, that a required control is in place: the crew's own check
 * before work starts, so no separation rule; supervisors, HSE and permit issuers re-open it when it no longer holds.
 */
export function confirmControl(db: EntityManager, caller: Caller, id: string, evidence: { note: string; url?: string | null }, requestId?: string) {
  requirePermission(caller, 'confirmControl');
  const note = requireText(evidence?.note, 'evidence.note', { max: 2000 });
  const url = optionalLinkUrl(evidence?.url, 'evidence.url'); // whoever reviews the evidence opens it: https only
  return changeControl(db, caller, id, requestId, async (ctx, control) => {
    if (control.state !== 'REQUIRED') throw illegalTransition('hazard control', control.state, 'confirm');
    Object.assign(control, { state: 'CONFIRMED', evidence: note, evidenceUrl: url, confirmedById: caller.id, confirmedAt: new Date(), reopenedReason: null });
    await saveJobHazardControl(ctx.manager, control);
    await emit(ctx, 'prerequisite.satisfied', control.id, { sourceRecordId: control.id, kind: KIND, reason: `confirmed in place: ${note}`.slice(0, 2000) });
    await emit(ctx, 'job_control.confirmed', control.id, controlFact(control, caller.id));
  });
}

/** A confirmed control is no longer in place (barrier removed, gas reading changed): the work is blocked again. */
export function reopenControl(db: EntityManager, caller: Caller, id: string, reason: string, requestId?: string) {
  requirePermission(caller, 'reopenControl');
  const why = requireText(reason, 'reason', { max: 2000 });
  return changeControl(db, caller, id, requestId, async (ctx, control) => {
    if (control.state !== 'CONFIRMED') throw illegalTransition('hazard control', control.state, 're-open');
    Object.assign(control, { state: 'REQUIRED', reopenedReason: why });
    await saveJobHazardControl(ctx.manager, control);
    await emit(ctx, 'prerequisite.reopened', control.id, { sourceRecordId: control.id, kind: KIND, reason: `control no longer in place: ${why}`.slice(0, 2000) });
    await emit(ctx, 'job_control.reopened', control.id, { ...controlFact(control, caller.id), reason: why });
  });
}

export async function getAssessment(db: EntityManager, caller: Caller, workItemId: string): Promise<JobRiskAssessment | null> {
  const assessment = await assessmentOfWorkItem(db, requireUuid(workItemId, 'workItemId'));
  return assessment && inSiteScope(caller, assessment.siteId) ? assessment : null;
}
