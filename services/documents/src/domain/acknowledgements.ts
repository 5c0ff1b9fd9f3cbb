import { DomainError, ErrorCode, forbidden, illegalTransition, isUuid, notFound, requireRole, requireUuid, type Caller, type TrackedWorkItem } from '@opsgraph/core';
import { acknowledgementSourceRecordId } from '@opsgraph/events';
import type { EntityManager } from 'typeorm';
import type { Document, DocumentAcknowledgement, DocumentBlockedWork, DocumentRevision } from '../entities';
import {
  acknowledgementsBlockingWork,
  insertPendingAcknowledgement,
  lockAcknowledgement as lockAcknowledgementRow,
  lockAcknowledgementByIdOrFail,
  lockAcknowledgementOrFail,
  lockSupersededAcknowledgements,
  pendingAcknowledgementsOfPerson,
  removeAcknowledgement,
  saveAcknowledgement,
  supersedePendingAcknowledgements,
} from '../store/acknowledgements';
import { clearBlockedWork, describeBlockedWork, insertBlockedWork, openBlockedWork, type BlockerEnd } from '../store/blocked-work';
import { documentsWithIds, lockDocumentShared } from '../store/documents';
import { currentRevisionOfDocument, revisionById, revisionByIdOrFail, revisionsOfDocuments } from '../store/revisions';
import { needsAcknowledgement } from './applicability';
import { canSee, emit, iso, requireAcknowledgementsOf, seesAcknowledgementsOf, workVisible, type ChangeContext } from './common';
import { DOCUMENT_PERMISSIONS } from './permissions';

/**
 * "Read and understood". The owner of open work a document applies to must acknowledge its current
 * revision before going on: Work shows a DOCUMENT_ACKNOWLEDGED blocker per work item, all raised under the
 * source record `<revisionId>:<personId>`, so the person's acknowledgement clears all of them at once.
 *
 * A blocker of a superseded revision stays until its person acknowledges the revision that replaced it
 * (which then clears both): releasing it at approval could let work start in the moment before the new
 * revision's blocker reaches Work. It is re-described to name the current revision, the one the person can
 * act on (the superseded one can no longer be acknowledged).
 *
 * Every blocker raised is also recorded in `document_blocked_work`, with how it ended (acknowledged, by
 * which revision, or released): the acknowledgement's `workItemIds` holds only what still blocks.
 */
const KIND = 'DOCUMENT_ACKNOWLEDGED';

/** The person's acknowledgement of a revision, locked; created PENDING (and empty) when there is none yet. */
async function lockAcknowledgement(manager: EntityManager, revision: DocumentRevision, personId: string): Promise<DocumentAcknowledgement> {
  await insertPendingAcknowledgement(manager, revision, personId);
  return lockAcknowledgementOrFail(manager, revision.id, personId);
}

const description = (document: Document, revision: DocumentRevision) =>
  `Read and understood: ${document.number} rev ${revision.label} "${document.title}"`.slice(0, 1000);

/** A superseded revision's blocker names the revision the person can acknowledge now (the title last: it may be cut). */
const replacedDescription = (document: Document, current: DocumentRevision, replacedLabel: string) =>
  `Read and understood: ${document.number} rev ${current.label} (replaces rev ${replacedLabel}) "${document.title}"`.slice(0, 1000);

const RELEASED = 'not needed any more: the work changed owner, finished, or the document no longer applies to it';
const releasedAt = (at: Date): BlockerEnd => ({ at, by: 'RELEASED', byRevisionId: null, reason: RELEASED });

/** The record of blockers just raised on these items for a person's acknowledgement of a revision. */
const blockedWorkRows = (document: Document, revisionId: string, personId: string, workItemIds: string[], items: Map<string, TrackedWorkItem>, text: string, at: Date) =>
  workItemIds.map((workItemId) => ({ documentId: document.id, revisionId, personId, workItemId, workItemNumber: items.get(workItemId)?.number ?? null, description: text, raisedAt: at }));

async function release(ctx: ChangeContext, ack: DocumentAcknowledgement, workItemIds: string[], items: Map<string, TrackedWorkItem>, reason: string) {
  // Work ignores blockers of finished work; only items still open need the release.
  const open = workItemIds.filter((id) => !['DONE', 'CANCELLED'].includes(items.get(id)?.status ?? 'OPEN'));
  if (!open.length) return;
  const source = acknowledgementSourceRecordId(ack.revisionId, ack.personId);
  await emit(ctx, 'prerequisite.satisfied', source, { sourceRecordId: source, kind: KIND, workItemIds: open, reason });
}

/**
 * Makes the acknowledgement blockers of a document match the given work items: each item that needs it
 * (open, owned, the document applies) is blocked for its owner until they acknowledge the current
 * revision; blockers on items that no longer need them (reassigned, finished, no longer in scope) are
 * released, including those left from superseded revisions. Callers hold a lock on the document.
 * Returns the number of blockers raised.
 */
export async function reconcileAcknowledgements(ctx: ChangeContext, document: Document, current: DocumentRevision | null, items: TrackedWorkItem[]): Promise<number> {
  const { manager } = ctx;
  if (!items.length) return 0;
  const byId = new Map(items.map((item) => [item.workItemId, item]));
  const ids = [...byId.keys()];
  const wanted = new Map<string, string[]>();
  if (current) {
    for (const item of items) {
      if (needsAcknowledgement(document, item)) wanted.set(item.ownerId!, [...(wanted.get(item.ownerId!) ?? []), item.workItemId]);
    }
  }
  const holding = await acknowledgementsBlockingWork(manager, document.id, ids);
  const now = new Date();

  let raised = 0;
  if (current) {
    const people = [...new Set([...wanted.keys(), ...holding.filter((a) => a.revisionId === current.id).map((a) => a.personId)])].sort();
    for (const personId of people) {
      const want = wanted.get(personId) ?? [];
      const ack = want.length
        ? await lockAcknowledgement(manager, current, personId)
        : await lockAcknowledgementRow(manager, current.id, personId);
      if (!ack || ack.state !== 'PENDING') continue; // acknowledged already: nothing blocks this person
      const released = ack.workItemIds.filter((id) => byId.has(id) && !want.includes(id));
      const added = want.filter((id) => !ack.workItemIds.includes(id));
      if (!released.length && !added.length) continue;
      ack.workItemIds = [...ack.workItemIds.filter((id) => !released.includes(id)), ...added];
      if (!ack.workItemIds.length) {
        // Nothing of theirs needs it any more: the requirement goes away.
        await removeAcknowledgement(manager, ack);
      } else {
        ack.requiredAt ??= new Date();
        await saveAcknowledgement(manager, ack);
      }
      await release(ctx, ack, released, byId, RELEASED);
      await clearBlockedWork(manager, current.id, personId, released, releasedAt(now));
      await insertBlockedWork(manager, blockedWorkRows(document, current.id, personId, added, byId, description(document, current), now));
      const source = acknowledgementSourceRecordId(current.id, personId);
      for (const workItemId of added) {
        // The site is the item's: a document applies at every site it names, and its blocker belongs there.
        await emit(ctx, 'prerequisite.required', source, { workItemId, siteId: byId.get(workItemId)!.siteId, kind: KIND, sourceRecordId: source, description: description(document, current) });
      }
      raised += added.length;
    }
  }
  const stale = holding.filter((a) => a.state === 'SUPERSEDED');
  const labels = new Map(stale.length ? (await revisionsOfDocuments(manager, [document.id])).map((r) => [r.id, r.label]) : []);
  for (const { id } of stale) {
    const ack = await lockAcknowledgementByIdOrFail(manager, id);
    const want = wanted.get(ack.personId) ?? [];
    const released = ack.workItemIds.filter((id) => byId.has(id) && !want.includes(id));
    if (released.length) {
      ack.workItemIds = ack.workItemIds.filter((id) => !released.includes(id));
      await saveAcknowledgement(manager, ack);
      await release(ctx, ack, released, byId, RELEASED);
      await clearBlockedWork(manager, ack.revisionId, ack.personId, released, releasedAt(now));
    }
    if (current) await redescribeReplaced(ctx, document, current, ack, labels.get(ack.revisionId) ?? '?', byId, now);
  }
  return raised;
}

/**
 * The blockers a superseded acknowledgement still holds on these items name the current revision: sent
 * again under the same source record (Work updates the blocker's text and keeps it open), only when the text
 * changes, so re-checking an item sends nothing new.
 */
async function redescribeReplaced(ctx: ChangeContext, document: Document, current: DocumentRevision, ack: DocumentAcknowledgement, replacedLabel: string, items: Map<string, TrackedWorkItem>, now: Date) {
  const here = ack.workItemIds.filter((id) => items.has(id));
  if (!here.length) return;
  const text = replacedDescription(document, current, replacedLabel);
  const recorded = new Map<string, DocumentBlockedWork>((await openBlockedWork(ctx.manager, ack.revisionId, ack.personId, here)).map((r) => [r.workItemId, r]));
  const stale = here.filter((id) => recorded.get(id)?.description !== text);
  if (!stale.length) return;
  const source = acknowledgementSourceRecordId(ack.revisionId, ack.personId);
  for (const workItemId of stale) {
    await emit(ctx, 'prerequisite.required', source, { workItemId, siteId: items.get(workItemId)!.siteId, kind: KIND, sourceRecordId: source, description: text });
  }
  await describeBlockedWork(ctx.manager, stale.filter((id) => recorded.has(id)).map((id) => recorded.get(id)!.id), text);
  // A blocker from before the record was kept: recorded from now on.
  await insertBlockedWork(ctx.manager, blockedWorkRows(document, ack.revisionId, ack.personId, stale.filter((id) => !recorded.has(id)), items, text, now));
}

/** On approval: what was still pending for the replaced revision is now owed for the new one instead. */
export async function supersedeAcknowledgements(manager: EntityManager, previous: DocumentRevision): Promise<void> {
  await supersedePendingAcknowledgements(manager, previous.id);
}

/**
 * The caller confirms they read and understood an approved (current) revision. Clears the blockers it
 * raised on their work, and those of revisions it replaced. Acknowledging twice changes nothing.
 */
export async function acknowledgeRevision(db: EntityManager, caller: Caller, revisionId: string, requestId?: string): Promise<DocumentAcknowledgement> {
  requireRole(caller, ...DOCUMENT_PERMISSIONS.acknowledge);
  const id = requireUuid(revisionId, 'revisionId');
  if (!isUuid(caller.id)) throw forbidden('only a person can acknowledge a document');
  return db.transaction(async (manager) => {
    const ctx = { manager, caller, requestId };
    const found = await revisionById(manager, id);
    // Lock order everywhere: document, then revision, then acknowledgements.
    const document = found && (await lockDocumentShared(manager, found.documentId));
    if (!found || !document || !canSee(caller, document)) throw notFound('document revision', id);
    const revision = await revisionByIdOrFail(manager, id);
    if (revision.status === 'SUPERSEDED') throw await replacedRefusal(manager, document, revision);
    if (revision.status !== 'APPROVED') throw illegalTransition('document revision', revision.status, 'acknowledge');
    const ack = await lockAcknowledgement(manager, revision, caller.id);
    if (ack.state === 'ACKNOWLEDGED') return ack;
    const now = new Date();
    ack.state = 'ACKNOWLEDGED';
    ack.acknowledgedAt = now;
    await saveAcknowledgement(manager, ack);
    const source = acknowledgementSourceRecordId(revision.id, caller.id);
    const reason = `acknowledged ${document.number} rev ${revision.label}`;
    if (ack.workItemIds.length) await emit(ctx, 'prerequisite.satisfied', source, { sourceRecordId: source, kind: KIND, reason });
    await clearBlockedWork(manager, revision.id, caller.id, null, { at: now, by: 'ACKNOWLEDGED', byRevisionId: revision.id, reason });
    const older = (await lockSupersededAcknowledgements(manager, document.id, caller.id)).filter((a) => a.workItemIds.length);
    const labels = new Map(older.length ? (await revisionsOfDocuments(manager, [document.id])).map((r) => [r.id, r.label]) : []);
    const supersededCleared: { revisionId: string; label: string; workItemIds: string[] }[] = [];
    for (const old of older) {
      const oldSource = acknowledgementSourceRecordId(old.revisionId, old.personId);
      const label = labels.get(old.revisionId) ?? '?';
      const oldReason = `acknowledged ${document.number} rev ${revision.label}, which replaced rev ${label}`;
      await emit(ctx, 'prerequisite.satisfied', oldSource, { sourceRecordId: oldSource, kind: KIND, reason: oldReason });
      // The acknowledgement no longer blocks anything; the record of what it blocked stays.
      await clearBlockedWork(manager, old.revisionId, old.personId, null, { at: now, by: 'ACKNOWLEDGED', byRevisionId: revision.id, reason: oldReason });
      supersededCleared.push({ revisionId: old.revisionId, label, workItemIds: old.workItemIds });
      old.workItemIds = [];
      await saveAcknowledgement(manager, old);
    }
    await emit(ctx, 'acknowledgement.recorded', source, {
      acknowledgementId: ack.id,
      revisionId: revision.id,
      documentId: document.id,
      actorId: caller.id,
      at: iso(now),
      workItemIds: ack.workItemIds,
      supersededCleared,
    });
    return ack;
  });
}

/**
 * A superseded revision can no longer be acknowledged: the refusal names the current one, whose
 * acknowledgement also clears the superseded revision's blockers.
 */
async function replacedRefusal(manager: EntityManager, document: Document, revision: DocumentRevision): Promise<DomainError> {
  const current = await currentRevisionOfDocument(manager, document.id);
  const next = current ? ` by rev ${current.label}; acknowledge rev ${current.label}, which clears this one's blockers too` : '';
  return new DomainError(ErrorCode.ILLEGAL_TRANSITION, `cannot acknowledge a document revision that is ${revision.status}: ${document.number} rev ${revision.label} was replaced${next}`, {
    from: revision.status,
    action: 'acknowledge',
    currentRevisionId: current?.id ?? null,
  });
}

/** What a person still has to acknowledge: their own list, or anyone's for supervisors and HSE. */
export async function pendingAcknowledgements(db: EntityManager, caller: Caller, personId?: string | null): Promise<DocumentAcknowledgement[]> {
  const person = personId ? requireUuid(personId, 'personId') : caller.id;
  requireAcknowledgementsOf(caller, person);
  if (!isUuid(person)) return [];
  const rows = await pendingAcknowledgementsOfPerson(db, person);
  if (!rows.length) return rows;
  const documents = await documentsWithIds(db, rows.map((r) => r.documentId));
  const visible = new Set(documents.filter((d) => canSee(caller, d)).map((d) => d.id));
  return rows.filter((r) => visible.has(r.documentId));
}

/** The acknowledgements of a revision the caller may see: their own, or everyone's for supervisors, HSE and auditors. */
export const visibleAcknowledgements = (caller: Caller, rows: DocumentAcknowledgement[]) => rows.filter((a) => seesAcknowledgementsOf(caller, a.personId));

/** The work an acknowledgement blocked that the caller may see (at their sites; for a contractor, their own). */
export const visibleWorkItems = (caller: Caller, ack: DocumentAcknowledgement, tracked: ReadonlyArray<TrackedWorkItem | null | Error>) =>
  ack.workItemIds.filter((_, i) => {
    const item = tracked[i];
    return !(item instanceof Error) && workVisible(caller, item, ack.personId === caller.id);
  });

/**
 * The blockers on record the caller may see: of their own acknowledgements or, for supervisors, HSE and
 * auditors, anyone's; only on work at the caller's sites (for a contractor, their own).
 */
export const visibleBlockedWork = (caller: Caller, rows: DocumentBlockedWork[], tracked: ReadonlyArray<TrackedWorkItem | null | Error>) =>
  rows.filter((row, i) => {
    const item = tracked[i];
    return seesAcknowledgementsOf(caller, row.personId) && !(item instanceof Error) && workVisible(caller, item, row.personId === caller.id);
  });
