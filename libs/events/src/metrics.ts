import { envInt, logger, metricsRegistry } from '@opsgraph/core';
import { Counter, Gauge } from 'prom-client';
import { DEAD_LETTER_TOPIC } from './names';

/**
 * The event backbone's Prometheus metrics, on the process registry every service serves at /metrics.
 * The outbox backlog is read at scrape time (one indexed query per relay) rather than tracked per event,
 * and so is the consumer lag (one read of the positions per transport, bounded in time; see below).
 */
// By relay (several relays may share one outbox; the database is read once).
/** Unpublished outbox rows: what a metrics endpoint or alert reads (a growing age means the relay is stuck). */
export interface OutboxBacklog {
  count: number;
  /** Age of the oldest unpublished event in ms; null when nothing waits. */
  oldestAgeMs: number | null;
}

const backlogSources = new Map<object, { database: string; read: () => Promise<OutboxBacklog> }>();
let scrape: Promise<Map<string, OutboxBacklog>> | null = null;

/** One backlog query per relay per scrape, shared by the two gauges below. */
function backlogs(): Promise<Map<string, OutboxBacklog>> {
  scrape ??= (async () => {
    const result = new Map<string, OutboxBacklog>();
    for (const { database, read } of backlogSources.values()) {
      if (!result.has(database)) result.set(database, await read().catch(() => ({ count: NaN, oldestAgeMs: NaN })));
    }
    setTimeout(() => (scrape = null), 500).unref();
    return result;
  })();
  return scrape;
}

new Gauge({
  name: 'opsgraph_outbox_backlog_events',
  help: 'Committed outbox events not yet published',
  labelNames: ['database'] as const,
  registers: [metricsRegistry],
  async collect() {
    for (const [database, backlog] of await backlogs()) this.set({ database }, backlog.count);
  },
});
new Gauge({
  name: 'opsgraph_outbox_backlog_oldest_seconds',
  help: 'Age of the oldest unpublished outbox event (0 when none waits); growing means the relay is stuck',
  labelNames: ['database'] as const,
  registers: [metricsRegistry],
  async collect() {
    for (const [database, backlog] of await backlogs()) this.set({ database }, (backlog.oldestAgeMs ?? 0) / 1000);
  },
});

export const outboxPublished = new Counter({
  name: 'opsgraph_outbox_published_total',
  help: 'Outbox events published (acknowledged by the transport)',
  labelNames: ['database'] as const,
  registers: [metricsRegistry],
});
export const outboxPublishFailures = new Counter({
  name: 'opsgraph_outbox_publish_failures_total',
  help: 'Failed attempts to publish an outbox batch (the batch is retried)',
  labelNames: ['database'] as const,
  registers: [metricsRegistry],
});
export const eventsConsumed = new Counter({
  name: 'opsgraph_events_consumed_total',
  help: 'Events a consumer group handled, by outcome: applied, duplicate, ignored, parked, dead_lettered',
  labelNames: ['consumer', 'outcome'] as const,
  registers: [metricsRegistry],
});
export const eventRetries = new Counter({
  name: 'opsgraph_events_retries_total',
  help: 'Attempts a consumer repeated because the database or the broker was away',
  labelNames: ['consumer'] as const,
  registers: [metricsRegistry],
});

/** Reports a relay's outbox on /metrics until the returned function is called. */
export function watchBacklog(database: string, read: () => Promise<OutboxBacklog>): () => void {
  const relay = {};
  backlogSources.set(relay, { database, read });
  return () => backlogSources.delete(relay);
}

/**
 * Where a consumer group stands on the log, as a transport reads it: messages after the group's committed
 * position, per topic and partition (Kafka: high watermark − committed offset; the Postgres bus: rows after
 * the group's `last_id`), and the messages retained on the dead-letter topic.
 */
export interface LagReading {
  lag: { consumer: string; topic: string; partition: number; messages: number }[];
  /** Messages on the dead-letter topic (0 while it does not exist). */
  deadLetters: number;
}


interface LagSource {
  transport: string;
  /** Logical names of the groups this source reports (also before its first successful read). */
  consumers(): string[];
  read(): Promise<LagReading>;
  last: LagReading | null;
  /** Epoch ms of the last successful read; null before the first. */
  lastSuccess: number | null;
  inflight: Promise<void> | null;
  failing: boolean;
}

// By transport; read at scrape time, at most one read per source in flight.
const lagSources = new Set<LagSource>();
let lagScrape: Promise<void> | null = null;

const lagReadFailures = new Counter({
  name: 'opsgraph_consumer_lag_read_failures_total',
  help: 'Failed or timed-out reads of consumer positions (broker or bus database away); the lag gauges then keep their last known values',
  labelNames: ['transport'] as const,
  registers: [metricsRegistry],
});

/**
 * Starts a read unless one is still running (a broker that does not answer must not pile up requests) and
 * waits for it at most OPSGRAPH_LAG_TIMEOUT_MS, so /metrics answers promptly whatever the broker does.
 */
async function refreshLag(source: LagSource): Promise<void> {
  source.inflight ??= source
    .read()
    .then(
      (reading) => {
        source.last = reading;
        source.lastSuccess = Date.now();
        if (source.failing) logger.info({ transport: source.transport }, 'consumer lag readable again');
        source.failing = false;
      },
      (err) => {
        lagReadFailures.inc({ transport: source.transport });
        if (!source.failing) logger.warn({ transport: source.transport, err: (err as Error).message }, 'cannot read consumer lag; reporting the last known values');
        source.failing = true;
      },
    )
    .finally(() => (source.inflight = null));
  let timer: NodeJS.Timeout | undefined;
  const timedOut = new Promise<void>((resolve) => (timer = setTimeout(resolve, envInt('OPSGRAPH_LAG_TIMEOUT_MS', 2_000))));
  await Promise.race([source.inflight, timedOut]);
  clearTimeout(timer);
}

/** One refresh of every source per scrape, shared by the gauges below. */
function lagReadings(): Promise<void> {
  lagScrape ??= (async () => {
    await Promise.all([...lagSources].map(refreshLag));
    setTimeout(() => (lagScrape = null), 500).unref();
  })();
  return lagScrape;
}

new Gauge({
  name: 'opsgraph_consumer_lag_messages',
  help: "Messages on the log after a consumer group's committed position (Kafka: high watermark - committed offset); the last known value while the broker is away",
  labelNames: ['consumer', 'topic', 'partition'] as const,
  registers: [metricsRegistry],
  async collect() {
    await lagReadings();
    this.reset();
    for (const source of lagSources) for (const l of source.last?.lag ?? []) this.set({ consumer: l.consumer, topic: l.topic, partition: String(l.partition) }, l.messages);
  },
});
new Gauge({
  name: 'opsgraph_consumer_lag_last_success_timestamp_seconds',
  help: 'When the consumer lag was last read successfully (Unix time; 0 = never): a stale value means the lag shown is old',
  labelNames: ['consumer'] as const,
  registers: [metricsRegistry],
  async collect() {
    await lagReadings();
    this.reset();
    const latest = new Map<string, number>();
    for (const source of lagSources) {
      for (const consumer of source.consumers()) latest.set(consumer, Math.max(latest.get(consumer) ?? 0, (source.lastSuccess ?? 0) / 1000));
    }
    for (const [consumer, seconds] of latest) this.set({ consumer }, seconds);
  },
});
new Gauge({
  name: 'opsgraph_deadletter_messages',
  help: 'Messages retained on the dead-letter topic (events no consumer could apply), as last read',
  labelNames: ['topic'] as const,
  registers: [metricsRegistry],
  async collect() {
    await lagReadings();
    this.reset();
    for (const source of lagSources) if (source.last) this.set({ topic: DEAD_LETTER_TOPIC }, source.last.deadLetters);
  },
});

/**
 * Reports a transport's consumer groups (their lag, the dead-letter topic) on /metrics until the returned
 * function is called. `read` is called at scrape time; `consumers` names the groups it covers.
 */
export function watchConsumerLag(transport: string, consumers: () => string[], read: () => Promise<LagReading>): () => void {
  const source: LagSource = { transport, consumers, read, last: null, lastSuccess: null, inflight: null, failing: false };
  lagSources.add(source);
  return () => lagSources.delete(source);
}

/**
 * The consumer groups a transport serves in this process, by physical name, with their topics: its lag is
 * reported on /metrics from the first subscription until the transport closes (also while no member runs here).
 */
export class ConsumedGroups extends Map<string, { topics: Set<string>; fromBeginning: boolean }> {
  private unwatch: (() => void) | null = null;
  constructor(
    private readonly transport: string,
    private readonly logical: (name: string) => string,
    private readonly readLag: () => Promise<LagReading>,
  ) {
    super();
  }
  watch(group: string, topics: string[], fromBeginning: boolean): void {
    const watched = this.get(group) ?? { topics: new Set<string>(), fromBeginning };
    for (const t of topics) watched.topics.add(t);
    this.set(group, watched);
    this.unwatch ??= watchConsumerLag(this.transport, () => [...this.keys()].map(this.logical), this.readLag);
  }
  close(): void {
    this.unwatch?.();
    this.unwatch = null;
    this.clear();
  }
}
