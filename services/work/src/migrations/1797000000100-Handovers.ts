import { REQUEST_ROLE, protectBySite, unprotect } from '@opsgraph/core';
import type { MigrationInterface, QueryRunner } from 'typeorm';

/**
 * Shift handover as a control point (domain/handover.ts): the stored handovers with their pictures, the standing
 * conditions people record, and the clearances of those and of flagged shift notes.
 *
 * - `handover`: by site; a contractor-only caller reads none (a picture holds every company's jobs).
 *   Only its decision (status, decided_*) may be written after the insert, once, from AWAITING_ACCEPTANCE; it is
 *   never deleted: the picture stays as it was taken, and its digest shows any later change.
 * - `recorded_condition`: by site, and for a contractor only those naming one of their company's jobs (the rule
 *   of the shift notes). Insert only.
 * - `condition_clearance`: by site, and visible with what it clears (the condition's or note's own policy
 *   applies inside the check). Insert only; one per condition or note.
 * Indexes serve the handover's reads by time: history and blockers in a window, flagged notes still standing.
 */
const CONTRACTOR_SEES_LINKED_JOBS = `((SELECT opsgraph_company()) IS NULL OR EXISTS (
  SELECT 1 FROM work_item w WHERE w.id = ANY (recorded_condition.work_item_ids) AND w.contractor_company = (SELECT opsgraph_company())))`;
const CLEARANCE_WITH_ITS_SUBJECT = `((SELECT opsgraph_company()) IS NULL
  OR EXISTS (SELECT 1 FROM recorded_condition c WHERE c.id = condition_clearance.subject_id)
  OR EXISTS (SELECT 1 FROM shift_log_entry s WHERE s.id = condition_clearance.subject_id))`;
const NO_CONTRACTOR = `((SELECT opsgraph_company()) IS NULL)`;

export class Handovers1797000000100 implements MigrationInterface {
  name = 'Handovers1797000000100';

  async up(q: QueryRunner): Promise<void> {
    await q.query(`CREATE TABLE "handover" ("id" uuid NOT NULL DEFAULT gen_random_uuid(), "site_id" uuid NOT NULL, "area_id" uuid, "shift" text NOT NULL,
      "incoming_shift" text, "incoming_person_id" uuid, "status" text NOT NULL, "window_from" TIMESTAMP WITH TIME ZONE NOT NULL, "at" TIMESTAMP WITH TIME ZONE NOT NULL,
      "follows_id" uuid, "started_by_id" text NOT NULL, "note" text, "picture" text NOT NULL, "digest" text NOT NULL,
      "decided_by_id" text, "decided_at" TIMESTAMP WITH TIME ZONE, "decision_note" text,
      CONSTRAINT "PK_handover" PRIMARY KEY ("id"),
      CONSTRAINT "CHK_handover_status" CHECK ("status" IN ('AWAITING_ACCEPTANCE', 'ACCEPTED', 'REFUSED')))`);
    await q.query(`CREATE INDEX "IDX_handover_place" ON "handover" ("site_id", "area_id", "at")`);
    // One handover awaiting acceptance per place at a time (the whole site counts as one place).
    await q.query(`CREATE UNIQUE INDEX "UQ_handover_awaiting" ON "handover" ("site_id", (coalesce("area_id", '00000000-0000-0000-0000-000000000000'::uuid))) WHERE "status" = 'AWAITING_ACCEPTANCE'`);
    await q.query(`CREATE FUNCTION handover_kept() RETURNS trigger LANGUAGE plpgsql AS $$
      BEGIN
        IF TG_OP = 'DELETE' THEN RAISE EXCEPTION 'a handover is a record: it is never deleted'; END IF;
        IF OLD.status <> 'AWAITING_ACCEPTANCE' THEN RAISE EXCEPTION 'handover % is % and cannot change', OLD.id, OLD.status; END IF;
        IF (NEW.id, NEW.site_id, NEW.area_id, NEW.shift, NEW.incoming_shift, NEW.incoming_person_id, NEW.window_from, NEW.at, NEW.follows_id, NEW.started_by_id, NEW.note, NEW.picture, NEW.digest)
           IS DISTINCT FROM (OLD.id, OLD.site_id, OLD.area_id, OLD.shift, OLD.incoming_shift, OLD.incoming_person_id, OLD.window_from, OLD.at, OLD.follows_id, OLD.started_by_id, OLD.note, OLD.picture, OLD.digest)
        THEN RAISE EXCEPTION 'the picture of handover % is kept as it was taken', OLD.id; END IF;
        RETURN NEW;
      END $$`);
    await q.query(`CREATE TRIGGER handover_kept BEFORE UPDATE OR DELETE ON "handover" FOR EACH ROW EXECUTE FUNCTION handover_kept()`);

    await q.query(`CREATE TABLE "recorded_condition" ("id" uuid NOT NULL DEFAULT gen_random_uuid(), "site_id" uuid NOT NULL, "area_id" uuid, "asset_id" uuid,
      "kind" text NOT NULL, "description" text NOT NULL, "work_item_ids" uuid array NOT NULL DEFAULT '{}', "raised_by_id" text NOT NULL,
      "raised_at" TIMESTAMP WITH TIME ZONE NOT NULL, CONSTRAINT "PK_recorded_condition" PRIMARY KEY ("id"))`);
    await q.query(`CREATE INDEX "IDX_recorded_condition_site" ON "recorded_condition" ("site_id", "raised_at")`);
    await q.query(`CREATE TABLE "condition_clearance" ("subject_id" uuid NOT NULL, "subject" text NOT NULL, "site_id" uuid NOT NULL, "cleared_by_id" text NOT NULL,
      "cleared_at" TIMESTAMP WITH TIME ZONE NOT NULL, "note" text NOT NULL, CONSTRAINT "PK_condition_clearance" PRIMARY KEY ("subject_id"))`);
    await q.query(`CREATE INDEX "IDX_condition_clearance_site" ON "condition_clearance" ("site_id", "cleared_at")`);
    await q.query(`CREATE FUNCTION condition_insert_only() RETURNS trigger LANGUAGE plpgsql AS $$
      BEGIN RAISE EXCEPTION '% is insert-only', TG_TABLE_NAME; END $$`);
    for (const table of ['recorded_condition', 'condition_clearance']) {
      await q.query(`CREATE TRIGGER ${table}_insert_only BEFORE UPDATE OR DELETE ON "${table}" FOR EACH ROW EXECUTE FUNCTION condition_insert_only()`);
    }

    await q.query(`CREATE INDEX "IDX_transition_at" ON "transition" ("at")`);
    await q.query(`CREATE INDEX "IDX_prerequisite_created_at" ON "prerequisite" ("created_at")`);
    await q.query(`CREATE INDEX "IDX_prerequisite_resolved_at" ON "prerequisite" ("resolved_at") WHERE "resolved_at" IS NOT NULL`);
    await q.query(`CREATE INDEX "IDX_shift_log_entry_flagged" ON "shift_log_entry" ("site_id", "at") WHERE "attention_next_shift"`);

    await protectBySite(q, 'handover');
    await protectBySite(q, 'recorded_condition');
    await protectBySite(q, 'condition_clearance');
    const restrict = async (table: string, rule: string) => {
      await q.query(`DROP POLICY IF EXISTS ${table}_contractor ON ${table}`);
      await q.query(`CREATE POLICY ${table}_contractor ON ${table} AS RESTRICTIVE TO ${REQUEST_ROLE} USING ${rule} WITH CHECK ${rule}`);
    };
    await restrict('handover', NO_CONTRACTOR);
    await restrict('recorded_condition', CONTRACTOR_SEES_LINKED_JOBS);
    await restrict('condition_clearance', CLEARANCE_WITH_ITS_SUBJECT);
  }

  async down(q: QueryRunner): Promise<void> {
    for (const table of ['condition_clearance', 'recorded_condition', 'handover']) {
      await q.query(`DROP POLICY IF EXISTS ${table}_contractor ON ${table}`);
      await unprotect(q, table);
    }
    await q.query(`DROP INDEX "IDX_shift_log_entry_flagged"`);
    await q.query(`DROP INDEX "IDX_prerequisite_resolved_at"`);
    await q.query(`DROP INDEX "IDX_prerequisite_created_at"`);
    await q.query(`DROP INDEX "IDX_transition_at"`);
    await q.query(`DROP TABLE "condition_clearance"`);
    await q.query(`DROP TABLE "recorded_condition"`);
    await q.query(`DROP FUNCTION condition_insert_only`);
    await q.query(`DROP TABLE "handover"`);
    await q.query(`DROP FUNCTION handover_kept`);
  }
}
