import path from 'node:path';
import { envInt, systemScope, type ServiceDefinition } from '@opsgraph/core';
import { eventBackground, knownLocationHandlers, topicOf } from '@opsgraph/events';
import { raiseDueEffectivenessChecks } from './domain/effectiveness';
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
  // Its time-driven rule (incidents' effectiveness checks coming due), run every interval and on demand.
  schedules: (db) => [{ name: 'hazards.effectiveness-checks', intervalMs: envInt('OPSGRAPH_EFFECTIVENESS_INTERVAL_MS', 3_600_000), rule: (now) => raiseDueEffectivenessChecks(systemScope(db), now) }],
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
