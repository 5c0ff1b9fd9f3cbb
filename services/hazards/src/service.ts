import path from 'node:path';
import type { ServiceDefinition } from '@opsgraph/core';
import { eventBackground, knownLocationHandlers, topicOf } from '@opsgraph/events';
import { WORK_EVENTS, onWorkItemEvent } from './domain/work-events';
import { entities } from './entities';
import { createLoaders, type Loaders } from './loaders';
import { migrations } from './migrations';
import { resolvers } from './resolvers';

export const service: ServiceDefinition<Loaders> = {
  name: 'hazards',
  schemaPath: path.join(__dirname, 'schema.graphql'),
  resolvers,
  entities,
  migrations,
  createLoaders,
  // Publishes our outbox (blockers, action requests, holds) and follows Work's events: the actions' work, and
  // the location registry every site, area and asset named here is checked against.
  background: eventBackground({
    consume: {
      groupId: 'hazards',
      topics: [topicOf('work')],
      handlers: { ...Object.fromEntries(WORK_EVENTS.map((type) => [type, onWorkItemEvent])), ...knownLocationHandlers },
    },
  }),
};
