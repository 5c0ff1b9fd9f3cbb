import { DomainError, ErrorCode, type Caller } from '@opsgraph/core';
import { knownLocationHandlers, topicOf, type CloudEvent, type ConsumerOptions } from '@opsgraph/events';
import type { EntityManager } from 'typeorm';
import { insertKnownWorkItem, knownWorkItems } from '../store/known-work';

interface WorkItemCreated {
  workItemId: string;
  siteId: string;
  contractorCompany?: string | null;
}

/** Remembers where a new work item is and whose job it is (once: neither changes afterwards). */
async function workItemCreated(event: CloudEvent<WorkItemCreated>, manager: EntityManager) {
  const { workItemId, siteId, contractorCompany } = event.data;
  await insertKnownWorkItem(manager, { workItemId, siteId, contractorCompany: contractorCompany ?? null });
}

/**
 * Permits' consumer of Work's facts: where items are and whose jobs they are, and Work's location registry
 * (the `known_location` copy every site, area and asset a permit names is checked against).
 */
export const permitsConsumer: ConsumerOptions = {
  groupId: 'permits',
  topics: [topicOf('work')],
  handlers: { ...knownLocationHandlers, 'opsgraph.work.work_item.created': workItemCreated },
};

/**
 * A permit covers only work Permits knows (from Work's events) at its own site that the caller may see: the
 * database shows a caller only the known items of their sites and, for a contractor, their company's jobs
 * (not another company's, nor the host's own work). Any other id is "not found", exactly as a random id is,
 * so covering it can neither block it nor reveal it. An item created in Work a moment ago may not be known
 * here yet: the same answer, which says to retry shortly.
 */
export async function checkCoverable(manager: EntityManager, _caller: Caller, siteId: string, workItemIds: string[]) {
  if (!workItemIds.length) return;
  const known = await knownWorkItems(manager, workItemIds);
  for (const id of workItemIds) {
    if (!known.some((item) => item.workItemId === id && item.siteId === siteId)) {
      throw new DomainError(ErrorCode.NOT_FOUND, `work item ${id} not found (one created in Work a moment ago may not be known here yet: retry shortly)`, { id, field: 'workItemIds' });
    }
  }
}
