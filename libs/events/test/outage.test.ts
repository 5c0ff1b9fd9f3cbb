import { createTransport, startConsumer } from '@opsgraph/events';
import { eventually, sleep, startPrivateKafka, startTestProducer, type PrivateKafka } from '@opsgraph/testing';
import { consumerDatabase, effectConsumer, effectCounts, holdData } from './fixtures/effects';

// A broker of this file's own, so stopping it does not disturb other test files.
let kafka: PrivateKafka;
beforeAll(async () => {
  kafka = await startPrivateKafka();
}, 120_000);
afterAll(() => kafka?.destroy());

test('broker stopped and restarted while events are produced: requests never wait, every event is applied once', async () => {
  const transport = createTransport({ brokers: kafka.brokers });
  const producer = await startTestProducer('permits', transport, { maxBackoffMs: 1_000 });
  const effects = await consumerDatabase();
  const consumer = await startConsumer(effects.db, transport, effectConsumer({ groupId: 'outage' }));
  const sent: string[] = [];
  let producing = true;
  const produce = (async () => {
    for (let i = 0; producing; i++) {
      await producer.record('work.hold_requested', `permit-outage-${i % 4}`, holdData(`outage-${i}`));
      sent.push(`outage-${i}`);
      await sleep(10);
    }
  })();
  try {
    await eventually(async () => (await effectCounts(effects.db)).size >= 30, 30_000);
    await kafka.stop();
    const atOutage = sent.length;
    await sleep(3_000);
    // Commits went on without the broker; their events wait in the outbox.
    expect(sent.length).toBeGreaterThan(atOutage + 10);
    const backlog = await producer.relay.backlog();
    expect(backlog.count).toBeGreaterThan(0);
    expect(backlog.oldestAgeMs).toBeGreaterThan(1_000);
    // The failed sends are counted on the rows that wait (a growing count shows a row the broker refuses).
    const [{ retried }] = await producer.db.query(`SELECT count(*)::int AS retried FROM outbox_pending WHERE attempts > 0`);
    expect(retried).toBeGreaterThan(0);
    await kafka.start();
    await sleep(1_000);
    producing = false;
    await produce;

    await eventually(async () => (await effectCounts(effects.db)).size === sent.length, 60_000, 200);
    const counts = await effectCounts(effects.db);
    expect(sent.filter((r) => counts.get(r) !== 1)).toEqual([]);
    expect(producer.relay.stats.failures).toBeGreaterThan(0);
    expect((await producer.relay.backlog()).count).toBe(0);
  } finally {
    producing = false;
    await produce;
    await consumer.stop();
    await producer.close();
    await transport.close();
    await effects.close();
  }
}, 120_000);
