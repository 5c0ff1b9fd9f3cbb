import { OPEN_WORK_STATUSES, TrackedWorkItem, applyWorkEvent, loaderBy, recordWorkPerformers, workParticipants, type WorkEventData } from '@opsgraph/core';
import { In, type EntityManager } from 'typeorm';

/**
 * The local view of Work's items (`tracked_work_item`, kept from Work's events) and who did them
 * (`work_performer`): the reads of this domain and the writes of Work's events (libs/core).
 */

/** The work Work created for these requests (those it reported so far). */
export function trackedWorkOfRequests(db: EntityManager, requestIds: string[]): Promise<TrackedWorkItem[]> {
  return db.getRepository(TrackedWorkItem).find({ where: { requestId: In(requestIds) } });
}

/** Open work known at these sites, in work item id order. */
export function openTrackedWorkAtSites(db: EntityManager, siteIds: string[]): Promise<TrackedWorkItem[]> {
  return db.find(TrackedWorkItem, { where: { siteId: In(siteIds), status: In(OPEN_WORK_STATUSES) }, order: { workItemId: 'ASC' } });
}

/** Who owns (as Work last reported) or did each of these work items. */
export const participantsOfWork = (db: EntityManager, workItemIds: string[]) => workParticipants(db, workItemIds);

/** Applies one of Work's work item events to the local view (before and after, and whether it applied). */
export const applyWorkEventToView = (db: EntityManager, type: string, data: WorkEventData, time: Date) => applyWorkEvent(db, type, data, time);

/** Records who a Work event names as doing the item. */
export const recordPerformersOfEvent = (db: EntityManager, type: string, data: WorkEventData) => recordWorkPerformers(db, type, data);

export const trackedWorkByRequestLoader = (db: EntityManager) => loaderBy(db, TrackedWorkItem, 'requestId');
