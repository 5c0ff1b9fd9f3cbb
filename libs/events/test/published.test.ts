import { existsSync, readFileSync, readdirSync } from 'node:fs';
import path from 'node:path';
import Ajv from 'ajv';
import addFormats from 'ajv-formats';
import { PUBLISHED_DIR, RELEASED_PATH, compatibilityProblems, eventCatalog, publishedSchemas, renderPublished, schemaBreaks } from '../src';

/**
 * The JSON Schema files data teams validate with (libs/events/schemas) are the registry's contracts, and no
 * change within a released version breaks its consumers.
 */
const filesIn = (dir: string, at = ''): string[] =>
  readdirSync(dir, { withFileTypes: true }).flatMap((e) => (e.isDirectory() ? filesIn(path.join(dir, e.name), `${at}${e.name}/`) : [`${at}${e.name}`]));

test('the published files are generated from the current registry, one per event type and version, nothing stale', () => {
  // Fails after a contract change until `npx tsx libs/events/src/asyncapi.ts` is run.
  const expected = renderPublished();
  for (const [file, text] of Object.entries(expected)) expect([file, existsSync(path.join(PUBLISHED_DIR, file)) ? readFileSync(path.join(PUBLISHED_DIR, file), 'utf8') : null]).toEqual([file, text]);
  expect(filesIn(PUBLISHED_DIR).filter((f) => f !== 'released.json').sort()).toEqual(Object.keys(expected).sort());
  expect(publishedSchemas().filter((p) => p.schema.$id !== 'urn:opsgraph:schema:deadletter.headers:v1').map((p) => p.schema.$id).sort()).toEqual(eventCatalog().map((e) => e.dataschema).sort());
});

test('each file is a valid draft-07 schema whose $id is the ce_dataschema of its events, closed to unknown properties', () => {
  const ajv = new Ajv({ strict: false, allowUnionTypes: true, allErrors: true });
  addFormats(ajv);
  for (const { schema } of publishedSchemas()) {
    expect(ajv.validateSchema(schema)).toBe(true);
    ajv.addSchema(schema);
  }
  const created = eventCatalog().find((e) => e.ceType === 'opsgraph.work.work_item.created')!;
  const validate = ajv.getSchema(created.dataschema)!;
  expect(validate).toBeDefined();
  expect(validate({ unknownField: 1 })).toBe(false);
  expect(JSON.stringify(validate.errors)).toContain('additionalProperties');
});

test('no change within a released version breaks its consumers', () => {
  // A removed or retyped field, a new required one or a narrowed enum needs a new version (a new schema id).
  const released = JSON.parse(readFileSync(RELEASED_PATH, 'utf8'));
  expect(Object.keys(released).length).toBeGreaterThan(50);
  expect(compatibilityProblems(released)).toEqual([]);
});

test('the compatibility check finds what would break a consumer, and lets additive changes through', () => {
  const released = { type: 'object', required: ['a'], properties: { a: { type: 'string', maxLength: 10 }, b: { type: 'string', enum: ['X', 'Y'] }, c: { type: ['integer', 'null'] } } };
  expect(schemaBreaks(released, { ...released, properties: { ...released.properties, d: { type: 'string' } } })).toEqual([]);
  expect(schemaBreaks(released, { ...released, properties: { ...released.properties, b: { type: 'string', enum: ['X', 'Y', 'Z'] } } })).toEqual([]);
  expect(schemaBreaks(released, { ...released, properties: { a: released.properties.a, c: released.properties.c } })).toEqual(['data.b was removed']);
  expect(schemaBreaks(released, { ...released, required: ['a', 'b'] })).toEqual(['data.b became required']);
  expect(schemaBreaks(released, { ...released, properties: { ...released.properties, b: { type: 'string', enum: ['X'] } } })).toEqual(['data.b no longer accepts "Y"']);
  expect(schemaBreaks(released, { ...released, properties: { ...released.properties, a: { type: 'integer' } } })).toEqual(['data.a no longer accepts type string']);
  expect(schemaBreaks(released, { ...released, properties: { ...released.properties, a: { type: 'string', maxLength: 5 } } })).toEqual(['data.a maxLength tightened to 5']);
  expect(schemaBreaks(released, { ...released, properties: { ...released.properties, c: { type: 'integer' } } })).toEqual(['data.c no longer accepts type null']);
});
