import { forbidden, illegalTransition, isUuid, notFound, requireRole, requireUuid, type Caller, type TrackedWorkItem } from '@opsgraph/core';
import { acknowledgementSourceRecordId } from '@opsgraph/events/src/schemas/documents';
import { In, type EntityManager } from 'typeorm';
import { Document, DocumentAcknowledgement, DocumentRevision } from '../entities';
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
 * revision's blocker reaches Work.
 */
const KIND = 'DOCUMENT_ACKNOWLEDGED';

/** The person's acknowledgement of a revision, locked; created PENDING (and empty) when there is none yet. */
async function lockAcknowledgement(manager: EntityManager, revision: DocumentRevision, personId: string): Promise<DocumentAcknowledgement> {
  await manager
    .createQueryBuilder()
    .insert()
    .into(DocumentAcknowledgement)
    .values({ revisionId: revision.id, documentId: revision.documentId, personId, state: 'PENDING', workItemIds: [] })
    .orIgnore()
    .execute();
  return manager.findOneOrFail(DocumentAcknowledgement, { where: { revisionId: revision.id, personId }, lock: { mode: 'pessimistic_write' } });
}

const description = (document: Document, revision: DocumentRevision) =>
  `Read and understood: ${document.number} rev ${revision.label} "${document.title}"`.slice(0, 1000);

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
  const holding = await manager
    .getRepository(DocumentAcknowledgement)
    .createQueryBuilder('a')
    .where('a.documentId = :documentId', { documentId: document.id })
    .andWhere(`a.state IN ('PENDING', 'SUPERSEDED')`)
    .andWhere('a.workItemIds && CAST(:ids AS uuid[])', { ids })
    .orderBy('a.id', 'ASC')
    .getMany();

  let raised = 0;
  if (current) {
    const people = [...new Set([...wanted.keys(), ...holding.filter((a) => a.revisionId === current.id).map((a) => a.personId)])].sort();
    for (const personId of people) {
      const want = wanted.get(personId) ?? [];
      const ack = want.length
        ? await lockAcknowledgement(manager, current, personId)
        : await manager.findOne(DocumentAcknowledgement, { where: { revisionId: current.id, personId }, lock: { mode: 'pessimistic_write' } });
      if (!ack || ack.state !== 'PENDING') continue; // acknowledged already: nothing blocks this person
      const released = ack.workItemIds.filter((id) => byId.has(id) && !want.includes(id));
      const added = want.filter((id) => !ack.workItemIds.includes(id));
      if (!released.length && !added.length) continue;
      ack.workItemIds = [...ack.workItemIds.filter((id) => !released.includes(id)), ...added];
      if (!ack.workItemIds.length) {
        // Nothing of theirs needs it any more: the requirement goes away.
        await manager.remove(ack);
      } else {
        ack.requiredAt ??= new Date();
        await manager.save(ack);
      }
      await release(ctx, ack, released, byId, 'not needed any more: the work changed owner, finished, or the document no longer applies to it');
      const source = acknowledgementSourceRecordId(current.id, personId);
      for (const workItemId of added) {
        // The site is the item's: a document applies at every site it names, and its blocker belongs there.
        await emit(ctx, 'prerequisite.required', source, { workItemId, siteId: byId.get(workItemId)!.siteId, kind: KIND, sourceRecordId: source, description: description(document, current) });
      }
      raised += added.length;
    }
  }
  for (const stale of holding.filter((a) => a.state === 'SUPERSEDED')) {
    const ack = await manager.findOneOrFail(DocumentAcknowledgement, { where: { id: stale.id }, lock: { mode: 'pessimistic_write' } });
    const want = wanted.get(ack.personId) ?? [];
    const released = ack.workItemIds.filter((id) => byId.has(id) && !want.includes(id));
    if (!released.length) continue;
    ack.workItemIds = ack.workItemIds.filter((id) => !released.includes(id));
    await manager.save(ack);
    await release(ctx, ack, released, byId, 'not needed any more: the work changed owner, finished, or the document no longer applies to it');
  }
  return raised;
}

/** On approval: what was still pending for the replaced revision is now owed for the new one instead. */
export async function supersedeAcknowledgements(manager: EntityManager, previous: DocumentRevision): Promise<void> {
  await manager.update(DocumentAcknowledgement, { revisionId: previous.id, state: 'PENDING' }, { state: 'SUPERSEDED' });
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
    const found = await manager.findOneBy(DocumentRevision, { id });
    // Lock order everywhere: document, then revision, then acknowledgements.
    const document = found && (await manager.findOne(Document, { where: { id: found.documentId }, lock: { mode: 'pessimistic_read' } }));
    if (!found || !document || !canSee(caller, document)) throw notFound('document revision', id);
    const revision = await manager.findOneByOrFail(DocumentRevision, { id });
    if (revision.status !== 'APPROVED') throw illegalTransition('document revision', revision.status, 'acknowledge');
    const ack = await lockAcknowledgement(manager, revision, caller.id);
    if (ack.state === 'ACKNOWLEDGED') return ack;
    const now = new Date();
    ack.state = 'ACKNOWLEDGED';
    ack.acknowledgedAt = now;
    await manager.save(ack);
    const source = acknowledgementSourceRecordId(revision.id, caller.id);
    if (ack.workItemIds.length) await emit(ctx, 'prerequisite.satisfied', source, { sourceRecordId: source, kind: KIND, reason: `acknowledged ${document.number} rev ${revision.label}` });
    const older = await manager.find(DocumentAcknowledgement, { where: { documentId: document.id, personId: caller.id, state: 'SUPERSEDED' }, order: { id: 'ASC' }, lock: { mode: 'pessimistic_write' } });
    for (const old of older.filter((a) => a.workItemIds.length)) {
      const oldSource = acknowledgementSourceRecordId(old.revisionId, old.personId);
      await emit(ctx, 'prerequisite.satisfied', oldSource, { sourceRecordId: oldSource, kind: KIND, reason: `acknowledged ${document.number} rev ${revision.label}, which replaced it` });
      old.workItemIds = [];
      await manager.save(old);
    }
    await emit(ctx, 'acknowledgement.recorded', source, {
      acknowledgementId: ack.id,
      revisionId: revision.id,
      documentId: document.id,
      actorId: caller.id,
      at: iso(now),
      workItemIds: ack.workItemIds,
    });
    return ack;
  });
}

/** What a person still has to acknowledge: their own list, or anyone's for supervisors and HSE. */
export async function pendingAcknowledgements(db: EntityManager, caller: Caller, personId?: string | null): Promise<DocumentAcknowledgement[]> {
  const person = personId ? requireUuid(personId, 'personId') : caller.id;
  requireAcknowledgementsOf(caller, person);
  if (!isUuid(person)) return [];
  const rows = await db.getRepository(DocumentAcknowledgement).find({ where: { personId: person, state: 'PENDING' }, order: { requiredAt: 'ASC', id: 'ASC' } });
  if (!rows.length) return rows;
  const documents = await db.getRepository(Document).findBy({ id: In(rows.map((r) => r.documentId)) });
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
