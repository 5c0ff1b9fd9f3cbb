import path from 'node:path';
import { envInt, systemScope, type ServiceDefinition } from '@opsgraph/core';
import { eventBackground } from '@opsgraph/events';
import { workConsumer } from './consumer';
import { raiseScheduledRounds } from './domain/round-schedules';
import { entities } from './entities';
import { createLoaders, type Loaders } from './loaders';
import { migrations } from './migrations';
import { resolvers } from './resolvers';

export const service: ServiceDefinition<Loaders> = {
  name: 'work',
  schemaPath: path.join(__dirname, 'schema.graphql'),
  resolvers,
  entities,
  migrations,
  createLoaders,
  // Publishes Work's outbox and applies the supporting domains' work requests and blockers.
  background: eventBackground({ consume: workConsumer }),
  // Rounds recurring per shift or day raise the next round once the start of the current one has come.
  schedules: (db) => [{ name: 'work.round-schedules', intervalMs: envInt('OPSGRAPH_ROUND_SCHEDULE_INTERVAL_MS', 300_000), rule: (now) => raiseScheduledRounds(systemScope(db), now) }],
};
