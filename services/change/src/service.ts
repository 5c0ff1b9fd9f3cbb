import path from 'node:path';
import { envInt, startScheduler, systemScope, type ServiceDefinition } from '@opsgraph/core';
import { eventBackground } from '@opsgraph/events';
import { changeConsumer } from './consumer';
import { reviewTemporaryChanges } from './domain/changes';
import { entities } from './entities';
import { createLoaders, type Loaders } from './loaders';
import { migrations } from './migrations';
import { resolvers } from './resolvers';

/** The relay publishing our outbox (work requests, blockers, facts) and the consumer of Work's events. */
const events = eventBackground({ consume: changeConsumer });

export const service: ServiceDefinition<Loaders> = {
  name: 'change',
  schemaPath: path.join(__dirname, 'schema.graphql'),
  resolvers,
  entities,
  migrations,
  createLoaders,
  // The temporary-change rule first (stopped first), then the relay and consumer.
  background: async (db) => [
    startScheduler('change.temporary-changes', envInt('OPSGRAPH_TEMPORARY_CHANGE_INTERVAL_MS', 3_600_000), (now) => reviewTemporaryChanges(systemScope(db), now)),
    ...(await events(db)),
  ],
};
