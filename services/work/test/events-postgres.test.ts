import { randomBytes, randomUUID } from 'node:crypto';
import { dropDatabase } from '@opsgraph/core';
import { PostgresTransport, createTransport, topicOf, type Transport } from '@opsgraph/events';
import { eventually, ok, readTopic, startTestProducer, type TestProducer, type TestService } from '@opsgraph/testing';
import { createItem, seedPlant, startWork, type Plant } from './fixtures';

// No broker: Work and the producer fall back to the Postgres bus, in a bus database of this file's own.
process.env.KAFKA_BROKERS = '';
process.env.OPSGRAPH_BUS_DATABASE = `test_bus_${randomBytes(4).toString('hex')}`;

let work: TestService;
let plant: Plant;
let transport: Transport;
let permits: TestProducer;

beforeAll(async () => {
  work = await startWork();
  plant = await seedPlant(work);
  transport = createTransport();
  permits = await startTestProducer('permits', transport);
});
afterAll(async () => {
  await permits?.close();
  await transport?.close();
  await work?.stop();
  await dropDatabase(process.env.OPSGRAPH_BUS_DATABASE!);
});

const statusOf = async (id: string) => ok(await work.query(`query($id: ID!) { workItem(id: $id) { status blockers { sourceRecordId } } }`, { id })).workItem;

test('without KAFKA_BROKERS the same flow runs over the Postgres bus: blocked by a permit, then READY', async () => {
  expect(transport).toBeInstanceOf(PostgresTransport);
  const item = await createItem(work, plant);
  const permitId = randomUUID();
  await permits.record('prerequisite.required', permitId, { workItemId: item.id, kind: 'PERMIT_VALID', sourceRecordId: permitId, description: 'Cold work permit issued' });
  await eventually(async () => {
    const current = await statusOf(item.id);
    return current.status === 'OPEN' && current.blockers[0]?.sourceRecordId === permitId;
  });
  await permits.record('prerequisite.satisfied', permitId, { sourceRecordId: permitId });
  await eventually(async () => (await statusOf(item.id)).status === 'READY');

  // Work's own events went out over the bus too, in order.
  const workEvents = await readTopic(transport, topicOf('work'), (ms) => ms.filter((m) => m.key === item.id).length >= 5);
  expect(workEvents.filter((m) => m.key === item.id).map((m) => m.headers.ce_type.replace('opsgraph.work.', ''))).toEqual([
    'work_item.created',
    'work_item.ready',
    'prerequisite.raised',
    'work_item.blocked',
    'work_item.ready',
  ]);
});

test('work.requested over the bus creates the item once', async () => {
  const findingId = randomUUID();
  const request = { requestId: `finding:${findingId}`, siteId: plant.siteId, type: 'CORRECTIVE_ACTION', title: 'Relabel valve V-12', sourceRecordId: findingId };
  await permits.record('work.requested', findingId, request);
  await permits.record('work.requested', findingId, request);
  await eventually(async () => (await work.db.query(`SELECT count(*)::int AS n FROM inbox WHERE type = 'opsgraph.permits.work.requested'`))[0].n === 2);
  const [{ n }] = await work.db.query(`SELECT count(*)::int AS n FROM work_item WHERE source_domain = 'PERMITS' AND source_record_id = $1`, [findingId]);
  expect(n).toBe(1);
});
