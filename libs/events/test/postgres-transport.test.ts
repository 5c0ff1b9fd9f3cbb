import { randomBytes } from 'node:crypto';
import { Client } from 'pg';
import { dropDatabase, postgresConfig } from '@opsgraph/core';
import { PostgresTransport, startConsumer, type ReceivedMessage, type TransportMessage } from '@opsgraph/events';
import { eventually, sleep, startTestProducer } from '@opsgraph/testing';
import { consumerDatabase, effectConsumer, effectCounts, holdData } from './fixtures/effects';

// A bus database of this file's own, dropped at the end.
const database = `test_bus_${randomBytes(4).toString('hex')}`;
let bus: PostgresTransport;
beforeAll(() => {
  bus = new PostgresTransport({ database, pollIntervalMs: 200 });
});
afterAll(async () => {
  await bus.close();
  await dropDatabase(database);
});

const message = (topic: string, key: string, n: number): TransportMessage => ({ topic, key, value: Buffer.from(JSON.stringify({ n })), headers: { n: String(n) } });
const numbers = (messages: ReceivedMessage[]) => messages.map((m) => JSON.parse(m.value.toString()).n as number);

describe('Postgres bus transport', () => {
  test('delivers in publish order, resumes a group at its committed offset, and a new group chooses where to start', async () => {
    await bus.publish([1, 2, 3].map((n) => message('bus.order', `k${n}`, n)));
    const seen: ReceivedMessage[] = [];
    const first = await bus.subscribe({ groupId: 'g1', topics: ['bus.order'], onBatch: async (batch) => void seen.push(...batch) });
    await eventually(() => seen.length === 3);
    expect(numbers(seen)).toEqual([1, 2, 3]);
    expect(seen[0]).toMatchObject({ topic: 'bus.order', key: 'k1', headers: { n: '1' } });
    await first.stop();

    await bus.publish([4, 5].map((n) => message('bus.order', 'k', n)));
    const resumed: ReceivedMessage[] = [];
    const second = await bus.subscribe({ groupId: 'g1', topics: ['bus.order'], onBatch: async (batch) => void resumed.push(...batch) });
    const latest: ReceivedMessage[] = [];
    const newcomer = await bus.subscribe({ groupId: 'g2', topics: ['bus.order'], fromBeginning: false, onBatch: async (batch) => void latest.push(...batch) });
    await eventually(() => resumed.length === 2);
    await sleep(300); // the newcomer's offsets are in place once its loop ran
    await bus.publish([message('bus.order', 'k', 6)]);
    await eventually(() => resumed.length === 3 && latest.length === 1);
    expect(numbers(resumed)).toEqual([4, 5, 6]);
    expect(numbers(latest)).toEqual([6]);
    await Promise.all([second.stop(), newcomer.stop()]);
  });

  test('retention: events older than it are deleted (a slice at a time, also on a timer); a replay starts at the oldest kept', async () => {
    await bus.publish([1, 2, 3].map((n) => message('bus.retention', 'k', n)));
    const client = new Client({ ...postgresConfig(), database });
    await client.connect();
    const backdate = (ns: number[]) =>
      client.query(`UPDATE bus_event SET created_at = now() - interval '8 days' WHERE topic LIKE '%bus.retention' AND (convert_from(value, 'UTF8')::jsonb->>'n')::int = ANY($1)`, [ns]);
    const kept = async () => (await client.query(`SELECT count(*)::int AS n FROM bus_event WHERE topic LIKE '%bus.retention'`)).rows[0].n;
    try {
      await backdate([1, 2]);
      expect(await bus.pruneExpired()).toBe(2); // the default retention is 7 days
      expect(await kept()).toBe(1);
      const replay: ReceivedMessage[] = [];
      const reader = await bus.subscribe({ groupId: 'g-replay', topics: ['bus.retention'], onBatch: async (batch) => void replay.push(...batch) });
      await eventually(() => replay.length === 1);
      expect(numbers(replay)).toEqual([3]);
      await reader.stop();

      // Every transport prunes on its own timer.
      const pruning = new PostgresTransport({ database, pruneIntervalMs: 100 });
      try {
        await pruning.publish([message('bus.retention', 'k', 4)]);
        await backdate([3]);
        await eventually(async () => (await kept()) === 1, 10_000);
        expect((await client.query(`SELECT convert_from(value, 'UTF8') AS v FROM bus_event WHERE topic LIKE '%bus.retention'`)).rows).toEqual([{ v: '{"n":4}' }]);
      } finally {
        await pruning.close();
      }
    } finally {
      await client.end();
    }
  });

  test('a batch whose handler fails is delivered again; two members of a group never both get a message', async () => {
    let failOnce = true;
    const got = new Map<number, number>();
    const handle = async (batch: ReceivedMessage[]) => {
      if (failOnce) {
        failOnce = false;
        throw new Error('handler failed');
      }
      for (const n of numbers(batch)) got.set(n, (got.get(n) ?? 0) + 1);
    };
    const members = await Promise.all([1, 2].map(() => bus.subscribe({ groupId: 'shared', topics: ['bus.shared'], onBatch: handle })));
    // Concurrent publishers: the per-topic lock keeps ids in commit order, so no reader skips a late commit.
    await Promise.all(Array.from({ length: 10 }, (_, p) => bus.publish(Array.from({ length: 20 }, (_, i) => message('bus.shared', `p${p}`, p * 20 + i)))));
    await eventually(() => got.size === 200, 20_000);
    await sleep(500);
    expect([...got.values()].every((count) => count === 1)).toBe(true);
    await Promise.all(members.map((m) => m.stop()));
  });

  test('end to end: outbox relay → bus → consumer, each event applied once, in order per key', async () => {
    const producer = await startTestProducer('permits', bus);
    const effects = await consumerDatabase();
    const consumer = await startConsumer(effects.db, bus, effectConsumer({ groupId: 'bus-e2e' }));
    try {
      const records = Array.from({ length: 100 }, (_, i) => `bus-${i}`);
      for (const [i, r] of records.entries()) await producer.record('work.hold_requested', `permit-${i % 3}`, holdData(r));
      await eventually(async () => (await effectCounts(effects.db)).size === records.length, 30_000);
      const counts = await effectCounts(effects.db);
      expect(records.filter((r) => counts.get(r) !== 1)).toEqual([]);
      const order: { source_record_id: string; message_key: string }[] = await effects.db.query(`SELECT source_record_id, message_key FROM effect ORDER BY id`);
      for (const key of ['permit-0', 'permit-1', 'permit-2']) {
        const applied = order.filter((e) => e.message_key === key).map((e) => Number(e.source_record_id.slice(4)));
        expect(applied).toEqual([...applied].sort((a, b) => a - b));
      }
    } finally {
      await consumer.stop();
      await producer.close();
      await effects.close();
    }
  });
});
