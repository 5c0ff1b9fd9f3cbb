import { ROLES, DomainError, ErrorCode, badInput, isUuid, notFound, oneOf, optionalText, requireRole, requireText, requireUuid, textList, type Caller, type Role } from '@opsgraph/core';
import { recordEvent } from '@opsgraph/events';
import type { EntityManager } from 'typeorm';
import { ALL_SITES, type Person } from '../entities';
import { insertPerson, lockPersonRow, personExists, savePerson } from '../store/people';
import { COMPETENCE_PERMISSIONS } from './permissions';
import { personVisible, requireKnownSites, requireSitesInScope } from './scope';

export interface RegisterPersonInput {
  id: string;
  name: string;
  company?: string | null;
  roles: string[];
  siteIds: string[];
}

export interface UpdatePersonInput {
  name?: string | null;
  company?: string | null;
  roles?: string[] | null;
  siteIds?: string[] | null;
}

function rolesOf(values: readonly string[]): Role[] {
  return textList(values, 'roles', { max: ROLES.length, maxLength: 50 }).map((r, i) => oneOf(ROLES, r, `roles[${i}]`));
}

/** Site ids, or `*` alone for every site. */
function sitesOf(values: readonly string[]): string[] {
  const sites = textList(values, 'siteIds', { max: 100, maxLength: 40 });
  if (sites.includes(ALL_SITES)) {
    if (sites.length > 1) throw badInput('siteIds: "*" (every site) stands alone', { field: 'siteIds' });
    return sites;
  }
  return sites.map((s, i) => requireUuid(s, `siteIds[${i}]`));
}

/** A contractor must name their company: it is the boundary of the jobs they may see and take. */
function checkContractorCompany(roles: Role[], company: string | null) {
  if (roles.includes('contractor') && !company) throw badInput('a contractor needs their company', { field: 'company' });
}

/** Ids and states only: names are personal data and stay out of the event log. */
function personFact(person: Person, caller: Caller) {
  return { personId: person.id, company: person.company, roles: person.roles, siteIds: person.siteIds, actorId: caller.id, at: new Date().toISOString() };
}

export async function registerPerson(db: EntityManager, caller: Caller, input: RegisterPersonInput, requestId?: string): Promise<Person> {
  requireRole(caller, ...COMPETENCE_PERMISSIONS.managePeople);
  const fields = {
    id: requireUuid(input.id, 'id'),
    name: requireText(input.name, 'name', { max: 200 }),
    company: optionalText(input.company, 'company', 200),
    roles: rolesOf(input.roles),
    siteIds: sitesOf(input.siteIds),
  };
  checkContractorCompany(fields.roles, fields.company);
  requireSitesInScope(caller, fields.siteIds);
  return db.transaction(async (manager) => {
    await requireKnownSites(manager, caller, fields.siteIds);
    if (await personExists(manager, fields.id)) throw new DomainError(ErrorCode.CONFLICT, `person ${fields.id} is already registered`, { id: fields.id });
    const person = await insertPerson(manager, fields);
    await recordEvent(manager, { domain: 'competence', type: 'person.registered', subject: person.id, data: personFact(person, caller), requestId });
    return person;
  });
}

export async function updatePerson(db: EntityManager, caller: Caller, id: string, input: UpdatePersonInput, requestId?: string): Promise<Person> {
  requireRole(caller, ...COMPETENCE_PERMISSIONS.managePeople);
  const personId = requireUuid(id);
  const name = input.name === undefined || input.name === null ? undefined : requireText(input.name, 'name', { max: 200 });
  const roles = input.roles ? rolesOf(input.roles) : undefined;
  const siteIds = input.siteIds ? sitesOf(input.siteIds) : undefined;
  return db.transaction(async (manager) => {
    const person = await lockPerson(manager, personId);
    if (!person || !personVisible(caller, person)) throw notFound('person', personId);
    // Sites outside the caller's own are neither given nor taken away; a site given must be known from Work.
    if (siteIds) {
      const given = siteIds.filter((s) => !person.siteIds.includes(s));
      requireSitesInScope(caller, [...given, ...person.siteIds.filter((s) => !siteIds.includes(s))]);
      await requireKnownSites(manager, caller, given);
    }
    if (name) person.name = name;
    if (input.company !== undefined) person.company = optionalText(input.company, 'company', 200);
    if (roles) person.roles = roles;
    if (siteIds) person.siteIds = siteIds;
    checkContractorCompany(person.roles, person.company);
    await savePerson(manager, person);
    await recordEvent(manager, { domain: 'competence', type: 'person.updated', subject: person.id, data: personFact(person, caller), requestId });
    return person;
  });
}

/**
 * Locks a person's row. Everything that weighs a person's records against their work (assignment, grant,
 * renewal, revocation, expiry) takes this lock first, so no two of them decide on stale views of each other.
 */
export async function lockPerson(manager: EntityManager, personId: string): Promise<Person | null> {
  if (!isUuid(personId)) return null;
  return lockPersonRow(manager, personId);
}
