import { OPEN_WORK_STATUSES, TrackedWorkItem, selectRowsWhere, withSystemScope, type TrackedWorkStatus } from '@opsgraph/core';
import { Brackets, type EntityManager } from 'typeorm';
import { Document } from '../entities';

/**
 * Where a document applies. It applies to a work item when the item is at one of its places (one of its
 * sites, areas or assets) and, if it names work types, the item is of one of them. This module is the one
 * place that decides it; SQL only pre-selects candidates by place.
 */
export type Applicability = Pick<Document, 'siteIds' | 'areaIds' | 'assetIds' | 'workTypes'>;

export interface Place {
  siteId: string;
  areaId?: string | null;
  assetId?: string | null;
}

export interface WorkPlace extends Place {
  workType: string;
}

export const atPlace = (doc: Applicability, place: Place) =>
  doc.siteIds.includes(place.siteId) || (!!place.areaId && doc.areaIds.includes(place.areaId)) || (!!place.assetId && doc.assetIds.includes(place.assetId));

export const appliesTo = (doc: Applicability, work: WorkPlace) => atPlace(doc, work) && (doc.workTypes.length === 0 || doc.workTypes.includes(work.workType));

/**
 * Work whose owner must acknowledge a new revision before going on: not yet finished (awaiting
 * verification means the work is done) and not itself a document review.
 */
const ACKNOWLEDGING_STATUSES: TrackedWorkStatus[] = ['OPEN', 'READY', 'IN_PROGRESS', 'ON_HOLD'];
export const acknowledging = (item: TrackedWorkItem) => ACKNOWLEDGING_STATUSES.includes(item.status) && item.workType !== 'DOCUMENT_REVIEW';

export const needsAcknowledgement = (doc: Applicability, item: TrackedWorkItem) => !!item.ownerId && acknowledging(item) && appliesTo(doc, item);

const uniq = (values: (string | null | undefined)[]) => [...new Set(values.filter((v): v is string => !!v))];

/** Documents naming any of the places (GIN overlap): one statement for a whole list of places. */
export async function documentsAt(manager: EntityManager, places: Place[]): Promise<Document[]> {
  const sites = uniq(places.map((p) => p.siteId));
  const areas = uniq(places.map((p) => p.areaId));
  const assets = uniq(places.map((p) => p.assetId));
  if (!sites.length && !areas.length && !assets.length) return [];
  return selectRowsWhere(manager, Document, 'site_ids && $1::uuid[] OR area_ids && $2::uuid[] OR asset_ids && $3::uuid[]', [sites, areas, assets], { order: { number: 'ASC' } });
}

/**
 * Open work (from the tracked view of Work's events) at any of a document's places, at every site it applies
 * to: read in the system scope, since the blockers of a revision follow the document, not whoever approved it.
 * Runs inside the domain transaction; what it returns is never shown to the caller as it is.
 */
export async function openWorkAt(manager: EntityManager, docs: Applicability[]): Promise<TrackedWorkItem[]> {
  const sites = uniq(docs.flatMap((d) => d.siteIds));
  const areas = uniq(docs.flatMap((d) => d.areaIds));
  const assets = uniq(docs.flatMap((d) => d.assetIds));
  if (!sites.length && !areas.length && !assets.length) return [];
  return withSystemScope(manager, 'a revision blocks open work wherever its document applies', (system) => openWorkOf(system, sites, areas, assets));
}

function openWorkOf(manager: EntityManager, sites: string[], areas: string[], assets: string[]): Promise<TrackedWorkItem[]> {
  return manager
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
