import path from 'node:path';
import { envInt, startScheduler, systemScope, type ServiceDefinition } from '@opsgraph/core';
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
  // The expiry rule (stopped first), then the consumer of Work's and Permits' facts and the outbox relay.
  background: async (db) => [
    startScheduler('competence.expire', envInt('OPSGRAPH_COMPETENCE_EXPIRY_INTERVAL_MS', 60_000), (now) => expireRecords(systemScope(db), now)),
    ...(await events(db)),
  ],
};
