import { badInput, requirePlace, unknownLocation } from '@opsgraph/core';
import type { EntityManager } from 'typeorm';
import { knownAssetsOfSite } from '../store/known-locations';

export interface PermitPlaces {
  siteId: string;
  areaId?: string | null;
  /** The assets the permit is for: of its site and, when it names an area, of that area. */
  assetIds?: readonly string[];
  /** The assets isolated under it (an isolation point may be outside the permit's area, never outside its site). */
  isolations?: readonly { assetId: string }[];
}

/**
 * Checks every location a permit names against the copy of Work's registry (libs/core/src/places.ts), as the
 * caller (the request's manager, inside its transaction, before anything is written): the site, the area and
 * every asset must be known here, be of the permit's site and be in the caller's scope, else "not found"
 * exactly as a random id is (one registered in Work a moment ago may not be known yet: the message says to
 * retry). An asset of the caller's own site outside the permit's area is a bad input. Two statements.
 */
export async function requirePermitPlaces(manager: EntityManager, places: PermitPlaces, isolationField = 'isolations'): Promise<void> {
  const { siteId, areaId } = await requirePlace(manager, { siteId: places.siteId, areaId: places.areaId ?? null });
  const wanted = [
    ...(places.assetIds ?? []).map((id) => ({ id, field: 'assetIds', inArea: true })),
    ...(places.isolations ?? []).map((iso, i) => ({ id: iso.assetId, field: isolationField === 'input' ? 'input.assetId' : `${isolationField}[${i}].assetId`, inArea: false })),
  ];
  if (!wanted.length) return;
  const rows = await knownAssetsOfSite(manager, [...new Set(wanted.map((w) => w.id))], siteId);
  const known = new Map(rows.map((row) => [row.id, row]));
  for (const w of wanted) if (!known.has(w.id)) throw unknownLocation('ASSET', w.id, w.field);
  if (!areaId) return;
  for (const w of wanted.filter((w) => w.inArea)) {
    const assetArea = known.get(w.id)!.areaId;
    if (assetArea && assetArea !== areaId) throw badInput(`asset ${w.id} is not in the permit's area`, { field: w.field });
  }
}
