import path from 'node:path';
import type { ServiceDefinition } from '@opsgraph/core';
import { eventBackground } from '@opsgraph/events';
import { workConsumer } from './consumer';
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
};
