import path from 'node:path';
import { envInt, systemScope, type ServiceDefinition } from '@opsgraph/core';
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
  // Its time-driven rule, run every interval and on demand (stopped before the relay and consumer).
  schedules: (db) => [{ name: 'change.temporary-changes', intervalMs: envInt('OPSGRAPH_TEMPORARY_CHANGE_INTERVAL_MS', 3_600_000), rule: (now) => reviewTemporaryChanges(systemScope(db), now) }],
  background: events,
};
