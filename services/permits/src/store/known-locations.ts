import type { EntityManager } from 'typeorm';

/** The copy of Work's location registry (`known_location`, libs/core/src/places.ts) as far as permits read it directly. */

/** The assets with these ids known at a site (that the request may see), with their areas. */
export function knownAssetsOfSite(db: EntityManager, assetIds: string[], siteId: string): Promise<{ id: string; areaId: string | null }[]> {
  return db.query(`SELECT id, area_id AS "areaId" FROM known_location WHERE id = ANY($1::uuid[]) AND kind = 'ASSET' AND site_id = $2`, [assetIds, siteId]);
}
