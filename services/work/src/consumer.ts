import { DomainError, ErrorCode } from '@opsgraph/core';
import {
  RetryLater,
  SUPPORTING_DOMAINS,
  ceType,
  topicOf,
  type CloudEvent,
  type ConsumerOptions,
  type EventHandler,
  type EventHandlers,
  type PrerequisiteRequiredV1,
  type PrerequisiteSourceChangedV1,
  type WorkHoldRequestedV1,
  type WorkRequestedV1,
} from '@opsgraph/events';
import type { EntityManager } from 'typeorm';
import { createWorkItemIn, holdWorkOnAsset, lockWorkItem, raisePrerequisite, setPrerequisitesFromSource, systemContext } from './domain/work-items';
import { WorkRequest, type SourceDomain } from './entities';

type SupportingDomain = (typeof SUPPORTING_DOMAINS)[number];

/** The changes an event causes carry its request id on, so one trace runs from the source record to the work. */
const contextOf = (event: CloudEvent<unknown>, manager: EntityManager) => systemContext(manager, event.requestId ?? event.id);

/** A blocker may arrive before the work item it is for (another topic, another partition): park it, do not refuse it. */
async function lockExisting(manager: EntityManager, workItemId: string) {
  try {
    return await lockWorkItem(manager, workItemId);
  } catch (err) {
    if (err instanceof DomainError && err.code === ErrorCode.NOT_FOUND) throw new RetryLater(`work item ${workItemId} does not exist yet`);
    throw err;
  }
}

/** Work's reactions to the generic work contracts of one supporting domain; that domain is the source of what they create. */
function handlersOf(domain: SupportingDomain): EventHandlers {
  const source = domain.toUpperCase() as SourceDomain;

  const requested: EventHandler<WorkRequestedV1> = async (event, manager) => {
    const d = event.data;
    // Repeats of one request may come on different partitions at once: the second waits, then finds the first.
    await manager.query('SELECT pg_advisory_xact_lock(hashtext($1))', [`work_request:${source}:${d.requestId}`]);
    if (await manager.existsBy(WorkRequest, { sourceDomain: source, requestId: d.requestId })) return;
    const item = await createWorkItemIn(contextOf(event, manager), {
      type: d.type,
      title: d.title,
      description: d.description,
      priority: d.priority,
      siteId: d.siteId,
      areaId: d.areaId,
      lineId: d.lineId,
      assetId: d.assetId,
      ownerId: d.ownerId,
      dueAt: d.dueAt,
      contractorCompany: d.contractorCompany,
      source: { domain: source, recordId: d.sourceRecordId, reason: d.reason },
      requiredOutcome: d.requiredOutcome,
      links: d.links,
      prerequisites: d.prerequisites?.map((p) => ({ ...p, sourceDomain: p.sourceDomain ?? source })),
      workRequestId: d.requestId,
    });
    await manager.insert(WorkRequest, { sourceDomain: source, requestId: d.requestId, workItemId: item.id, eventId: event.id });
  };

  const required: EventHandler<PrerequisiteRequiredV1> = async (event, manager) => {
    const d = event.data;
    const item = await lockExisting(manager, d.workItemId);
    await raisePrerequisite(contextOf(event, manager), item, { kind: d.kind, description: d.description, sourceDomain: source, sourceRecordId: d.sourceRecordId, state: d.state, reason: d.reason });
  };

  const sourceChanged =
    (state: 'SATISFIED' | 'OPEN'): EventHandler<PrerequisiteSourceChangedV1> =>
    async (event, manager) => {
      const d = event.data;
      await setPrerequisitesFromSource(contextOf(event, manager), { domain: source, recordId: d.sourceRecordId, kind: d.kind, workItemIds: d.workItemIds }, state, d.reason ?? null);
    };

  const holdRequested: EventHandler<WorkHoldRequestedV1> = async (event, manager) => {
    await holdWorkOnAsset(contextOf(event, manager), event.data.assetId, event.data.reason);
  };

  return {
    [ceType(domain, 'work.requested')]: requested,
    [ceType(domain, 'prerequisite.required')]: required,
    [ceType(domain, 'prerequisite.satisfied')]: sourceChanged('SATISFIED'),
    [ceType(domain, 'prerequisite.reopened')]: sourceChanged('OPEN'),
    [ceType(domain, 'work.hold_requested')]: holdRequested,
  };
}

/** Work consumes the topics of every supporting domain; Work's own events are for them. */
export const workConsumer: ConsumerOptions = {
  groupId: 'work',
  topics: SUPPORTING_DOMAINS.map(topicOf),
  handlers: Object.assign({}, ...SUPPORTING_DOMAINS.map(handlersOf)),
};
