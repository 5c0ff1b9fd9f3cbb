import { SYSTEM_CALLER, type WorkEventData } from '@opsgraph/core';
import { ceType, knownLocationHandlers, topicOf, type ConsumerOptions, type EventHandler } from '@opsgraph/events';
import { onPermitFact, onWorkEvent, type PermitFact } from './domain/work';

/** Work's events this domain follows: every state of the work items it raised, and new work on assets it gates. */
export const WORK_ITEM_EVENTS = ['created', 'assigned', 'ready', 'blocked', 'started', 'held', 'resumed', 'completed', 'verified', 'rejected', 'cancelled', 'details_changed'].map((e) => ceType('work', `work_item.${e}`));

/** The permits domain's facts after which a permit is issued with work items: what satisfies a check's permit blocker. */
export const PERMIT_EVENTS = ['issued', 'reinstated', 'work_items_added'].map((e) => ceType('permits', `permit.${e}`));

const handler: EventHandler<WorkEventData> = (event, manager) => onWorkEvent({ manager, caller: SYSTEM_CALLER, requestId: event.requestId ?? event.id }, event.type, event.data, event.time);

const permitHandler: EventHandler<PermitFact> = (event, manager) => onPermitFact({ manager, caller: SYSTEM_CALLER, requestId: event.requestId ?? event.id }, event.data, event.time);

/**
 * Work's work item events, and its location registry: the copy every location named in a change is checked
 * against; and the permits issued for work items (a pre-startup check that needs a permit waits for one).
 */
export const changeConsumer: ConsumerOptions = {
  groupId: 'change',
  topics: [topicOf('work'), topicOf('permits')],
  handlers: { ...Object.fromEntries(WORK_ITEM_EVENTS.map((type) => [type, handler])), ...Object.fromEntries(PERMIT_EVENTS.map((type) => [type, permitHandler])), ...knownLocationHandlers },
};
