import { found, type Caller } from '@opsgraph/core';
import { ALL_SITES, Person, holdsNow, isContractor, recordStatus, type CompetenceRecord } from './entities';
import * as people from './domain/people';
import * as qualifications from './domain/qualifications';
import * as queries from './domain/queries';
import * as records from './domain/records';
import { isWithheld, personView } from './domain/scope';
import type { Loaders } from './loaders';
import type { Resolvers } from './generated/graphql';

/**
 * A person by id, as the caller may see them (outside their scope: only id and name). Ids the registry
 * does not know (e.g. `system` in histories) resolve to an unregistered person with no name rather than
 * an error, so references from other domains never break a query.
 */
async function personOf(loaders: Loaders, caller: Caller, id: string): Promise<Person> {
  const person = await loaders.person.load(id);
  return person ? personView(caller, person) : Object.assign(new Person(), { id, company: null, roles: [], siteIds: [] });
}
const registered = (p: Person) => p.createdAt instanceof Date;

export const resolvers: Resolvers = {
  Query: {
    person: (_, { id }, { db, caller }) => queries.getPerson(db, caller, id),
    people: (_, { filter, first, after }, { db, caller }) => queries.listPeople(db, caller, filter, first, after),
    qualification: (_, { code }, { db }) => qualifications.qualificationByCode(db, code, 'code'),
    qualifications: (_, __, { db }) => queries.listQualifications(db),
    qualifiedPeople: (_, { workItemId }, { db, caller }) => queries.qualifiedPeople(db, caller, workItemId),
    expiringCompetence: (_, { siteId, withinDays }, { db, caller }) => queries.expiringCompetence(db, caller, siteId, withinDays),
  },

  Mutation: {
    registerPerson: (_, { input }, { db, caller, requestId }) => people.registerPerson(db, caller, input, requestId),
    updatePerson: (_, { id, input }, { db, caller, requestId }) => people.updatePerson(db, caller, id, input, requestId),
    createQualification: (_, { input }, { db, caller, requestId }) => qualifications.createQualification(db, caller, input, requestId),
    addQualificationRequirement: (_, { input }, { db, caller, requestId }) => qualifications.addRequirement(db, caller, input, requestId),
    removeQualificationRequirement: (_, { id }, { db, caller, requestId }) => qualifications.removeRequirement(db, caller, id, requestId),
    grantCompetence: (_, { input }, { db, caller, requestId }) => records.grantCompetence(db, caller, input, requestId),
    renewCompetence: (_, { id, input }, { db, caller, requestId }) => records.renewCompetence(db, caller, id, input, requestId),
    revokeCompetence: (_, { id, reason }, { db, caller, requestId }) => records.revokeCompetence(db, caller, id, reason, requestId),
  },

  Person: {
    __resolveReference: (ref, { loaders, caller }) => personOf(loaders, caller, ref.id),
    name: (p) => (registered(p) ? p.name : null),
    registered: (p) => registered(p),
    contractor: (p) => isContractor(p),
    sites: (p) => p.siteIds.filter((s) => s !== ALL_SITES).map((id) => ({ id })),
    allSites: (p) => p.siteIds.includes(ALL_SITES),
    competenceRecords: async (p, { status }, { loaders }) => {
      if (!registered(p) || isWithheld(p)) return [];
      const now = new Date();
      const list = await loaders.recordsByPerson.load(p.id);
      return status?.length ? list.filter((r) => status.includes(recordStatus(r, now))) : list;
    },
  },
  Qualification: {
    __resolveReference: (ref, { loaders }) => loaders.qualification.load(ref.id),
    requirements: (q, _, { loaders }) => loaders.requirementsByQualification.load(q.id),
  },
  QualificationRequirement: {
    qualification: (r, _, { loaders }) => found(loaders.qualification.load(r.qualificationId), 'qualification', r.qualificationId),
    workType: (r) => (r.scope === 'WORK_TYPE' ? r.value : null),
    assetClass: (r) => (r.scope === 'ASSET_CLASS' ? r.value : null),
    permitType: (r) => (r.scope === 'PERMIT_TYPE' ? r.value : null),
  },
  CompetenceRecord: {
    person: (r, _, { loaders, caller }) => personOf(loaders, caller, r.personId),
    qualification: (r, _, { loaders }) => found(loaders.qualification.load(r.qualificationId), 'qualification', r.qualificationId),
    status: (r) => recordStatus(r, new Date()),
    grantedBy: (r, _, { loaders, caller }) => personOf(loaders, caller, r.grantedById),
    revokedBy: (r, _, { loaders, caller }) => (r.revokedById ? personOf(loaders, caller, r.revokedById) : null),
  },
  WorkItem: {
    __resolveReference: (ref) => ({ id: ref.id }),
    requiredQualifications: (w, _, { loaders }) => loaders.requiredByWorkItem.load(w.id),
    ownerQualified: async (w, _, { loaders }) => {
      const item = await loaders.openWorkItem.load(w.id);
      if (!item?.ownerId) return null;
      const required = await loaders.requiredByWorkItem.load(w.id);
      const held = await loaders.recordOf.loadMany(required.map((q) => `${item.ownerId}/${q.id}`));
      const failed = held.find((r) => r instanceof Error);
      if (failed) throw failed;
      const now = new Date();
      const missing = required.filter((_, i) => {
        const record = held[i] as CompetenceRecord | null;
        return !record || !holdsNow(record, now);
      });
      return { qualified: missing.length === 0, missing };
    },
  },
};
