import { WORK_ITEM_TYPES, actorId, dateTime, describe, nullable, object, oneOf, personId, text, uuid, type DomainContracts, type JsonSchema } from './common';
import { workContracts } from './work-contracts';

/**
 * Events on `opsgraph.compliance.v1` (obligations, inspections, audits and findings). What the domain asks
 * of Work follows the generic work contracts:
 *  - `work.requested` (type INSPECTION) once per occurrence of a recurring requirement when it comes due,
 *    with the requirement as source record, request id `compliance:obligation:<obligationId>[:<attempt>]`
 *    and the proof it must produce as required outcome; keyed by the requirement;
 *  - `work.requested` (type CORRECTIVE_ACTION) per corrective action of an audit finding, with the finding
 *    as source record and request id `compliance:finding:<findingId>:action:<n>`; keyed by the finding;
 *  - `prerequisite.required` (kind COMPLIANCE_CHECK, source record = the requirement) on work a requirement
 *    with a work check applies to, and `prerequisite.satisfied` for that work item once the check is confirmed.
 * It consumes Work's `work_item.*` events: a verified inspection makes its occurrence MET, with the work
 * item as evidence, and schedules the next one. Its own facts carry ids, references and dates; requirement
 * texts and finding descriptions stay in the compliance database.
 */

export const REQUIREMENT_SOURCES = ['REGULATION', 'STANDARD', 'INTERNAL'] as const;
export const OBLIGATION_TARGETS = ['ASSET', 'AREA', 'SITE'] as const;
export const FINDING_SEVERITIES = ['OBSERVATION', 'MINOR', 'MAJOR', 'CRITICAL'] as const;

const uuids = (description: string): JsonSchema => describe(description, { type: 'array', maxItems: 100, items: uuid });

const obligation: Record<string, JsonSchema> = {
  obligationId: describe('One occurrence of a recurring requirement for one target.', uuid),
  requirementId: uuid,
  targetKind: oneOf(OBLIGATION_TARGETS),
  siteId: uuid,
  areaId: nullable(uuid),
  assetId: nullable(uuid),
  dueAt: dateTime,
};

const finding: Record<string, JsonSchema> = {
  findingId: uuid,
  auditId: uuid,
  number: describe('Human number, e.g. AUD-000004-F2.', text(40)),
  severity: oneOf(FINDING_SEVERITIES),
  status: oneOf(['OPEN', 'CLOSED']),
  requirementId: describe('The requirement the finding is against, if any.', nullable(uuid)),
  siteId: uuid,
  areaId: nullable(uuid),
  assetId: nullable(uuid),
  actorId,
};

export const compliance: DomainContracts = [
  ...workContracts,
  {
    type: 'requirement.created',
    version: 1,
    summary: 'A requirement was recorded; a recurring one got its first occurrence per target.',
    schema: object(
      {
        requirementId: uuid,
        reference: describe('e.g. "Pressure Equipment Directive 2014/68/EU".', text(200)),
        clause: nullable(text(100)),
        source: oneOf(REQUIREMENT_SOURCES),
        siteIds: uuids('Sites it applies at.'),
        areaIds: uuids('Areas it applies to (none: the whole site, or by asset).'),
        assetIds: uuids('Assets it applies to.'),
        assetClasses: describe('Asset classes it applies to.', { type: 'array', maxItems: 50, items: text(100) }),
        workTypes: describe('Work types it applies to (none: any).', { type: 'array', items: oneOf(WORK_ITEM_TYPES) }),
        recurrenceMonths: describe('Periodic proof every N months; null when none.', nullable({ type: 'integer', minimum: 1 })),
        hasWorkCheck: describe('Whether matching work is gated by a COMPLIANCE_CHECK prerequisite.', { type: 'boolean' }),
        actorId,
      },
      ['requirementId', 'reference', 'clause', 'source', 'siteIds', 'areaIds', 'assetIds', 'assetClasses', 'workTypes', 'recurrenceMonths', 'hasWorkCheck', 'actorId'],
    ),
  },
  {
    type: 'obligation.overdue',
    version: 1,
    summary: 'An occurrence passed its due date without verified proof (published once per occurrence).',
    schema: object(obligation, Object.keys(obligation)),
  },
  {
    type: 'obligation.met',
    version: 1,
    summary: 'The inspection of an occurrence was verified done: the occurrence is MET with the work item as evidence, and the next one is scheduled.',
    schema: object(
      {
        ...obligation,
        workItemId: describe('The verified work: the evidence.', uuid),
        verifiedAt: dateTime,
        verifierId: nullable(personId('Who verified the inspection.')),
        nextObligationId: nullable(uuid),
        nextDueAt: nullable(dateTime),
      },
      [...Object.keys(obligation), 'workItemId', 'verifiedAt', 'verifierId', 'nextObligationId', 'nextDueAt'],
    ),
  },
  {
    type: 'compliance_check.confirmed',
    version: 1,
    summary: 'The statutory check a requirement demands on a work item was confirmed; its COMPLIANCE_CHECK prerequisite is satisfied.',
    schema: object({ requirementId: uuid, workItemId: uuid, siteId: uuid, actorId, at: dateTime }, ['requirementId', 'workItemId', 'siteId', 'actorId', 'at']),
  },
  {
    type: 'audit.recorded',
    version: 1,
    summary: 'An audit was recorded.',
    schema: object(
      {
        auditId: uuid,
        number: describe('Human number, e.g. AUD-000004.', text(30)),
        siteId: uuid,
        areaIds: uuids('Areas in its scope.'),
        auditDate: dateTime,
        actorId,
      },
      ['auditId', 'number', 'siteId', 'areaIds', 'auditDate', 'actorId'],
    ),
  },
  {
    type: 'finding.recorded',
    version: 1,
    summary: 'A finding of an audit was recorded (OPEN); its corrective actions follow as `work.requested`.',
    schema: object(finding, Object.keys(finding)),
  },
  {
    type: 'finding.closed',
    version: 1,
    summary: 'A finding closed: every corrective action was verified done.',
    schema: object(finding, Object.keys(finding)),
  },
];
