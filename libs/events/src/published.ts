/**
 * The event contracts as standalone JSON Schema files, for data teams' own tools: one file per event type and
 * version under libs/events/schemas/<domain>/<type>.v<N>.json, whose `$id` is the event's `ce_dataschema`
 * (`index.json` maps each `$id` to its file, so a validator resolves a message's schema from its header).
 * What we publish is what producers send: every object closed (`additionalProperties: false`). Consumers are
 * tolerant: a later additive change of the same version (a new optional field) must not break them, so they
 * ignore properties they do not know (our own consumers validate with unknown properties allowed).
 *
 * `released.json` is the set as last released; `compatibilityProblems` compares the current contracts with
 * it, and a test fails on a change that would break a consumer of a released version. Regenerate both with
 *   npx tsx libs/events/src/asyncapi.ts            (the published files)
 *   npx tsx libs/events/src/asyncapi.ts --release  (and mark the current set released)
 */
import path from 'node:path';
import { DLQ_HEADERS } from './dead-letter';
import { DEAD_LETTER_TOPIC } from './names';
import { closed, eventCatalog } from './contracts';
import type { JsonSchema } from './schemas';

export const PUBLISHED_DIR = path.join(__dirname, '..', 'schemas');
export const RELEASED_PATH = path.join(PUBLISHED_DIR, 'released.json');
export const DEAD_LETTER_SCHEMA_ID = `urn:opsgraph:schema:deadletter.headers:v1`;

export interface PublishedSchema {
  /** Path under libs/events/schemas. */
  file: string;
  schema: JsonSchema;
}

/** Every published schema: one per event type and version, and the dead-letter topic's headers. */
export function publishedSchemas(): PublishedSchema[] {
  const events = eventCatalog().map((e) => ({
    file: `${e.domain}/${e.contract.type}.v${e.contract.version}.json`,
    schema: {
      $schema: 'http://json-schema.org/draft-07/schema#',
      $id: e.dataschema,
      title: `${e.ceType} v${e.contract.version}`,
      description: `${e.contract.summary} Topic ${e.topic}; CloudEvents type ${e.ceType}.`,
      ...(closed(e.contract.schema) as JsonSchema),
    },
  }));
  const deadLetter = {
    file: 'deadletter/headers.v1.json',
    schema: {
      $schema: 'http://json-schema.org/draft-07/schema#',
      $id: DEAD_LETTER_SCHEMA_ID,
      title: `${DEAD_LETTER_TOPIC} message headers`,
      description: `Messages a consumer could never apply go to ${DEAD_LETTER_TOPIC} unchanged (key, value and ce_* headers), with these headers added. The topic is created with the others, before the first poison message.`,
      type: 'object',
      required: [DLQ_HEADERS.reason, DLQ_HEADERS.consumer, DLQ_HEADERS.topic],
      properties: Object.fromEntries(Object.values(DLQ_HEADERS).map((h) => [h, { type: 'string' }])),
    },
  };
  return [...events, deadLetter];
}

/** `$id` → file, so a message's `ce_dataschema` finds its schema. */
export const publishedIndex = () => Object.fromEntries(publishedSchemas().map((p) => [p.schema.$id as string, p.file]));

/** The files of libs/events/schemas (but released.json) as they must be: path → text. */
export function renderPublished(): Record<string, string> {
  const files: Record<string, string> = { 'index.json': `${JSON.stringify(publishedIndex(), null, 2)}\n` };
  for (const p of publishedSchemas()) files[p.file] = `${JSON.stringify(p.schema, null, 2)}\n`;
  return files;
}

/** released.json for the current set: `$id` → schema. */
export const renderReleased = () => `${JSON.stringify(Object.fromEntries(publishedSchemas().map((p) => [p.schema.$id, p.schema])), null, 2)}\n`;

// ---------- backward compatibility within a version ----------

const typesOf = (s: JsonSchema): string[] => (s.type === undefined ? [] : [s.type as string | string[]].flat());

/**
 * Why `current` would break a consumer of `released` (the same type and version), at `at`: a property removed
 * or retyped, a new required property, a narrowed enum, a tighter length or range, a changed format.
 */
export function schemaBreaks(released: JsonSchema, current: JsonSchema | undefined, at = 'data'): string[] {
  if (!current) return [`${at} was removed`];
  const problems: string[] = [];
  const [oldTypes, newTypes] = [typesOf(released), typesOf(current)];
  const lost = oldTypes.filter((t) => !newTypes.includes(t) && !(t === 'integer' && newTypes.includes('number')));
  if (newTypes.length && lost.length) problems.push(`${at} no longer accepts type ${lost.join(', ')}`);
  if (Array.isArray(released.enum)) {
    const narrowed = (released.enum as unknown[]).filter((v) => !Array.isArray(current.enum) || !(current.enum as unknown[]).includes(v));
    if (Array.isArray(current.enum) && narrowed.length) problems.push(`${at} no longer accepts ${narrowed.map((v) => JSON.stringify(v)).join(', ')}`);
  } else if (Array.isArray(current.enum)) problems.push(`${at} became an enum`);
  if (released.format !== current.format && current.format !== undefined) problems.push(`${at} format changed to ${String(current.format)}`);
  for (const [bound, tighter] of [['maxLength', (a: number, b: number) => b < a], ['maxItems', (a: number, b: number) => b < a], ['maximum', (a: number, b: number) => b < a], ['minLength', (a: number, b: number) => b > a], ['minItems', (a: number, b: number) => b > a], ['minimum', (a: number, b: number) => b > a]] as const) {
    const [a, b] = [released[bound] as number | undefined, current[bound] as number | undefined];
    if (b !== undefined && (a === undefined || tighter(a, b))) problems.push(`${at} ${bound} tightened to ${b}`);
  }
  const oldRequired = new Set((released.required as string[] | undefined) ?? []);
  for (const name of (current.required as string[] | undefined) ?? []) if (!oldRequired.has(name)) problems.push(`${at}.${name} became required`);
  const [oldProps, newProps] = [(released.properties ?? {}) as Record<string, JsonSchema>, (current.properties ?? {}) as Record<string, JsonSchema>];
  for (const [name, schema] of Object.entries(oldProps)) problems.push(...schemaBreaks(schema, newProps[name], `${at}.${name}`));
  if (released.items && typeof released.items === 'object') problems.push(...schemaBreaks(released.items as JsonSchema, current.items as JsonSchema | undefined, `${at}[]`));
  for (const keyword of ['anyOf', 'oneOf', 'allOf'] as const) {
    if (JSON.stringify(released[keyword]) !== JSON.stringify(current[keyword])) problems.push(`${at} ${keyword} changed`);
  }
  return problems;
}

/** Every break of a released schema by the current contracts, as `<$id>: <why>`. */
export function compatibilityProblems(released: Record<string, JsonSchema>): string[] {
  const current = new Map(publishedSchemas().map((p) => [p.schema.$id as string, p.schema]));
  return Object.entries(released).flatMap(([id, schema]) => schemaBreaks(schema, current.get(id)).map((why) => `${id}: ${why}`));
}
