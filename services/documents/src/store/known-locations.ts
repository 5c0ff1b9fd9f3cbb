import type { LocationKind } from '@opsgraph/core';
import type { EntityManager } from 'typeorm';

/** The copy of Work's location registry (`known_location`, libs/core/src/places.ts) as far as documents read it directly. */

/** The known locations with these ids (that the request may see): their kinds and sites. */
export function knownLocationsWithIds(db: EntityManager, ids: string[]): Promise<{ id: string; kind: LocationKind; siteId: string }[]> {
  return db.query(`SELECT id, kind, site_id AS "siteId" FROM known_location WHERE id = ANY($1::uuid[])`, [ids]);
}
