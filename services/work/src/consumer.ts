import { DomainError, ErrorCode, SYSTEM_CALLER, isUuid, logger } from '@opsgraph/core';
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
import { ChangeSet, type PrerequisiteSource } from './domain/change-set';
import { createWorkItemIn, holdWorkOnAsset, raisePrerequisite, setPrerequisitesFromSource, type ChangeContext } from './domain/work-items';
import type { SourceDomain } from './entities';
import { insertWorkRequest, lockWorkRequest, workRequestExists } from './store/work-requests';

type SupportingDomain = (typeof SUPPORTING_DOMAINS)[number];
type WorkHandler<T> = EventHandler<T, ChangeSet>;

/**
 * The events of one transaction share a change set; the changes an event causes carry its request id on, so
 * one trace runs from the source record to the work.
 */
const contextOf = (event: CloudEvent<unknown>, changes: ChangeSet): ChangeContext => ({ manager: changes.manager, caller: SYSTEM_CALLER, requestId: event.requestId ?? event.id, changes });

/** A blocker may arrive before the work item it is for (another topic, another partition): park it, do not refuse it. */
async function lockExisting(changes: ChangeSet, workItemId: string) {
  try {
    return await changes.lock(workItemId);
  } catch (err) {
    if (err instanceof DomainError && err.code === ErrorCode.NOT_FOUND) throw new RetryLater(`work item ${workItemId} does not exist yet`);
    throw err;
  }
}

/** Work's reactions to the generic work contracts of one supporting domain; that domain is the source of what they create. */
function handlersOf(domain: SupportingDomain): EventHandlers {
  const source = domain.toUpperCase() as SourceDomain;

  const requested: WorkHandler<WorkRequestedV1> = async (event, manager, changes) => {
    const d = event.data;
    // Repeats of one request may come on different partitions at once: the second waits, then finds the first.
    await lockWorkRequest(manager, source, d.requestId);
    if (await workRequestExists(manager, source, d.requestId)) return;
    const item = await createWorkItemIn(contextOf(event, changes), {
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
    await insertWorkRequest(manager, { sourceDomain: source, requestId: d.requestId, workItemId: item.id, eventId: event.id });
  };

  const required: WorkHandler<PrerequisiteRequiredV1> = async (event, _manager, changes) => {
    const d = event.data;
    const item = await lockExisting(changes, d.workItemId);
    // One site's record never blocks another site's work: the source named an item it cannot see.
    if (d.siteId && d.siteId !== item.siteId) {
      logger.warn({ eventId: event.id, type: event.type, workItemId: d.workItemId, siteId: d.siteId }, "a blocker for another site's work item was ignored");
      return;
    }
    raisePrerequisite(contextOf(event, changes), item, { kind: d.kind, description: d.description, sourceDomain: source, sourceRecordId: d.sourceRecordId, state: d.state, reason: d.reason });
  };

  const sourceChanged =
    (state: 'SATISFIED' | 'OPEN'): WorkHandler<PrerequisiteSourceChangedV1> =>
    async (event, _manager, changes) => {
      const d = event.data;
      await setPrerequisitesFromSource(contextOf(event, changes), { domain: source, recordId: d.sourceRecordId, kind: d.kind, workItemIds: d.workItemIds }, state, d.reason ?? null);
    };

  const holdRequested: WorkHandler<WorkHoldRequestedV1> = async (event, _manager, changes) => {
    await holdWorkOnAsset(contextOf(event, changes), event.data.assetId, event.data.reason, event.data.siteId);
  };

  return {
    [ceType(domain, 'work.requested')]: requested,
    [ceType(domain, 'prerequisite.required')]: required,
    [ceType(domain, 'prerequisite.satisfied')]: sourceChanged('SATISFIED'),
    [ceType(domain, 'prerequisite.reopened')]: sourceChanged('OPEN'),
    [ceType(domain, 'work.hold_requested')]: holdRequested,
  };
}

const sourceDomainOf = (event: CloudEvent) => event.type.split('.')[1].toUpperCase() as SourceDomain;

/**
 * Opens the change set a transaction of events shares, with every item they name and every item their
 * source records block already loaded and locked: three statements for a whole group.
 */
async function openChanges(manager: EntityManager, events: CloudEvent[]): Promise<ChangeSet> {
  const changes = new ChangeSet(manager);
  const ids: string[] = [];
  const sources: PrerequisiteSource[] = [];
  for (const event of events) {
    const data = event.data as Partial<PrerequisiteRequiredV1 & PrerequisiteSourceChangedV1>;
    if (event.type.endsWith('.prerequisite.required') && data.workItemId) ids.push(data.workItemId);
    else if (data.sourceRecordId && (event.type.endsWith('.prerequisite.satisfied') || event.type.endsWith('.prerequisite.reopened'))) {
      sources.push({ domain: sourceDomainOf(event), recordId: data.sourceRecordId });
    }
  }
  await changes.load(ids.filter(isUuid), sources);
  return changes;
}

/** Work consumes the topics of every supporting domain; Work's own events are for them. */
export const workConsumer: ConsumerOptions = {
  groupId: 'work',
  topics: SUPPORTING_DOMAINS.map(topicOf),
  handlers: Object.assign({}, ...SUPPORTING_DOMAINS.map(handlersOf)),
  unitOfWork: openChanges,
};
