import {
  DAY_MS,
  DomainError,
  ErrorCode,
  ROLES,
  badInput,
  decodeCursor,
  encodeCursor,
  inScope,
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
import type { EntityManager } from 'typeorm';
import type { CompetenceRecord, Person } from '../entities';
import { permitCoversOfWorkItem, openWorkItemById } from '../store/open-work';
import { idsOfPeopleInScope, peoplePage, peopleQualifiedFor, personById, type PersonConditions } from '../store/people';
import { allQualificationRequirements, allQualifications } from '../store/qualifications';
import { recordsLapsedOrExpiringBy } from '../store/records';
import { qualificationByCode } from './qualifications';
import { personVisible } from './scope';
import { matchRequirements } from './work';

export { personVisible } from './scope';

export interface PersonFilter {
  siteId?: string | null;
  company?: string | null;
  role?: string | null;
  qualificationCode?: string | null;
  text?: string | null;
}

export async function getPerson(db: EntityManager, caller: Caller, id: string): Promise<Person> {
  const person = await personById(db, requireUuid(id));
  if (!person || !personVisible(caller, person)) throw notFound('person', id);
  return person;
}

/** By name, keyset-paginated on (name, id). */
export async function listPeople(db: EntityManager, caller: Caller, filter: PersonFilter | null | undefined, first?: number | null, after?: string | null): Promise<Connection<Person>> {
  const f = filter ?? {};
  const limit = pageSize(first);
  const cursor = decodeCursor(after, 2);
  const where: PersonConditions = {};
  const siteId = optionalUuid(f.siteId, 'filter.siteId');
  if (siteId) where.siteId = siteId;
  if (f.company) where.company = requireText(f.company, 'filter.company', { max: 200 });
  if (f.role) where.role = oneOf(ROLES, f.role, 'filter.role');
  if (f.qualificationCode) where.qualificationId = (await qualificationByCode(db, f.qualificationCode, 'filter.qualificationCode')).id;
  if (f.text) where.namePattern = `%${requireText(f.text, 'filter.text', { max: 200 }).replace(/[\\%_]/g, (c) => `\\${c}`)}%`;
  let keyset: { name: string; id: string } | undefined;
  if (cursor) {
    const [name, id] = cursor;
    if (typeof name !== 'string' || typeof id !== 'string') throw badInput('after is not a valid cursor', { field: 'after' });
    keyset = { name, id: requireUuid(id, 'after') };
  }
  const [rows, total] = await peoplePage(db, caller, where, limit, keyset);
  return toConnection(rows, limit, total, (p) => encodeCursor([p.name, p.id]));
}

export async function listQualifications(db: EntityManager) {
  return allQualifications(db);
}

/** Roles that take jobs (as opposed to verifying, auditing or reading). */
const PERFORMING_ROLES = ['operator', 'technician', 'contractor', 'supervisor'] as const;

/**
 * Who could take this open work item now: at its site, in a role that performs work, holding every
 * qualification it requires today, and for a contractor of the item's own contractor company.
 */
export async function qualifiedPeople(db: EntityManager, caller: Caller, workItemId: string): Promise<Person[]> {
  const id = requireUuid(workItemId, 'workItemId');
  const item = await openWorkItemById(db, id);
  // Work this service knows (from Work's events), open, at the caller's sites and (for a contractor) their
  // company's job: any other id is "not found" as a random id is. One created a moment ago may not be known yet.
  if (!item || !inScope(caller, item)) {
    throw new DomainError(ErrorCode.NOT_FOUND, `open work item ${id} not found (one created in Work a moment ago may not be known here yet: retry shortly)`, { id, field: 'workItemId' });
  }
  const [requirements, covers] = await Promise.all([
    allQualificationRequirements(db),
    permitCoversOfWorkItem(db, id),
  ]);
  const required = matchRequirements(item, covers.map((c) => c.permitType), requirements);
  return peopleQualifiedFor(db, caller, item, PERFORMING_ROLES, required);
}

/** Records lapsing within `withinDays` or lapsed (not revoked), of people visible to the caller, soonest first. */
export async function expiringCompetence(db: EntityManager, caller: Caller, siteId?: string | null, withinDays?: number | null): Promise<CompetenceRecord[]> {
  const days = withinDays ?? 30;
  if (!Number.isInteger(days) || days < 0 || days > 365) throw badInput('withinDays must be from 0 to 365', { field: 'withinDays' });
  const site = optionalUuid(siteId, 'siteId');
  const ids = await idsOfPeopleInScope(db, caller, site);
  if (!ids.length) return [];
  return recordsLapsedOrExpiringBy(db, ids, new Date(Date.now() + days * DAY_MS));
}
