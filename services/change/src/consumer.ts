import { SYSTEM_CALLER, type WorkEventData } from '@opsgraph/core';
import { ceType, knownLocationHandlers, topicOf, type ConsumerOptions, type EventHandler } from '@opsgraph/events';
import { onWorkEvent } from './domain/work';

/** Work's events this domain follows: every state of the work items it raised, and new work on assets it gates. */
export const WORK_ITEM_EVENTS = ['created', 'assigned', 'ready', 'blocked', 'started', 'held', 'resumed', 'completed', 'verified', 'rejected', 'cancelled'].map((e) => ceType('work', `work_item.${e}`));

const handler: EventHandler<WorkEventData> = (event, manager) => onWorkEvent({ manager, caller: SYSTEM_CALLER, requestId: event.requestId ?? event.id }, event.type, event.data, event.time);

/** Work's work item events, and its location registry: the copy every location named in a change is checked against. */
export const changeConsumer: ConsumerOptions = {
  groupId: 'change',
  topics: [topicOf('work')],
  handlers: { ...Object.fromEntries(WORK_ITEM_EVENTS.map((type) => [type, handler])), ...knownLocationHandlers },
};
