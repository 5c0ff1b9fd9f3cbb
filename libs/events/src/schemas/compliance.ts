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
/** Added within version 1: where the finding came from. */
const findingSource: Record<string, JsonSchema> = {
  inspectionWorkItemId: describe('The failed inspection (work item) the finding records the non-conformance of; null for an audit finding.', nullable(uuid)),
};
const findingFact = (type: string, summary: string, extra: Record<string, JsonSchema> = {}) => ({
  type,
  version: 1,
  summary,
  schema: object({ ...finding, ...findingSource, ...extra }, [...Object.keys(finding), ...Object.keys(extra)]),
});

const reading = object(
  { label: text(200), value: { type: 'number' }, unit: nullable(text(30)), min: nullable({ type: 'number' }), max: nullable({ type: 'number' }) },
  ['label', 'value'],
);

/** The work request id of a finding's n-th effectiveness check. */
export const findingEffectivenessRequestId = (findingId: string, n: number) => `compliance:finding:${findingId}:effectiveness:${n}`;

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
    summary: 'An audit was recorded (or, of kind INSPECTION, a failed inspection).',
    schema: object(
      {
        auditId: uuid,
        number: describe('Human number, e.g. AUD-000004.', text(30)),
        siteId: uuid,
        areaIds: uuids('Areas in its scope.'),
        auditDate: dateTime,
        actorId,
        kind: describe('AUDIT (by people), or INSPECTION: the record of a failed inspection, kept with its readings.', oneOf(['AUDIT', 'INSPECTION'])),
      },
      ['auditId', 'number', 'siteId', 'areaIds', 'auditDate', 'actorId'],
    ),
  },
  findingFact('finding.recorded', 'A finding of an audit was recorded (OPEN); its corrective actions follow as `work.requested`. A failed inspection records one too (`inspectionWorkItemId`).'),
  findingFact('finding.closed', 'A finding closed: every corrective action was verified done.', {}),
  {
    type: 'obligation.not_met',
    version: 1,
    summary:
      'The inspection of an occurrence was verified with readings outside their limits: the occurrence is NOT_MET, the failed inspection is recorded with its readings, a finding (the non-conformance) and its corrective work follow; the next occurrence is scheduled from the due date.',
    schema: object(
      {
        ...obligation,
        workItemId: describe('The failed inspection.', uuid),
        verifiedAt: dateTime,
        verifierId: nullable(personId('Who verified the inspection.')),
        outOfLimits: describe('The readings outside their limits.', { type: 'array', minItems: 1, maxItems: 50, items: reading }),
        inspectionId: describe('The record of the failed inspection (an audit of kind INSPECTION).', uuid),
        findingId: describe('The non-conformance recorded for it.', uuid),
        nextObligationId: nullable(uuid),
        nextDueAt: nullable(dateTime),
      },
      [...Object.keys(obligation), 'workItemId', 'verifiedAt', 'verifierId', 'outOfLimits', 'inspectionId', 'findingId', 'nextObligationId', 'nextDueAt'],
    ),
  },
  findingFact('finding.effectiveness_check_raised', 'The set time after closing has passed: Work is asked for the effectiveness check (INSPECTION, the finding as source).', {
    requestId: text(200),
    dueAt: dateTime,
  }),
  findingFact('finding.effectiveness_checked', 'The effectiveness check was verified in Work: effective (the finding is closed-effective) or not (readings out of limits: the finding is reopened).', {
    workItemId: uuid,
    effective: { type: 'boolean' },
  }),
  findingFact('finding.reopened', 'CLOSED → OPEN: by a person with a reason (recurrence, new facts), or by a failed effectiveness check. New corrective actions, close and check follow.', {
    trigger: oneOf(['PERSON', 'FAILED_EFFECTIVENESS_CHECK']),
    reopenCount: { type: 'integer', minimum: 1 },
  }),
];
