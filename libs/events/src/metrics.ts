import { metricsRegistry } from '@opsgraph/core';
import { Counter, Gauge } from 'prom-client';
import type { OutboxBacklog } from './relay';

/**
 * The event backbone's Prometheus metrics, on the process registry every service serves at /metrics.
 * The outbox backlog is read at scrape time (one indexed query per relay) rather than tracked per event.
 */
// By relay (several relays may share one outbox; the database is read once).
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
