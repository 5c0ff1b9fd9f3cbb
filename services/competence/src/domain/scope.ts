import { forbidden, inSiteScope, isContractorOnly, requirePlace, unknownLocation, type Caller } from '@opsgraph/core';
import type { EntityManager } from 'typeorm';
import { ALL_SITES, Person } from '../entities';

/**
 * Who the caller may see: people sharing one of their sites (or all, for callers of every site); a
 * contractor sees only their own company's people.
 */
export function personVisible(caller: Caller, person: Pick<Person, 'siteIds' | 'company'>): boolean {
  if (isContractorOnly(caller) && person.company !== caller.company) return false;
  return caller.sites.includes(ALL_SITES) || person.siteIds.includes(ALL_SITES) || person.siteIds.some((s) => inSiteScope(caller, s));
}

const withheld = new WeakSet<Person>();

/**
 * A person as the caller may see them. Other domains' records in the caller's scope name people outside
 * it (who approved a permit, who verified a contractor's job): their reference must resolve, or every
 * non-null field above it would break, so it shows who they are (id and name) and nothing more — no
 * company, roles, sites or competence records.
 */
export function personView(caller: Caller, person: Person): Person {
  if (personVisible(caller, person)) return person;
  const view = Object.assign(new Person(), { id: person.id, name: person.name, createdAt: person.createdAt, updatedAt: person.updatedAt, company: null, roles: [], siteIds: [] });
  withheld.add(view);
  return view;
}

/** True for the id-and-name view of a person outside the caller's scope. */
export const isWithheld = (person: Person) => withheld.has(person);

/**
 * The sites a caller may give (or take from) a person: their own (another site is "not found", exactly as a
 * random id is); every site (`*`) only by someone who works at every site.
 */
export function requireSitesInScope(caller: Caller, siteIds: string[]) {
  for (const site of siteIds) {
    if (site === ALL_SITES) {
      if (!caller.sites.includes(ALL_SITES)) throw forbidden('only someone who works at every site can give a person every site');
    } else if (!inSiteScope(caller, site)) {
      throw unknownLocation('SITE', site, 'siteIds');
    }
  }
}

/**
 * The sites a caller gives a person, as Work registered them: each in the caller's scope (above) and known
 * from Work's registry (`known_location`, read as the caller), else "not found" exactly as a random id is.
 * A site registered in Work a moment ago may not be known here yet: the same answer, which says to retry.
 */
export async function requireKnownSites(manager: EntityManager, caller: Caller, siteIds: string[]) {
  requireSitesInScope(caller, siteIds);
  for (const site of siteIds) if (site !== ALL_SITES) await requirePlace(manager, { siteId: site }, { siteId: 'siteIds' });
}
