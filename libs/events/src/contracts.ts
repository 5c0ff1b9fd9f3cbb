import Ajv, { type ValidateFunction } from 'ajv';
import addFormats from 'ajv-formats';
import { DOMAINS, ceType, dataschemaOf, setPayloadValidator, topicOf, type Domain } from './outbox';
import { contractsByDomain, type EventContract, type JsonSchema } from './schemas';

/** Domains that ask Work for work and gate it with prerequisites (everything but Work itself). */
export const SUPPORTING_DOMAINS = DOMAINS.filter((d): d is Exclude<Domain, 'work'> => d !== 'work');

/** A payload that does not match its contract, or an event type nobody registered. */
export class EventContractError extends Error {
  override name = 'EventContractError';
}

/**
 * Producers are held to the exact contract (an unknown property is refused, so a typo fails in tests);
 * consumers accept unknown properties, so an additive change can reach producers before consumers.
 */
export type ValidationMode = 'produce' | 'consume';

export interface CatalogEntry {
  domain: Domain;
  /** CloudEvents type, `opsgraph.<domain>.<type>`. */
  ceType: string;
  topic: string;
  dataschema: string;
  contract: EventContract;
}

// strictRequired is off: a schema may require, in an anyOf branch, properties its parent defines.
const ajv = new Ajv({ allErrors: true, strict: true, strictRequired: false, allowUnionTypes: true });
addFormats(ajv, ['uuid', 'date-time']);

const catalog: CatalogEntry[] = [];
const byType = new Map<string, CatalogEntry>();
for (const domain of DOMAINS) {
  for (const contract of contractsByDomain[domain]) {
    const entry = { domain, ceType: ceType(domain, contract.type), topic: topicOf(domain), dataschema: dataschemaOf(domain, contract.type, contract.version), contract };
    const key = `${entry.ceType}@${contract.version}`;
    if (byType.has(key)) throw new Error(`event contract ${key} is registered twice`);
    byType.set(key, entry);
    catalog.push(entry);
  }
}

/** Adds `additionalProperties: false` to every object schema that lists its properties and says nothing else. */
export function closed(schema: unknown): unknown {
  if (Array.isArray(schema)) return schema.map(closed);
  if (!schema || typeof schema !== 'object') return schema;
  const out: JsonSchema = {};
  for (const [keyword, value] of Object.entries(schema)) {
    if (keyword === 'properties') out.properties = Object.fromEntries(Object.entries(value as JsonSchema).map(([name, s]) => [name, closed(s)]));
    else if (keyword === 'enum' || keyword === 'required') out[keyword] = value;
    else out[keyword] = closed(value);
  }
  if (out.properties && out.additionalProperties === undefined) out.additionalProperties = false;
  return out;
}

// Compiled on first use and kept: the generic contracts are one schema object shared by six domains.
const compiled = new WeakMap<JsonSchema, Record<ValidationMode, ValidateFunction>>();
function validatorsOf(schema: JsonSchema) {
  let validators = compiled.get(schema);
  if (!validators) {
    validators = { consume: ajv.compile(schema), produce: ajv.compile(closed(schema) as JsonSchema) };
    compiled.set(schema, validators);
  }
  return validators;
}

export const eventCatalog = (): readonly CatalogEntry[] => catalog;
export const contractOf = (type: string, version: number): CatalogEntry | undefined => byType.get(`${type}@${version}`);

/** Why a payload is not acceptable for its type and version, or null when it is. */
export function payloadProblem(type: string, version: number, data: unknown, mode: ValidationMode): string | null {
  const entry = contractOf(type, version);
  if (!entry) return `unknown event type ${type} v${version}`;
  const validate = validatorsOf(entry.contract.schema)[mode];
  if (validate(data)) return null;
  return ajv.errorsText(validate.errors, { dataVar: 'data', separator: '; ' });
}

/** Throws EventContractError unless `data` matches the registered contract of `type` v`version`. */
export function validatePayload(type: string, version: number, data: unknown, mode: ValidationMode = 'produce'): void {
  const problem = payloadProblem(type, version, data, mode);
  if (problem) throw new EventContractError(`${type} v${version}: ${problem}`);
}

// Every recordEvent in every service validates against the registry from the moment this module loads.
setPayloadValidator((type, version, data) => validatePayload(type, version, data, 'produce'));
