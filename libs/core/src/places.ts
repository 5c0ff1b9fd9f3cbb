import { Column, Entity, Index, PrimaryColumn, type EntityManager, type MigrationInterface, type QueryRunner } from 'typeorm';
import { badInput, DomainError, ErrorCode } from './errors';
import { optionalUuid, requireUuid } from './ids';
import { protectBySite, unprotect } from './scope';

/**
 * Every service's copy of Work's location registry (sites, areas, lines, assets), kept from Work's
 * `opsgraph.work.location.registered` events (from the beginning of the stream on a new database), never
 * from Work's tables. Each site, area, line or asset id a request names is checked against it: it must
 * exist, belong to the given site and be in the caller's scope (the table has row-level security), else
 * it is "not found", exactly as a random id is.
 *
 * A location registered in Work a moment ago may not have reached this service yet: it is "not found"
 * too (this service cannot tell it from a random id), with a message that says to retry shortly, and
 * nothing is written. Never accepted on trust.
 */
export const LOCATION_KINDS = ['SITE', 'AREA', 'LINE', 'ASSET'] as const;
export type LocationKind = (typeof LOCATION_KINDS)[number];

@Entity('known_location')
@Index('known_location_site', ['siteId'])
export class KnownLocation {
  @PrimaryColumn('uuid') id: string;
  @Column('text') kind: LocationKind;
  /** The site it belongs to (a site's own id for a site). */
  @Column('uuid') siteId: string;
  @Column('uuid', { nullable: true }) areaId: string | null;
  @Column('uuid', { nullable: true }) lineId: string | null;
  @Column('text') code: string;
  @Column('text') name: string;
}

/** The payload of `opsgraph.work.location.registered` this copy reads. */
export interface LocationRegistered {
  locationId: string;
  kind: LocationKind;
  siteId: string;
  areaId?: string | null;
  lineId?: string | null;
  code: string;
  name: string;
}

/** Applies one registration (a repeat or a late copy of the same event changes nothing). */
export async function applyLocationRegistered(manager: EntityManager, data: LocationRegistered): Promise<void> {
  await manager.query(
    `INSERT INTO known_location (id, kind, site_id, area_id, line_id, code, name) VALUES ($1, $2, $3, $4, $5, $6, $7)
     ON CONFLICT (id) DO UPDATE SET kind = excluded.kind, site_id = excluded.site_id, area_id = excluded.area_id, line_id = excluded.line_id, code = excluded.code, name = excluded.name`,
    [data.locationId, data.kind, data.siteId, data.areaId ?? null, data.lineId ?? null, data.code, data.name],
  );
}

/** The copy's table, protected by site like every site-scoped table: in each supporting service's migrations. */
export class KnownLocations1796900000600 implements MigrationInterface {
  name = 'KnownLocations1796900000600';
  async up(q: QueryRunner): Promise<void> {
    await q.query(`CREATE TABLE known_location (
      id uuid PRIMARY KEY, kind text NOT NULL, site_id uuid NOT NULL, area_id uuid, line_id uuid, code text NOT NULL, name text NOT NULL)`);
    await q.query(`CREATE INDEX known_location_site ON known_location (site_id)`);
    await protectBySite(q, 'known_location');
  }
  async down(q: QueryRunner): Promise<void> {
    await unprotect(q, 'known_location');
    await q.query(`DROP TABLE known_location`);
  }
}

const KIND_NAMES: Record<LocationKind, string> = { SITE: 'site', AREA: 'area', LINE: 'line', ASSET: 'asset' };

/** The answer for an unknown location: the same for a random id, another site's, or one not replicated yet. */
export const unknownLocation = (kind: LocationKind, id: string, field: string) =>
  new DomainError(ErrorCode.NOT_FOUND, `${KIND_NAMES[kind]} ${id} not found (one registered in Work a moment ago may not be known here yet: retry shortly)`, { id, field });

export interface KnownPlace {
  siteId: string;
  areaId: string | null;
  lineId: string | null;
  assetId: string | null;
}

/**
 * Checks a site/area/line/asset combination against the known registry, as the caller (pass the request's
 * manager): each id must be known, of its kind and of the given site, else NOT_FOUND. A combination of the
 * caller's own site that does not hang together (an asset of another line) is BAD_USER_INPUT. Fills in the
 * area and line a more specific location implies.
 */
export async function requirePlace(
  manager: EntityManager,
  input: { siteId: string; areaId?: string | null; lineId?: string | null; assetId?: string | null },
  fields: { siteId?: string; areaId?: string; lineId?: string; assetId?: string } = {},
): Promise<KnownPlace> {
  const field = { siteId: 'siteId', areaId: 'areaId', lineId: 'lineId', assetId: 'assetId', ...fields };
  const siteId = requireUuid(input.siteId, field.siteId);
  let areaId = optionalUuid(input.areaId, field.areaId) ?? null;
  let lineId = optionalUuid(input.lineId, field.lineId) ?? null;
  const assetId = optionalUuid(input.assetId, field.assetId) ?? null;
  const ids = [siteId, areaId, lineId, assetId].filter((id): id is string => !!id);
  const rows: KnownLocation[] = await manager.query(
    `SELECT id, kind, site_id AS "siteId", area_id AS "areaId", line_id AS "lineId" FROM known_location WHERE id = ANY($1::uuid[])`,
    [ids],
  );
  const known = (id: string | null, kind: LocationKind, name: string) => {
    if (!id) return null;
    const row = rows.find((r) => r.id === id && r.kind === kind && r.siteId === siteId);
    if (!row) throw unknownLocation(kind, id, name);
    return row;
  };
  known(siteId, 'SITE', field.siteId);
  const asset = known(assetId, 'ASSET', field.assetId);
  const line = known(lineId, 'LINE', field.lineId);
  known(areaId, 'AREA', field.areaId);
  const mismatch = (name: string) => badInput(`the ${name} is not in the given site/area/line`, { field: name });
  if (asset) {
    if (lineId && asset.lineId && asset.lineId !== lineId) throw mismatch(field.assetId);
    if (areaId && asset.areaId && asset.areaId !== areaId) throw mismatch(field.assetId);
    lineId ??= asset.lineId;
    areaId ??= asset.areaId;
  }
  if (line) {
    if (areaId && line.areaId !== areaId) throw mismatch(field.lineId);
    areaId ??= line.areaId;
  }
  return { siteId, areaId, lineId, assetId };
}

/** Checks a list of locations of one kind (applicability, a permit's assets) against the site, as `requirePlace` does. */
export async function requireLocations(manager: EntityManager, siteId: string, kind: LocationKind, ids: readonly string[], field: string): Promise<void> {
  if (!ids.length) return;
  const unique = [...new Set(ids.map((id) => requireUuid(id, field)))];
  const rows: { id: string }[] = await manager.query(`SELECT id FROM known_location WHERE id = ANY($1::uuid[]) AND kind = $2 AND site_id = $3`, [unique, kind, siteId]);
  const found = new Set(rows.map((r) => r.id));
  const missing = unique.find((id) => !found.has(id));
  if (missing) throw unknownLocation(kind, missing, field);
}
