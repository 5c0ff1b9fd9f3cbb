import { OPEN_WORK_STATUSES, clipText, withSystemScope, type TrackedWorkItem, type WorkEventData } from '@opsgraph/core';
import { recordEvent } from '@opsgraph/events';
import type { EntityManager } from 'typeorm';
import { PENDING_APPROVAL, type ChangeRequest, type ChangeTask, type PreStartupCheck } from '../entities';
import { gatesOfChange, insertGate, pendingChangesOnAsset, saveChangeRequest } from '../store/changes';
import { saveCheck } from '../store/checks';
import { tasksOfChange } from '../store/tasks';
import { applyWorkItemEvent, moveWorkContractor, trackedWorkOfRequests, unstartedWorkOnAssets, upsertWorkContractor } from '../store/tracked-work';
import { changeNumber, type ChangeContext } from './context';

/**
 * How the change domain talks to Work: it raises work items (implementation tasks, pre-startup checks,
 * the restore action of a temporary change) and "change approved" prerequisites by event, and follows
 * the work it raised from Work's events.
 */

const priorityOf = (change: ChangeRequest) => (change.type === 'EMERGENCY' ? 'HIGH' : change.riskRating === 'HIGH' || change.riskRating === 'CRITICAL' ? 'HIGH' : 'MEDIUM');

async function requestWork(ctx: ChangeContext, change: ChangeRequest, data: Record<string, unknown>) {
  await recordEvent(ctx.manager, { domain: 'change', type: 'work.requested', subject: change.id, data: { ...data, sourceRecordId: change.id }, requestId: ctx.requestId });
}

const approvalPrerequisite = (change: ChangeRequest) => ({
  kind: 'CHANGE_APPROVED',
  sourceRecordId: change.id,
  description: `Change ${changeNumber(change)} "${change.title}" must be approved before this work goes ahead`,
});

/** Raises an implementation task as a work item; before approval it carries the "change approved" blocker. */
export async function raiseTask(ctx: ChangeContext, change: ChangeRequest, task: ChangeTask) {
  const approved = !['DRAFT', ...PENDING_APPROVAL].includes(change.status);
  await requestWork(ctx, change, {
    requestId: task.requestId,
    siteId: task.siteId,
    areaId: task.areaId,
    lineId: task.lineId,
    assetId: task.assetId,
    type: task.workType,
    title: task.title,
    description: clipText([task.description, `Implements change ${changeNumber(change)}: ${change.description}`].filter(Boolean).join('\n\n'), 10_000),
    priority: priorityOf(change),
    ownerId: task.ownerId,
    dueAt: task.dueAt?.toISOString() ?? null,
    reason: clipText(`Implementation of change ${changeNumber(change)} "${change.title}": ${change.reason}`, 2000),
    prerequisites: approved ? [] : [approvalPrerequisite(change)],
    links: change.documentIds.map((recordId) => ({ domain: 'DOCUMENTS', recordId, relation: 'changed by' })),
  });
}

export const checkRequestId = (check: Pick<PreStartupCheck, 'changeId' | 'seq' | 'attempt'>) =>
  `change:${check.changeId}:check:${check.seq}${check.attempt > 1 ? `:${check.attempt}` : ''}`;

/** The work item description of a check: what changed, who asked, which document, permit, what to confirm. */
export function checkDescription(change: ChangeRequest, check: PreStartupCheck): string {
  return [
    `Pre-startup safety review of change ${changeNumber(change)} "${change.title}": production must not resume before this check is verified.`,
    `What changed: ${check.whatChanged}`,
    `Who asked: the change was requested by person ${change.requesterId}${change.ownerId !== change.requesterId ? ` and is owned by person ${change.ownerId}` : ''}, because: ${change.reason}`,
    `Documents: ${check.documentIds.length ? check.documentIds.join(', ') : 'none named'}`,
    `Permit needed: ${check.permitRequired ? `yes${check.permitNote ? ` (${check.permitNote})` : ''}: do not start without a valid permit` : 'no'}`,
    `Confirm before production resumes:\n${check.confirmations.map((c) => `- ${c}`).join('\n')}`,
  ].join('\n');
}

/** Raises (or raises again) one pre-startup check as a PRE_STARTUP_CHECK work item. */
export async function raiseCheck(ctx: ChangeContext, change: ChangeRequest, check: PreStartupCheck, now = new Date()) {
  check.attempt += 1;
  check.requestId = checkRequestId(check);
  check.raisedAt = now;
  await saveCheck(ctx.manager, check);
  await requestWork(ctx, change, {
    requestId: check.requestId,
    siteId: check.siteId,
    areaId: check.areaId,
    lineId: check.lineId,
    assetId: check.assetId,
    type: 'PRE_STARTUP_CHECK',
    title: check.title,
    description: clipText(checkDescription(change, check), 10_000),
    priority: 'HIGH',
    ownerId: check.ownerId,
    reason: clipText(`Pre-startup safety review of change ${changeNumber(change)}: ${change.reason}`, 2000),
    requiredOutcome: {
      acceptanceCriteria: clipText(`Every confirmation answered and the restart released: ${check.confirmations.join('; ')}`, 4000),
      evidence: [
        { kind: 'CHECKLIST', label: 'Pre-startup confirmations', questions: check.confirmations },
        { kind: 'SIGNATURE', label: 'Released for restart' },
      ],
    },
    links: check.documentIds.map((recordId) => ({ domain: 'DOCUMENTS', recordId, relation: 'checked against' })),
  });
}

/**
 * Puts one work item behind the approval of a pending change (once per change and work item). `siteId` is
 * where the gated work is, one of the change's sites: Work applies the blocker only to an item of that site.
 */
async function gate(ctx: ChangeContext, change: ChangeRequest, workItemId: string, siteId: string) {
  if (!(await insertGate(ctx.manager, change.id, workItemId))) return;
  await recordEvent(ctx.manager, {
    domain: 'change',
    type: 'prerequisite.required',
    subject: change.id,
    data: { workItemId, siteId, state: 'OPEN', ...approvalPrerequisite(change), reason: `asset in the scope of change ${changeNumber(change)} (${change.status})` },
    requestId: ctx.requestId,
  });
}

/**
 * On submission: open work on assets in scope that has not started waits for the approval. Only work at
 * the change's own sites: an asset id of another site named in a change must not block that site's work.
 * At all of them, though: whoever submits (its requester or owner) may work at one of them only, so the work
 * is looked up in the system scope (row-level security would show only theirs); only ids leave it.
 */
export async function gateOpenWork(ctx: ChangeContext, change: ChangeRequest) {
  if (!change.assetIds.length) return;
  const work = await withSystemScope(ctx.manager, "the open work on a submitted change's assets at every site of the change", (system) =>
    unstartedWorkOnAssets(system, change.assetIds, change.siteIds),
  );
  for (const item of work) {
    if (item.sourceDomain === 'CHANGE' && item.sourceRecordId === change.id) continue; // its own tasks carry it already
    await gate(ctx, change, item.workItemId, item.siteId);
  }
}

/** Open work items of the change's implementation tasks that Work has reported, each with its task's site. */
async function taskWork(manager: EntityManager, changeId: string): Promise<{ workItemId: string; siteId: string }[]> {
  const tasks = await tasksOfChange(manager, changeId);
  if (!tasks.length) return [];
  const tracked = await trackedWorkOfRequests(manager, tasks.map((t) => t.requestId));
  return tracked
    .filter((t) => OPEN_WORK_STATUSES.includes(t.status))
    .map((t) => ({ workItemId: t.workItemId, siteId: tasks.find((task) => task.requestId === t.requestId)!.siteId }));
}

/** Approval clears every "change approved" blocker the change raised. */
export async function releaseOnApproval(ctx: ChangeContext, change: ChangeRequest) {
  await recordEvent(ctx.manager, {
    domain: 'change',
    type: 'prerequisite.satisfied',
    subject: change.id,
    data: { sourceRecordId: change.id, kind: 'CHANGE_APPROVED', reason: `change ${changeNumber(change)} approved` },
    requestId: ctx.requestId,
  });
}

/**
 * A rejected or cancelled change will not happen: other work on its assets no longer waits for it, but
 * its own implementation tasks must not go ahead, so they stay blocked and their blocker says why.
 */
export async function releaseOnEnd(ctx: ChangeContext, change: ChangeRequest) {
  const gated = (await gatesOfChange(ctx.manager, change.id)).map((g) => g.workItemId);
  const verdict = `change ${changeNumber(change)} was ${change.status.toLowerCase()}`;
  if (gated.length) {
    await recordEvent(ctx.manager, {
      domain: 'change',
      type: 'prerequisite.satisfied',
      subject: change.id,
      data: { sourceRecordId: change.id, kind: 'CHANGE_APPROVED', workItemIds: gated, reason: `${verdict}: the work no longer waits for it` },
      requestId: ctx.requestId,
    });
  }
  // Work keeps an open blocker open; raising it again with the verdict updates what the board shows.
  for (const { workItemId, siteId } of await taskWork(ctx.manager, change.id)) {
    await recordEvent(ctx.manager, {
      domain: 'change',
      type: 'prerequisite.required',
      subject: change.id,
      data: {
        workItemId,
        siteId,
        kind: 'CHANGE_APPROVED',
        sourceRecordId: change.id,
        description: clipText(`Change ${changeNumber(change)} "${change.title}" was ${change.status.toLowerCase()}: this implementation work must not go ahead; cancel it`, 1000),
        state: 'OPEN',
        reason: `${verdict}: this implementation work must not go ahead`,
      },
      requestId: ctx.requestId,
    });
  }
}

/** The action raised once when a temporary change passes its end date. */
export async function raiseRestoreAction(ctx: ChangeContext, change: ChangeRequest, now: Date) {
  change.restoreRequestId = `change:${change.id}:restore`;
  await saveChangeRequest(ctx.manager, change);
  const only = (ids: string[]) => (ids.length === 1 ? ids[0] : null);
  await requestWork(ctx, change, {
    requestId: change.restoreRequestId,
    siteId: change.siteIds[0],
    areaId: only(change.areaIds),
    lineId: only(change.lineIds),
    assetId: only(change.assetIds),
    type: 'OTHER',
    title: clipText(`Restore or make permanent: ${change.title}`, 300),
    description: clipText(`Temporary change ${changeNumber(change)} ended on ${change.endDate!.toISOString()}. Either restore the plant to its original state, or raise a permanent change for it.\n\nWhat was changed: ${change.description}`, 10_000),
    priority: 'HIGH',
    ownerId: change.ownerId,
    dueAt: new Date(now.getTime() + 7 * 24 * 3600_000).toISOString(),
    reason: `Temporary change ${changeNumber(change)} is past its end date`,
    requiredOutcome: { acceptanceCriteria: 'The plant is restored to its original state, or a permanent change covering it is approved', evidence: [{ kind: 'SIGNATURE', label: 'Decision recorded by' }] },
  });
}

/**
 * Keeps the contractor company of a work item (only `work_item.created` names it; it is set when the item is
 * created, so even a late creation event tells it right), and its site when Work moves the item: what the
 * contractor rule of change reads (see the RowLevelSecurity migration).
 */
async function recordContractor(manager: EntityManager, data: WorkEventData, before: TrackedWorkItem | null, after: TrackedWorkItem) {
  const company = (data as WorkEventData & { contractorCompany?: string | null }).contractorCompany;
  if (company) {
    await upsertWorkContractor(manager, data.workItemId, after.siteId, company);
  } else if (before && before.siteId !== after.siteId) {
    await moveWorkContractor(manager, after.workItemId, after.siteId);
  }
}

/**
 * Applies one of Work's work item events: keeps the local view of the work, and puts new work on an
 * asset in the scope of a change awaiting approval (at one of the change's sites) behind that approval.
 */
export async function onWorkEvent(ctx: ChangeContext, type: string, data: WorkEventData, time: Date) {
  const { after, applied, before } = await applyWorkItemEvent(ctx.manager, type, data, time);
  await recordContractor(ctx.manager, data, before, after);
  if (!applied || before || !after.assetId || !OPEN_WORK_STATUSES.includes(after.status)) return;
  const pending = await pendingChangesOnAsset(ctx.manager, after.assetId, after.siteId);
  for (const change of pending) {
    if (after.sourceDomain === 'CHANGE' && after.sourceRecordId === change.id) continue;
    await gate(ctx, change, after.workItemId, after.siteId);
  }
}
