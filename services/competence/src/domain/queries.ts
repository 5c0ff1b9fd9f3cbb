import {
  DAY_MS,
  DomainError,
  ErrorCode,
  ROLES,
  badInput,
  decodeCursor,
  encodeCursor,
  inScope,
  isContractorOnly,
  notFound,
  oneOf,
  optionalUuid,
  pageSize,
  requireText,
  requireUuid,
  toConnection,
  type Caller,
  type Connection,
} from '@opsgraph/core';
import { Brackets, type EntityManager, type SelectQueryBuilder } from 'typeorm';
import { ALL_SITES, CompetenceRecord, OpenWorkItem, Person, Qualification, QualificationRequirement, WorkPermitCover } from '../entities';
import { qualificationByCode } from './qualifications';
import { personVisible } from './scope';
import { matchRequirements } from './work';

export { personVisible } from './scope';

function applyScope(q: SelectQueryBuilder<Person>, caller: Caller) {
  if (!caller.sites.includes(ALL_SITES)) q.andWhere('p.siteIds && CAST(:scopeSites AS text[])', { scopeSites: [...caller.sites, ALL_SITES] });
  if (isContractorOnly(caller)) q.andWhere('p.company = :scopeCompany', { scopeCompany: caller.company ?? '' });
  return q;
}

/** "Holds now" in SQL (competence_record r): not revoked, not lapsed, not past its expiry (as holdsNow). */
const HELD_NOW = 'r.revoked_at IS NULL AND r.lapsed_at IS NULL AND (r.expires_at IS NULL OR r.expires_at > :now)';

export interface PersonFilter {
  siteId?: string | null;
  company?: string | null;
  role?: string | null;
  qualificationCode?: string | null;
  text?: string | null;
}

export async function getPerson(db: EntityManager, caller: Caller, id: string): Promise<Person> {
  const person = await db.getRepository(Person).findOneBy({ id: requireUuid(id) });
  if (!person || !personVisible(caller, person)) throw notFound('person', id);
  return person;
}

/** By name, keyset-paginated on (name, id). */
export async function listPeople(db: EntityManager, caller: Caller, filter: PersonFilter | null | undefined, first?: number | null, after?: string | null): Promise<Connection<Person>> {
  const f = filter ?? {};
  const limit = pageSize(first);
  const cursor = decodeCursor(after, 2);
  const base = applyScope(db.getRepository(Person).createQueryBuilder('p'), caller);
  const siteId = optionalUuid(f.siteId, 'filter.siteId');
  if (siteId) base.andWhere('p.siteIds && CAST(:sites AS text[])', { sites: [siteId, ALL_SITES] });
  if (f.company) base.andWhere('p.company = :company', { company: requireText(f.company, 'filter.company', { max: 200 }) });
  if (f.role) base.andWhere('p.roles @> CAST(:role AS text[])', { role: [oneOf(ROLES, f.role, 'filter.role')] });
  if (f.qualificationCode) {
    const q = await qualificationByCode(db, f.qualificationCode, 'filter.qualificationCode');
    base.andWhere(`EXISTS (SELECT 1 FROM competence_record r WHERE r.person_id = p.id AND r.qualification_id = :qid AND ${HELD_NOW})`, { qid: q.id, now: new Date() });
  }
  if (f.text) base.andWhere('p.name ILIKE :text', { text: `%${requireText(f.text, 'filter.text', { max: 200 }).replace(/[\\%_]/g, (c) => `\\${c}`)}%` });
  const page = base.clone().orderBy('p.name', 'ASC').addOrderBy('p.id', 'ASC').limit(limit + 1);
  if (cursor) {
    const [name, id] = cursor;
    if (typeof name !== 'string' || typeof id !== 'string') throw badInput('after is not a valid cursor', { field: 'after' });
    page.andWhere('(p.name, p.id) > (:name, :id)', { name, id: requireUuid(id, 'after') });
  }
  const [rows, total] = await Promise.all([page.getMany(), base.getCount()]);
  return toConnection(rows, limit, total, (p) => encodeCursor([p.name, p.id]));
}

export async function listQualifications(db: EntityManager) {
  return db.getRepository(Qualification).find({ order: { code: 'ASC' } });
}

/** Roles that take jobs (as opposed to verifying, auditing or reading). */
const PERFORMING_ROLES = ['operator', 'technician', 'contractor', 'supervisor'] as const;

/**
 * Who could take this open work item now: at its site, in a role that performs work, holding every
 * qualification it requires today, and for a contractor of the item's own contractor company.
 */
export async function qualifiedPeople(db: EntityManager, caller: Caller, workItemId: string): Promise<Person[]> {
  const id = requireUuid(workItemId, 'workItemId');
  const item = await db.getRepository(OpenWorkItem).findOneBy({ workItemId: id });
  // Work this service knows (from Work's events), open, at the caller's sites and (for a contractor) their
  // company's job: any other id is "not found" as a random id is. One created a moment ago may not be known yet.
  if (!item || !inScope(caller, item)) {
    throw new DomainError(ErrorCode.NOT_FOUND, `open work item ${id} not found (one created in Work a moment ago may not be known here yet: retry shortly)`, { id, field: 'workItemId' });
  }
  const [requirements, covers] = await Promise.all([
    db.getRepository(QualificationRequirement).find(),
    db.getRepository(WorkPermitCover).findBy({ workItemId: id }),
  ]);
  const required = matchRequirements(item, covers.map((c) => c.permitType), requirements);
  const q = applyScope(db.getRepository(Person).createQueryBuilder('p'), caller)
    .andWhere('p.siteIds && CAST(:sites AS text[])', { sites: [item.siteId, ALL_SITES] })
    .andWhere('p.roles && CAST(:roles AS text[])', { roles: [...PERFORMING_ROLES] })
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

/** Records lapsing within `withinDays` or lapsed (not revoked), of people visible to the caller, soonest first. */
export async function expiringCompetence(db: EntityManager, caller: Caller, siteId?: string | null, withinDays?: number | null): Promise<CompetenceRecord[]> {
  const days = withinDays ?? 30;
  if (!Number.isInteger(days) || days < 0 || days > 365) throw badInput('withinDays must be from 0 to 365', { field: 'withinDays' });
  const site = optionalUuid(siteId, 'siteId');
  const people = applyScope(db.getRepository(Person).createQueryBuilder('p'), caller).select('p.id');
  if (site) people.andWhere('p.siteIds && CAST(:sites AS text[])', { sites: [site, ALL_SITES] });
  const ids = (await people.getMany()).map((p) => p.id);
  if (!ids.length) return [];
  return db
    .getRepository(CompetenceRecord)
    .createQueryBuilder('r')
    .where('r.personId IN (:...ids)', { ids })
    .andWhere('r.revokedAt IS NULL')
    .andWhere('(r.lapsedAt IS NOT NULL OR r.expiresAt <= :until)', { until: new Date(Date.now() + days * DAY_MS) })
    .orderBy('r.expiresAt', 'ASC')
    .limit(200)
    .getMany();
}
