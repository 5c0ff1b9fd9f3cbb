import { randomBytes } from 'node:crypto';
import { dropDatabase, listenHttp, sendJson, type HttpApp } from '@opsgraph/core';
import { DEAD_LETTER_TOPIC, PostgresTransport, createTransport, startConsumer, topicOf, type Consumer, type Transport } from '@opsgraph/events';
import { eventually, scrapeMetrics, startPrivateKafka, startTestProducer, type PrivateKafka, type Scrape, type TestProducer } from '@opsgraph/testing';
import { consumerDatabase, effectConsumer, effectCounts, holdData } from './fixtures/effects';

/**
 * The event backbone as an operator sees it: everything here is read from /metrics over plain HTTP, served by
 * the same HTTP host every service uses, on real servers (a private Kafka broker this file stops and starts,
 * Postgres for the outbox, the consumer's database and the bus).
 */
const TOPIC = topicOf('permits');
let kafka: PrivateKafka;
let http: HttpApp;
let metricsUrl: string;

beforeAll(async () => {
  http = await listenHttp({ port: 0, graphql: async (_req, res) => sendJson(res, 404, {}), ready: async () => true });
  metricsUrl = `http://127.0.0.1:${http.port}/metrics`;
  kafka = await startPrivateKafka();
}, 120_000);
afterAll(async () => {
  await kafka?.destroy();
  await http?.close();
});

const scrape = () => scrapeMetrics(metricsUrl);
/** Polls /metrics until `check` holds; returns that scrape. */
const scrapeUntil = (check: (m: Scrape) => boolean, timeoutMs = 30_000) =>
  eventually(async () => {
    const m = await scrape();
    return check(m) && m;
  }, timeoutMs, 200);

/** A producing service (outbox + relay), a consumer applying into its own database, and what they exchanged. */
async function flow(producerTransport: Transport, consumerTransport: Transport, groupId: string) {
  const producer: TestProducer = await startTestProducer('permits', producerTransport, { maxBackoffMs: 1_000 });
  const effects = await consumerDatabase();
  const options = effectConsumer({ groupId });
  let consumer: Consumer | null = await startConsumer(effects.db, consumerTransport, options);
  const sent: string[] = [];
  return {
    producer,
    effects,
    sent,
    database: producer.db.options.database as string,
    /** Records `n` events, each in its own domain transaction (several keys, so several partitions). */
    async record(n: number, label: string) {
      for (let i = 0; i < n; i++) {
        const record = `${groupId}-${label}-${i}`;
        await producer.record('work.hold_requested', `permit-${groupId}-${i % 5}`, holdData(record));
        sent.push(record);
      }
    },
    stopConsumer: async () => {
      await consumer?.stop();
      consumer = null;
    },
    startConsumer: async () => {
      consumer = await startConsumer(effects.db, consumerTransport, options);
    },
    /** Every event sent was applied, and applied once. */
    async appliedOnce() {
      await eventually(async () => (await effectCounts(effects.db)).size === sent.length, 60_000, 200);
      const counts = await effectCounts(effects.db);
      expect(sent.filter((r) => counts.get(r) !== 1)).toEqual([]);
      expect(counts.size).toBe(sent.length);
    },
    async close() {
      await consumer?.stop();
      await producer.close();
      await effects.close();
    },
  };
}

test('Kafka: the outbox backlog grows while the broker is down and the consumer lag while the consumer is stopped; both return to 0, every event applied once', async () => {
  // Two processes' worth of clients: the producing service's and the consuming service's.
  const producerTransport = createTransport({ brokers: kafka.brokers });
  const consumerTransport = createTransport({ brokers: kafka.brokers });
  const f = await flow(producerTransport, consumerTransport, 'lag');
  const backlog = { database: f.database };
  const lag = { consumer: 'lag', topic: TOPIC };
  try {
    // Steady state, with one event the consumer refuses (dead-lettered).
    await f.record(20, 'steady');
    await f.producer.record('work.hold_requested', 'permit-lag-refused', holdData('lag-refused', 'refuse'));
    await f.appliedOnce();
    const steady = await scrapeUntil(
      (m) =>
        m.all('opsgraph_consumer_lag_messages', lag).length === 3 &&
        m.sum('opsgraph_consumer_lag_messages', lag) === 0 &&
        m.sum('opsgraph_deadletter_messages') === 1 &&
        m.sum('opsgraph_events_consumed_total', { consumer: 'lag', outcome: 'dead_lettered' }) === 1,
    );
    expect(steady.all('opsgraph_consumer_lag_messages', lag).map((s) => s.labels.partition).sort()).toEqual(['0', '1', '2']);
    expect(steady.one('opsgraph_deadletter_messages', { topic: DEAD_LETTER_TOPIC })).toBe(1);
    expect(steady.one('opsgraph_events_consumed_total', { consumer: 'lag', outcome: 'dead_lettered' })).toBe(1);
    expect(steady.one('opsgraph_events_consumed_total', { consumer: 'lag', outcome: 'applied' })).toBe(20);
    expect(steady.one('opsgraph_outbox_backlog_events', backlog)).toBe(0);
    expect(steady.one('opsgraph_outbox_backlog_oldest_seconds', backlog)).toBe(0);
    expect(steady.one('opsgraph_consumer_lag_last_success_timestamp_seconds', { consumer: 'lag' })).toBeGreaterThan(Date.now() / 1000 - 60);

    // Consumer stopped while events flow: the group's lag is exactly what it has not read.
    await f.stopConsumer();
    await f.record(30, 'paused');
    await f.producer.relay.flush();
    const paused = await scrapeUntil((m) => m.sum('opsgraph_consumer_lag_messages', lag) === 30);
    expect(paused.one('opsgraph_outbox_backlog_events', backlog)).toBe(0); // published, just not consumed
    expect((await effectCounts(f.effects.db)).size).toBe(f.sent.length - 30);
    await f.startConsumer();
    await scrapeUntil((m) => m.sum('opsgraph_consumer_lag_messages', lag) === 0, 60_000);
    await f.appliedOnce();

    // Broker down: requests keep committing, their events wait in the outbox, and /metrics still answers.
    await kafka.stop();
    const brokerStopped = Date.now() / 1000;
    const failuresBefore = (await scrape()).sum('opsgraph_consumer_lag_read_failures_total', { transport: 'kafka' });
    await f.record(10, 'outage-a');
    const early = await scrapeUntil((m) => m.one('opsgraph_outbox_backlog_events', backlog) === 10);
    await f.record(15, 'outage-b');
    const late = await scrapeUntil((m) => m.one('opsgraph_outbox_backlog_events', backlog) === 25 && m.one('opsgraph_outbox_backlog_oldest_seconds', backlog) >= 2);
    expect(late.one('opsgraph_outbox_backlog_oldest_seconds', backlog)).toBeGreaterThan(early.one('opsgraph_outbox_backlog_oldest_seconds', backlog));
    // The lag keeps its last known values (per partition) and says how old they are; the scrape stays quick.
    expect(late.all('opsgraph_consumer_lag_messages', lag)).toHaveLength(3);
    expect(late.sum('opsgraph_consumer_lag_messages', lag)).toBe(0);
    expect(late.one('opsgraph_consumer_lag_last_success_timestamp_seconds', { consumer: 'lag' })).toBeLessThanOrEqual(brokerStopped);
    expect(late.ms).toBeLessThan(5_000);
    await scrapeUntil((m) => m.sum('opsgraph_consumer_lag_read_failures_total', { transport: 'kafka' }) > failuresBefore);

    // Broker back: the backlog drains, the lag is read again and returns to 0, nothing lost or doubled.
    await kafka.start();
    await f.record(5, 'after');
    await scrapeUntil(
      (m) =>
        m.one('opsgraph_outbox_backlog_events', backlog) === 0 &&
        m.one('opsgraph_outbox_backlog_oldest_seconds', backlog) === 0 &&
        m.one('opsgraph_consumer_lag_last_success_timestamp_seconds', { consumer: 'lag' }) > brokerStopped &&
        m.all('opsgraph_consumer_lag_messages', lag).length === 3 &&
        m.sum('opsgraph_consumer_lag_messages', lag) === 0,
      90_000,
    );
    await f.appliedOnce();
    expect(f.sent).toHaveLength(80);
    expect((await scrape()).sum('opsgraph_consumer_lag_messages', lag)).toBe(0);
  } finally {
    await f.close();
    await producerTransport.close();
    await consumerTransport.close();
  }
  // A closed transport no longer reports its groups.
  expect((await scrape()).all('opsgraph_consumer_lag_messages', { consumer: 'lag' })).toEqual([]);
}, 240_000);

test('Postgres bus: the lag of a stopped consumer is the bus rows after its offset, back to 0 once it resumes; dead letters counted', async () => {
  const database = `test_bus_${randomBytes(4).toString('hex')}`;
  const producerBus = new PostgresTransport({ database, pollIntervalMs: 200 });
  const consumerBus = new PostgresTransport({ database, pollIntervalMs: 200 });
  const f = await flow(producerBus, consumerBus, 'bus-lag');
  const lag = { consumer: 'bus-lag', topic: TOPIC };
  try {
    await f.record(10, 'steady');
    await f.producer.record('work.hold_requested', 'permit-bus-refused', holdData('bus-refused', 'refuse'));
    await f.appliedOnce();
    const steady = await scrapeUntil(
      (m) =>
        m.all('opsgraph_consumer_lag_messages', lag).length === 1 &&
        m.sum('opsgraph_consumer_lag_messages', lag) === 0 &&
        m.sum('opsgraph_deadletter_messages') === 1 &&
        m.sum('opsgraph_events_consumed_total', { consumer: 'bus-lag', outcome: 'dead_lettered' }) === 1,
    );
    expect(steady.one('opsgraph_consumer_lag_messages', { ...lag, partition: '0' })).toBe(0);
    expect(steady.one('opsgraph_deadletter_messages', { topic: DEAD_LETTER_TOPIC })).toBe(1);

    await f.stopConsumer();
    await f.record(15, 'paused');
    await f.producer.relay.flush();
    await scrapeUntil((m) => m.one('opsgraph_consumer_lag_messages', lag) === 15);
    await f.startConsumer();
    await scrapeUntil((m) => m.one('opsgraph_consumer_lag_messages', lag) === 0);
    await f.appliedOnce();
  } finally {
    await f.close();
    await producerBus.close();
    await consumerBus.close();
    await dropDatabase(database);
  }
}, 90_000);
