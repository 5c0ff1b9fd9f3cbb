import { DAY_MS, DomainError, ErrorCode, SYSTEM_CALLER, logger, requireDate, requireText, requireUuid, uuidList, type Caller, type TrackedWorkItem } from '@opsgraph/core';
import { reviewRequestId, type ReviewKind } from '@opsgraph/events';
import type { RequiredOutcomeV1 } from '@opsgraph/events';
import type { EntityManager } from 'typeorm';
import type { Document, DocumentReview } from '../entities';
import { documentsDueForReview, lockDocumentOrFail, saveDocument } from '../store/documents';
import {
  insertReview,
  insertReviewer,
  lockReviewOrFail,
  openReviewExists,
  openReviewOfDocument,
  reviewById,
  reviewerOfRequest,
  reviewersOfReview,
  saveReview,
} from '../store/reviews';
import { trackedWorkOfRequests } from '../store/tracked-work';
import { emit, iso, lockDocument, requireDocumentControl, type ChangeContext } from './common';

/**
 * Reviews of documents. A review request is an action for each reviewer, so each gets a DOCUMENT_REVIEW
 * work item (owned by them, with the document as source); the review closes when all that work is
 * verified done. A document under periodic review is raised for review REVIEW_LEAD_DAYS before it is due.
 */
export const REVIEW_LEAD_DAYS = 30;
export const REVIEW_QUESTION = 'Still correct as issued? If not, which draft revision carries the changes?';
const MAX_REVIEWERS = 20;

export interface RequestReviewInput {
  documentId: string;
  reviewerIds: string[];
  dueAt: Date | string;
  reason: string;
}

/**
 * The proof of one reviewer's review work: their decision (still correct, or the draft revision with the
 * changes) answered on the work item, and their signature. Work refuses to complete it without both.
 */
export const REVIEW_OUTCOME = {
  acceptanceCriteria: 'Document reviewed: confirmed as still correct, or a new revision drafted with the changes it needs',
  evidence: [
    { kind: 'CHECKLIST', label: 'Review decision', questions: [REVIEW_QUESTION] },
    { kind: 'SIGNATURE', label: 'Reviewed by' },
  ],
} satisfies RequiredOutcomeV1;

/** When the next periodic review is due: last approval or review plus the interval. */
export const nextReviewDue = (document: Pick<Document, 'reviewIntervalDays' | 'lastReviewedAt'>) =>
  document.reviewIntervalDays && document.lastReviewedAt ? new Date(document.lastReviewedAt.getTime() + document.reviewIntervalDays * DAY_MS) : null;

function reviewFact(document: Document, review: DocumentReview, reviewerIds: string[], actorId: string) {
  return {
    reviewId: review.id,
    documentId: document.id,
    number: document.number,
    kind: review.kind,
    status: review.status,
    dueAt: iso(review.dueAt),
    reviewerIds,
    actorId,
    at: iso(new Date()),
  };
}

/** Opens a review on a locked document and asks Work for each reviewer's review work. */
async function openReview(ctx: ChangeContext, document: Document, kind: ReviewKind, reviewerIds: string[], dueAt: Date, reason: string | null): Promise<DocumentReview> {
  const { manager } = ctx;
  const open = await openReviewOfDocument(manager, document.id);
  if (open) throw new DomainError(ErrorCode.CONFLICT, `${document.number} is already under review (due ${open.dueAt.toISOString()})`, { reviewId: open.id });
  const review = await insertReview(manager, { documentId: document.id, kind, reason, dueAt, status: 'OPEN', requestedById: ctx.caller.id, closedAt: null });
  for (const personId of reviewerIds) {
    const requestId = reviewRequestId(review.id, personId);
    await insertReviewer(manager, { reviewId: review.id, personId, requestId });
    await emit(ctx, 'work.requested', document.id, {
      requestId,
      siteId: document.siteId,
      type: 'DOCUMENT_REVIEW',
      title: `Review ${document.number}: ${document.title}`.slice(0, 300),
      ownerId: personId,
      dueAt: dueAt.toISOString(),
      sourceRecordId: document.id,
      reason: (kind === 'PERIODIC' ? `Periodic review (every ${document.reviewIntervalDays} days)` : `Review requested: ${reason}`).slice(0, 2000),
      requiredOutcome: REVIEW_OUTCOME,
    });
  }
  await emit(ctx, 'review.requested', review.id, reviewFact(document, review, reviewerIds, ctx.caller.id));
  return review;
}

export async function requestReview(db: EntityManager, caller: Caller, input: RequestReviewInput, requestId?: string): Promise<DocumentReview> {
  requireDocumentControl(caller);
  const documentId = requireUuid(input.documentId, 'documentId');
  const reviewerIds = uuidList(input.reviewerIds, 'reviewerIds', MAX_REVIEWERS);
  if (!reviewerIds.length) throw new DomainError(ErrorCode.BAD_USER_INPUT, 'a review needs at least one reviewer', { field: 'reviewerIds' });
  const dueAt = requireDate(input.dueAt, 'dueAt');
  const reason = requireText(input.reason, 'reason', { max: 2000 });
  return db.transaction(async (manager) => {
    const document = await lockDocument(manager, caller, documentId);
    return openReview({ manager, caller, requestId }, document, 'TRIGGERED', reviewerIds, dueAt, reason);
  });
}

/**
 * The periodic review rule: every document with a review interval whose next review is due within
 * REVIEW_LEAD_DAYS of `now` and that is not under review gets a PERIODIC review by its owner, due on the
 * date it falls due. Idempotent; each document is handled in its own transaction.
 */
export async function raiseDueReviews(db: EntityManager, now: Date): Promise<DocumentReview[]> {
  const due = await documentsDueForReview(db, REVIEW_LEAD_DAYS, now);
  const raised: DocumentReview[] = [];
  for (const candidate of due) {
    try {
      const review = await db.transaction(async (manager) => {
        const document = await lockDocument(manager, SYSTEM_CALLER, candidate.id);
        const dueAt = nextReviewDue(document);
        if (!dueAt || dueAt.getTime() - REVIEW_LEAD_DAYS * DAY_MS > now.getTime()) return null; // changed meanwhile
        if (await openReviewExists(manager, document.id)) return null;
        return openReview({ manager, caller: SYSTEM_CALLER }, document, 'PERIODIC', [document.ownerId], dueAt, null);
      });
      if (review) raised.push(review);
    } catch (err) {
      logger.error({ err, documentId: candidate.id }, 'periodic review could not be raised');
    }
  }
  return raised;
}

/**
 * Closes a review once Work reports each reviewer's work verified done (or cancelled): CLOSED when at
 * least one reviewer's work was done, then the document counts as reviewed; CANCELLED when all was cancelled.
 */
export async function settleReview(ctx: ChangeContext, tracked: TrackedWorkItem): Promise<void> {
  const { manager } = ctx;
  if (tracked.status !== 'DONE' && tracked.status !== 'CANCELLED') return;
  const reviewer = tracked.requestId ? await reviewerOfRequest(manager, tracked.requestId) : null;
  if (!reviewer) return;
  const found = await reviewById(manager, reviewer.reviewId);
  if (!found || found.status !== 'OPEN') return;
  const document = await lockDocumentOrFail(manager, found.documentId);
  const review = await lockReviewOrFail(manager, found.id);
  if (review.status !== 'OPEN') return;
  const reviewers = await reviewersOfReview(manager, review.id);
  const work = await trackedWorkOfRequests(manager, reviewers.map((r) => r.requestId));
  const statuses = reviewers.map((r) => work.find((w) => w.requestId === r.requestId)?.status ?? 'REQUESTED');
  if (statuses.some((s) => s !== 'DONE' && s !== 'CANCELLED')) return;
  const now = new Date();
  review.status = statuses.includes('DONE') ? 'CLOSED' : 'CANCELLED';
  review.closedAt = now;
  await saveReview(manager, review);
  if (review.status === 'CLOSED') {
    document.lastReviewedAt = now;
    await saveDocument(manager, document);
  }
  await emit(ctx, 'review.closed', review.id, reviewFact(document, review, reviewers.map((r) => r.personId), ctx.caller.id));
}
