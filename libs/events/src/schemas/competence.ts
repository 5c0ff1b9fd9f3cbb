import { actorId, dateTime, describe, nullable, object, personId, text, uuid, type DomainContracts, type JsonSchema } from './common';
import { workContracts } from './work-contracts';

const at = describe('When the change was made.', dateTime);
const code = describe('Qualification code, e.g. HOT-WORK.', text(32));

const record = (type: string, summary: string, extra: Record<string, JsonSchema> = {}) => ({
  type,
  version: 1,
  summary,
  schema: object(
    {
      recordId: uuid,
      personId: personId('Who holds (or held) the qualification.'),
      qualificationId: uuid,
      code,
      achievedAt: dateTime,
      expiresAt: describe('Null: never expires.', nullable(dateTime)),
      actorId,
      at,
      ...extra,
    },
    ['recordId', 'personId', 'qualificationId', 'code', 'achievedAt', 'expiresAt', 'actorId', 'at', ...Object.keys(extra)],
  ),
});

const person = (type: string, summary: string) => ({
  type,
  version: 1,
  summary,
  schema: object(
    {
      personId: personId('The person (their identity subject).'),
      company: describe('Employer, or the contractor company of a contractor (a company name).', nullable(text(200))),
      roles: { type: 'array', maxItems: 20, items: text(50) },
      siteIds: describe('Site ids, or ["*"] for every site.', { type: 'array', maxItems: 100, items: text(40) }),
      actorId,
      at,
    },
    ['personId', 'company', 'roles', 'siteIds', 'actorId', 'at'],
  ),
});

const requirement = (type: string, summary: string) => ({
  type,
  version: 1,
  summary,
  schema: object(
    {
      requirementId: uuid,
      qualificationId: uuid,
      code,
      workType: describe('Set when a kind of work demands it.', nullable(text(50))),
      assetClass: describe('Set when a class of asset demands it.', nullable(text(100))),
      permitType: describe('Set when a type of permit demands it.', nullable(text(50))),
      actorId,
      at,
    },
    ['requirementId', 'qualificationId', 'code', 'workType', 'assetClass', 'permitType', 'actorId', 'at'],
  ),
});

/**
 * Events on `opsgraph.competence.v1` (people, qualifications, competence records): the generic work
 * contracts, then the domain's own facts. Names stay out of every payload (ids only).
 *
 * The "competence held" prerequisites it raises on work use kind COMPETENCE_HELD and
 * `sourceRecordId = "<personId>:<qualificationCode>"` (a person's holding of one qualification), keyed by
 * that id: `prerequisite.required` per open work item and required qualification of its owner (OPEN when
 * missing, SATISFIED when held), `prerequisite.satisfied` when the holding is granted or renewed (or the
 * item is reassigned away, or the qualification is no longer required), `prerequisite.reopened` when it
 * expires or is revoked, each with the `workItemIds` it affects.
 */
export const competence: DomainContracts = [
  ...workContracts,
  person('person.registered', 'A person was registered under their identity subject, with their company, roles and sites.'),
  person('person.updated', 'A person\'s company, roles or sites changed.'),
  {
    type: 'qualification.created',
    version: 1,
    summary: 'A qualification was defined, with how many months a record of it stays valid (null: for good).',
    schema: object(
      { qualificationId: uuid, code, name: text(200), validityMonths: nullable({ type: 'integer', minimum: 1 }), actorId, at },
      ['qualificationId', 'code', 'name', 'validityMonths', 'actorId', 'at'],
    ),
  },
  requirement('requirement.added', 'A work type, asset class or permit type now demands a qualification; owners of matching open work who lack it get the prerequisite.'),
  requirement('requirement.removed', 'A demand was dropped; prerequisites it alone raised are satisfied ("no longer required").'),
  record('competence_record.granted', 'A person was recorded as holding a qualification (by someone else).'),
  record('competence_record.renewed', 'A holding was renewed (new dates); its prerequisites on open work are satisfied.'),
  record('competence_record.revoked', 'A holding was withdrawn; its prerequisites on open work re-open.', { reason: text(2000) }),
  record('competence_record.expired', 'The expiry rule found a holding past its expiry (`actorId` is `system`); its prerequisites on open work re-open.'),
];
