import { loaderBy, loaderGrouped, selectRows } from '@opsgraph/core';
import type { EntityManager } from 'typeorm';
import { Area, Asset, Line, Site } from '../entities';

/**
 * The location registry: sites (with the counter that numbers their work items), areas, lines and assets.
 * Reads by id, the per-request loaders of the registry, and the inserts that register a location.
 */

// ---------- by id ----------

export function siteById(db: EntityManager, id: string): Promise<Site | null> {
  return db.getRepository(Site).findOneBy({ id });
}

export function siteExists(db: EntityManager, id: string): Promise<boolean> {
  return db.getRepository(Site).existsBy({ id });
}

export function areaById(db: EntityManager, id: string): Promise<Area | null> {
  return db.getRepository(Area).findOneBy({ id });
}

export function lineById(db: EntityManager, id: string): Promise<Line | null> {
  return db.getRepository(Line).findOneBy({ id });
}

export function assetById(db: EntityManager, id: string): Promise<Asset | null> {
  return db.getRepository(Asset).findOneBy({ id });
}

/** Sites with these ids, in one plain SELECT (no find): for the paths that run on every refresh of a screen. */
export function sitesWithIds(db: EntityManager, ids: readonly string[]): Promise<Site[]> {
  return selectRows(db, Site, 'id', ids);
}

/** Areas with these ids, in one plain SELECT (no find). */
export function areasWithIds(db: EntityManager, ids: readonly string[]): Promise<Area[]> {
  return selectRows(db, Area, 'id', ids);
}

/** The asset class of an asset (competence and compliance key requirements on it); null without the asset. */
export async function classOfAsset(db: EntityManager, assetId: string): Promise<string | null> {
  return (await db.findOne(Asset, { where: { id: assetId }, select: { assetClass: true } }))?.assetClass ?? null;
}

export function allSites(db: EntityManager): Promise<Site[]> {
  return db.getRepository(Site).find({ order: { code: 'ASC' } });
}

// ---------- per-request loaders (one statement per tick) ----------

export const siteLoader = (db: EntityManager) => loaderBy(db, Site);
export const areaLoader = (db: EntityManager) => loaderBy(db, Area);
export const lineLoader = (db: EntityManager) => loaderBy(db, Line);
export const assetLoader = (db: EntityManager) => loaderBy(db, Asset);
export const areasOfSiteLoader = (db: EntityManager) => loaderGrouped(db, Area, 'siteId', { code: 'ASC' });
export const linesOfAreaLoader = (db: EntityManager) => loaderGrouped(db, Line, 'areaId', { code: 'ASC' });
export const assetsOfAreaLoader = (db: EntityManager) => loaderGrouped(db, Asset, 'areaId', { code: 'ASC' });
export const assetsOfLineLoader = (db: EntityManager) => loaderGrouped(db, Asset, 'lineId', { code: 'ASC' });
export const childAssetsLoader = (db: EntityManager) => loaderGrouped(db, Asset, 'parentId', { code: 'ASC' });

// ---------- writes ----------

export function insertSite(db: EntityManager, fields: { code: string; name: string }) {
  return db.getRepository(Site).save(fields);
}

export function insertArea(db: EntityManager, fields: { siteId: string; code: string; name: string }) {
  return db.getRepository(Area).save(fields);
}

export function insertLine(db: EntityManager, fields: { siteId: string; areaId: string; code: string; name: string }) {
  return db.getRepository(Line).save(fields);
}

export function insertAsset(
  db: EntityManager,
  fields: { siteId: string; areaId: string | null; lineId: string | null; parentId: string | null; code: string; name: string; assetClass: string | null },
) {
  return db.getRepository(Asset).save(fields);
}

/** Takes the site's next work item number: the site's code and the number, counted up under the row's lock. */
export async function takeWorkItemNumber(db: EntityManager, siteId: string): Promise<{ code: string; last_number: number }> {
  const rows: { code: string; last_number: number }[] = await db.query(
    'UPDATE site SET last_number = last_number + 1 WHERE id = $1 RETURNING code, last_number',
    [siteId],
  );
  // TypeORM returns [rows, count] for UPDATE ... RETURNING on Postgres.
  return (Array.isArray(rows[0]) ? rows[0][0] : rows[0]) as { code: string; last_number: number };
}
