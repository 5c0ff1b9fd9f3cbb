import { envInt, logger, atMost } from '@opsgraph/core';
import { Kafka, Partitioners, logLevel, type Admin, type Consumer, type EachBatchPayload, type IHeaders, type Producer } from 'kafkajs';
import { ConsumedGroups, type LagReading } from './metrics';
import { backoff, Waker } from './timing';
import { DEAD_LETTER_TOPIC, TopicNames, groupBy, topicPrefixFromEnv } from './names';
import type { BatchControl, ReceivedMessage, SubscribeOptions, Subscription, Transport, TransportMessage } from './transport';

export interface KafkaConsumerTimings {
  sessionTimeout: number;
  heartbeatInterval: number;
  rebalanceTimeout: number;
  maxWaitTimeInMs: number;
}

export interface KafkaTransportOptions {
  brokers: string[];
  topicPrefix?: string;
  clientId?: string;
  /** Partitions of the topics this transport creates. */
  partitions?: number;
  /** Group timings; defaults come from KAFKA_SESSION_TIMEOUT_MS, KAFKA_HEARTBEAT_INTERVAL_MS, KAFKA_REBALANCE_TIMEOUT_MS, KAFKA_MAX_WAIT_MS. */
  consumer?: Partial<KafkaConsumerTimings>;
}

/** kafkajs logs into our structured logger; its INFO chatter (joins, commits) is debug for us. */
const logCreator = () => (entry: { level: logLevel; log: { message: string; [key: string]: unknown } }) => {
  const { message, ...rest } = entry.log;
  // We bound the idempotent producer's retries on purpose and replace it after a failed send (see publish).
  if (message.startsWith('Limiting retries for the idempotent producer')) return;
  const fields = { kafka: rest.groupId ?? rest.clientId, error: rest.error, broker: rest.broker };
  // A CreateTopics refusal is logged before kafkajs looks at it: "already exists" (a relay and a consumer of
  // the same topic creating it at once, at every first start) is success to createTopics, and any other
  // refusal is thrown to ensureTopics' caller, which reports it. So the response itself is only debug.
  const expected = message.startsWith('Response CreateTopics');
  // Connection errors during an outage are expected and reported by our own retry logs: warn, not error.
  if (!expected && (entry.level === logLevel.ERROR || entry.level === logLevel.WARN)) logger.warn(fields, `kafka: ${message}`);
  else logger.debug(fields, `kafka: ${message}`);
};

/** The lag reader's client: failures are reported once by the metrics, not per attempt. */
const quietLogCreator = () => (entry: { level: logLevel; log: { message: string; [key: string]: unknown } }) => {
  logger.debug({ kafka: entry.log.clientId, error: entry.log.error, broker: entry.log.broker }, `kafka (lag): ${entry.log.message}`);
};

function headersOf(headers: IHeaders | undefined): Record<string, string> {
  const out: Record<string, string> = {};
  for (const [name, value] of Object.entries(headers ?? {})) {
    const first = Array.isArray(value) ? value[0] : value;
    if (first !== undefined) out[name] = first.toString();
  }
  return out;
}

/**
 * Kafka through kafkajs. The producer is idempotent with one request in flight and acks from all in-sync
 * replicas, so a send that resolved is durable and per-partition order holds across retries. Consumers use
 * `eachBatch` with offsets committed by hand after the batch was handled (at-least-once; consumers make it
 * exactly-once in effect with their inbox).
 */
export class KafkaTransport implements Transport {
  readonly kind = 'kafka' as const;
  readonly names: TopicNames;
  private readonly kafka: Kafka;
  private readonly partitions: number;
  /** Partitions whose fetched batches a consumer takes at once (and hands over together). */
  private readonly partitionsConsumedConcurrently: number;
  private readonly timings: KafkaConsumerTimings;
  private producer: Promise<Producer> | null = null;
  private readonly knownTopics = new Set<string>();
  private readonly subscriptions = new Set<Subscription>();
  private readonly brokers: string[];
  private readonly clientId: string;
  /** Groups this transport consumed for (by physical id): their lag is on /metrics until the transport closes. */
  private readonly consumedGroups = new ConsumedGroups('kafka', (name) => this.names.logical(name), () => this.readLag());
  private lagAdmin: Promise<Admin> | null = null;

  constructor(options: KafkaTransportOptions) {
    this.names = new TopicNames(options.topicPrefix ?? topicPrefixFromEnv());
    this.partitions = options.partitions ?? envInt('KAFKA_TOPIC_PARTITIONS', 3);
    this.partitionsConsumedConcurrently = envInt('KAFKA_PARTITIONS_CONSUMED_CONCURRENTLY', 8);
    this.timings = {
      sessionTimeout: envInt('KAFKA_SESSION_TIMEOUT_MS', 30_000),
      heartbeatInterval: envInt('KAFKA_HEARTBEAT_INTERVAL_MS', 3_000),
      rebalanceTimeout: envInt('KAFKA_REBALANCE_TIMEOUT_MS', 60_000),
      maxWaitTimeInMs: envInt('KAFKA_MAX_WAIT_MS', 1_000),
      ...options.consumer,
    };
    this.brokers = options.brokers;
    this.clientId = options.clientId ?? process.env.OPSGRAPH_SERVICE ?? 'opsgraph';
    this.kafka = new Kafka({
      clientId: this.clientId,
      brokers: options.brokers,
      connectionTimeout: 3_000,
      requestTimeout: 15_000,
      // Few quick retries: callers retry on their own (the relay backs off, a crashed consumer restarts).
      retry: { initialRetryTime: 100, maxRetryTime: 1_000, retries: 3 },
      logLevel: logLevel.WARN,
      logCreator,
    });
  }

  /** Creates missing topics with this transport's partition count (the broker's default replication). */
  async ensureTopics(topics: string[]): Promise<void> {
    let missing = [...new Set(topics)].filter((t) => !this.knownTopics.has(t));
    if (!missing.length) return;
    const admin = this.kafka.admin();
    await admin.connect();
    try {
      const existing = new Set(await admin.listTopics());
      missing = missing.filter((t) => !existing.has(this.names.physical(t)));
      if (missing.length) await admin.createTopics({ waitForLeaders: true, topics: missing.map((t) => ({ topic: this.names.physical(t), numPartitions: this.partitions })) });
    } finally {
      await admin.disconnect().catch(() => undefined);
    }
    for (const t of topics) this.knownTopics.add(t);
  }

  private async connectedProducer(): Promise<Producer> {
    this.producer ??= (async () => {
      const producer = this.kafka.producer({
        idempotent: true,
        maxInFlightRequests: 1,
        allowAutoTopicCreation: false,
        createPartitioner: Partitioners.DefaultPartitioner,
        // Bounded, so a send during an outage fails and the caller backs off instead of hanging.
        retry: { initialRetryTime: 100, maxRetryTime: 2_000, retries: 5 },
      });
      await producer.connect();
      return producer;
    })();
    try {
      return await this.producer;
    } catch (err) {
      this.producer = null;
      throw err;
    }
  }

  async publish(messages: TransportMessage[]): Promise<void> {
    if (!messages.length) return;
    await this.ensureTopics(messages.map((m) => m.topic));
    const producer = await this.connectedProducer();
    try {
      await producer.sendBatch({
        acks: -1,
        topicMessages: [...groupBy(messages, (m) => m.topic)].map(([topic, list]) => ({
          topic: this.names.physical(topic),
          messages: list.map((m) => ({ key: m.key, value: m.value, headers: m.headers })),
        })),
      });
    } catch (err) {
      // A failed send may still have been written. Resending it from the same producer would reuse its
      // sequence numbers for a different batch and the broker would refuse or drop it, so the next send
      // gets a fresh producer id; the possible duplicate is removed by the consumers' inbox.
      this.producer = null;
      void producer.disconnect().catch(() => undefined);
      throw err;
    }
  }

  /**
   * A long-lived admin client for reading positions, on a Kafka client of its own with short timeouts and
   * one retry, so a read against an unreachable broker ends within seconds (the metrics wait even less).
   */
  private connectedLagAdmin(): Promise<Admin> {
    this.lagAdmin ??= (async () => {
      const kafka = new Kafka({
        clientId: `${this.clientId}-lag`,
        brokers: this.brokers,
        connectionTimeout: 1_000,
        requestTimeout: 3_000,
        retry: { initialRetryTime: 100, maxRetryTime: 500, retries: 1 },
        logLevel: logLevel.WARN,
        logCreator: quietLogCreator,
      });
      const admin = kafka.admin();
      await admin.connect();
      return admin;
    })();
    return this.lagAdmin.catch((err) => {
      this.lagAdmin = null;
      throw err;
    });
  }

  /**
   * Lag of every group this transport consumed for: per partition, the high watermark minus the group's
   * committed offset (the next offset it will read; offsets are dense, the producer is not transactional).
   * A group without a committed offset lags by what it will read: everything retained when it starts from
   * the beginning, nothing when it starts at the end. Also counts the dead-letter topic.
   */
  async readLag(): Promise<LagReading> {
    const admin = await this.connectedLagAdmin();
    try {
      const existing = new Set(await admin.listTopics());
      const deadLetters = this.names.physical(DEAD_LETTER_TOPIC);
      const topics = new Set([...this.consumedGroups.values()].flatMap((g) => [...g.topics]).filter((t) => existing.has(t)));
      if (existing.has(deadLetters)) topics.add(deadLetters);
      const ends = new Map(await Promise.all([...topics].map(async (t) => [t, await admin.fetchTopicOffsets(t)] as const)));
      const lag: LagReading['lag'] = [];
      for (const [groupId, group] of this.consumedGroups) {
        const groupTopics = [...group.topics].filter((t) => ends.has(t));
        if (!groupTopics.length) continue;
        for (const { topic, partitions } of await admin.fetchOffsets({ groupId, topics: groupTopics })) {
          const committed = new Map(partitions.map((p) => [p.partition, BigInt(p.offset)]));
          for (const end of ends.get(topic) ?? []) {
            const high = BigInt(end.high);
            const low = BigInt(end.low);
            const offset = committed.get(end.partition) ?? -1n;
            const position = offset < 0n ? (group.fromBeginning ? low : high) : offset < low ? low : offset;
            lag.push({ consumer: this.names.logical(groupId), topic: this.names.logical(topic), partition: end.partition, messages: Number(high > position ? high - position : 0n) });
          }
        }
      }
      const retained = (ends.get(deadLetters) ?? []).reduce((sum, p) => sum + (BigInt(p.high) - BigInt(p.low)), 0n);
      return { lag, deadLetters: Number(retained) };
    } catch (err) {
      // Start over with a fresh client next time: this one may hold connections to a broker that went away.
      if (this.lagAdmin) {
        this.lagAdmin = null;
        void admin.disconnect().catch(() => undefined);
      }
      throw err;
    }
  }

  async subscribe(options: SubscribeOptions): Promise<Subscription> {
    const groupId = this.names.physical(options.groupId);
    const topics = options.topics.map((t) => this.names.physical(t));
    this.consumedGroups.watch(groupId, topics, options.fromBeginning ?? true);
    const waker = new Waker();
    let stopped = false;
    let current: Consumer | null = null;
    let signalStop: () => void = () => undefined;
    const stopSignal = new Promise<void>((resolve) => (signalStop = resolve));

    const runOnce = async (consumer: Consumer) => {
      // The dead-letter topic with them: whoever watches it can subscribe before the first poison message.
      await this.ensureTopics([...options.topics, DEAD_LETTER_TOPIC]);
      await consumer.connect();
      await consumer.subscribe({ topics, fromBeginning: options.fromBeginning ?? true });
      // kafkajs restarts a crashed consumer by itself; only a crash it gives up on comes back to us.
      const givenUp = new Promise<void>((resolve) =>
        consumer.on(consumer.events.CRASH, (e) => {
          logger.warn({ groupId, err: e.payload.error?.message, restart: e.payload.restart }, 'kafka consumer crashed');
          if (!e.payload.restart) resolve();
        }),
      );
      // The batches of one fetch (one per partition, up to `partitionsConsumedConcurrently` at a time) are
      // handed over together: the consumer applies them in one transaction instead of one per partition,
      // and no partition's batch waits in line behind the others' commits. Order within a partition holds.
      let gathered: { payload: EachBatchPayload; messages: ReceivedMessage[]; settle: (err?: unknown) => void }[] = [];
      const handOver = async () => {
        const batches = gathered;
        gathered = [];
        try {
          const control: BatchControl = {
            isRunning: () => !stopped && batches.every(({ payload }) => payload.isRunning() && !payload.isStale()),
            heartbeat: () => batches[0].payload.heartbeat(),
          };
          await options.onBatch(batches.length === 1 ? batches[0].messages : batches.flatMap((b) => b.messages), control);
          const offsets = new Map<string, { partition: number; offset: string }[]>();
          for (const { payload, messages } of batches) {
            const last = messages[messages.length - 1].offset;
            payload.resolveOffset(last);
            const partitions = offsets.get(payload.batch.topic) ?? [];
            partitions.push({ partition: payload.batch.partition, offset: (BigInt(last) + 1n).toString() });
            offsets.set(payload.batch.topic, partitions);
          }
          await batches[0].payload.commitOffsetsIfNecessary({ topics: [...offsets].map(([topic, partitions]) => ({ topic, partitions })) });
          for (const b of batches) b.settle();
        } catch (err) {
          for (const b of batches) b.settle(err);
        }
      };
      await consumer.run({
        autoCommit: false,
        eachBatchAutoResolve: false,
        partitionsConsumedConcurrently: this.partitionsConsumedConcurrently,
        eachBatch: (payload) => {
          const { batch } = payload;
          if (!batch.messages.length) return Promise.resolve();
          const topic = this.names.logical(batch.topic);
          const messages: ReceivedMessage[] = batch.messages.map((m) => ({
            topic,
            partition: batch.partition,
            offset: m.offset,
            key: m.key ? m.key.toString('utf8') : null,
            value: m.value ?? Buffer.alloc(0),
            headers: headersOf(m.headers),
          }));
          return new Promise<void>((resolve, reject) => {
            // kafkajs starts the fetch's batches in the same turn of the event loop: the first schedules the hand-over.
            if (!gathered.length) setImmediate(() => void handOver());
            gathered.push({ payload, messages, settle: (err) => (err === undefined ? resolve() : reject(err)) });
          });
        },
      });
      return { givenUp };
    };

    const supervise = async () => {
      let failures = 0;
      while (!stopped) {
        const consumer = this.kafka.consumer({
          groupId,
          ...this.timings,
          allowAutoTopicCreation: false,
          retry: { initialRetryTime: 300, maxRetryTime: 5_000, retries: 10 },
        });
        current = consumer;
        try {
          const { givenUp } = await runOnce(consumer);
          failures = 0;
          await Promise.race([givenUp, stopSignal]);
        } catch (err) {
          logger.warn({ groupId, err: (err as Error).message }, 'kafka consumer could not start; retrying');
        }
        current = null;
        await atMost(consumer.disconnect(), 10_000);
        if (!stopped) await waker.wait(backoff(++failures, 500, 10_000));
      }
    };
    const supervisor = supervise();

    const subscription: Subscription = {
      stop: async () => {
        if (stopped) return;
        stopped = true;
        signalStop();
        waker.wake();
        await atMost(current?.disconnect() ?? Promise.resolve(), 10_000);
        await atMost(supervisor, 10_000);
        this.subscriptions.delete(subscription);
      },
    };
    this.subscriptions.add(subscription);
    return subscription;
  }

  async close(): Promise<void> {
    for (const subscription of [...this.subscriptions]) await subscription.stop();
    this.consumedGroups.close();
    const lagAdmin = this.lagAdmin;
    this.lagAdmin = null;
    if (lagAdmin) await atMost((async () => (await lagAdmin.catch(() => null))?.disconnect())(), 5_000);
    const producer = this.producer;
    this.producer = null;
    if (producer) await atMost((async () => (await producer.catch(() => null))?.disconnect())(), 10_000);
  }
}
