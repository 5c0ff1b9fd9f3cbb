import type { EntityManager } from 'typeorm';

/** The copy of Work's location registry (`known_location`, libs/core/src/places.ts) as far as permits read it directly. */

/** The assets with these ids known at a site (that the request may see), with their areas. */
export function knownAssetsOfSite(db: EntityManager, assetIds: string[], siteId: string): Promise<{ id: string; areaId: string | null }[]> {
  return db.query(`SELECT id, area_id AS "areaId" FROM known_location WHERE id = ANY($1::uuid[]) AND kind = 'ASSET' AND site_id = $2`, [assetIds, siteId]);
}

/** Where these assets are: their line and area (an asset on a line without an area of its own is in the line's area). */
export function assetPlaces(db: EntityManager, assetIds: readonly string[]): Promise<{ id: string; lineId: string | null; areaId: string | null }[]> {
  return db.query(
    `SELECT a.id, a.line_id AS "lineId", coalesce(a.area_id, l.area_id) AS "areaId"
       FROM known_location a LEFT JOIN known_location l ON l.id = a.line_id
      WHERE a.id = ANY($1::uuid[]) AND a.kind = 'ASSET'`,
    [assetIds],
  );
}
