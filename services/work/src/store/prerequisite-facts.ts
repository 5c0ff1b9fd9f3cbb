import { selectRowsWhere } from '@opsgraph/core';
import type { EntityManager } from 'typeorm';
import { PrerequisiteFact, type PrerequisiteSource } from '../entities';

/** The facts supporting records told Work for blockers that were not there yet, or for blockers raised later (see PrerequisiteFact). */

/** Every kept fact of these records, in one statement (the primary key starts with domain and record). */
export function factsOfRecords(db: EntityManager, sources: readonly PrerequisiteSource[]): Promise<PrerequisiteFact[]> {
  if (!sources.length) return Promise.resolve([]);
  return selectRowsWhere(db, PrerequisiteFact, '(source_domain, source_record_id) IN (SELECT * FROM unnest($1::text[], $2::text[]))', [
    sources.map((s) => s.domain),
    sources.map((s) => s.recordId),
  ]);
}

/**
 * Keeps these facts, in one statement: each replaces the kept one of its record, kind and target unless that
 * one is newer (a fact of the same order replaces it: later in the same order is later in arrival).
 */
export async function keepFacts(db: EntityManager, facts: readonly Omit<PrerequisiteFact, 'recordedAt'>[]): Promise<void> {
  if (!facts.length) return;
  await db.query(
    `INSERT INTO prerequisite_fact (source_domain, source_record_id, kind, target, state, description, reason, fact_order, event_id, valid_until)
     SELECT * FROM jsonb_to_recordset($1::jsonb) AS r(source_domain text, source_record_id text, kind text, target text, state text, description text, reason text, fact_order text, event_id text, valid_until timestamptz)
     ON CONFLICT (source_domain, source_record_id, kind, target) DO UPDATE
       SET state = excluded.state, description = excluded.description, reason = excluded.reason, fact_order = excluded.fact_order, event_id = excluded.event_id,
         valid_until = excluded.valid_until, recorded_at = now()
       WHERE prerequisite_fact.fact_order <= excluded.fact_order`,
    [
      JSON.stringify(
        facts.map((f) => ({
          source_domain: f.sourceDomain,
          source_record_id: f.sourceRecordId,
          kind: f.kind,
          target: f.target,
          state: f.state,
          description: f.description,
          reason: f.reason,
          fact_order: f.factOrder,
          event_id: f.eventId,
          valid_until: f.validUntil ? new Date(f.validUntil).toISOString() : null,
        })),
      ),
    ],
  );
}

/** Drops facts about single items once their blockers have taken them, in one statement. */
export async function dropFacts(db: EntityManager, facts: readonly Pick<PrerequisiteFact, 'sourceDomain' | 'sourceRecordId' | 'kind' | 'target'>[]): Promise<void> {
  if (!facts.length) return;
  await db.query(
    `DELETE FROM prerequisite_fact WHERE (source_domain, source_record_id, kind, target) IN (SELECT * FROM unnest($1::text[], $2::text[], $3::text[], $4::text[]))`,
    [facts.map((f) => f.sourceDomain), facts.map((f) => f.sourceRecordId), facts.map((f) => f.kind), facts.map((f) => f.target)],
  );
}
