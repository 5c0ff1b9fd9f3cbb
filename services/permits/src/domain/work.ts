import { badInput, inScope, notFound, type Caller } from '@opsgraph/core';
import { topicOf, type CloudEvent, type ConsumerOptions } from '@opsgraph/events';
import { In, type EntityManager } from 'typeorm';
import { KnownWorkItem } from '../entities';

interface WorkItemCreated {
  workItemId: string;
  siteId: string;
  contractorCompany?: string | null;
}

/** Remembers where a new work item is and whose job it is (once: neither changes afterwards). */
async function workItemCreated(event: CloudEvent<WorkItemCreated>, manager: EntityManager) {
  const { workItemId, siteId, contractorCompany } = event.data;
  await manager.createQueryBuilder().insert().into(KnownWorkItem).values({ workItemId, siteId, contractorCompany: contractorCompany ?? null }).orIgnore().execute();
}

/** Permits' consumer of Work's facts: only where items are and whose jobs they are. */
export const permitsConsumer: ConsumerOptions = {
  groupId: 'permits',
  topics: [topicOf('work')],
  handlers: { 'opsgraph.work.work_item.created': workItemCreated },
};

/**
 * A permit covers only work at its own site that the caller may see: another site's item, or for a
 * contractor another company's job (or the host's own work), is "not found", so covering it can neither
 * block it nor reveal it. Items Work has not told us about yet are taken on trust.
 */
export async function checkCoverable(manager: EntityManager, caller: Caller, siteId: string, workItemIds: string[]) {
  if (!workItemIds.length) return;
  const known = await manager.findBy(KnownWorkItem, { workItemId: In(workItemIds) });
  for (const item of known.sort((a, b) => workItemIds.indexOf(a.workItemId) - workItemIds.indexOf(b.workItemId))) {
    if (!inScope(caller, item)) throw notFound('work item', item.workItemId);
    if (item.siteId !== siteId) throw badInput(`work item ${item.workItemId} is at another site than the permit`, { field: 'workItemIds' });
  }
}
