import path from 'node:path';
import { envInt, systemScope, type ServiceDefinition } from '@opsgraph/core';
import { eventBackground } from '@opsgraph/events';
import { expireRecords } from './domain/records';
import { competenceConsumer } from './domain/work';
import { entities } from './entities';
import { createLoaders, type Loaders } from './loaders';
import { migrations } from './migrations';
import { resolvers } from './resolvers';

const events = eventBackground({ consume: competenceConsumer });

export const service: ServiceDefinition<Loaders> = {
  name: 'competence',
  schemaPath: path.join(__dirname, 'schema.graphql'),
  resolvers,
  entities,
  migrations,
  createLoaders,
  // Its time-driven rule, run every interval and on demand (stopped before the relay and consumer).
  schedules: (db) => [{ name: 'competence.expire', intervalMs: envInt('OPSGRAPH_COMPETENCE_EXPIRY_INTERVAL_MS', 60_000), rule: (now) => expireRecords(systemScope(db), now) }],
  background: events,
};
