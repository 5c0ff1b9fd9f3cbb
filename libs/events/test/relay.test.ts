import path from 'node:path';
import { Client } from 'pg';
import { metricsRegistry, postgresConfig } from '@opsgraph/core';
import { CE_HEADERS, KafkaTransport, createTransport, recordEvent, startConsumer, startRelay, topicOf, type ReceivedMessage } from '@opsgraph/events';
import { eventually, exitSignal, readTopic, sleep, spawnTs, startTestProducer, testBrokers, type TestProducer } from '@opsgraph/testing';
import { consumerDatabase, effectConsumer, effectCounts, holdData } from './fixtures/effects';

const TOPIC = topicOf('permits');
let transport: KafkaTransport;
let producer: TestProducer;

beforeAll(async () => {
  transport = createTransport({ brokers: testBrokers() }) as KafkaTransport;
  producer = await startTestProducer('permits', transport);
});
afterAll(async () => {
  await producer.close();
  await transport.close();
});

const idsOf = (messages: ReceivedMessage[], key?: string) => messages.filter((m) => !key || m.key === key).map((m) => m.headers[CE_HEADERS.id]);

describe('outbox relay on Kafka', () => {
  test('publishes committed events in commit order as binary-mode CloudEvents, and marks them after the ack', async () => {
    const ids: string[] = [];
    for (let i = 0; i < 20; i++) ids.push(await producer.record('work.hold_requested', 'permit-order', holdData(`order-${i}`), { requestId: 'req-order' }));
    await producer.relay.flush();
    const messages = await readTopic(transport, TOPIC, (ms) => idsOf(ms, 'permit-order').length >= 20);
    expect(idsOf(messages, 'permit-order')).toEqual(ids);
    const first = messages.find((m) => m.headers[CE_HEADERS.id] === ids[0])!;
    expect(first.headers).toMatchObject({
      ce_specversion: '1.0',
      ce_type: 'opsgraph.permits.work.hold_requested',
      ce_source: '/opsgraph/permits',
      ce_subject: 'permit-order',
      ce_dataschema: 'urn:opsgraph:schema:permits.work.hold_requested:v1',
      'content-type': 'application/json',
      ce_requestid: 'req-order',
    });
    expect(new Date(first.headers.ce_time).getTime()).toBeGreaterThan(Date.now() - 60_000);
    expect(JSON.parse(first.value.toString())).toMatchObject({ sourceRecordId: 'order-0', reason: 'inspection' });
    expect(new Set(messages.filter((m) => m.key === 'permit-order').map((m) => m.partition)).size).toBe(1);
    const [row] = await producer.db.query(`SELECT count(*)::int AS unpublished FROM outbox_pending`);
    expect(row.unpublished).toBe(0);
    // Published events stay in the outbox (nothing rewrites them); only their pending rows are gone.
    const [kept] = await producer.db.query(`SELECT count(*)::int AS n FROM outbox WHERE event_id = ANY($1)`, [ids]);
    expect(kept.n).toBe(20);
    expect(await producer.relay.backlog()).toEqual({ count: 0, oldestAgeMs: null });
  });

  test('commits that wake the relay within its linger go to the broker in one request', async () => {
    // No poll while waiting: only the commits' notifications wake this relay.
    const lingering = await startTestProducer('permits', transport, { lingerMs: 1_000, pollIntervalMs: 60_000 });
    try {
      // Let the relay's listener connect and the wake it gives itself on connecting pass (its linger included),
      // so the commits below are what wakes it.
      const database = String(lingering.db.options.database);
      await eventually(async () => (await producer.db.query(`SELECT 1 FROM pg_stat_activity WHERE datname = $1 AND query LIKE 'LISTEN%'`, [database])).length > 0, 10_000);
      await sleep(1_500);
      // Four transactions (the test pool's size) each hold their commit until all four have written; then they
      // commit 30 ms apart, well inside the linger however slow the machine, but far enough apart that a relay
      // without a linger would publish them in several requests.
      let arrived = 0;
      const gates = Array.from({ length: 4 }, () => {
        let open!: () => void;
        const opened = new Promise<void>((resolve) => (open = resolve));
        return { open, opened };
      });
      const commits = gates.map(({ opened }, i) =>
        lingering.db.transaction(async (manager) => {
          const id = await recordEvent(manager, { domain: 'permits', type: 'work.hold_requested', subject: `permit-linger-${i}`, data: holdData(`linger-${i}`) });
          arrived++;
          await opened;
          return id;
        }),
      );
      await eventually(async () => arrived === 4, 10_000);
      for (const gate of gates) {
        gate.open();
        await sleep(30);
      }
      const ids = await Promise.all(commits);
      await eventually(async () => (await lingering.relay.backlog()).count === 0, 10_000);
      expect(lingering.relay.stats).toMatchObject({ published: 4, batches: 1 });
      const messages = await readTopic(transport, TOPIC, (ms) => ids.every((id) => idsOf(ms).includes(id)));
      expect(ids.every((id) => idsOf(messages).includes(id))).toBe(true);
    } finally {
      await lingering.close();
    }
  });

  test('published events older than the retention leave the outbox, a slice at a time; unpublished ones stay', async () => {
    const unreachable = new KafkaTransport({ brokers: ['127.0.0.1:1'] });
    const keeper = await startTestProducer('permits', unreachable, { retentionMs: 3_600_000, maxBackoffMs: 60_000 });
    try {
      // Stand-in for history: 6,000 published events from two hours ago, and one that never reached the broker.
      await keeper.db.query(
        `INSERT INTO outbox (event_id, topic, message_key, type, source, subject, time, dataschema, data)
         SELECT gen_random_uuid(), 'opsgraph.permits.v1', 'old', 'opsgraph.permits.work.hold_requested', '/opsgraph/permits', 'old', now() - interval '2 hours', 'urn:opsgraph:schema:permits.work.hold_requested:v1', '{}'
         FROM generate_series(1, 6001)`,
      );
      const [{ unsent }] = await keeper.db.query(`SELECT max(id) AS unsent FROM outbox`);
      await keeper.db.query(`DELETE FROM outbox_pending WHERE id <> $1`, [unsent]);
      const fresh = await keeper.record('work.hold_requested', 'permit-fresh', holdData('fresh'));
      expect(await keeper.relay.pruneExpired()).toBe(6000);
      const left = await keeper.db.query(`SELECT id, event_id FROM outbox ORDER BY id`);
      expect(left.map((r: { id: string; event_id: string }) => (r.event_id === fresh ? 'fresh' : r.id))).toEqual([unsent, 'fresh']);
    } finally {
      await keeper.close();
      await unreachable.close();
    }
  });

  test('a rolled-back transaction publishes nothing', async () => {
    await expect(
      producer.db.transaction(async (manager) => {
        await recordEvent(manager, { domain: 'permits', type: 'work.hold_requested', subject: 'permit-rollback', data: holdData('rolled-back') });
        throw new Error('the domain change failed');
      }),
    ).rejects.toThrow('the domain change failed');
    const marker = await producer.record('work.hold_requested', 'permit-rollback', holdData('committed'));
    await producer.relay.flush();
    const messages = await readTopic(transport, TOPIC, (ms) => idsOf(ms).includes(marker));
    const records = messages.filter((m) => m.key === 'permit-rollback').map((m) => JSON.parse(m.value.toString()).sourceRecordId);
    expect(records).toEqual(['committed']);
    const [row] = await producer.db.query(`SELECT count(*)::int AS n FROM outbox WHERE data->>'sourceRecordId' = 'rolled-back'`);
    expect(row.n).toBe(0);
  });

  test('three relays on one outbox publish every event once and keep each key in order', async () => {
    const before = producer.relay.stats.published;
    const extra = [startRelay(producer.db, transport, { batchSize: 7 }), startRelay(producer.db, transport, { batchSize: 11 })];
    const keys = ['pk-a', 'pk-b', 'pk-c', 'pk-d'];
    const expected = new Map(keys.map((k) => [k, [] as string[]]));
    try {
      // Four writers at once, as four requests would; each key's events are written in order.
      await Promise.all(
        keys.map(async (key) => {
          for (let i = 0; i < 60; i++) expected.get(key)!.push(await producer.record('work.hold_requested', key, holdData(`${key}-${i}`)));
        }),
      );
      await producer.relay.flush();
    } finally {
      await Promise.all(extra.map((r) => r.stop()));
    }
    const shares = [producer.relay.stats.published - before, ...extra.map((r) => r.stats.published)];
    expect(shares.reduce((a, b) => a + b)).toBe(240);
    expect(shares.filter((n) => n > 0).length).toBeGreaterThanOrEqual(2); // they really shared the work
    const messages = await readTopic(transport, TOPIC, (ms) => keys.every((k) => idsOf(ms, k).length >= 60));
    for (const key of keys) expect(idsOf(messages, key)).toEqual(expected.get(key));
  });

  test('the relay listens again when its NOTIFY connection drops, and picks up what committed meanwhile', async () => {
    const deaf = await startTestProducer('permits', transport, { pollIntervalMs: 60_000 }); // no poll to fall back on
    const admin = new Client({ ...postgresConfig(), database: 'postgres' });
    await admin.connect();
    try {
      await deaf.record('work.hold_requested', 'permit-listen', holdData('listen-1'));
      await eventually(async () => (await deaf.relay.backlog()).count === 0, 5_000);
      const { rowCount } = await admin.query(`SELECT pg_terminate_backend(pid) FROM pg_stat_activity WHERE datname = $1 AND application_name LIKE '%:events'`, [deaf.db.options.database]);
      expect(rowCount).toBe(1);
      await deaf.record('work.hold_requested', 'permit-listen', holdData('listen-2'));
      await eventually(async () => (await deaf.relay.backlog()).count === 0, 5_000);
    } finally {
      await admin.end();
      await deaf.close();
    }
  });

  test('while the broker is unreachable rows stay unpublished, attempts count up, the backlog shows their age', async () => {
    const unreachable = new KafkaTransport({ brokers: ['127.0.0.1:1'] });
    const isolated = await startTestProducer('permits', unreachable, { maxBackoffMs: 300 });
    try {
      await isolated.record('work.hold_requested', 'permit-away', holdData('away-1'));
      await isolated.record('work.hold_requested', 'permit-away', holdData('away-2'));
      await eventually(async () => (await isolated.db.query(`SELECT min(attempts) AS a FROM outbox_pending`))[0].a >= 2, 20_000);
      const backlog = await isolated.relay.backlog();
      expect(backlog.count).toBe(2);
      expect(backlog.oldestAgeMs).toBeGreaterThan(0);
      expect(isolated.relay.stats.failures).toBeGreaterThanOrEqual(2);
      // The same numbers on /metrics, read at scrape time.
      const database = isolated.db.options.database as string;
      expect(await metricsRegistry.getSingleMetricAsString('opsgraph_outbox_backlog_events')).toContain(`opsgraph_outbox_backlog_events{database="${database}"} 2`);
      const failures = (await metricsRegistry.getSingleMetricAsString('opsgraph_outbox_publish_failures_total')).match(new RegExp(`\\{database="${database}"\\} (\\d+)`));
      expect(Number(failures?.[1])).toBeGreaterThanOrEqual(2);
      // The broker is back (here: a relay with a working transport): everything goes out.
      const recovered = startRelay(isolated.db, transport);
      await recovered.flush();
      await recovered.stop();
      expect((await isolated.relay.backlog()).count).toBe(0);
    } finally {
      await isolated.close();
      await unreachable.close();
    }
  });

  test('relay killed right after the broker acked a batch: the restarted relay sends the rest, the unmarked batch again, and consumers apply each event once', async () => {
    const crashProducer = await startTestProducer('permits', transport, { pollIntervalMs: 60_000 });
    await crashProducer.relay.stop(); // the child process is this outbox's relay
    const consumerDb = await consumerDatabase();
    const total = 300;
    const batchSize = 40;
    try {
      const ids = new Set<string>();
      for (let i = 0; i < total; i++) ids.add(await crashProducer.record('work.hold_requested', `crash-${i % 7}`, holdData(`crash-${i}`)));
      const child = spawnTs(path.join(__dirname, 'fixtures/relay-process.ts'), {
        RELAY_DATABASE: crashProducer.db.options.database as string,
        KILL_AFTER_BATCHES: '3',
        RELAY_BATCH_SIZE: String(batchSize),
        KAFKA_BROKERS: testBrokers(),
      });
      expect(await exitSignal(child)).toBe('SIGKILL');
      const [{ published }] = await crashProducer.db.query(`SELECT count(*)::int AS published FROM outbox WHERE id NOT IN (SELECT id FROM outbox_pending)`);
      expect(published).toBe(2 * batchSize); // the third batch reached Kafka but was never marked

      const restarted = startRelay(crashProducer.db, transport, { batchSize });
      await restarted.flush();
      await restarted.stop();
      const crashIds = (ms: ReceivedMessage[]) => idsOf(ms).filter((id) => ids.has(id));
      const messages = await readTopic(transport, TOPIC, (ms) => crashIds(ms).length >= total + batchSize);
      expect(new Set(crashIds(messages)).size).toBe(total); // nothing lost
      expect(crashIds(messages).length).toBe(total + batchSize); // exactly the unmarked batch twice

      const consumer = await startConsumer(consumerDb.db, transport, effectConsumer({ groupId: 'crash-relay' }));
      try {
        await eventually(async () => [...(await effectCounts(consumerDb.db)).keys()].filter((r) => r.startsWith('crash-')).length === total, 30_000);
        await eventually(() => consumer.stats.duplicates >= batchSize, 10_000);
        const counts = await effectCounts(consumerDb.db);
        expect([...counts].filter(([r, n]) => r.startsWith('crash-') && n !== 1)).toEqual([]); // nothing doubled
      } finally {
        await consumer.stop();
      }
    } finally {
      await consumerDb.close();
      await crashProducer.close();
    }
  });
});
