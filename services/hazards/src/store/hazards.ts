import { loaderBy, loaderGrouped, type Caller } from '@opsgraph/core';
import { Brackets, In, type EntityManager } from 'typeorm';
import { Hazard, HazardControl } from '../entities';

/**
 * The hazard register: hazards and their required controls. Reads by id, the locked read and writes of a
 * change, the filtered and keyset-paginated list (kept to the caller's sites on top of row-level security),
 * and the per-request loaders.
 */

/** A filter on hazards with its values already checked (`listHazards` in domain/register.ts). */
export interface HazardConditions {
  siteId?: string;
  areaId?: string;
  assetId?: string;
  workType?: string;
  minRating?: number;
  active: boolean;
  text?: string;
}

// ---------- hazards ----------

export function hazardById(db: EntityManager, id: string): Promise<Hazard | null> {
  return db.getRepository(Hazard).findOneBy({ id });
}

/** Locks (`FOR UPDATE`) and reads a hazard for a change. */
export function lockHazard(db: EntityManager, id: string): Promise<Hazard | null> {
  return db.findOne(Hazard, { where: { id }, lock: { mode: 'pessimistic_write' } });
}

export function hazardsWithIds(db: EntityManager, ids: string[]): Promise<Hazard[]> {
  return db.findBy(Hazard, { id: In(ids) });
}

/** A new hazard, with the database's id and times on the returned entity. */
export function insertHazard(db: EntityManager, fields: Partial<Hazard>): Promise<Hazard> {
  return db.save(db.create(Hazard, fields));
}

export function saveHazard(db: EntityManager, hazard: Hazard): Promise<Hazard> {
  return db.save(hazard);
}

/**
 * Highest inherent risk first, keyset-paginated on (riskRating desc, id) after `cursor`, with one row more than
 * `limit` (whether a next page exists), and the filter's total count: two statements.
 */
export function hazardsPage(
  db: EntityManager,
  caller: Caller,
  filter: HazardConditions,
  limit: number,
  cursor: { rating: number; id: string } | undefined,
): Promise<[Hazard[], number]> {
  const q = db.getRepository(Hazard).createQueryBuilder('h');
  if (!caller.sites.includes('*')) q.andWhere('h.siteId IN (:...scopeSites)', { scopeSites: caller.sites.length ? caller.sites : ['00000000-0000-0000-0000-000000000000'] });
  for (const key of ['siteId', 'areaId', 'assetId'] as const) {
    const value = filter[key];
    if (value) q.andWhere(`h.${key} = :${key}`, { [key]: value });
  }
  if (filter.workType) q.andWhere(`(cardinality(h.workTypes) = 0 OR :workType = ANY(h.workTypes))`, { workType: filter.workType });
  if (filter.minRating !== undefined) q.andWhere('h.riskRating >= :minRating', { minRating: filter.minRating });
  q.andWhere('h.active = :active', { active: filter.active });
  if (filter.text) {
    const pattern = `%${filter.text.replace(/[\\%_]/g, (c) => `\\${c}`)}%`;
    q.andWhere(new Brackets((b) => b.where('h.title ILIKE :p', { p: pattern }).orWhere('h.description ILIKE :p')));
  }
  const page = q.clone().orderBy('h.riskRating', 'DESC').addOrderBy('h.id', 'ASC').limit(limit + 1);
  if (cursor) page.andWhere('(h.riskRating < :cursorRating OR (h.riskRating = :cursorRating AND h.id > :cursorId))', { cursorRating: cursor.rating, cursorId: cursor.id });
  return Promise.all([page.getMany(), q.getCount()]);
}

// ---------- controls ----------

/** A hazard's required controls, in order. */
export function controlsOfHazard(db: EntityManager, hazardId: string): Promise<HazardControl[]> {
  return db.find(HazardControl, { where: { hazardId }, order: { position: 'ASC' } });
}

/** The required controls of these hazards, in order. */
export function controlsOfHazards(db: EntityManager, hazardIds: string[]): Promise<HazardControl[]> {
  return db.find(HazardControl, { where: { hazardId: In(hazardIds) }, order: { position: 'ASC' } });
}

/** Replaces a hazard's controls (delete, insert, read back in order: three statements). */
export async function replaceControlsOfHazard(db: EntityManager, hazardId: string, controls: { kind: HazardControl['kind']; description: string }[]): Promise<HazardControl[]> {
  await db.delete(HazardControl, { hazardId });
  await db.insert(HazardControl, controls.map((c, position) => ({ ...c, hazardId, position })));
  return controlsOfHazard(db, hazardId);
}

// ---------- per-request loaders (one statement per tick) ----------

export const hazardLoader = (db: EntityManager) => loaderBy(db, Hazard);
export const controlsOfHazardLoader = (db: EntityManager) => loaderGrouped(db, HazardControl, 'hazardId', { position: 'ASC' });
