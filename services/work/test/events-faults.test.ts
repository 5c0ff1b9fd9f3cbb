import { randomUUID } from 'node:crypto';
import path from 'node:path';
import { createTransport, startConsumer, type Transport } from '@opsgraph/events';
import { eventually, exitSignal, spawnTs, startTestProducer, startTestService, testBrokers, type TestProducer, type TestService } from '@opsgraph/testing';
import { workConsumer } from '../src/consumer';
import { service } from '../src/service';
import { seedPlant, type Plant } from './fixtures';

// Work without its background: this file runs Work's consumer itself, in a process it can kill.
let work: TestService;
let plant: Plant;
let transport: Transport;
let hazards: TestProducer;

beforeAll(async () => {
  work = await startTestService({ ...service, background: undefined });
  plant = await seedPlant(work);
  transport = createTransport({ brokers: testBrokers() });
  hazards = await startTestProducer('hazards', transport);
});
afterAll(async () => {
  await hazards?.close();
  await transport?.close();
  await work?.stop();
});

const itemsOf = async (incidentId: string) =>
  (await work.db.query(`SELECT count(*)::int AS n, count(DISTINCT number)::int AS numbers FROM work_item WHERE source_domain = 'HAZARDS' AND source_record_id = $1`, [incidentId]))[0];

test('Work consumer killed in the middle of a batch: the restarted consumer applies every request once', async () => {
  const incidentId = randomUUID();
  const total = 60;
  const killAt = 25;
  // Events commit in groups of 10 (one transaction each): the two groups before the kill stay, the third dies whole.
  const groupSize = 10;
  const committed = Math.floor((killAt - 1) / groupSize) * groupSize;
  // One key: one partition, one batch, so the kill lands inside a batch whose offsets were never committed.
  for (let i = 0; i < total; i++) {
    await hazards.record('work.requested', incidentId, { requestId: `incident:${incidentId}:action:${i}`, siteId: plant.siteId, type: 'CORRECTIVE_ACTION', title: `Action ${i}`, sourceRecordId: incidentId });
  }
  await hazards.relay.flush();

  const child = spawnTs(path.join(__dirname, 'fixtures/consumer-process.ts'), { WORK_DATABASE: work.database, KILL_AT_EVENT: String(killAt), GROUP_SIZE: String(groupSize), KAFKA_BROKERS: testBrokers() });
  expect(await exitSignal(child)).toBe('SIGKILL');
  expect((await itemsOf(incidentId)).n).toBe(committed); // the last group died with its transaction

  const consumer = await startConsumer(work.db, transport, workConsumer);
  try {
    await eventually(() => consumer.stats.applied + consumer.stats.duplicates === total, 45_000);
    expect(consumer.stats.duplicates).toBe(committed); // the whole batch came again; the inbox skipped what was applied
    expect(consumer.stats.applied).toBe(total - committed);
    expect(await itemsOf(incidentId)).toEqual({ n: total, numbers: total });
    const [requests] = await work.db.query(`SELECT count(DISTINCT request_id)::int AS n FROM work_request WHERE request_id LIKE $1`, [`incident:${incidentId}:%`]);
    expect(requests.n).toBe(total);
  } finally {
    await consumer.stop();
  }
}, 90_000);
