/**
 * Building blocks of the event contracts: JSON Schema (draft-07) fragments and the enums payloads use.
 * A contract is plain data so it can be compiled by ajv, printed into asyncapi.yaml and read by people.
 */
export type JsonSchema = { [keyword: string]: unknown };

export interface EventContract {
  /** Short type within its domain, e.g. `work_item.created`; the CloudEvents type is `opsgraph.<domain>.<type>`. */
  type: string;
  /** Contract version (the `vN` of the dataschema). A breaking change adds a new version beside the old one. */
  version: number;
  /** One or two sentences for the catalogue: when the event is published and what a consumer does with it. */
  summary: string;
  /** JSON Schema of `data`. Consumers accept unknown properties (additive changes); producers may not send them. */
  schema: JsonSchema;
}

export type DomainContracts = readonly EventContract[];

// The enums below are the contract's copy of Work's (services/work/src/entities); a Work test fails if they drift.
export const WORK_ITEM_TYPES = [
  'MAINTENANCE', 'PRODUCTION_ACTION', 'INSPECTION', 'ROUND', 'CLEANING', 'LOGISTICS', 'PUNCH_ITEM',
  'CONTRACTOR_JOB', 'CORRECTIVE_ACTION', 'PRE_STARTUP_CHECK', 'DOCUMENT_REVIEW', 'OTHER',
] as const;
export const WORK_ITEM_STATUSES = ['OPEN', 'READY', 'IN_PROGRESS', 'AWAITING_VERIFICATION', 'DONE', 'ON_HOLD', 'CANCELLED'] as const;
export const PRIORITIES = ['LOW', 'MEDIUM', 'HIGH', 'CRITICAL'] as const;
export const PREREQUISITE_KINDS = [
  'PERMIT_VALID', 'COMPETENCE_HELD', 'DOCUMENT_ACKNOWLEDGED', 'HAZARD_CONTROL_IN_PLACE', 'CHANGE_APPROVED',
  'PRE_STARTUP_CHECK', 'COMPLIANCE_CHECK', 'MATERIAL', 'OTHER',
] as const;
export const PREREQUISITE_STATES = ['OPEN', 'SATISFIED', 'WAIVED'] as const;
export const SOURCE_DOMAINS = ['WORK', 'PERMITS', 'COMPETENCE', 'DOCUMENTS', 'HAZARDS', 'CHANGE', 'COMPLIANCE', 'MANUAL'] as const;
export const EVIDENCE_KINDS = ['PHOTO', 'MEASUREMENT', 'SIGNATURE', 'DOCUMENT', 'CHECKLIST'] as const;

/**
 * Fields that identify people. Payloads carry only these ids, never names or contact details, so the
 * event log holds no personal data beyond pseudonymous ids (erasure happens in the identity provider).
 */
export const PERSON_ID_FIELDS = ['ownerId', 'previousOwnerId', 'actorId', 'performerId', 'verifierId', 'performingAuthorityId', 'personId', 'investigatorId', 'reviewerIds'] as const;

export const describe = (description: string, schema: JsonSchema): JsonSchema => ({ ...schema, description });
export const uuid: JsonSchema = { type: 'string', format: 'uuid' };
export const dateTime: JsonSchema = { type: 'string', format: 'date-time' };
export const text = (maxLength: number): JsonSchema => ({ type: 'string', minLength: 1, maxLength });
export const count: JsonSchema = { type: 'integer', minimum: 0 };
export const oneOf = (values: readonly string[]): JsonSchema => ({ type: 'string', enum: [...values] });
/** The same schema, or null: optional values are sent as null or left out, both mean "none". */
export function nullable(schema: JsonSchema): JsonSchema {
  return { ...schema, type: [schema.type, 'null'], ...(schema.enum ? { enum: [...(schema.enum as unknown[]), null] } : {}) };
}
/** A person's id (the `sub` of their token, a UUID): personal data, so ids only, never names. */
export const personId = (description: string, schema: JsonSchema = uuid): JsonSchema => describe(`${description} Personal data (a person id).`, schema);
/** Who made a change: a person's id, or `system` when a service acted on its own (e.g. on an event). */
export const actorId = personId('Who made the change, or `system`.', { type: 'string', minLength: 1, maxLength: 100 });

export function object(properties: Record<string, JsonSchema>, required: string[], description?: string, extra: JsonSchema = {}): JsonSchema {
  return { type: 'object', ...(description ? { description } : {}), required, properties, ...extra };
}
