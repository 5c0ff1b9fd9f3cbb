import { SYSTEM_CALLER, type TrackedWorkItem, type WorkEventData } from '@opsgraph/core';
import { ceType, contractsByDomain, type CloudEvent } from '@opsgraph/events';
import type { EntityManager } from 'typeorm';
import { documentsBlockingWorkItem } from '../store/acknowledgements';
import { documentsAt, lockDocumentsShared } from '../store/documents';
import { currentRevisionsOfDocuments } from '../store/revisions';
import { applyTrackedWorkEvent } from '../store/tracked-work';
import { acknowledging } from './applicability';
import { reconcileAcknowledgements } from './acknowledgements';
import type { ChangeContext } from './common';
import { settleReview } from './reviews';

/**
 * What the documents domain does with Work's events (`opsgraph.work.v1`), inside the consumer's
 * transaction: keep the tracked view of work items, close reviews whose review work is verified, and keep
 * acknowledgement blockers right as work is created, reassigned and finished.
 */
/** Every `opsgraph.work.work_item.*` type in the contract registry: the tracked view follows them all. */
export const WORK_EVENTS = contractsByDomain.work.filter((c) => c.type.startsWith('work_item.')).map((c) => ceType('work', c.type));

export async function onWorkItemEvent(event: CloudEvent<WorkEventData>, manager: EntityManager): Promise<void> {
  const { before, after, applied } = await applyTrackedWorkEvent(manager, event.type, event.data, event.time);
  if (!applied) return;
  const ctx: ChangeContext = { manager, caller: SYSTEM_CALLER, requestId: event.requestId };
  if (after.requestId && before?.status !== after.status) await settleReview(ctx, after);
  // Blockers depend only on the owner and on whether the work is still to be started or going on.
  if (!before || before.ownerId !== after.ownerId || acknowledging(before) !== acknowledging(after)) await reconcileWorkItem(ctx, after);
}

/**
 * Re-checks one work item against every document that applies at its place or still blocks it: the
 * documents are locked (shared) first, so an approval running at the same time is either seen whole or
 * sees this item.
 */
async function reconcileWorkItem(ctx: ChangeContext, item: TrackedWorkItem): Promise<void> {
  const { manager } = ctx;
  const atItem = await documentsAt(manager, [item]);
  const blocking = await documentsBlockingWorkItem(manager, item.workItemId);
  const ids = [...new Set([...atItem.map((d) => d.id), ...blocking.map((b) => b.documentId)])].sort();
  if (!ids.length) return;
  const documents = await lockDocumentsShared(manager, ids);
  const current = await currentRevisionsOfDocuments(manager, ids);
  for (const document of documents) {
    await reconcileAcknowledgements(ctx, document, current.find((r) => r.documentId === document.id) ?? null, [item]);
  }
}
