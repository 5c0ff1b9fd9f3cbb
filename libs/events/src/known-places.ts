import { applyLocationRegistered, type LocationRegistered } from '@opsgraph/core';
import { ceType } from './outbox';
import type { EventHandlers } from './consumer';

/**
 * The handler that keeps a service's `known_location` copy (libs/core/src/places.ts) from Work's topic: add it to
 * the handlers of a consumer of `topicOf('work')`.
 */
export const knownLocationHandlers: EventHandlers = {
  [ceType('work', 'location.registered')]: async (event, manager) => applyLocationRegistered(manager, event.data as LocationRegistered),
};
