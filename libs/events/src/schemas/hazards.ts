import { WORK_ITEM_TYPES, actorId, count, dateTime, describe, nullable, object, oneOf, text, uuid, type DomainContracts, type JsonSchema } from './common';
import { workContracts } from './work-contracts';

/**
 * Contracts of the hazards domain (topic `opsgraph.hazards.v1`): the hazard register, job risk
 * assessments and incidents. What it asks of Work follows the generic work contracts:
 *  - `prerequisite.required` / `.satisfied` / `.reopened` of kind HAZARD_CONTROL_IN_PLACE, one per
 *    control a job risk assessment requires, with `sourceRecordId` = the job control's id;
 *  - `work.requested` (type CORRECTIVE_ACTION) per corrective or preventive action of an incident, with
 *    the incident as source record and request id `incident:<incidentId>:action:<n>`;
 *  - `work.hold_requested` for the asset of an incident of severity HIGH or CRITICAL.
 * Incident payloads carry ids, classification, place and time only: no description and none of the
 * people involved (personal data stays in the hazards database).
 */

export const HAZARD_CONTROL_KINDS = ['PPE', 'BARRIER', 'ISOLATION', 'GAS_MONITORING', 'SUPERVISION', 'OTHER'] as const;
export type HazardControlKind = (typeof HAZARD_CONTROL_KINDS)[number];

export const RISK_BANDS = ['LOW', 'MEDIUM', 'HIGH', 'CRITICAL'] as const;
export type RiskBand = (typeof RISK_BANDS)[number];

export const INCIDENT_TYPES = ['NEAR_MISS', 'INJURY', 'SPILL', 'PROCESS_SAFETY_EVENT', 'PROPERTY_DAMAGE', 'OTHER'] as const;
export type IncidentType = (typeof INCIDENT_TYPES)[number];

export const INCIDENT_SEVERITIES = ['LOW', 'MEDIUM', 'HIGH', 'CRITICAL'] as const;
export type IncidentSeverity = (typeof INCIDENT_SEVERITIES)[number];

export const INCIDENT_STATUSES = ['REPORTED', 'INVESTIGATING', 'INVESTIGATED', 'CLOSED'] as const;
export type IncidentStatus = (typeof INCIDENT_STATUSES)[number];

export const ACTION_KINDS = ['CORRECTIVE', 'PREVENTIVE'] as const;
export type ActionKind = (typeof ACTION_KINDS)[number];

/** The work request id of an incident's n-th action (n from 1). */
export const incidentActionRequestId = (incidentId: string, n: number) => `incident:${incidentId}:action:${n}`;

const rating = (description: string): JsonSchema => describe(description, { type: 'integer', minimum: 1, maximum: 25 });
const factor = { type: 'integer', minimum: 1, maximum: 5 } as const;

const hazard: Record<string, JsonSchema> = {
  hazardId: uuid,
  title: text(300),
  siteId: uuid,
  areaId: nullable(uuid),
  assetId: nullable(uuid),
  workTypes: describe('Work types the hazard belongs to; empty means any work at its place.', { type: 'array', items: oneOf(WORK_ITEM_TYPES) }),
  likelihood: factor,
  severity: factor,
  riskRating: rating('likelihood × severity before controls.'),
  riskBand: oneOf(RISK_BANDS),
  residualRating: rating('likelihood × severity with the required controls in place.'),
  residualBand: oneOf(RISK_BANDS),
  controlKinds: describe('Kinds of the controls the register requires.', { type: 'array', items: oneOf(HAZARD_CONTROL_KINDS) }),
  active: { type: 'boolean' },
  actorId,
  at: dateTime,
};

const control: Record<string, JsonSchema> = {
  controlId: describe('The job control; also the source record of its HAZARD_CONTROL_IN_PLACE blocker.', uuid),
  assessmentId: uuid,
  workItemId: uuid,
  hazardId: uuid,
  kind: oneOf(HAZARD_CONTROL_KINDS),
  actorId,
  at: dateTime,
};

const incident: Record<string, JsonSchema> = {
  incidentId: uuid,
  number: describe('Human number, e.g. INC-000042.', text(30)),
  incidentType: oneOf(INCIDENT_TYPES),
  severity: oneOf(INCIDENT_SEVERITIES),
  status: oneOf(INCIDENT_STATUSES),
  occurredAt: dateTime,
  siteId: uuid,
  areaId: nullable(uuid),
  assetId: nullable(uuid),
  actorId,
  at: dateTime,
};
/** An incident fact: the incident's fields, `extra` (required) and `optional` (added later within the version). */
const incidentFact = (type: string, summary: string, extra: Record<string, JsonSchema> = {}, optional: Record<string, JsonSchema> = {}) => ({
  type,
  version: 1,
  summary,
  schema: object({ ...incident, ...extra, ...optional }, [...Object.keys(incident), ...Object.keys(extra)]),
});

/** Why an incident or finding was reopened: by a person (recurrence, new facts) or by a failed effectiveness check. */
export const REOPEN_TRIGGERS = ['PERSON', 'FAILED_EFFECTIVENESS_CHECK'] as const;
export type ReopenTrigger = (typeof REOPEN_TRIGGERS)[number];

/** The work request id of an incident's n-th effectiveness check (n from 1; a reopened incident gets a new one). */
export const incidentEffectivenessRequestId = (incidentId: string, n: number) => `incident:${incidentId}:effectiveness:${n}`;

/** What an incident's classification says to regulators (derived, see services/hazards/src/domain/recordability.ts). */
const classification: Record<string, JsonSchema> = {
  potentialSeverity: describe('The worst credible outcome (null: not assessed).', nullable(oneOf(INCIDENT_SEVERITIES))),
  recordable: describe('OSHA 300 recordable (death, days away, restricted work, medical treatment beyond first aid, loss of consciousness, significant diagnosed injury).', { type: 'boolean' }),
  reportable: describe('Must be reported to the regulator (fatality; in-patient hospitalisation, amputation, loss of an eye).', { type: 'boolean' }),
  reportDeadline: describe('When the report is due: occurrence + 8 h for a fatality, + 24 h otherwise (null: not reportable).', nullable(dateTime)),
  injuryCount: count,
};

export const hazards: DomainContracts = [
  ...workContracts,
  { type: 'hazard.registered', version: 1, summary: 'A hazard was added to the register with its risk rating and required controls.', schema: object(hazard, Object.keys(hazard)) },
  { type: 'hazard.reassessed', version: 1, summary: 'The likelihood, severity, residual risk or required controls of a registered hazard changed.', schema: object(hazard, Object.keys(hazard)) },
  { type: 'hazard.retired', version: 1, summary: 'A hazard no longer applies; it cannot be selected for new assessments.', schema: object(hazard, Object.keys(hazard)) },
  {
    type: 'job_risk_assessment.recorded',
    version: 1,
    summary: 'A job risk assessment for a work item selected hazards and their controls; each control is a HAZARD_CONTROL_IN_PLACE blocker on the item until confirmed.',
    schema: object(
      {
        assessmentId: uuid,
        workItemId: uuid,
        siteId: uuid,
        hazardIds: { type: 'array', items: uuid },
        controlIds: { type: 'array', items: uuid },
        highestResidualBand: oneOf(RISK_BANDS),
        actorId,
        at: dateTime,
      },
      ['assessmentId', 'workItemId', 'siteId', 'hazardIds', 'controlIds', 'highestResidualBand', 'actorId', 'at'],
    ),
  },
  { type: 'job_control.confirmed', version: 1, summary: 'Someone confirmed with evidence that a required control is in place; its blocker is cleared.', schema: object(control, Object.keys(control)) },
  {
    type: 'job_control.reopened',
    version: 1,
    summary: 'A confirmed control is found not in place any more; its blocker opens again with the reason.',
    schema: object({ ...control, reason: text(2000) }, [...Object.keys(control), 'reason']),
  },
  incidentFact('incident.reported', 'An incident was reported. Severity HIGH or CRITICAL on an asset also requests a hold of the open work on that asset.', {
    holdRequested: describe('True when `work.hold_requested` was sent for the asset.', { type: 'boolean' }),
  }, classification),
  incidentFact('incident.investigation_started', 'REPORTED → INVESTIGATING: an investigator was appointed.', { investigatorId: describe('The investigator. Personal data (a person id).', uuid) }),
  incidentFact('incident.investigation_completed', 'INVESTIGATING → INVESTIGATED: root causes are recorded (their text stays in the hazards database).', {
    rootCauseCount: { type: 'integer', minimum: 1 },
  }),
  incidentFact('incident.action_added', 'A corrective or preventive action was added; Work is asked for a CORRECTIVE_ACTION work item.', {
    actionId: uuid,
    actionNumber: { type: 'integer', minimum: 1 },
    actionKind: oneOf(ACTION_KINDS),
    requestId: text(200),
  }),
  incidentFact('incident.action_verified', "An action's work item was verified done; `openActions` is how many are still not done.", {
    actionId: uuid,
    actionNumber: { type: 'integer', minimum: 1 },
    workItemId: uuid,
    openActions: { type: 'integer', minimum: 0 },
  }),
  incidentFact('incident.closed', 'INVESTIGATED → CLOSED: every action is verified done (cancelled work does not count as an action).', {
    actionCount: { type: 'integer', minimum: 0 },
  }, {
    effectivenessCheckAt: describe('When the effectiveness check is raised as work (null: none, the incident closed without actions).', nullable(dateTime)),
    noActionJustified: describe('True when HSE recorded why a HIGH or CRITICAL incident closed without actions.', { type: 'boolean' }),
  }),
  incidentFact('incident.details_recorded', "The incident's classification was recorded or revised: potential severity, injuries (body part, treatment, lost days: kept in the hazards database), witnesses.", classification),
  incidentFact('incident.effectiveness_check_raised', 'The set time after closing has passed: Work is asked for the effectiveness check (INSPECTION, the incident as source).', {
    requestId: text(200),
    dueAt: dateTime,
  }),
  incidentFact('incident.effectiveness_checked', 'The effectiveness check was verified in Work: effective (the incident is closed-effective) or not (readings out of limits: the incident is reopened).', {
    workItemId: uuid,
    effective: { type: 'boolean' },
  }),
  incidentFact('incident.reopened', 'CLOSED → INVESTIGATING: by a person with a reason (recurrence, new facts), or by a failed effectiveness check. The loop starts again: investigation, actions, close, check.', {
    trigger: oneOf(REOPEN_TRIGGERS),
    reopenCount: { type: 'integer', minimum: 1 },
  }),
];
