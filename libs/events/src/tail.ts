import { randomUUID } from 'node:crypto';
import { atMost, databaseName, envInt, logger, postgresConfig } from '@opsgraph/core';
import { Kafka, logLevel, type Consumer } from 'kafkajs';
import { Pool } from 'pg';
import { KafkaTransport } from './kafka-transport';
import { TopicNames, topicPrefixFromEnv } from './names';
import { listen } from './pg-listen';
import { BUS_CHANNEL } from './postgres-transport';
import { backoff, Waker } from './timing';
import type { ReceivedMessage } from './transport';

/**
 * Follows topics from "now" on, without a consumer group's shared offsets: every process that tails sees
 * every message (a gateway replica fanning events out to its own subscribers), nothing is committed, and a
 * restarted tail starts at the end again. Not for applying events (use `startConsumer`, which commits).
 */
export interface Tail {
  /** Resolves once the tail reads: messages published after this are delivered. */
  ready: Promise<void>;
  stop(): Promise<void>;
}

export interface TailOptions {
  topics: string[];
  /** Called with messages in order per topic partition; errors are logged, never retried (a tail has no offsets to hold). */
  onMessages(messages: ReceivedMessage[]): void | Promise<void>;
  /** Defaults to KAFKA_BROKERS; without brokers the Postgres bus is tailed. */
  brokers?: string;
  topicPrefix?: string;
  clientId?: string;
  busDatabase?: string;
}

export function tailEvents(options: TailOptions): Tail {
  const brokers = options.brokers ?? process.env.KAFKA_BROKERS;
  return brokers ? tailKafka(options, brokers.split(',').map((b) => b.trim()).filter(Boolean)) : tailBus(options);
}

function tailKafka(options: TailOptions, brokers: string[]): Tail {
  const names = new TopicNames(options.topicPrefix ?? topicPrefixFromEnv());
  const clientId = options.clientId ?? process.env.OPSGRAPH_SERVICE ?? 'opsgraph';
  const kafka = new Kafka({ clientId: `${clientId}-tail`, brokers, connectionTimeout: 3_000, requestTimeout: 15_000, logLevel: logLevel.NOTHING });
  // A group of its own per tail: Kafka hands every partition to it, and it starts at the end.
  const groupId = names.physical(`opsgraph.tail.${clientId}.${randomUUID()}`);
  let consumer: Consumer | null = null;
  let stopped = false;
  let markReady: () => void = () => undefined;
  const ready = new Promise<void>((resolve) => (markReady = resolve));
  const waker = new Waker();
  const run = async () => {
    let failures = 0;
    while (!stopped) {
      try {
        // The topics' partition count must be the services' (a consumer must not create them with the broker's default).
        const topicsOwner = new KafkaTransport({ brokers, topicPrefix: names.prefix, clientId });
        await topicsOwner.ensureTopics(options.topics);
        await topicsOwner.close();
        consumer = kafka.consumer({
          groupId,
          sessionTimeout: envInt('KAFKA_SESSION_TIMEOUT_MS', 30_000),
          heartbeatInterval: envInt('KAFKA_HEARTBEAT_INTERVAL_MS', 3_000),
          rebalanceTimeout: envInt('KAFKA_REBALANCE_TIMEOUT_MS', 60_000),
          maxWaitTimeInMs: envInt('KAFKA_MAX_WAIT_MS', 1_000),
          allowAutoTopicCreation: false,
        });
        const crashed = new Promise<void>((resolve) => consumer!.on(consumer!.events.CRASH, (e) => !e.payload.restart && resolve()));
        // The first completed fetch comes after the fresh group's offsets were set to the partitions' ends.
        consumer.on(consumer.events.FETCH, () => markReady());
        await consumer.connect();
        await consumer.subscribe({ topics: options.topics.map((t) => names.physical(t)), fromBeginning: false });
        await consumer.run({
          autoCommit: false,
          partitionsConsumedConcurrently: 8,
          eachBatch: async ({ batch }) => {
            const topic = names.logical(batch.topic);
            const messages = batch.messages.map((m) => ({
              topic,
              partition: batch.partition,
              offset: m.offset,
              key: m.key ? m.key.toString('utf8') : null,
              value: m.value ?? Buffer.alloc(0),
              headers: Object.fromEntries(Object.entries(m.headers ?? {}).map(([k, v]) => [k, String(Array.isArray(v) ? v[0] : v)])),
            }));
            if (messages.length) await deliver(options, messages);
          },
        });
        failures = 0;
        await Promise.race([crashed, waker.wait(2 ** 31 - 1)]);
      } catch (err) {
        logger.warn({ err: (err as Error).message }, 'event tail could not start; retrying');
      }
      const current = consumer as Consumer | null;
      consumer = null;
      if (current) await atMost(current.disconnect(), 10_000);
      if (!stopped) await waker.wait(backoff(++failures, 500, 10_000));
    }
  };
  const done = run();
  return {
    ready,
    async stop() {
      stopped = true;
      waker.wake();
      await atMost(done, 15_000);
    },
  };
}

async function deliver(options: TailOptions, messages: ReceivedMessage[]) {
  try {
    await options.onMessages(messages);
  } catch (err) {
    logger.warn({ err: (err as Error).message }, 'event tail handler failed');
  }
}

/**
 * The Postgres bus: remembers, per topic, the last id it read (ids of one topic are assigned in commit order),
 * wakes on the bus NOTIFY and reads what is new, with a slow poll as a safety net. Waits for the bus tables
 * when no service has created them yet.
 */
function tailBus(options: TailOptions): Tail {
  const names = new TopicNames(options.topicPrefix ?? topicPrefixFromEnv());
  const database = options.busDatabase ?? (process.env.OPSGRAPH_BUS_DATABASE || databaseName('bus'));
  const connection = { ...postgresConfig(), database };
  const topics = options.topics.map((t) => names.physical(t));
  const waker = new Waker();
  let stopped = false;
  let markReady: () => void = () => undefined;
  const ready = new Promise<void>((resolve) => (markReady = resolve));
  let pool: Pool | null = null;
  let listener: { close(): Promise<void> } | null = null;
  const last = new Map<string, string>();
  const run = async () => {
    let failures = 0;
    while (!stopped) {
      try {
        if (!pool) {
          pool = new Pool({ ...connection, max: 1, application_name: 'opsgraph:tail' });
          pool.on('error', () => undefined);
        }
        listener ??= listen(connection, BUS_CHANNEL, (topic) => (!topic || topics.includes(topic)) && waker.wake());
        if (last.size < topics.length) {
          const { rows } = await pool.query('SELECT t AS topic, coalesce((SELECT max(id) FROM bus_event WHERE topic = t), 0)::text AS id FROM unnest($1::text[]) AS t', [topics]);
          for (const r of rows) last.set(r.topic, r.id);
          markReady();
        }
        let busy = false;
        for (const topic of topics) {
          const { rows } = await pool.query('SELECT id::text, message_key, headers, value FROM bus_event WHERE topic = $1 AND id > $2 ORDER BY id LIMIT 500', [topic, last.get(topic)]);
          if (!rows.length) continue;
          busy = true;
          last.set(topic, rows[rows.length - 1].id);
          const logical = names.logical(topic);
          await deliver(options, rows.map((r) => ({ topic: logical, partition: 0, offset: r.id, key: r.message_key, value: r.value, headers: r.headers })));
        }
        failures = 0;
        if (!busy) await waker.wait(1_000);
      } catch (err) {
        // 42P01: the bus tables do not exist yet (no service has published); wait for them quietly.
        if ((err as { code?: string }).code !== '42P01') logger.warn({ err: (err as Error).message }, 'bus tail failed; retrying');
        await waker.wait(backoff(++failures, 200, 5_000));
      }
    }
  };
  const done = run();
  return {
    ready,
    async stop() {
      stopped = true;
      waker.wake();
      await done;
      await listener?.close();
      await pool?.end();
    },
  };
}
