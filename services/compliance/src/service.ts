import path from 'node:path';
import { envInt, systemScope, type ServiceDefinition } from '@opsgraph/core';
import { eventBackground } from '@opsgraph/events';
import { complianceConsumer } from './consumer';
import { raiseDueEffectivenessChecks } from './domain/effectiveness';
import { raiseDueObligations } from './domain/obligations';
import { entities } from './entities';
import { createLoaders, type Loaders } from './loaders';
import { migrations } from './migrations';
import { resolvers } from './resolvers';

/** The relay publishing our outbox (inspections, actions, checks, facts) and the consumer of Work's events. */
const events = eventBackground({ consume: complianceConsumer });

export const service: ServiceDefinition<Loaders> = {
  name: 'compliance',
  schemaPath: path.join(__dirname, 'schema.graphql'),
  resolvers,
  entities,
  migrations,
  createLoaders,
  // Its time-driven rules (inspections coming due, findings' effectiveness checks), run every interval and on demand (stopped before the relay and consumer).
  schedules: (db) => [
    { name: 'compliance.due-obligations', intervalMs: envInt('OPSGRAPH_OBLIGATION_INTERVAL_MS', 3_600_000), rule: (now) => raiseDueObligations(systemScope(db), now) },
    { name: 'compliance.effectiveness-checks', intervalMs: envInt('OPSGRAPH_EFFECTIVENESS_INTERVAL_MS', 3_600_000), rule: (now) => raiseDueEffectivenessChecks(systemScope(db), now) },
  ],
  background: events,
};
