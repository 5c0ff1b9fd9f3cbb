import { Counter, Gauge, Histogram } from 'prom-client';
import { metricsRegistry } from '@opsgraph/core';

/** The live picture on /metrics, beside the gateway's request metrics. */
export const liveConnections = new Gauge({
  name: 'opsgraph_live_connections',
  help: 'Open subscription connections by transport (ws: graphql-ws, sse: graphql-sse)',
  labelNames: ['transport'] as const,
  registers: [metricsRegistry],
});
export const liveSubscriptions = new Gauge({
  name: 'opsgraph_live_subscriptions',
  help: 'Active subscriptions',
  registers: [metricsRegistry],
});
export const liveFeeds = new Gauge({
  name: 'opsgraph_live_feeds',
  help: 'Distinct live answers kept (subscriptions with the same document, variables and caller share one)',
  registers: [metricsRegistry],
});
export const liveMessages = new Counter({
  name: 'opsgraph_live_messages_total',
  help: 'Subscription messages handed to connections, by kind (update, initial, catch_up, reset)',
  labelNames: ['kind'] as const,
  registers: [metricsRegistry],
});
export const liveResolutions = new Counter({
  name: 'opsgraph_live_resolutions_total',
  help: 'Live answers resolved through the federated query plan, by whether the answer changed',
  labelNames: ['changed'] as const,
  registers: [metricsRegistry],
});
export const liveEvents = new Counter({
  name: 'opsgraph_live_events_total',
  help: 'Events the gateway received from the event stream for live answers',
  registers: [metricsRegistry],
});
export const liveClosed = new Counter({
  name: 'opsgraph_live_connections_closed_total',
  help: 'Subscription connections the gateway closed, by reason (token_expired, slow_consumer)',
  labelNames: ['reason'] as const,
  registers: [metricsRegistry],
});
export const liveLag = new Histogram({
  name: 'opsgraph_live_lag_seconds',
  help: 'From the time of the earliest event behind an update to the update being handed to the connection',
  buckets: [0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10],
  registers: [metricsRegistry],
});
