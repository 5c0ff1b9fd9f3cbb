import { OPEN_WORK_STATUSES, clipText, withSystemScope, type TrackedWorkItem, type WorkEventData } from '@opsgraph/core';
import { recordEvent } from '@opsgraph/events';
import type { EntityManager } from 'typeorm';
import { PENDING_APPROVAL, type ChangeRequest, type ChangeTask, type PreStartupCheck } from '../entities';
import { changeById, gatesOfChange, insertGate, pendingChangesOnAsset, saveChangeRequest } from '../store/changes';
import { permitChecksOfRequests, saveCheck } from '../store/checks';
import { tasksOfChange } from '../store/tasks';
import { applyWorkItemEvent, insertPermitCover, moveWorkContractor, permitCoversOf, trackedWorkItems, trackedWorkOfRequests, unstartedWorkOnAssets, upsertWorkContractor } from '../store/tracked-work';
import { changeNumber, type ChangeContext } from './context';
import { keepPunchItem } from './punch-items';

/**
 * How the change domain talks to Work: it raises work items (implementation tasks, pre-startup checks,
 * the restore action of a temporary change) and "change approved" prerequisites by event, and follows
 * the work it raised from Work's events.
 */

const priorityOf = (change: ChangeRequest) => (change.type === 'EMERGENCY' ? 'HIGH' : change.riskRating === 'HIGH' || change.riskRating === 'CRITICAL' ? 'HIGH' : 'MEDIUM');

async function requestWork(ctx: ChangeContext, change: ChangeRequest, data: Record<string, unknown>) {
  await recordEvent(ctx.manager, { domain: 'change', type: 'work.requested', subject: change.id, data: { ...data, sourceRecordId: change.id }, requestId: ctx.requestId });
}

/** Work's links hold at most 50 records: the people first, then as many documents as fit. */
const MAX_LINKS = 50;

/**
 * The change's people as structured links of the work it raises (Competence keeps people), so texts name
 * their part without a raw id: a client resolves the person from the link.
 */
const peopleLinks = (change: ChangeRequest) => [
  { domain: 'COMPETENCE', recordId: change.requesterId, relation: 'requested the change' },
  ...(change.ownerId !== change.requesterId ? [{ domain: 'COMPETENCE', recordId: change.ownerId, relation: 'owns the change' }] : []),
];

function linksOf(change: ChangeRequest, documentIds: string[], relation: string) {
  const people = peopleLinks(change);
  return [...people, ...documentIds.slice(0, MAX_LINKS - people.length).map((recordId) => ({ domain: 'DOCUMENTS', recordId, relation }))];
}

const documentsText = (ids: string[]) => (ids.length ? `${ids.length} document(s), linked on this work item: check against their current revision` : 'none named');

const approvalPrerequisite = (change: ChangeRequest) => ({
  kind: 'CHANGE_APPROVED',
  sourceRecordId: change.id,
  description: `Change ${changeNumber(change)} "${change.title}" must be approved before this work goes ahead`,
});

/**
 * Raises an implementation task as a work item, asking for the proof stored on the task; before approval it
 * carries the "change approved" blocker.
 */
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
    requiredOutcome: task.requiredOutcome,
    prerequisites: approved ? [] : [approvalPrerequisite(change)],
    links: linksOf(change, change.documentIds, 'changed by'),
  });
}

export const checkRequestId = (check: Pick<PreStartupCheck, 'changeId' | 'seq' | 'attempt'>) =>
  `change:${check.changeId}:check:${check.seq}${check.attempt > 1 ? `:${check.attempt}` : ''}`;

/**
 * The work item description of a check: what changed, who asked, which documents, permit, what to confirm.
 * No raw ids: people and documents are the work item's links (`linksOf`), the text only says they are there.
 */
export function checkDescription(change: ChangeRequest, check: PreStartupCheck): string {
  const owner = change.ownerId !== change.requesterId ? ' and its owner' : '';
  return [
    `Pre-startup safety review of change ${changeNumber(change)} "${change.title}": production must not resume before this check is verified.`,
    `What changed: ${check.whatChanged}`,
    `Who asked: the change's requester${owner} (linked on this work item), because: ${change.reason}`,
    `Documents: ${documentsText(check.documentIds)}`,
    `Permit needed: ${check.permitRequired ? `yes${check.permitNote ? ` (${check.permitNote})` : ''}: blocked until an issued permit to work covers this work item` : 'no'}`,
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
    prerequisites: check.permitRequired ? [permitPrerequisite(change, check)] : [],
    links: linksOf(change, check.documentIds, 'checked against'),
  });
}

/**
 * The "valid permit" blocker of a check that needs a permit. Its source record is the check: the change
 * satisfies it when an issued permit covers the check's work item (`settlePermitChecks`); from then on the
 * permit's own PERMIT_VALID blocker (the permits domain's) follows the permit (suspended, expired, closed).
 */
const permitPrerequisite = (change: ChangeRequest, check: PreStartupCheck) => ({
  kind: 'PERMIT_VALID',
  sourceRecordId: check.id,
  description: clipText(`Permit to work${check.permitNote ? ` (${check.permitNote})` : ''} issued for this pre-startup check of ${changeNumber(change)}: a permit naming this work item`, 1000),
  reason: 'the pre-startup check needs a permit to work',
});

/**
 * Satisfies the "valid permit" blocker of the checks among these work items that an issued permit of their
 * site covers. Called when a permit is issued and when Work reports a check's item, so the outcome does not
 * depend on which of the two events arrives first; a repeat is harmless (Work keeps a satisfied blocker so).
 */
async function settlePermitChecks(ctx: ChangeContext, workItemIds: string[]) {
  const work = (await trackedWorkItems(ctx.manager, workItemIds)).filter((t) => t.requestId && t.sourceDomain === 'CHANGE' && OPEN_WORK_STATUSES.includes(t.status));
  if (!work.length) return;
  const checks = await permitChecksOfRequests(ctx.manager, work.map((t) => t.requestId!));
  if (!checks.length) return;
  const covers = await permitCoversOf(ctx.manager, work.map((t) => t.workItemId));
  for (const check of checks) {
    const item = work.find((t) => t.requestId === check.requestId)!;
    const cover = covers.find((c) => c.workItemId === item.workItemId && c.siteId === item.siteId);
    if (!cover) continue;
    await recordEvent(ctx.manager, {
      domain: 'change',
      type: 'prerequisite.satisfied',
      subject: check.changeId, // the change's key: after the work request that raised the blocker
      data: { sourceRecordId: check.id, kind: 'PERMIT_VALID', workItemIds: [item.workItemId], reason: `${cover.permitNumber} issued, covering ${item.number}` },
      requestId: ctx.requestId,
    });
  }
}

/** The part of a permit fact (`opsgraph.permits.permit.*`) this domain reads. */
export interface PermitFact {
  permitId: string;
  number: string;
  status: string;
  siteId: string;
  workItemIds: string[];
  at?: string | null;
}

/** A permit issued (or reinstated, or given more work while issued): it covers its work items' checks. */
export async function onPermitFact(ctx: ChangeContext, data: PermitFact, time: Date) {
  if (data.status !== 'ISSUED' || !data.workItemIds?.length) return;
  for (const workItemId of data.workItemIds) {
    await insertPermitCover(ctx.manager, { workItemId, permitId: data.permitId, permitNumber: data.number, siteId: data.siteId, issuedAt: data.at ? new Date(data.at) : time });
  }
  await settlePermitChecks(ctx, data.workItemIds);
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
  for (const { workItemId, siteId } of await taskWork(ctx.manager, change.id)) await sendVerdict(ctx, change, workItemId, siteId);
}

/**
 * Tells a task's work item that its change was rejected or cancelled: Work keeps an open blocker open, and
 * raising it again with the verdict updates what the board shows. Sent when the change ends for the tasks
 * known here, and when a task's work item becomes known after the change ended (its creation raced the end).
 */
async function sendVerdict(ctx: ChangeContext, change: ChangeRequest, workItemId: string, siteId: string) {
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
      reason: `change ${changeNumber(change)} was ${change.status.toLowerCase()}: this implementation work must not go ahead`,
    },
    requestId: ctx.requestId,
  });
}

const ENDED = ['REJECTED', 'CANCELLED'];

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
  await keepPunchItem(ctx.manager, data, time);
  // The first time a check's work item is known here, a permit issued for it earlier may already cover it.
  if (after.requestId && !before?.requestId && after.workType === 'PRE_STARTUP_CHECK' && after.sourceDomain === 'CHANGE') await settlePermitChecks(ctx, [after.workItemId]);
  // A task's work item first known after its change ended: the verdict sent at the end did not name it.
  if (after.requestId && !before?.requestId && after.sourceDomain === 'CHANGE' && after.sourceRecordId && after.requestId.startsWith(`change:${after.sourceRecordId}:task:`) && OPEN_WORK_STATUSES.includes(after.status)) {
    const change = await changeById(ctx.manager, after.sourceRecordId);
    if (change && ENDED.includes(change.status)) await sendVerdict(ctx, change, after.workItemId, after.siteId);
  }
  if (!applied || before || !after.assetId || !OPEN_WORK_STATUSES.includes(after.status)) return;
  const pending = await pendingChangesOnAsset(ctx.manager, after.assetId, after.siteId);
  for (const change of pending) {
    if (after.sourceDomain === 'CHANGE' && after.sourceRecordId === change.id) continue;
    await gate(ctx, change, after.workItemId, after.siteId);
  }
}
