import { execFile } from 'node:child_process';
import { readFileSync } from 'node:fs';
import path from 'node:path';
import { promisify } from 'node:util';
import Ajv, { type ValidateFunction } from 'ajv';
import addFormats from 'ajv-formats';
import { Kafka as KafkaBinding, type CloudEvent } from 'cloudevents';
import { PUBLISHED_DIR, createTransport, topicOf, type Transport } from '@opsgraph/events';
import { readTopic, testBrokers, type TestService } from '@opsgraph/testing';
import { seedPlant, startWork } from '../../../services/work/test/fixtures';

/**
 * What a data team does with the stream, with its own tools: a service publishes (Work registering a plant),
 * Kafka's own console consumer (`cli.mjs tail`) reads the messages back with their headers, the CloudEvents
 * SDK decodes them, and every payload validates against the published schema file its `ce_dataschema` names.
 */
let work: TestService;
let transport: Transport;
const REPO = path.join(__dirname, '..', '..', '..');
const topic = () => `${process.env.OPSGRAPH_TOPIC_PREFIX ?? ''}${topicOf('work')}`;

beforeAll(async () => {
  testBrokers();
  work = await startWork();
  await seedPlant(work, 'DTM');
  transport = createTransport();
}, 60_000);
afterAll(async () => {
  await transport?.close();
  await work?.stop();
});

/** One line of `cli.mjs tail` (Kafka's console consumer): tab-separated time, partition, offset, headers, key, value. */
function parseTailLine(line: string) {
  const [, , , headers, key, ...value] = line.split('\t');
  const pairs = headers === 'NO_HEADERS' ? [] : headers.split(',').map((h) => [h.slice(0, h.indexOf(':')), h.slice(h.indexOf(':') + 1)]);
  return { headers: Object.fromEntries(pairs) as Record<string, string>, key, value: value.join('\t') };
}

/** The published schemas, resolved from a message's dataschema through index.json, as a data team would. */
function publishedValidator(): (dataschema: string) => ValidateFunction {
  const ajv = new Ajv({ strict: false, allowUnionTypes: true, allErrors: true });
  addFormats(ajv);
  const index: Record<string, string> = JSON.parse(readFileSync(path.join(PUBLISHED_DIR, 'index.json'), 'utf8'));
  for (const file of Object.values(index)) ajv.addSchema(JSON.parse(readFileSync(path.join(PUBLISHED_DIR, file), 'utf8')));
  return (dataschema) => {
    const validate = ajv.getSchema(dataschema);
    if (!validate) throw new Error(`no published schema for ${dataschema}`);
    return validate;
  };
}

test("Kafka's console consumer reads the events back with their CloudEvents headers, each valid against its published schema", async () => {
  const [broker] = testBrokers().split(',');
  // The plant: a site, two areas, a line and an asset, each a location.registered event.
  const { stdout } = await promisify(execFile)('node', [path.join(REPO, 'infra', 'kafka', 'cli.mjs'), 'tail', topic(), '--max', '5', '--timeout-ms', '30000', '--bootstrap-server', broker], { maxBuffer: 10_000_000, timeout: 120_000 });
  const messages = stdout.split('\n').filter((line) => line.startsWith('CreateTime:')).map(parseTailLine);
  expect(messages).toHaveLength(5);
  const schemaOf = publishedValidator();
  for (const m of messages) {
    expect(m.headers).toMatchObject({ ce_specversion: '1.0', ce_source: '/opsgraph/work', ce_type: 'opsgraph.work.location.registered', 'content-type': 'application/json' });
    expect(m.headers.ce_requestid).toEqual(expect.any(String));
    expect(m.key).toBe(m.headers.ce_subject);
    const validate = schemaOf(m.headers.ce_dataschema);
    expect([validate(JSON.parse(m.value)), validate.errors ?? null]).toEqual([true, null]);
  }
}, 180_000);

test('the CloudEvents SDK decodes the messages, extensions included', async () => {
  const received = await readTopic(transport, topicOf('work'), (ms) => ms.length >= 5);
  const schemaOf = publishedValidator();
  for (const message of received) {
    const event = KafkaBinding.toEvent({ headers: message.headers, key: message.key ?? undefined, body: message.value, value: message.value } as never) as CloudEvent<Record<string, unknown>>;
    expect(event.specversion).toBe('1.0');
    expect(event.type).toBe(message.headers.ce_type);
    expect(event.requestid).toEqual(expect.any(String));
    const data = typeof event.data === 'string' || Buffer.isBuffer(event.data) ? JSON.parse(String(event.data)) : event.data;
    expect(schemaOf(event.dataschema!)(data)).toBe(true);
  }
});
