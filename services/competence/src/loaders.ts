import { inScope, isUuid, loaderBy, loaderGrouped, selectRows, selectRowsWhere, type Caller, loaded } from '@opsgraph/core';
import DataLoader from 'dataloader';
import type { DataSource } from 'typeorm';
import { matchRequirements } from './domain/work';
import { CompetenceRecord, OpenWorkItem, Person, Qualification, QualificationRequirement, WorkPermitCover } from './entities';

/**
 * Per-request batch loaders: every nested field of a list resolves in one statement per kind, so a board
 * of any size asks "what does each item require, does its owner hold it" in a fixed number of statements.
 */
export function createLoaders(db: DataSource, caller: Caller) {
  const qualification = loaderBy(db, Qualification);
  /** Open work the caller may see (another site's items, another contractor's jobs, are unknown here). */
  const openWorkItem = new DataLoader<string, OpenWorkItem | null>(async (ids) => {
    const rows = await selectRows(db, OpenWorkItem, 'workItemId', ids.filter(isUuid));
    const byId = new Map(rows.filter((w) => inScope(caller, w)).map((w) => [w.workItemId, w]));
    return ids.map((id) => byId.get(id) ?? null);
  });
  let requirements: Promise<QualificationRequirement[]> | null = null;
  return {
    /** Ids that are not UUIDs (e.g. `system`) are never people: they resolve to nobody without a query error. */
    person: new DataLoader<string, Person | null>(async (ids) => {
      const valid = ids.filter(isUuid);
      const rows = valid.length ? await selectRows(db, Person, 'id', valid) : [];
      const byId = new Map(rows.map((p) => [p.id, p]));
      return ids.map((id) => byId.get(id) ?? null);
    }),
    qualification,
    recordsByPerson: loaderGrouped(db, CompetenceRecord, 'personId', { achievedAt: 'ASC' }),
    /**
     * A person's record of one qualification (`personId/qualificationId`; one at most, by the unique index):
     * whether a board's owners hold what their items require reads those pairs only, not every record of
     * every owner.
     */
    recordOf: new DataLoader<string, CompetenceRecord | null>(async (keys) => {
      const pairs = keys.map((k) => k.split('/'));
      const valid = pairs.filter(([person, qualification]) => isUuid(person) && isUuid(qualification));
      const rows = valid.length
        ? await selectRowsWhere(db, CompetenceRecord, '(person_id, qualification_id) IN (SELECT * FROM unnest($1::uuid[], $2::uuid[]))', [valid.map(([p]) => p), valid.map(([, q]) => q)])
        : [];
      const byPair = new Map(rows.map((r) => [`${r.personId}/${r.qualificationId}`, r]));
      return keys.map((k) => byPair.get(k) ?? null);
    }),
    requirementsByQualification: loaderGrouped(db, QualificationRequirement, 'qualificationId', { createdAt: 'ASC' }),
    openWorkItem,
    /** The qualifications each work item requires: its row, every requirement, its permit covers, the qualifications. */
    requiredByWorkItem: new DataLoader<string, Qualification[]>(async (ids) => {
      const items = await openWorkItem.loadMany(ids);
      const open = loaded(items);
      if (!open.length) return ids.map(() => []);
      requirements ??= selectRows(db, QualificationRequirement, 'id', null);
      const [all, covers] = await Promise.all([requirements, selectRows(db, WorkPermitCover, 'workItemId', open.map((w) => w.workItemId))]);
      const required = new Map(open.map((w) => [w.workItemId, matchRequirements(w, covers.filter((c) => c.workItemId === w.workItemId).map((c) => c.permitType), all)]));
      const quals = await qualification.loadMany([...new Set([...required.values()].flat())]);
      const byId = new Map(loaded(quals).map((q) => [q.id, q]));
      return ids.map((id) => (required.get(id) ?? []).map((qid) => byId.get(qid)!).filter(Boolean).sort((a, b) => a.code.localeCompare(b.code)));
    }),
  };
}
export type Loaders = ReturnType<typeof createLoaders>;
