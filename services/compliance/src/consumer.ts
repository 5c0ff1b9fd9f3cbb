import { SYSTEM_CALLER, type WorkEventData } from '@opsgraph/core';
import { ceType, knownLocationHandlers, topicOf, type ConsumerOptions, type EventHandler } from '@opsgraph/events';
import { onWorkEvent } from './domain/work-events';

/** Work's events this domain follows: its inspections and corrective actions, and new work requirements apply to. */
export const WORK_ITEM_EVENTS = ['created', 'assigned', 'ready', 'blocked', 'started', 'held', 'resumed', 'completed', 'verified', 'rejected', 'cancelled'].map((e) => ceType('work', `work_item.${e}`));

const handler: EventHandler<WorkEventData> = (event, manager) => onWorkEvent({ manager, caller: SYSTEM_CALLER, requestId: event.requestId ?? event.id }, event.type, event.data, event.time);

export const complianceConsumer: ConsumerOptions = {
  groupId: 'compliance',
  topics: [topicOf('work')],
  // Work's items, and its location registry (the `known_location` copy every named location is checked against).
  handlers: { ...Object.fromEntries(WORK_ITEM_EVENTS.map((type) => [type, handler])), ...knownLocationHandlers },
};
