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
  type WorkHoldReleasedV1,
  type WorkHoldRequestedV1,
  type WorkRequestedV1,
} from '@opsgraph/events';
import type { EntityManager } from 'typeorm';
import { ChangeSet, type PrerequisiteSource } from './domain/change-set';
import { releaseHold, requestHold } from './domain/holds';
import { DERIVED, applySourceFact, createWorkItemIn, factOrderOf, raiseSourcedPrerequisite, setPrerequisitesFromSource, type ChangeContext, type FactOrigin } from './domain/work-items';
import { OWN_WORK, type SourceDomain } from './entities';
import { insertWorkRequest, lockWorkRequest, workRequestExists } from './store/work-requests';

type SupportingDomain = (typeof SUPPORTING_DOMAINS)[number];
type WorkHandler<T> = EventHandler<T, ChangeSet>;

/**
 * The events of one transaction share a change set; the changes an event causes carry its request id on, so
 * one trace runs from the source record to the work.
 */
const contextOf = (event: CloudEvent<unknown>, changes: ChangeSet): ChangeContext => ({ manager: changes.manager, caller: SYSTEM_CALLER, requestId: event.requestId ?? event.id, changes });

/** What an event says about blockers is a fact of its source as of the event's time (see `applySourceFact`). */
const originOf = (event: CloudEvent<unknown>, rank?: number): FactOrigin => ({ time: event.time, eventId: event.id, rank });

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
    }, originOf(event));
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
    await raiseSourcedPrerequisite(contextOf(event, changes), item, { kind: d.kind, description: d.description, sourceDomain: source, sourceRecordId: d.sourceRecordId, state: d.state, reason: d.reason ?? null, validUntil: d.validUntil ?? null }, originOf(event));
  };

  const sourceChanged =
    (state: 'SATISFIED' | 'OPEN'): WorkHandler<PrerequisiteSourceChangedV1> =>
    async (event, _manager, changes) => {
      const d = event.data;
      await setPrerequisitesFromSource(contextOf(event, changes), { domain: source, recordId: d.sourceRecordId, kind: d.kind, workItemIds: d.workItemIds }, state, d.reason ?? null, originOf(event), state === 'SATISFIED' && d.validUntil ? new Date(d.validUntil) : null);
    };

  const holdRequested: WorkHandler<WorkHoldRequestedV1> = async (event, _manager, changes) => {
    await requestHold(contextOf(event, changes), source, event.data, event.time);
  };

  const holdReleased: WorkHandler<WorkHoldReleasedV1> = async (event, _manager, changes) => {
    await releaseHold(contextOf(event, changes), source, event.data, event.time);
  };

  return {
    [ceType(domain, 'work.requested')]: requested,
    [ceType(domain, 'prerequisite.required')]: required,
    [ceType(domain, 'prerequisite.satisfied')]: sourceChanged('SATISFIED'),
    [ceType(domain, 'prerequisite.reopened')]: sourceChanged('OPEN'),
    [ceType(domain, 'work.hold_requested')]: holdRequested,
    [ceType(domain, 'work.hold_released')]: holdReleased,
  };
}

/** What Work reads of `change_request.status_changed` (libs/events/src/schemas/change.ts). */
type ChangeStatusChanged = { changeId: string; number: string; status: string };
const CHANGE_STATUS_CHANGED = ceType('change', 'change_request.status_changed');

/**
 * A rejected or cancelled change's own work must not go ahead. The change says so on the work items it knows
 * of (`prerequisite.required` again), but it learns of its items from Work's events: rejected before it heard
 * of one (a task Work created milliseconds earlier), it names none, and the blocker would keep saying "must be
 * approved" for good. So Work reads the verdict from the change's status as a fact of its own work's "change
 * approved" blockers, kept for tasks that appear later; ranked below what the change says itself at the same
 * moment, so its own wording wins when it names the item.
 */
const changeEnded: WorkHandler<ChangeStatusChanged> = async (event, _manager, changes) => {
  const d = event.data;
  if (d.status !== 'REJECTED' && d.status !== 'CANCELLED') return;
  const verdict = `change ${d.number} was ${d.status.toLowerCase()}`;
  await applySourceFact(contextOf(event, changes), {
    sourceDomain: 'CHANGE',
    sourceRecordId: d.changeId,
    kind: 'CHANGE_APPROVED',
    targets: [OWN_WORK],
    state: 'OPEN',
    description: `Change ${d.number} was ${d.status.toLowerCase()}: this implementation work must not go ahead; cancel it`,
    reason: `${verdict}: this implementation work must not go ahead`,
    validUntil: null,
    factOrder: factOrderOf(originOf(event, DERIVED)),
    eventId: event.id,
  });
};

const sourceDomainOf = (event: CloudEvent) => event.type.split('.')[1].toUpperCase() as SourceDomain;

/**
 * Opens the change set a transaction of events shares, with every item they name and every item their
 * source records block already loaded and locked: three statements for a whole group.
 */
async function openChanges(manager: EntityManager, events: CloudEvent[]): Promise<ChangeSet> {
  const changes = new ChangeSet(manager);
  const ids: string[] = [];
  const sources: PrerequisiteSource[] = [];
  // The records whose kept facts the group may need: every blocker it raises or changes.
  const facts: PrerequisiteSource[] = [];
  for (const event of events) {
    const data = event.data as Partial<PrerequisiteRequiredV1 & PrerequisiteSourceChangedV1 & WorkRequestedV1 & ChangeStatusChanged>;
    const domain = sourceDomainOf(event);
    if (event.type.endsWith('.prerequisite.required') && data.workItemId) {
      ids.push(data.workItemId);
      if (data.sourceRecordId) facts.push({ domain, recordId: data.sourceRecordId });
    } else if (data.sourceRecordId && (event.type.endsWith('.prerequisite.satisfied') || event.type.endsWith('.prerequisite.reopened'))) {
      sources.push({ domain, recordId: data.sourceRecordId });
    } else if (event.type.endsWith('.work.requested')) {
      for (const p of data.prerequisites ?? []) if (p.sourceRecordId) facts.push({ domain: (p.sourceDomain as SourceDomain | undefined) ?? domain, recordId: p.sourceRecordId });
    } else if (event.type === CHANGE_STATUS_CHANGED && data.changeId && (data.status === 'REJECTED' || data.status === 'CANCELLED')) {
      sources.push({ domain: 'CHANGE', recordId: data.changeId });
    }
  }
  await changes.load(ids.filter(isUuid), sources);
  await changes.loadFacts([...sources, ...facts]);
  return changes;
}

/** Work consumes the topics of every supporting domain; Work's own events are for them. */
export const workConsumer: ConsumerOptions = {
  groupId: 'work',
  topics: SUPPORTING_DOMAINS.map(topicOf),
  handlers: Object.assign({}, ...SUPPORTING_DOMAINS.map(handlersOf), { [CHANGE_STATUS_CHANGED]: changeEnded }),
  unitOfWork: openChanges,
};
