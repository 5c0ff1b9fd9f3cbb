import { TrackedWorkItem, applyWorkEvent, loaderBy, recordWorkPerformers, workParticipants, type WorkEventData } from '@opsgraph/core';
import { In, type EntityManager } from 'typeorm';

/**
 * The tracked view of Work's work items (kept from Work's events, libs/core/src/tracked-work.ts): which work item
 * answers each of our requests, its status, and who owned and performed it.
 */

/** The id and site of a tracked work item (row-level security shows only the request's sites). */
export function siteOfTrackedWorkItem(db: EntityManager, workItemId: string): Promise<Pick<TrackedWorkItem, 'workItemId' | 'siteId'> | null> {
  return db.findOne(TrackedWorkItem, { where: { workItemId }, select: { workItemId: true, siteId: true } });
}

/** The tracked work items that answer these requests. */
export function trackedWorkOfRequests(db: EntityManager, requestIds: string[]): Promise<TrackedWorkItem[]> {
  return db.findBy(TrackedWorkItem, { requestId: In(requestIds) });
}

/** Who owned and who performed these work items. */
export function participantsOfWork(db: EntityManager, workItemIds: string[]) {
  return workParticipants(db, workItemIds);
}

/** Applies one of Work's work item events to the tracked view: the item before and after, and whether it applied. */
export function applyWorkItemEvent(db: EntityManager, type: string, data: WorkEventData, time: Date) {
  return applyWorkEvent(db, type, data, time);
}

/** Records who performed a work item, from one of Work's events. */
export function recordPerformersOfWork(db: EntityManager, type: string, data: WorkEventData) {
  return recordWorkPerformers(db, type, data);
}

export const trackedWorkOfRequestLoader = (db: EntityManager) => loaderBy(db, TrackedWorkItem, 'requestId');
