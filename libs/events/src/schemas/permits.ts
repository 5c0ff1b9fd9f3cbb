import { actorId, dateTime, describe, nullable, object, oneOf, personId, text, uuid, type DomainContracts, type JsonSchema } from './common';
import { workContracts } from './work-contracts';

/** Kinds of permit to work. Competence keys qualification requirements on them too, so they are part of the contract. */
export const PERMIT_TYPES = ['HOT_WORK', 'COLD_WORK', 'CONFINED_SPACE', 'WORK_AT_HEIGHT', 'ELECTRICAL', 'EXCAVATION', 'LINE_BREAKING'] as const;
export type PermitType = (typeof PERMIT_TYPES)[number];
export const PERMIT_STATUSES = ['DRAFT', 'REQUESTED', 'APPROVED', 'ISSUED', 'SUSPENDED', 'CLOSED', 'CANCELLED', 'EXPIRED'] as const;
export const ISOLATION_METHODS = ['ELECTRICAL_LOCKOUT', 'VALVE_LOCKED_CLOSED', 'DOUBLE_BLOCK_AND_BLEED', 'BLIND_OR_SPADE', 'DISCONNECTION', 'MECHANICAL_BLOCK', 'OTHER'] as const;

const uuids = (description: string): JsonSchema => describe(description, { type: 'array', maxItems: 50, items: uuid });
const note = describe('Free text entered with the change (may be null).', nullable(text(4000)));

/**
 * Every permit fact carries the permit's identity, state and scope, so a consumer can act without calling
 * back: competence learns which permit types cover a work item from `permit.created` / `work_items_added`.
 */
const permit: Record<string, JsonSchema> = {
  permitId: uuid,
  number: describe('Human number, unique per site, e.g. PTW-GRN-0001.', text(40)),
  permitType: oneOf(PERMIT_TYPES),
  status: describe('Status after the change.', oneOf(PERMIT_STATUSES)),
  siteId: uuid,
  areaId: nullable(uuid),
  assetIds: uuids('Assets in the permit\'s scope.'),
  workItemIds: uuids('Work items the permit covers (all of them).'),
  actorId,
  at: describe('When the change was made.', dateTime),
};
const permitRequired = Object.keys(permit);

/** A status change: the permit fields plus the status before and the note entered with it. */
function transition(type: string, summary: string, extra: Record<string, JsonSchema> = {}, extraRequired: string[] = Object.keys(extra)) {
  return {
    type,
    version: 1,
    summary,
    schema: object({ ...permit, from: oneOf(PERMIT_STATUSES), note, ...extra }, [...permitRequired, 'from', 'note', ...extraRequired]),
  };
}

const isolation = (type: string, summary: string) => ({
  type,
  version: 1,
  summary,
  schema: object(
    {
      isolationId: uuid,
      permitId: uuid,
      number: describe('Number of the permit the isolation belongs to.', text(40)),
      assetId: describe('The isolated asset.', uuid),
      point: describe('Where the isolation is made, e.g. "MCC-3 breaker 12".', text(300)),
      method: oneOf(ISOLATION_METHODS),
      tag: describe('Lock or tag number fitted.', nullable(text(100))),
      actorId,
      at: dateTime,
    },
    ['isolationId', 'permitId', 'number', 'assetId', 'point', 'method', 'tag', 'actorId', 'at'],
  ),
});

const reading = (unit: string): JsonSchema => describe(unit, { type: 'number', minimum: 0 });

/**
 * Events on `opsgraph.permits.v1` (permits to work), keyed by permit id: the generic work contracts (the
 * "valid permit" prerequisite on every covered work item, `sourceRecordId` = permit id, kind PERMIT_VALID),
 * then the domain's own facts.
 */
export const permits: DomainContracts = [
  ...workContracts,
  {
    type: 'permit.created',
    version: 1,
    summary: 'A permit was drafted (DRAFT) by its requester (`actorId`); a `prerequisite.required` follows for each covered work item.',
    schema: object(
      {
        ...permit,
        from: describe('Always null: the permit is new.', { type: 'null' }),
        note,
        validFrom: dateTime,
        validTo: dateTime,
      },
      [...permitRequired, 'from', 'note', 'validFrom', 'validTo'],
    ),
  },
  {
    type: 'permit.work_items_added',
    version: 1,
    summary: 'Work items were added to a permit that had not ended; a `prerequisite.required` follows for each new one.',
    schema: object({ ...permit, addedWorkItemIds: uuids('The newly covered work items.') }, [...permitRequired, 'addedWorkItemIds']),
  },
  transition('permit.requested', 'DRAFT → REQUESTED: the requester asks for the permit.'),
  transition('permit.approved', 'REQUESTED → APPROVED by the area authority (`actorId`).'),
  transition('permit.issued', 'APPROVED → ISSUED by the issuer (`actorId`, never the requester): isolations verified (and gas tested for confined space); work may go on under it inside its window.', {
    performingAuthorityId: personId('Who accepted the permit at the job.'),
    validFrom: dateTime,
    validTo: dateTime,
  }),
  transition('permit.suspended', 'ISSUED → SUSPENDED: work under the permit must stop; `reason` says why. Also by the system (`actorId` system) when a confined-space permit\'s last gas test runs out, and with the recorder as actor when a gas reading is outside limits.', { reason: text(2000) }),
  transition('permit.reinstated', 'SUSPENDED → ISSUED after the same checks as issuing.'),
  transition('permit.closed', 'ISSUED or SUSPENDED → CLOSED: the job is handed back and every isolation removed.'),
  transition('permit.cancelled', 'DRAFT, REQUESTED or APPROVED → CANCELLED; `reason` says why.', { reason: text(2000) }),
  transition('permit.expired', 'Its validity window passed before it was closed or cancelled (`actorId` is `system`).', { validTo: dateTime }),
  {
    type: 'permit.simops_decided',
    version: 1,
    summary:
      'The issuer (`actorId`) issued or reinstated a permit beside conflicting live permits of its site (simultaneous operations, the table in services/permits/src/domain/simops-table.ts), naming each and the controls that make both jobs safe; follows its `permit.issued` or `permit.reinstated`.',
    schema: object(
      {
        permitId: uuid,
        number: describe('Human number, unique per site, e.g. PTW-GRN-0001.', text(40)),
        permitType: oneOf(PERMIT_TYPES),
        siteId: uuid,
        action: describe('Whether the permit was being issued or reinstated.', oneOf(['ISSUE', 'REINSTATE'])),
        controls: describe('What makes both jobs safe together, in the issuer\'s words.', text(4000)),
        conflicts: describe('The conflicting live permits the decision covers.', {
          type: 'array',
          minItems: 1,
          maxItems: 50,
          items: object(
            {
              permitId: uuid,
              number: text(40),
              permitType: oneOf(PERMIT_TYPES),
              proximity: describe('The narrowest place both permits share.', oneOf(['ASSET', 'LINE', 'AREA'])),
              placeId: describe('The asset, line or area they share.', uuid),
            },
            ['permitId', 'number', 'permitType', 'proximity', 'placeId'],
          ),
        }),
        actorId,
        at: dateTime,
      },
      ['permitId', 'number', 'permitType', 'siteId', 'action', 'controls', 'conflicts', 'actorId', 'at'],
    ),
  },
  isolation('isolation.applied', 'A lock-out/tag-out point of a permit was applied.'),
  isolation('isolation.verified', 'An applied isolation was verified by someone other than the person who applied it.'),
  isolation('isolation.removed', 'An isolation was removed: the asset may be re-energised.'),
  {
    type: 'gas_test.recorded',
    version: 1,
    summary: 'Atmosphere readings were recorded for a permit (confined-space entry), judged against the limits stored with them.',
    schema: object(
      {
        gasTestId: uuid,
        permitId: uuid,
        number: text(40),
        readings: object({ o2: reading('Oxygen, % by volume.'), lel: reading('Flammables, % LEL.'), h2s: reading('Hydrogen sulphide, ppm.'), co: reading('Carbon monoxide, ppm.') }, ['o2', 'lel', 'h2s', 'co']),
        limits: object(
          { o2Min: { type: 'number' }, o2Max: { type: 'number' }, lelMax: { type: 'number' }, h2sMax: { type: 'number' }, coMax: { type: 'number' } },
          ['o2Min', 'o2Max', 'lelMax', 'h2sMax', 'coMax'],
        ),
        withinLimits: { type: 'boolean' },
        failures: describe('What was out of limits, e.g. "O2 18.2 % below 19.5".', { type: 'array', items: text(200) }),
        actorId: describe('Who took the readings.', actorId),
        testedAt: dateTime,
        expiresAt: describe('After this a new test is needed.', dateTime),
      },
      ['gasTestId', 'permitId', 'number', 'readings', 'limits', 'withinLimits', 'failures', 'actorId', 'testedAt', 'expiresAt'],
    ),
  },
];
