import { inScope, isUuid, type Caller, loaded } from '@opsgraph/core';
import DataLoader from 'dataloader';
import type { EntityManager } from 'typeorm';
import { matchRequirements } from './domain/work';
import type { CompetenceRecord, OpenWorkItem, Person, Qualification, QualificationRequirement } from './entities';
import { openWorkItemsWithIds, permitCoversOfWorkItems } from './store/open-work';
import { peopleWithIds } from './store/people';
import { qualificationLoader, qualificationRequirementRows, requirementsOfQualificationLoader } from './store/qualifications';
import { recordsOfPairs, recordsOfPersonLoader } from './store/records';

/**
 * Per-request batch loaders: every nested field of a list resolves in one statement per kind, so a board
 * of any size asks "what does each item require, does its owner hold it" in a fixed number of statements.
 */
export function createLoaders(db: EntityManager, caller: Caller) {
  const qualification = qualificationLoader(db);
  /** Open work the caller may see (another site's items, another contractor's jobs, are unknown here). */
  const openWorkItem = new DataLoader<string, OpenWorkItem | null>(async (ids) => {
    const rows = await openWorkItemsWithIds(db, ids.filter(isUuid));
    const byId = new Map(rows.filter((w) => inScope(caller, w)).map((w) => [w.workItemId, w]));
    return ids.map((id) => byId.get(id) ?? null);
  });
  let requirements: Promise<QualificationRequirement[]> | null = null;
  return {
    /** Ids that are not UUIDs (e.g. `system`) are never people: they resolve to nobody without a query error. */
    person: new DataLoader<string, Person | null>(async (ids) => {
      const valid = ids.filter(isUuid);
      const rows = valid.length ? await peopleWithIds(db, valid) : [];
      const byId = new Map(rows.map((p) => [p.id, p]));
      return ids.map((id) => byId.get(id) ?? null);
    }),
    qualification,
    recordsByPerson: recordsOfPersonLoader(db),
    /**
     * A person's record of one qualification (`personId/qualificationId`; one at most, by the unique index):
     * whether a board's owners hold what their items require reads those pairs only, not every record of
     * every owner.
     */
    recordOf: new DataLoader<string, CompetenceRecord | null>(async (keys) => {
      const pairs = keys.map((k) => k.split('/'));
      const valid = pairs.filter(([person, qualification]) => isUuid(person) && isUuid(qualification));
      // Whether the owner of work the caller sees holds what it requires is part of that work, even when the
      // owner is someone the caller may not look up (a contractor's job owned by a host employee): read
      // through the migration's `competence_records_of`, which only the owner of the tables runs.
      const rows: CompetenceRecord[] = valid.length ? await recordsOfPairs(db, valid.map(([p]) => p), valid.map(([, q]) => q)) : [];
      const byPair = new Map(rows.map((r) => [`${r.personId}/${r.qualificationId}`, r]));
      return keys.map((k) => byPair.get(k) ?? null);
    }),
    requirementsByQualification: requirementsOfQualificationLoader(db),
    openWorkItem,
    /** The qualifications each work item requires: its row, every requirement, its permit covers, the qualifications. */
    requiredByWorkItem: new DataLoader<string, Qualification[]>(async (ids) => {
      const items = await openWorkItem.loadMany(ids);
      const open = loaded(items);
      if (!open.length) return ids.map(() => []);
      requirements ??= qualificationRequirementRows(db);
      const [all, covers] = await Promise.all([requirements, permitCoversOfWorkItems(db, open.map((w) => w.workItemId))]);
      const required = new Map(open.map((w) => [w.workItemId, matchRequirements(w, covers.filter((c) => c.workItemId === w.workItemId).map((c) => c.permitType), all)]));
      const quals = await qualification.loadMany([...new Set([...required.values()].flat())]);
      const byId = new Map(loaded(quals).map((q) => [q.id, q]));
      return ids.map((id) => (required.get(id) ?? []).map((qid) => byId.get(qid)!).filter(Boolean).sort((a, b) => a.code.localeCompare(b.code)));
    }),
  };
}
export type Loaders = ReturnType<typeof createLoaders>;
