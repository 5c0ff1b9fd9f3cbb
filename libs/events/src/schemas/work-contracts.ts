import {
  EVIDENCE_KINDS,
  PREREQUISITE_KINDS,
  PRIORITIES,
  SOURCE_DOMAINS,
  WORK_ITEM_TYPES,
  dateTime,
  describe,
  nullable,
  object,
  oneOf,
  personId,
  text,
  uuid,
  type DomainContracts,
} from './common';

/**
 * The generic work contracts: every supporting domain (permits, competence, documents, hazards, change,
 * compliance) publishes these on its own topic, `opsgraph.<domain>.v1`, as
 * `opsgraph.<domain>.work.requested` etc., and Work acts on them. The producing domain is the source:
 * Work records it as the item's or blocker's source domain, so each domain only ever clears its own
 * blockers. Key the messages by the record they come from (`subject` = sourceRecordId) so one record's
 * requests, blockers and releases are applied in the order they were made.
 */
const sourceRecordId = describe('Id of the record in the producing domain the request is about (incident, permit, finding, ...).', text(100));
const reason = describe('Why, in words people read on the board and in the history.', text(2000));
const validUntil = describe(
  'When a satisfied condition lapses (a qualification\'s expiry, a permit\'s validTo, a gas test\'s validity). From that moment Work judges the blocker open at every start, resume, complete and verify, and reads show it lapsed, whether or not the lapse event has arrived. Absent or null: no end known.',
  nullable(dateTime),
);
const resumeRoles = describe(
  'Roles that may resume work this hold stopped (also after its release), and override it with a reason while its cause is open; roles that perform work (default: supervisor; administrators always may).',
  { type: 'array', minItems: 1, maxItems: 3, items: oneOf(['operator', 'technician', 'supervisor']) },
);

const evidenceRequirement = object(
  {
    kind: oneOf(EVIDENCE_KINDS),
    label: describe('Unique (case-insensitive) within the outcome; the performer submits evidence under this label.', text(200)),
    unit: nullable(text(30)),
    min: nullable({ type: 'number' }),
    max: nullable({ type: 'number' }),
    questions: describe('Questions of a CHECKLIST (required for it).', nullable({ type: 'array', minItems: 1, maxItems: 50, items: text(500) })),
  },
  ['kind', 'label'],
);

const prerequisiteRequest = object(
  {
    kind: oneOf(PREREQUISITE_KINDS),
    description: describe('What must be true before the work may start, e.g. "Hot work permit issued".', text(1000)),
    sourceDomain: describe('Domain that clears the blocker; defaults to the producing domain.', oneOf(SOURCE_DOMAINS)),
    sourceRecordId: describe('Record whose `prerequisite.satisfied` clears the blocker.', text(100)),
    state: oneOf(['OPEN', 'SATISFIED']),
    reason: nullable(text(1000)),
    validUntil,
  },
  ['kind', 'description'],
);

export const workContracts: DomainContracts = [
  {
    type: 'work.requested',
    version: 1,
    summary:
      'Asks Work to create a work item for a record of the producing domain (a corrective action of an incident, a finding to fix, a review to do). Idempotent by `requestId`: a repeat, even with other data, creates nothing.',
    schema: object(
      {
        requestId: describe('Idempotency key chosen by the producer and unique within its domain, e.g. "incident:<id>:action:<n>".', text(200)),
        siteId: uuid,
        areaId: nullable(uuid),
        lineId: nullable(uuid),
        assetId: nullable(uuid),
        type: describe('Kind of work.', oneOf(WORK_ITEM_TYPES)),
        title: text(300),
        description: nullable(text(10_000)),
        priority: nullable(oneOf(PRIORITIES)),
        ownerId: nullable(personId('Person to own the item.')),
        dueAt: nullable(dateTime),
        contractorCompany: describe('Contractor company that will do the work (a company name).', nullable(text(200))),
        sourceRecordId,
        reason: describe('Why the work exists; shown as the item\'s source reason.', nullable(text(2000))),
        requiredOutcome: describe(
          'What "done" means and the evidence the performer must submit. Defaults to "<title>: done as described" without evidence.',
          nullable(object({ acceptanceCriteria: text(4000), evidence: { type: 'array', maxItems: 50, items: evidenceRequirement } }, ['acceptanceCriteria'])),
        ),
        prerequisites: describe('Blockers raised with the item.', { type: 'array', maxItems: 50, items: prerequisiteRequest }),
        links: describe(
          'Other records the item relates to.',
          { type: 'array', maxItems: 50, items: object({ domain: oneOf(SOURCE_DOMAINS), recordId: text(100), relation: nullable(text(100)) }, ['domain', 'recordId']) },
        ),
      },
      ['requestId', 'siteId', 'type', 'title', 'sourceRecordId'],
    ),
  },
  {
    type: 'prerequisite.required',
    version: 1,
    summary:
      'Raises a blocker on an existing work item, or updates the one with the same kind and source record (so it may be repeated). If the item does not exist yet, Work parks the event and applies it when the item appears.',
    schema: object(
      {
        workItemId: uuid,
        siteId: describe(
          "The site of the source record. Work applies the blocker only to an item of that site: another site's item is left untouched (logged), so one site's records never block another's work.",
          uuid,
        ),
        kind: oneOf(PREREQUISITE_KINDS),
        sourceRecordId,
        description: describe('What must be true before the work may start.', text(1000)),
        state: describe('OPEN (default) blocks the item; SATISFIED records a need that is already met.', oneOf(['OPEN', 'SATISFIED'])),
        reason: nullable(text(1000)),
        validUntil,
      },
      ['workItemId', 'kind', 'sourceRecordId', 'description'],
    ),
  },
  ...(['satisfied', 'reopened'] as const).map((change) => ({
    type: `prerequisite.${change}`,
    version: 1,
    summary:
      change === 'satisfied'
        ? 'Clears every blocker the source record raised (optionally only of one kind or on some items); items with nothing else open become READY.'
        : 'Re-opens the blockers of the source record (a permit suspended, a qualification lapsed); READY items go back to OPEN, items in progress are reported blocked.',
    schema: object(
      {
        sourceRecordId,
        kind: oneOf(PREREQUISITE_KINDS),
        workItemIds: describe('Only blockers on these items (default: all items).', { type: 'array', minItems: 1, maxItems: 500, items: uuid }),
        reason: nullable(reason),
        ...(change === 'satisfied' ? { validUntil } : {}),
      },
      ['sourceRecordId'],
    ),
  })),
  {
    type: 'work.hold_requested',
    version: 1,
    summary:
      'Puts all open, ready and in-progress work on an asset on hold (e.g. after a serious incident), and keeps the asset held: work created on it while the hold is active starts ON_HOLD. Only `resumeRoles` resume the work, and only after `work.hold_released`, unless one of them overrides with a reason.',
    schema: object(
      {
        assetId: uuid,
        siteId: describe("The site of the source record: only that site's work on the asset is held.", uuid),
        reason,
        sourceRecordId,
        resumeRoles,
      },
      ['assetId', 'reason', 'sourceRecordId'],
    ),
  },
  {
    type: 'work.hold_released',
    version: 1,
    summary:
      'The cause of a hold ended (e.g. the incident was closed): new work on the asset is no longer held and the held work may be resumed by the roles the hold named. Held work is not resumed by itself: a person resumes it.',
    schema: object(
      {
        sourceRecordId: describe('The record whose `work.hold_requested` this releases.', text(100)),
        assetId: describe("Only the hold on this asset (default: every asset the record held).", uuid),
        siteId: describe("The site of the source record.", uuid),
        reason: nullable(reason),
      },
      ['sourceRecordId'],
    ),
  },
];

// TypeScript shapes of the contracts above, for producers building payloads and Work's handlers. Type
// aliases, not interfaces, so a payload is assignable to recordEvent's `data: Record<string, unknown>`.
type Of<T extends readonly string[]> = T[number];

export type EvidenceRequirementV1 = {
  kind: Of<typeof EVIDENCE_KINDS>;
  label: string;
  unit?: string | null;
  min?: number | null;
  max?: number | null;
  questions?: string[] | null;
};

export type PrerequisiteRequestV1 = {
  kind: Of<typeof PREREQUISITE_KINDS>;
  description: string;
  sourceDomain?: Of<typeof SOURCE_DOMAINS>;
  sourceRecordId?: string;
  state?: 'OPEN' | 'SATISFIED';
  reason?: string | null;
  /** ISO date-time at which a SATISFIED condition lapses. */
  validUntil?: string | null;
};

export type WorkRequestedV1 = {
  requestId: string;
  siteId: string;
  areaId?: string | null;
  lineId?: string | null;
  assetId?: string | null;
  type: Of<typeof WORK_ITEM_TYPES>;
  title: string;
  description?: string | null;
  priority?: Of<typeof PRIORITIES> | null;
  ownerId?: string | null;
  /** ISO date-time. */
  dueAt?: string | null;
  contractorCompany?: string | null;
  sourceRecordId: string;
  reason?: string | null;
  requiredOutcome?: { acceptanceCriteria: string; evidence?: EvidenceRequirementV1[] } | null;
  prerequisites?: PrerequisiteRequestV1[];
  links?: { domain: Of<typeof SOURCE_DOMAINS>; recordId: string; relation?: string | null }[];
};

export type PrerequisiteRequiredV1 = {
  workItemId: string;
  siteId?: string;
  kind: Of<typeof PREREQUISITE_KINDS>;
  sourceRecordId: string;
  description: string;
  state?: 'OPEN' | 'SATISFIED';
  reason?: string | null;
  /** ISO date-time at which a SATISFIED condition lapses. */
  validUntil?: string | null;
};

/** Payload of both `prerequisite.satisfied` and `prerequisite.reopened`. */
export type PrerequisiteSourceChangedV1 = {
  sourceRecordId: string;
  kind?: Of<typeof PREREQUISITE_KINDS>;
  workItemIds?: string[];
  reason?: string | null;
  /** `prerequisite.satisfied` only: ISO date-time at which the condition lapses. */
  validUntil?: string | null;
};

export type WorkHoldRequestedV1 = {
  assetId: string;
  siteId?: string;
  reason: string;
  sourceRecordId: string;
  resumeRoles?: ('operator' | 'technician' | 'supervisor')[];
};

export type WorkHoldReleasedV1 = {
  sourceRecordId: string;
  assetId?: string;
  siteId?: string;
  reason?: string | null;
};
