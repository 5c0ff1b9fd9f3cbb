import path from 'node:path';
import { envInt, systemScope, type ServiceDefinition } from '@opsgraph/core';
import { eventBackground } from '@opsgraph/events';
import { expirePermits, suspendForStaleGasTests } from './domain/permits';
import { permitsConsumer } from './domain/work';
import { entities } from './entities';
import { createLoaders, type Loaders } from './loaders';
import { migrations } from './migrations';
import { resolvers } from './resolvers';

/** The relay publishing our outbox (prerequisites into Work included), and the consumer of Work's facts (where its items are). */
const events = eventBackground({ consume: permitsConsumer });

export const service: ServiceDefinition<Loaders> = {
  name: 'permits',
  schemaPath: path.join(__dirname, 'schema.graphql'),
  resolvers,
  entities,
  migrations,
  createLoaders,
  // Its time-driven rule, run every interval and on demand (stopped before the relay and consumer).
  schedules: (db) => [{ name: 'permits.expire', intervalMs: envInt('OPSGRAPH_PERMIT_EXPIRY_INTERVAL_MS', 60_000), rule: async (now) => [...(await expirePermits(systemScope(db), now)), ...(await suspendForStaleGasTests(systemScope(db), now))] }],
  background: events,
};
