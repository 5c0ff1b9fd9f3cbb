import type { ApolloServerPlugin } from '@apollo/server';
import { Counter, Gauge, Histogram, Registry, collectDefaultMetrics } from 'prom-client';
import type { DataSource } from 'typeorm';
import { DomainError } from './errors';

/**
 * Prometheus metrics of this process, served at /metrics by every service and the gateway. Shared
 * mechanics (requests, errors, latency, DB pool) register here; the event backbone adds its own
 * (outbox backlog, consumer lag, dead letters) to the same registry.
 */
export const metricsRegistry = new Registry();
collectDefaultMetrics({ register: metricsRegistry, prefix: 'opsgraph_' });

export const graphqlRequests = new Counter({
  name: 'opsgraph_graphql_requests_total',
  help: 'GraphQL requests by operation type and outcome',
  labelNames: ['service', 'operation', 'outcome'] as const,
  registers: [metricsRegistry],
});
export const graphqlErrors = new Counter({
  name: 'opsgraph_graphql_errors_total',
  help: 'GraphQL errors by code',
  labelNames: ['service', 'code'] as const,
  registers: [metricsRegistry],
});
export const graphqlDuration = new Histogram({
  name: 'opsgraph_graphql_request_duration_seconds',
  help: 'GraphQL request latency',
  labelNames: ['service', 'operation'] as const,
  buckets: [0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5],
  registers: [metricsRegistry],
});

/** Request rate, errors by code and latency for one Apollo server. */
export function metricsPlugin(service: string): ApolloServerPlugin {
  return {
    async requestDidStart() {
      const end = graphqlDuration.startTimer({ service });
      return {
        async willSendResponse({ operation, errors }) {
          const kind = operation?.operation ?? 'invalid';
          end({ operation: kind });
          graphqlRequests.inc({ service, operation: kind, outcome: errors?.length ? 'error' : 'ok' });
          for (const e of errors ?? []) {
            const code = e.originalError instanceof DomainError ? e.originalError.code : String(e.extensions?.code ?? 'INTERNAL_SERVER_ERROR');
            graphqlErrors.inc({ service, code });
          }
        },
      };
    },
  };
}

const pools = new Map<string, DataSource>();
new Gauge({
  name: 'opsgraph_db_pool_connections',
  help: 'Database pool connections by state',
  labelNames: ['database', 'state'] as const,
  registers: [metricsRegistry],
  // Read the pool at scrape time rather than tracking it on every query.
  collect() {
    for (const [database, db] of pools) {
      const pool = (db.driver as unknown as { master?: { totalCount: number; idleCount: number; waitingCount: number } }).master;
      if (!pool) continue;
      this.set({ database, state: 'total' }, pool.totalCount);
      this.set({ database, state: 'idle' }, pool.idleCount);
      this.set({ database, state: 'waiting' }, pool.waitingCount);
    }
  },
});

export function registerPoolMetrics(database: string, db: DataSource) {
  pools.set(database, db);
}
