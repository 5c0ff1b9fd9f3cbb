import path from 'node:path';
import { envInt, systemScope, type ServiceDefinition } from '@opsgraph/core';
import { eventBackground, knownLocationHandlers, topicOf } from '@opsgraph/events';
import { raiseDueReviews } from './domain/reviews';
import { WORK_EVENTS, onWorkItemEvent } from './domain/work-events';
import { entities } from './entities';
import { createLoaders, type Loaders } from './loaders';
import { migrations } from './migrations';
import { resolvers } from './resolvers';

/** The relay publishing our outbox, and the consumer of Work's events (tracked work, reviews, acknowledgements, known locations). */
const events = eventBackground({
  consume: {
    groupId: 'documents',
    topics: [topicOf('work')],
    // Work's items (tracked work) and its location registry (the `known_location` copy every place is checked against).
    handlers: { ...knownLocationHandlers, ...Object.fromEntries(WORK_EVENTS.map((type) => [type, onWorkItemEvent])) },
  },
});

export const service: ServiceDefinition<Loaders> = {
  name: 'documents',
  schemaPath: path.join(__dirname, 'schema.graphql'),
  resolvers,
  entities,
  migrations,
  createLoaders,
  // Its time-driven rule, run every interval and on demand (stopped before the relay and consumer).
  schedules: (db) => [{ name: 'documents.periodic-reviews', intervalMs: envInt('OPSGRAPH_DOCUMENT_REVIEW_INTERVAL_MS', 3_600_000), rule: (now) => raiseDueReviews(systemScope(db), now) }],
  background: events,
};
