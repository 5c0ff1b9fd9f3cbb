import { OPEN_WORK_STATUSES, TrackedWorkItem, applyWorkEvent, loaderBy, type WorkEventData } from '@opsgraph/core';
import { Brackets, In, type EntityManager } from 'typeorm';

/** The tracked view of Work's work items (as Work's events told us): where they are, whose and how far along. */

/** Applies one of Work's events to the tracked view (libs/core): the item before and after, and whether it changed anything. */
export function applyTrackedWorkEvent(db: EntityManager, type: string, data: WorkEventData, time: Date) {
  return applyWorkEvent(db, type, data, time);
}

/** Open work at any of these sites, areas or assets, in id order. */
export function openWorkAtPlaces(db: EntityManager, sites: string[], areas: string[], assets: string[]): Promise<TrackedWorkItem[]> {
  return db
    .getRepository(TrackedWorkItem)
    .createQueryBuilder('w')
    .where('w.status IN (:...open)', { open: OPEN_WORK_STATUSES })
    .andWhere(
      new Brackets((b) =>
        b
          .where('w.siteId = ANY(CAST(:sites AS uuid[]))', { sites })
          .orWhere('w.areaId = ANY(CAST(:areas AS uuid[]))', { areas })
          .orWhere('w.assetId = ANY(CAST(:assets AS uuid[]))', { assets }),
      ),
    )
    .orderBy('w.workItemId', 'ASC')
    .getMany();
}

/** The work Work created for these requests. */
export function trackedWorkOfRequests(db: EntityManager, requestIds: string[]): Promise<TrackedWorkItem[]> {
  return db.findBy(TrackedWorkItem, { requestId: In(requestIds) });
}

export const trackedWorkItemLoader = (db: EntityManager) => loaderBy(db, TrackedWorkItem, 'workItemId');
export const trackedWorkOfRequestLoader = (db: EntityManager) => loaderBy(db, TrackedWorkItem, 'requestId');
