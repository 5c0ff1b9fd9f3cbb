import { isContractorOnly, selectRows, type Caller } from '@opsgraph/core';
import { Brackets, type DeepPartial, type EntityManager, type SelectQueryBuilder } from 'typeorm';
import { ALL_SITES, Person } from '../entities';

/**
 * People: reads by id, the locked read, the filtered and keyset-paginated list, who could take a work item,
 * whose records to review, and the writes.
 *
 * The list queries also keep the caller to people sharing their sites and, for a contractor, to their
 * company's people (`applyScope`), on top of row-level security.
 */

function applyScope(q: SelectQueryBuilder<Person>, caller: Caller) {
  if (!caller.sites.includes(ALL_SITES)) q.andWhere('p.siteIds && CAST(:scopeSites AS text[])', { scopeSites: [...caller.sites, ALL_SITES] });
  if (isContractorOnly(caller)) q.andWhere('p.company = :scopeCompany', { scopeCompany: caller.company ?? '' });
  return q;
}

/** "Holds now" in SQL (competence_record r): not revoked, not lapsed, not past its expiry (as holdsNow). */
const HELD_NOW = 'r.revoked_at IS NULL AND r.lapsed_at IS NULL AND (r.expires_at IS NULL OR r.expires_at > :now)';

// ---------- by id ----------

export function personById(db: EntityManager, id: string): Promise<Person | null> {
  return db.getRepository(Person).findOneBy({ id });
}

export function personExists(db: EntityManager, id: string): Promise<boolean> {
  return db.existsBy(Person, { id });
}

/** People with these ids, in one plain SELECT (no find). */
export function peopleWithIds(db: EntityManager, ids: readonly string[]): Promise<Person[]> {
  return selectRows(db, Person, 'id', ids);
}

/** Locks (`FOR UPDATE`) and reads a person's row. */
export function lockPersonRow(db: EntityManager, id: string): Promise<Person | null> {
  return db.findOne(Person, { where: { id }, lock: { mode: 'pessimistic_write' } });
}

// ---------- the list ----------

/** A filter on people with its values already checked. */
export interface PersonConditions {
  siteId?: string;
  company?: string;
  role?: string;
  /** Holding this qualification now. */
  qualificationId?: string;
  /** A name pattern (ILIKE, escaped). */
  namePattern?: string;
}

/**
 * A page of the filtered list by name, keyset-paginated on (name, id) after `cursor`, with one row more than
 * `limit` (whether a next page exists), and the filter's total count: two statements.
 */
export function peoplePage(db: EntityManager, caller: Caller, where: PersonConditions, limit: number, cursor: { name: string; id: string } | undefined): Promise<[Person[], number]> {
  const base = applyScope(db.getRepository(Person).createQueryBuilder('p'), caller);
  if (where.siteId) base.andWhere('p.siteIds && CAST(:sites AS text[])', { sites: [where.siteId, ALL_SITES] });
  if (where.company) base.andWhere('p.company = :company', { company: where.company });
  if (where.role) base.andWhere('p.roles @> CAST(:role AS text[])', { role: [where.role] });
  if (where.qualificationId) {
    base.andWhere(`EXISTS (SELECT 1 FROM competence_record r WHERE r.person_id = p.id AND r.qualification_id = :qid AND ${HELD_NOW})`, { qid: where.qualificationId, now: new Date() });
  }
  if (where.namePattern) base.andWhere('p.name ILIKE :text', { text: where.namePattern });
  const page = base.clone().orderBy('p.name', 'ASC').addOrderBy('p.id', 'ASC').limit(limit + 1);
  if (cursor) page.andWhere('(p.name, p.id) > (:name, :id)', { name: cursor.name, id: cursor.id });
  return Promise.all([page.getMany(), base.getCount()]);
}

/**
 * People the caller may see at the item's site, in one of `roles`, who are not contractors or are of
 * `contractorCompany`, and hold every one of `required` now; by name.
 */
export function peopleQualifiedFor(
  db: EntityManager,
  caller: Caller,
  item: { siteId: string; contractorCompany: string | null },
  roles: readonly string[],
  required: string[],
): Promise<Person[]> {
  const q = applyScope(db.getRepository(Person).createQueryBuilder('p'), caller)
    .andWhere('p.siteIds && CAST(:sites AS text[])', { sites: [item.siteId, ALL_SITES] })
    .andWhere('p.roles && CAST(:roles AS text[])', { roles: [...roles] })
    // Contractors only for their own company's jobs; employees for any.
    .andWhere(new Brackets((b) => b.where(`NOT (p.roles @> ARRAY['contractor'])`).orWhere('p.company = :company', { company: item.contractorCompany ?? '' })));
  if (required.length) {
    q.andWhere(`(SELECT count(DISTINCT r.qualification_id) FROM competence_record r WHERE r.person_id = p.id AND r.qualification_id IN (:...required) AND ${HELD_NOW}) = :needed`, {
      required,
      needed: required.length,
      now: new Date(),
    });
  }
  return q.orderBy('p.name', 'ASC').getMany();
}

/** The ids of the people the caller may see (at a site, when given). */
export async function idsOfPeopleInScope(db: EntityManager, caller: Caller, siteId?: string): Promise<string[]> {
  const people = applyScope(db.getRepository(Person).createQueryBuilder('p'), caller).select('p.id');
  if (siteId) people.andWhere('p.siteIds && CAST(:sites AS text[])', { sites: [siteId, ALL_SITES] });
  return (await people.getMany()).map((p) => p.id);
}

// ---------- writes ----------

export function insertPerson(db: EntityManager, fields: DeepPartial<Person>): Promise<Person> {
  return db.save(db.create(Person, fields));
}

/** Writes a changed person. */
export async function savePerson(db: EntityManager, person: Person): Promise<void> {
  await db.save(person);
}
