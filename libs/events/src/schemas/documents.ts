import { WORK_ITEM_TYPES, actorId, dateTime, describe, nullable, object, oneOf, personId, text, uuid, type DomainContracts, type JsonSchema } from './common';
import { workContracts } from './work-contracts';

/**
 * Contracts of the documents domain (topic `opsgraph.documents.v1`): the payloads of its own facts.
 * What it asks of Work follows the generic work contracts:
 *  - `work.requested` (type DOCUMENT_REVIEW) per reviewer of a review, owned by the reviewer, with the
 *    document as source record and request id `document-review:<reviewId>:<personId>`;
 *  - `prerequisite.required` / `prerequisite.satisfied` of kind DOCUMENT_ACKNOWLEDGED, with
 *    `sourceRecordId` = `<revisionId>:<personId>` (see `acknowledgementSourceRecordId`): one source record
 *    per person and revision, so that person's "read and understood" clears every blocker it raised on
 *    their work items at once, and nobody else's. These events are keyed by that source record. When a
 *    newer revision is approved first, the old source record's open blockers are sent again
 *    (`prerequisite.required`, same source record) with a description naming the current revision; they
 *    are cleared when the person acknowledges that one.
 */

export const DOCUMENT_TYPES = ['PROCEDURE', 'WORK_INSTRUCTION', 'DRAWING', 'DATA_SHEET', 'CHECKLIST', 'SAFETY_DATA_SHEET'] as const;
export type DocumentType = (typeof DOCUMENT_TYPES)[number];

export const REVISION_STATUSES = ['DRAFT', 'IN_REVIEW', 'APPROVED', 'SUPERSEDED'] as const;
export type RevisionStatus = (typeof REVISION_STATUSES)[number];

export const REVIEW_KINDS = ['PERIODIC', 'TRIGGERED'] as const;
export type ReviewKind = (typeof REVIEW_KINDS)[number];

/** The source record of the acknowledgement prerequisites of one person for one revision. */
export const acknowledgementSourceRecordId = (revisionId: string, personId: string) => `${revisionId}:${personId}`;
/** The work request id of one reviewer's review work. */
export const reviewRequestId = (reviewId: string, personId: string) => `document-review:${reviewId}:${personId}`;

const ids = (description: string): JsonSchema => describe(description, { type: 'array', maxItems: 500, items: uuid });
const revisionStatus = oneOf(REVISION_STATUSES);

const document: Record<string, JsonSchema> = {
  documentId: uuid,
  number: describe('Document control number, e.g. SOP-PACK-014.', text(50)),
  documentType: oneOf(DOCUMENT_TYPES),
  siteId: describe('Site whose document control holds the document.', uuid),
  ownerId: personId('Owner of the document.'),
  siteIds: ids('Sites where the document applies (to all work there, narrowed by workTypes).'),
  areaIds: ids('Areas where it applies.'),
  assetIds: ids('Assets it applies to.'),
  workTypes: describe('Work types it applies to; empty means every type.', { type: 'array', items: oneOf(WORK_ITEM_TYPES) }),
  reviewIntervalDays: describe('Periodic review interval; null: reviewed only when triggered.', nullable({ type: 'integer', minimum: 1, maximum: 3650 })),
  actorId,
  at: dateTime,
};

function revisionFact(type: string, summary: string, extra: Record<string, JsonSchema> = {}, extraRequired: string[] = []) {
  return {
    type,
    version: 1,
    summary,
    schema: object(
      {
        revisionId: uuid,
        documentId: uuid,
        number: text(50),
        label: describe('Revision label, e.g. "C" or "2.1".', text(20)),
        status: revisionStatus,
        from: nullable(revisionStatus),
        effectiveDate: describe('When it takes effect; null until approved when none was given.', nullable(dateTime)),
        contentRef: describe('Where the content lives (document store URI).', text(2000)),
        checksum: describe('sha256 of the content the status applies to.', { type: 'string', pattern: '^sha256:[0-9a-f]{64}$' }),
        actorId,
        at: dateTime,
        ...extra,
      },
      ['revisionId', 'documentId', 'number', 'label', 'status', 'from', 'effectiveDate', 'contentRef', 'checksum', 'actorId', 'at', ...extraRequired],
    ),
  };
}

function reviewFact(type: string, summary: string) {
  return {
    type,
    version: 1,
    summary,
    schema: object(
      {
        reviewId: uuid,
        documentId: uuid,
        number: text(50),
        kind: oneOf(REVIEW_KINDS),
        status: oneOf(['OPEN', 'CLOSED', 'CANCELLED']),
        dueAt: dateTime,
        reviewerIds: ids('Reviewers: each has a DOCUMENT_REVIEW work item. Personal data (person ids).'),
        actorId,
        at: dateTime,
      },
      ['reviewId', 'documentId', 'number', 'kind', 'status', 'dueAt', 'reviewerIds', 'actorId', 'at'],
    ),
  };
}

export const documents: DomainContracts = [
  ...workContracts,
  {
    type: 'document.registered',
    version: 1,
    summary: 'A controlled document was registered with its owner and where it applies. It has no revision yet.',
    schema: object(document, Object.keys(document)),
  },
  {
    type: 'document.updated',
    version: 1,
    summary: 'The title, owner, applicability or review interval of a document changed; acknowledgement blockers follow the new applicability.',
    schema: object(document, Object.keys(document)),
  },
  revisionFact('revision.drafted', 'A new revision was drafted (DRAFT). A document has at most one pending (DRAFT or IN_REVIEW) revision.'),
  revisionFact('revision.updated', 'The content, effective date or summary of a DRAFT revision changed.'),
  revisionFact('revision.submitted', 'DRAFT → IN_REVIEW: the revision waits for approval.'),
  revisionFact('revision.returned', 'IN_REVIEW → DRAFT with a reason, for rework.', { reason: text(2000) }, ['reason']),
  revisionFact(
    'revision.approved',
    'IN_REVIEW → APPROVED by someone other than its author. It is the current revision now; the previous current one became SUPERSEDED in the same transaction. The owners of open work it applies to must acknowledge it before they start.',
    {
      supersededRevisionId: describe('The revision it replaced, now SUPERSEDED.', nullable(uuid)),
      acknowledgementsRequired: describe('Work items on which an acknowledgement blocker was raised.', { type: 'integer', minimum: 0 }),
    },
    ['supersededRevisionId', 'acknowledgementsRequired'],
  ),
  reviewFact('review.requested', 'A periodic (raised by the review schedule, actor `system`) or triggered review of a document; each reviewer gets a DOCUMENT_REVIEW work item.'),
  reviewFact('review.closed', 'The review work of every reviewer was verified done (CLOSED; the document counts as reviewed), or all of it was cancelled (CANCELLED).'),
  {
    type: 'acknowledgement.recorded',
    version: 1,
    summary:
      '"Read and understood": a person acknowledged the current revision of a document; the blockers it raised on their work are cleared, and those of revisions it replaced that they had not acknowledged.',
    schema: object(
      {
        acknowledgementId: uuid,
        revisionId: uuid,
        documentId: uuid,
        actorId: personId('Who acknowledged (for themselves).'),
        at: dateTime,
        workItemIds: ids('Work items the acknowledgement had been blocking.'),
        supersededCleared: describe(
          "Blockers of revisions this one replaced that the person had not acknowledged, cleared by this acknowledgement (the superseded acknowledgements' records keep them).",
          {
            type: 'array',
            maxItems: 500,
            items: object({ revisionId: uuid, label: describe('Label of the superseded revision.', text(20)), workItemIds: ids('Work items its blockers were on.') }, ['revisionId', 'label', 'workItemIds']),
          },
        ),
      },
      ['acknowledgementId', 'revisionId', 'documentId', 'actorId', 'at', 'workItemIds'],
    ),
  },
];
