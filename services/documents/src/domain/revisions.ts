import { DomainError, ErrorCode, badInput, illegalTransition, inSiteScope, notFound, optionalDate, optionalText, requireNoPart, requireText, requireUuid, type Caller } from '@opsgraph/core';
import type { EntityManager } from 'typeorm';
import type { Document, DocumentRevision } from '../entities';
import { lockDocument as lockDocumentRow, saveDocument } from '../store/documents';
import { insertRevision, lockCurrentRevisionOfDocument, lockRevisionOrFail, pendingRevisionOfDocument, revisionById, saveRevision } from '../store/revisions';
import { openWorkAt } from './applicability';
import { reconcileAcknowledgements, supersedeAcknowledgements } from './acknowledgements';
import { emit, iso, lockDocument, requireDocumentControl, unique, type ChangeContext } from './common';

/**
 * Revisions move DRAFT → IN_REVIEW → APPROVED → SUPERSEDED (and IN_REVIEW → DRAFT when returned for
 * rework). Approving one supersedes the current one in the same transaction, so exactly one approved
 * revision is in force; partial unique indexes back that, and "one pending revision at a time".
 */
export interface DraftRevisionInput {
  documentId: string;
  label: string;
  effectiveDate?: Date | string | null;
  contentRef: string;
  checksum: string;
  changeSummary?: string | null;
}

export interface UpdateRevisionInput {
  effectiveDate?: Date | string | null;
  contentRef?: string | null;
  checksum?: string | null;
  changeSummary?: string | null;
}

const CHECKSUM = /^sha256:[0-9a-f]{64}$/;

function checksumOf(value: unknown): string {
  const checksum = requireText(value, 'checksum', { max: 80 }).toLowerCase();
  if (!CHECKSUM.test(checksum)) throw badInput('checksum must be sha256:<64 hex digits> of the content', { field: 'checksum' });
  return checksum;
}

const contentRefOf = (value: unknown) => requireText(value, 'contentRef', { max: 2000 });

function revisionFact(document: Document, revision: DocumentRevision, from: DocumentRevision['status'] | null, actorId: string, extra: Record<string, unknown> = {}) {
  return {
    revisionId: revision.id,
    documentId: document.id,
    number: document.number,
    label: revision.label,
    status: revision.status,
    from,
    effectiveDate: iso(revision.effectiveDate),
    contentRef: revision.contentRef,
    checksum: revision.checksum,
    actorId,
    at: iso(new Date()),
    ...extra,
  };
}

/** Records that the caller shaped the revision's content (edited or submitted it). */
function addEditor(revision: DocumentRevision, caller: Caller) {
  if (!revision.editorIds.includes(caller.id)) revision.editorIds = [...revision.editorIds, caller.id];
}

/** Approval is a review by someone else: never by the author, nor by anyone who edited or submitted it. */
function requireNoEditor(revision: DocumentRevision, caller: Caller) {
  const parts = [{ personId: revision.authorId, part: 'AUTHOR' as const }, ...revision.editorIds.map((personId) => ({ personId, part: 'EDITOR' as const }))];
  requireNoPart(caller, parts, (part) => (part === 'AUTHOR' ? 'the author of a revision cannot approve it' : 'whoever edited or submitted a revision cannot approve it'), { revisionId: revision.id });
}

/** Locks a revision and its document (document first, the order every change takes). */
async function lockRevision(manager: EntityManager, caller: Caller, id: string) {
  const found = await revisionById(manager, id);
  if (!found) throw notFound('document revision', id);
  const document = await lockDocumentRow(manager, found.documentId);
  if (!document || !inSiteScope(caller, document.siteId)) throw notFound('document revision', id);
  const revision = await lockRevisionOrFail(manager, id);
  return { document, revision };
}

async function changeRevision(
  db: EntityManager,
  caller: Caller,
  id: string,
  requestId: string | undefined,
  change: (ctx: ChangeContext, document: Document, revision: DocumentRevision) => Promise<void>,
): Promise<DocumentRevision> {
  const revisionId = requireUuid(id);
  return db.transaction(async (manager) => {
    const ctx = { manager, caller, requestId };
    const { document, revision } = await lockRevision(manager, caller, revisionId);
    await change(ctx, document, revision);
    return revision;
  });
}

export async function draftRevision(db: EntityManager, caller: Caller, input: DraftRevisionInput, requestId?: string): Promise<DocumentRevision> {
  requireDocumentControl(caller);
  const documentId = requireUuid(input.documentId, 'documentId');
  const fields = {
    label: requireText(input.label, 'label', { max: 20 }),
    effectiveDate: optionalDate(input.effectiveDate, 'effectiveDate'),
    contentRef: contentRefOf(input.contentRef),
    checksum: checksumOf(input.checksum),
    changeSummary: optionalText(input.changeSummary, 'changeSummary', 4000),
  };
  return db.transaction(async (manager) => {
    const ctx = { manager, caller, requestId };
    const document = await lockDocument(manager, caller, documentId);
    const pending = await pendingRevisionOfDocument(manager, documentId);
    if (pending) {
      throw new DomainError(ErrorCode.CONFLICT, `${document.number} already has a pending revision ${pending.label} (${pending.status}); approve or rework it first`, { revisionId: pending.id });
    }
    const revision = await unique(
      () => badInput(`${document.number} already has a revision labelled ${fields.label}`, { field: 'label' }),
      () => insertRevision(manager, { ...fields, documentId, status: 'DRAFT', authorId: caller.id, editorIds: [caller.id] }),
    );
    await emit(ctx, 'revision.drafted', revision.id, revisionFact(document, revision, null, caller.id));
    return revision;
  });
}

export function updateRevision(db: EntityManager, caller: Caller, id: string, input: UpdateRevisionInput, requestId?: string) {
  requireDocumentControl(caller);
  const changes = {
    ...(input.effectiveDate !== undefined ? { effectiveDate: optionalDate(input.effectiveDate, 'effectiveDate') } : {}),
    ...(input.contentRef !== undefined && input.contentRef !== null ? { contentRef: contentRefOf(input.contentRef) } : {}),
    ...(input.checksum !== undefined && input.checksum !== null ? { checksum: checksumOf(input.checksum) } : {}),
    ...(input.changeSummary !== undefined ? { changeSummary: optionalText(input.changeSummary, 'changeSummary', 4000) } : {}),
  };
  return changeRevision(db, caller, id, requestId, async (ctx, document, revision) => {
    if (revision.status !== 'DRAFT') throw illegalTransition('document revision', revision.status, 'edit');
    Object.assign(revision, changes);
    addEditor(revision, caller);
    await saveRevision(ctx.manager, revision);
    await emit(ctx, 'revision.updated', revision.id, revisionFact(document, revision, 'DRAFT', caller.id));
  });
}

export function submitRevision(db: EntityManager, caller: Caller, id: string, requestId?: string) {
  requireDocumentControl(caller);
  return changeRevision(db, caller, id, requestId, async (ctx, document, revision) => {
    if (revision.status !== 'DRAFT') throw illegalTransition('document revision', revision.status, 'submit for review');
    revision.status = 'IN_REVIEW';
    revision.submittedAt = new Date();
    revision.returnedReason = null;
    addEditor(revision, caller); // submitting vouches for the content as it stands
    await saveRevision(ctx.manager, revision);
    await emit(ctx, 'revision.submitted', revision.id, revisionFact(document, revision, 'DRAFT', caller.id));
  });
}

export function returnRevision(db: EntityManager, caller: Caller, id: string, reason: string, requestId?: string) {
  requireDocumentControl(caller);
  const why = requireText(reason, 'reason', { max: 2000 });
  return changeRevision(db, caller, id, requestId, async (ctx, document, revision) => {
    if (revision.status !== 'IN_REVIEW') throw illegalTransition('document revision', revision.status, 'return');
    revision.status = 'DRAFT';
    revision.returnedReason = why;
    await saveRevision(ctx.manager, revision);
    await emit(ctx, 'revision.returned', revision.id, revisionFact(document, revision, 'IN_REVIEW', caller.id, { reason: why }));
  });
}

/**
 * IN_REVIEW → APPROVED by someone who neither wrote, edited nor submitted it. The current revision is
 * superseded first (the partial unique index allows one APPROVED row), then the owners of open work the
 * document applies to get an acknowledgement blocker, all in this one transaction with the events.
 */
export function approveRevision(db: EntityManager, caller: Caller, id: string, requestId?: string) {
  requireDocumentControl(caller);
  return changeRevision(db, caller, id, requestId, async (ctx, document, revision) => {
    const { manager } = ctx;
    if (revision.status !== 'IN_REVIEW') throw illegalTransition('document revision', revision.status, 'approve');
    requireNoEditor(revision, caller);
    const now = new Date();
    const previous = await lockCurrentRevisionOfDocument(manager, document.id);
    if (previous) {
      previous.status = 'SUPERSEDED';
      previous.supersededAt = now;
      await saveRevision(manager, previous);
      await supersedeAcknowledgements(manager, previous);
    }
    revision.status = 'APPROVED';
    revision.approvedById = caller.id;
    revision.approvedAt = now;
    revision.effectiveDate ??= now;
    await saveRevision(manager, revision);
    // Approval is a review of the document: the periodic review clock restarts.
    document.lastReviewedAt = now;
    await saveDocument(manager, document);
    const raised = await reconcileAcknowledgements(ctx, document, revision, await openWorkAt(manager, [document]));
    await emit(ctx, 'revision.approved', revision.id, revisionFact(document, revision, 'IN_REVIEW', caller.id, { supersededRevisionId: previous?.id ?? null, acknowledgementsRequired: raised }));
  });
}
