import { randomUUID } from 'node:crypto';
import { startService, type RunningService } from '@opsgraph/core';
import { createTransport, eventBackground, type EventTask, type Transport } from '@opsgraph/events';
import { eventually, sleep, startTestProducer, startTestService, testBrokers, type TestProducer, type TestService } from '@opsgraph/testing';
import { workConsumer } from '../src/consumer';
import { service } from '../src/service';
import { seedPlant, type Plant } from './fixtures';

// A busy service may run its outbox relay apart from its consumer (OPSGRAPH_EVENT_TASKS): here Work's
// consumer in one instance and its relay in another, on one database.
process.env.OPSGRAPH_PG_POOL = '5';

const tasksOf: Record<string, EventTask[]> = { consumer: [], relay: [] };
const instance = (name: 'consumer' | 'relay', tasks?: ('relay' | 'consume')[]): typeof service => ({
  ...service,
  background: async (db) => {
    const started = await eventBackground({ consume: workConsumer, tasks })(db);
    tasksOf[name].push(...started);
    return started;
  },
});

let consumerOnly: TestService;
let relayOnly: RunningService | undefined;
let plant: Plant;
let transport: Transport;
let hazards: TestProducer;

beforeAll(async () => {
  testBrokers();
  consumerOnly = await startTestService(instance('consumer', ['consume']));
  plant = await seedPlant(consumerOnly);
  transport = createTransport();
  hazards = await startTestProducer('hazards', transport);
});
afterAll(async () => {
  await hazards?.close();
  await transport?.close();
  await relayOnly?.stop();
  await consumerOnly?.stop();
  delete process.env.OPSGRAPH_EVENT_TASKS;
});

const unpublished = async () => (await consumerOnly.db.query(`SELECT count(*)::int AS n FROM outbox_pending JOIN outbox USING (id) WHERE type = 'opsgraph.work.work_item.created'`))[0].n as number;

test("a consumer-only instance applies events and records Work's own; a relay-only instance publishes them", async () => {
  expect(tasksOf.consumer[0].relay).toBeNull();
  expect(tasksOf.consumer[0].consumer).not.toBeNull();

  const incidentId = randomUUID();
  await hazards.record('work.requested', incidentId, { requestId: `incident:${incidentId}:action`, siteId: plant.siteId, type: 'CORRECTIVE_ACTION', title: 'Split tasks', sourceRecordId: incidentId });
  await eventually(async () => (await consumerOnly.db.query(`SELECT count(*)::int AS n FROM work_item WHERE source_record_id = $1`, [incidentId]))[0].n === 1, 30_000, 100);
  // Recorded with the effect, and nobody here publishes it.
  expect(await unpublished()).toBe(1);
  await sleep(1_500);
  expect(await unpublished()).toBe(1);

  // The relay as its own process (chosen by the environment, as a deployment would).
  process.env.OPSGRAPH_EVENT_TASKS = 'relay';
  relayOnly = await startService(instance('relay'), { port: 0, database: consumerOnly.database });
  expect(tasksOf.relay[0].consumer).toBeNull();
  expect(tasksOf.relay[0].relay).not.toBeNull();
  await eventually(async () => (await unpublished()) === 0, 30_000, 100);
});
