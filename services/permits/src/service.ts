import path from 'node:path';
import { envInt, startScheduler, systemScope, type ServiceDefinition } from '@opsgraph/core';
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
  // The expiry rule first (stopped first), then the relay and the consumer.
  background: async (db) => [
    startScheduler('permits.expire', envInt('OPSGRAPH_PERMIT_EXPIRY_INTERVAL_MS', 60_000), async (now) => [...(await expirePermits(systemScope(db), now)), ...(await suspendForStaleGasTests(systemScope(db), now))]),
    ...(await events(db)),
  ],
};
