import { applyLocationRegistered, type LocationRegistered } from '@opsgraph/core';
import { ceType, topicOf } from './outbox';
import type { EventHandlers } from './consumer';

/** Work's topic, where its location registry is published (a supporting service's consumer subscribes to it). */
export const LOCATION_TOPIC = topicOf('work');

/** The handler that keeps a service's `known_location` copy (libs/core/src/places.ts): add it to the consumer's handlers. */
export const knownLocationHandlers: EventHandlers = {
  [ceType('work', 'location.registered')]: async (event, manager) => applyLocationRegistered(manager, event.data as LocationRegistered),
};
