import { SYSTEM_CALLER, requestedWorkStatus, type WorkEventData } from '@opsgraph/core';
import { ceType, contractsByDomain, type CloudEvent } from '@opsgraph/events';
import type { OutOfLimitsReadingV1 } from '@opsgraph/events';
import type { EntityManager } from 'typeorm';
import { actionByRequestId, actionsOfIncidentUnordered, existingIncident } from '../store/incidents';
import { applyWorkItemEvent, recordPerformersOfWork, trackedWorkOfRequests } from '../store/tracked-work';
import { emit } from './common';
import { onEffectivenessWork } from './effectiveness';
import { incidentFact } from './incidents';

/**
 * What the hazards domain does with Work's events (`opsgraph.work.v1`), inside the consumer's transaction:
 * keep the tracked view of work items (which work item answers each action's request and whether it is
 * verified done: closing an incident reads it), and record each action verified as a fact of the incident.
 */
/** Every `opsgraph.work.work_item.*` type in the contract registry: the tracked view follows them all. */
export const WORK_EVENTS = contractsByDomain.work.filter((c) => c.type.startsWith('work_item.')).map((c) => ceType('work', c.type));

export async function onWorkItemEvent(event: CloudEvent<WorkEventData & { outOfLimits?: OutOfLimitsReadingV1[] | null }>, manager: EntityManager): Promise<void> {
  const { before, after, applied } = await applyWorkItemEvent(manager, event.type, event.data, event.time);
  await recordPerformersOfWork(manager, event.type, event.data); // who did it stays true, even from an event that arrives late
  // An incident's effectiveness check: its verdict, with the readings outside their limits Work reported.
  if (applied) await onEffectivenessWork({ manager, caller: SYSTEM_CALLER, requestId: event.requestId }, event.type, after, event.data.outOfLimits ?? []);
  if (!applied || after.status !== 'DONE' || before?.status === 'DONE' || !after.requestId) return;
  const action = await actionByRequestId(manager, after.requestId);
  if (!action) return;
  const incident = await existingIncident(manager, action.incidentId);
  const actions = await actionsOfIncidentUnordered(manager, incident.id);
  const work = await trackedWorkOfRequests(manager, actions.map((a) => a.requestId));
  const openActions = actions.filter((a) => !['DONE', 'CANCELLED'].includes(requestedWorkStatus(work.find((w) => w.requestId === a.requestId)))).length;
  await emit({ manager, caller: SYSTEM_CALLER, requestId: event.requestId }, 'incident.action_verified', incident.id, incidentFact(incident, after.verifierId ?? SYSTEM_CALLER.id, {
    actionId: action.id,
    actionNumber: action.number,
    workItemId: after.workItemId,
    openActions,
  }));
}
