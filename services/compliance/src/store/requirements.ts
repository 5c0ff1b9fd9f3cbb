import { loaderBy, selectRowsWhere } from '@opsgraph/core';
import type { DeepPartial, EntityManager } from 'typeorm';
import { Requirement } from '../entities';

/** Requirements: reads by id and by site, the full list, the per-request loader and the insert. */

export function requirementById(db: EntityManager, id: string): Promise<Requirement | null> {
  return db.getRepository(Requirement).findOneBy({ id });
}

/** Requirements that may apply at these sites (one statement), to be matched with `appliesTo`; `alsoIds` are read too. */
export function requirementsAtSites(db: EntityManager, siteIds: string[], alsoIds: string[] = []): Promise<Requirement[]> {
  const order = { reference: 'ASC', createdAt: 'ASC' } as const;
  return alsoIds.length
    ? selectRowsWhere(db, Requirement, 'site_ids && $1::uuid[] OR id = ANY($2::uuid[])', [siteIds, alsoIds], { order })
    : selectRowsWhere(db, Requirement, 'site_ids && $1::uuid[]', [siteIds], { order });
}

/** Every requirement (row-level security keeps the request's), by reference. */
export function allRequirements(db: EntityManager): Promise<Requirement[]> {
  return db.getRepository(Requirement).find({ order: { reference: 'ASC', createdAt: 'ASC' } });
}

export const requirementLoader = (db: EntityManager) => loaderBy(db, Requirement);

/** A new requirement, with the database's id and times on the returned entity. */
export function insertRequirement(db: EntityManager, fields: DeepPartial<Requirement>): Promise<Requirement> {
  return db.save(db.create(Requirement, fields));
}
