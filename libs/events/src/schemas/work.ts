import {
  EVIDENCE_KINDS,
  PREREQUISITE_KINDS,
  PREREQUISITE_STATES,
  PRIORITIES,
  SOURCE_DOMAINS,
  WORK_ITEM_STATUSES,
  WORK_ITEM_TYPES,
  actorId,
  count,
  dateTime,
  describe,
  nullable,
  object,
  oneOf,
  personId,
  text,
  uuid,
  type DomainContracts,
  type JsonSchema,
} from './common';

/**
 * Work's own events on `opsgraph.work.v1`, keyed by work item id. Every payload starts with the item's
 * identity and place (`eventData` in services/work/src/domain/work-items.ts); supporting domains consume
 * them to close their loops (a permit closes when its work is verified, a finding when its action is done).
 */
const item: Record<string, JsonSchema> = {
  workItemId: describe('The work item.', uuid),
  number: describe('Human number of the item, e.g. GRN-000123.', text(50)),
  workType: describe('Kind of work.', oneOf(WORK_ITEM_TYPES)),
  status: describe('Status of the item after the change.', oneOf(WORK_ITEM_STATUSES)),
  siteId: uuid,
  areaId: nullable(uuid),
  lineId: nullable(uuid),
  assetId: nullable(uuid),
  sourceDomain: describe('Domain that asked for the work (MANUAL when raised by a person).', oneOf(SOURCE_DOMAINS)),
  sourceRecordId: describe('Record of the source domain the work is for (incident, finding, permit, ...).', nullable(text(100))),
};
const itemRequired = Object.keys(item);
const note = describe('Free text entered with the change (may be null).', nullable(text(4000)));

/** A status change: the item fields plus from/to, who and why. */
function transition(summary: string, to: readonly string[], extra: Record<string, JsonSchema> = {}, extraRequired: string[] = Object.keys(extra)) {
  return {
    version: 1,
    summary,
    schema: object(
      { ...item, status: oneOf(to), from: describe('Status before the change.', oneOf(WORK_ITEM_STATUSES)), to: oneOf(to), actorId, note, ...extra },
      [...itemRequired, 'from', 'to', 'actorId', 'note', ...extraRequired],
    ),
  };
}

/**
 * The readings of the submitted evidence outside their limits (a MEASUREMENT below `min` or above `max`):
 * a failed inspection is a result, not bad input. Empty or absent: every reading was within its limits.
 */
const outOfLimits = describe(
  'MEASUREMENT evidence outside its limits, as submitted (empty or absent: every reading within limits). An inspection with such readings failed; the domain that asked for it acts on that.',
  {
    type: 'array',
    maxItems: 50,
    items: object(
      { label: text(200), value: { type: 'number' }, unit: nullable(text(30)), min: nullable({ type: 'number' }), max: nullable({ type: 'number' }) },
      ['label', 'value'],
    ),
  },
);

/** The details of the work types with their own (services/work/src/domain/details.ts): exactly one member, by type. */
const number = { type: 'number' };
const logisticsPlace = object({ areaId: uuid, bay: nullable(text(50)), dock: nullable(text(50)) }, ['areaId', 'bay', 'dock']);
const details = describe(
  "The item's type details: `round` (its route; recordings come as `work_item.round_checkpoint_recorded`), `logistics`, `punchItem` or `productionAction`. Absent for types without details of their own.",
  {
    type: 'object',
    minProperties: 1,
    maxProperties: 1,
    properties: {
      round: object({
        route: {
          type: 'array',
          maxItems: 100,
          items: object({
            checkpoint: count,
            name: text(200),
            assetId: nullable(uuid),
            areaId: nullable(uuid),
            checks: { type: 'array', maxItems: 30, items: object({ label: text(200), kind: oneOf(['READING', 'CHECK']), unit: nullable(text(30)), min: nullable(number), max: nullable(number) }, ['label', 'kind']) },
          }, ['checkpoint', 'name', 'checks']),
        },
        schedule: describe('When the round recurs (absent: it does not): start times of day in UTC with their shift, the minutes a round may take, and the start this round is for.', object({
          starts: { type: 'array', maxItems: 12, items: object({ at: text(5), shift: nullable(text(50)) }, ['at']) },
          allowedMinutes: count,
          occurrence: dateTime,
        }, ['starts', 'allowedMinutes', 'occurrence'])),
      }, ['route']),
      logistics: object({
        material: text(200), quantity: number, unit: text(30), from: logisticsPlace, to: logisticsPlace, vehicle: nullable(text(100)), slotStart: dateTime, slotEnd: dateTime,
      }, ['material', 'quantity', 'unit', 'from', 'to', 'slotStart', 'slotEnd']),
      punchItem: object({
        project: text(100), system: text(100), category: describe('A: must be closed before start-up or handover; B: may follow.', oneOf(['A', 'B'])), milestone: text(200),
      }, ['project', 'system', 'category', 'milestone']),
      productionAction: object({
        order: nullable(text(100)), batch: nullable(text(100)), product: text(200), quantity: number, unit: text(30),
        customerCommitment: nullable(object({ customer: text(200), reference: nullable(text(100)), dueAt: nullable(dateTime) }, ['customer'])),
      }, ['product', 'quantity', 'unit']),
    },
  },
);

const prerequisite = {
  prerequisiteId: uuid,
  kind: oneOf(PREREQUISITE_KINDS),
};

export const work: DomainContracts = [
  {
    type: 'work_item.created',
    version: 1,
    summary: 'A work item was created (by a person or on a `work.requested` event). Status is OPEN; a `ready` or `blocked` event follows in the same transaction.',
    schema: object(
      {
        ...item,
        ownerId: nullable(personId('Person responsible for the item.')),
        priority: oneOf(PRIORITIES),
        dueAt: nullable(dateTime),
        contractorCompany: describe('Contractor company doing the work (a company name, not a person).', nullable(text(200))),
        assetClass: describe('Class of the asset (pump, pressure vessel, ...): what competence and compliance rules key on.', nullable(text(100))),
        workRequestId: describe('The `requestId` of the `work.requested` event the item answers (absent for work raised by people).', text(200)),
        details,
      },
      [...itemRequired, 'ownerId', 'priority', 'dueAt', 'contractorCompany', 'assetClass'],
    ),
  },
  { type: 'work_item.ready', ...transition('Nothing blocks the item any more: it may be started.', ['READY']) },
  {
    type: 'work_item.blocked',
    version: 1,
    summary:
      'A prerequisite opened on the item. A READY item goes back to OPEN (with from/to/actorId); an item already in progress keeps its status and the event carries `openPrerequisites` instead.',
    schema: object(
      { ...item, from: oneOf(WORK_ITEM_STATUSES), to: oneOf(WORK_ITEM_STATUSES), actorId, note, openPrerequisites: count },
      [...itemRequired, 'note'],
      undefined,
      { anyOf: [{ required: ['from', 'to', 'actorId'] }, { required: ['openPrerequisites'] }] },
    ),
  },
  { type: 'work_item.started', ...transition('Work started; the starting person is the performer.', ['IN_PROGRESS'], { performerId: personId('Person doing the work.') }) },
  { type: 'work_item.held', ...transition('The item was put on hold (by a person, or for all work on an asset on `work.hold_requested`). `note` is the reason.', ['ON_HOLD']) },
  { type: 'work_item.resumed', ...transition('A held item was resumed; it returns to where it was held from.', ['OPEN', 'IN_PROGRESS']) },
  {
    type: 'work_item.completed',
    ...transition('The performer submitted evidence meeting the required outcome; the item awaits verification.', ['AWAITING_VERIFICATION'], {
      performerId: nullable(personId('Person who did the work.')),
      evidenceCount: count,
      outOfLimits,
    }, ['performerId', 'evidenceCount']),
  },
  {
    type: 'work_item.verified',
    ...transition('Someone other than the performer accepted the result: the item is DONE. Supporting domains close their records on this event.', ['DONE'], {
      verifierId: personId('Person who verified the work.'),
      verifiedAt: dateTime,
      outOfLimits,
    }, ['verifierId', 'verifiedAt']),
  },
  {
    type: 'work_item.rejected',
    ...transition('The verifier rejected the result; the item is back IN_PROGRESS.', ['IN_PROGRESS'], {
      verifierId: personId('Person who rejected the work.'),
      reason: text(2000),
    }),
  },
  { type: 'work_item.cancelled', ...transition('The item was cancelled; it will not be done.', ['CANCELLED'], { reason: text(2000) }) },
  {
    type: 'work_item.assigned',
    version: 1,
    summary: 'The item got a (new) owner.',
    schema: object(
      {
        ...item,
        ownerId: personId('The new owner.'),
        previousOwnerId: nullable(personId('The owner before.')),
        actorId,
        assetClass: nullable(text(100)),
      },
      [...itemRequired, 'ownerId', 'previousOwnerId', 'actorId', 'assetClass'],
    ),
  },
  {
    type: 'work_item.outcome_tightened',
    version: 1,
    summary:
      'A supervisor made the required outcome stricter before the work started (requirements kept, limits narrowed, evidence or questions added); the status is unchanged. `note` is the reason.',
    schema: object(
      {
        ...item,
        actorId,
        note,
        evidence: describe('The evidence now required (kind and label).', {
          type: 'array',
          maxItems: 50,
          items: object({ kind: oneOf(EVIDENCE_KINDS), label: text(200) }, ['kind', 'label']),
        }),
        previousEvidenceCount: count,
      },
      [...itemRequired, 'actorId', 'note', 'evidence', 'previousEvidenceCount'],
    ),
  },
  {
    type: 'work_item.details_changed',
    version: 1,
    summary: 'A supervisor changed the type details of an item not yet started; `details` is the new document, `note` the reason. The status is unchanged.',
    schema: object({ ...item, actorId, note, details }, [...itemRequired, 'actorId', 'note', 'details']),
  },
  {
    type: 'work_item.round_checkpoint_recorded',
    version: 1,
    summary:
      'A checkpoint of a round in progress was recorded (once: a retry records nothing). Readings outside their limits are listed; the follow-up work they raised comes as its own `work_item.created` (source WORK, the round).',
    schema: object(
      {
        ...item,
        actorId,
        checkpoint: describe('1-based position on the route.', count),
        checkpointAssetId: nullable(uuid),
        checkpointAreaId: nullable(uuid),
        recordedCount: count,
        routeLength: count,
        outOfLimits,
        followUpWorkItemId: describe('The follow-up work raised for readings outside their limits or checks not ok (null: none).', nullable(uuid)),
      },
      [...itemRequired, 'actorId', 'checkpoint', 'recordedCount', 'routeLength', 'outOfLimits', 'followUpWorkItemId'],
    ),
  },
  {
    type: 'prerequisite.raised',
    version: 1,
    summary: 'A new blocker was added to the item (by hand, at creation, or on a `prerequisite.required` event). Repeats of the same kind and source update it without a new event.',
    schema: object(
      {
        ...item,
        ...prerequisite,
        prerequisiteState: oneOf(['OPEN', 'SATISFIED']),
        prerequisiteSourceDomain: oneOf(SOURCE_DOMAINS),
        prerequisiteSourceRecordId: describe('Record of the domain that clears the blocker (null when raised by hand).', nullable(text(100))),
      },
      [...itemRequired, 'prerequisiteId', 'kind', 'prerequisiteState', 'prerequisiteSourceDomain', 'prerequisiteSourceRecordId'],
    ),
  },
  {
    type: 'prerequisite.changed',
    version: 1,
    summary: 'A person satisfied or waived a blocker by hand. (Changes made on supporting-domain events show as `ready`/`blocked`.)',
    schema: object({ ...item, ...prerequisite, prerequisiteState: oneOf(PREREQUISITE_STATES), actorId }, [...itemRequired, 'prerequisiteId', 'kind', 'prerequisiteState', 'actorId']),
  },
  {
    type: 'location.registered',
    version: 1,
    summary:
      "A site, area, line or asset was registered in Work's location registry (keyed by its id). Every supporting domain keeps a copy and checks the locations people name against it.",
    schema: object(
      {
        locationId: describe('The site, area, line or asset.', uuid),
        kind: oneOf(['SITE', 'AREA', 'LINE', 'ASSET']),
        siteId: describe("The site it belongs to (a site's own id for a site).", uuid),
        areaId: describe('The area it is in (null for a site, an area, or an asset placed only on the site).', nullable(uuid)),
        lineId: describe('The line it is on (assets only; null otherwise).', nullable(uuid)),
        parentAssetId: describe('The asset it is part of (assets only).', nullable(uuid)),
        code: text(16),
        name: text(200),
        assetClass: describe('Class of an asset (pump, pressure vessel, ...).', nullable(text(100))),
      },
      ['locationId', 'kind', 'siteId', 'areaId', 'lineId', 'code', 'name'],
    ),
  },
];

/** One reading of `outOfLimits` on `work_item.completed` / `.verified`. */
export type OutOfLimitsReadingV1 = { label: string; value: number; unit?: string | null; min?: number | null; max?: number | null };
