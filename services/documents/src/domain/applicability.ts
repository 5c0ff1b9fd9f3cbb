import { withSystemScope, type TrackedWorkItem, type TrackedWorkStatus } from '@opsgraph/core';
import type { EntityManager } from 'typeorm';
import type { Document } from '../entities';
import { openWorkAtPlaces } from '../store/tracked-work';

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
  return withSystemScope(manager, 'a revision blocks open work wherever its document applies', (system) => openWorkAtPlaces(system, sites, areas, assets));
}
