import { unknownLocation, type LocationKind } from '@opsgraph/core';
import type { EntityManager } from 'typeorm';
import { knownLocationsWithIds } from '../store/known-locations';

export interface NamedPlaces {
  /** The site that holds the document, when it is being named (registering): known and in the caller's scope. */
  holdingSiteId?: string;
  /** The site whose areas and assets the document may name: the one that holds it. */
  siteOfAreas: string;
  siteIds: readonly string[];
  areaIds: readonly string[];
  assetIds: readonly string[];
}

/**
 * Checks the locations a document names against the copy of Work's registry (libs/core/src/places.ts), as the
 * caller (the request's manager, inside its transaction, before anything is written); one statement. Each
 * must be known here and in the caller's scope (the copy has row-level security by site), else it is "not
 * found" exactly as a random id is (one registered in Work a moment ago may not be known yet: the message
 * says to retry):
 *
 * - the holding site, and the sites it applies at (`applicability.siteIds`): any site of the caller's scope.
 *   A document is visible where it is held and at every site it applies at (`canSee`, the `document` policy).
 * - areas and assets (`applicability.areaIds`, `assetIds`): of the site that holds the document. Visibility
 *   does not follow areas and assets, so an area of another site would block work whose people could neither
 *   see nor acknowledge the document; to apply at another site, name that site.
 */
export async function requireNamedPlaces(manager: EntityManager, places: NamedPlaces): Promise<void> {
  const wanted: { id: string; kind: LocationKind; field: string; siteId?: string }[] = [
    ...(places.holdingSiteId ? [{ id: places.holdingSiteId, kind: 'SITE' as const, field: 'siteId' }] : []),
    ...places.siteIds.map((id) => ({ id, kind: 'SITE' as const, field: 'applicability.siteIds' })),
    ...places.areaIds.map((id) => ({ id, kind: 'AREA' as const, field: 'applicability.areaIds', siteId: places.siteOfAreas })),
    ...places.assetIds.map((id) => ({ id, kind: 'ASSET' as const, field: 'applicability.assetIds', siteId: places.siteOfAreas })),
  ];
  if (!wanted.length) return;
  const rows = await knownLocationsWithIds(manager, [...new Set(wanted.map((w) => w.id))]);
  for (const w of wanted) {
    if (!rows.some((row) => row.id === w.id && row.kind === w.kind && (!w.siteId || row.siteId === w.siteId))) throw unknownLocation(w.kind, w.id, w.field);
  }
}
