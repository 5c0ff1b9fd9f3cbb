import { protectBySite, unprotect } from '@opsgraph/core';
import type { MigrationInterface, QueryRunner } from 'typeorm';

/**
 * Simultaneous operations (domain/simops-table.ts): the issuer's decisions that let a permit be live beside
 * conflicting ones. Append-only like the history they belong to; "decisions naming this permit" for a whole list
 * in one statement (GIN on the array); visible and writable only with their permit (row-level security through
 * `permit`, like the permit's other children in 1796900000200-RowLevelSecurity.ts).
 */
export class Simops1797000000500 implements MigrationInterface {
  name = 'Simops1797000000500';

  async up(q: QueryRunner): Promise<void> {
    await q.query(`CREATE TABLE "simops_decision" ("id" uuid NOT NULL DEFAULT gen_random_uuid(), "permit_id" uuid NOT NULL, "transition_id" bigint NOT NULL, "action" text NOT NULL, "conflicting_permit_ids" uuid array NOT NULL, "controls" text NOT NULL, "decided_by_id" text NOT NULL, "decided_at" TIMESTAMP WITH TIME ZONE NOT NULL, CONSTRAINT "PK_e08ce698129f7e2db80db88c0d6" PRIMARY KEY ("id"))`);
    await q.query(`CREATE INDEX "IDX_be2bb6d66fc3aa5fb49403cad5" ON "simops_decision"  ("permit_id", "decided_at") `);
    await q.query(`CREATE INDEX "simops_decision_conflicting" ON "simops_decision" USING gin ("conflicting_permit_ids")`);
    await q.query(`CREATE FUNCTION simops_decision_append_only() RETURNS trigger LANGUAGE plpgsql AS $$
      BEGIN RAISE EXCEPTION 'simultaneous-operations decisions are append-only'; END $$`);
    await q.query(`CREATE TRIGGER simops_decision_append_only BEFORE UPDATE OR DELETE ON "simops_decision" FOR EACH ROW EXECUTE FUNCTION simops_decision_append_only()`);
    await protectBySite(q, 'simops_decision', { through: { table: 'permit', key: 'permit_id' } });
  }

  async down(q: QueryRunner): Promise<void> {
    await unprotect(q, 'simops_decision');
    await q.query(`DROP TRIGGER simops_decision_append_only ON "simops_decision"`);
    await q.query(`DROP FUNCTION simops_decision_append_only`);
    await q.query(`DROP INDEX "public"."simops_decision_conflicting"`);
    await q.query(`DROP INDEX "public"."IDX_be2bb6d66fc3aa5fb49403cad5"`);
    await q.query(`DROP TABLE "simops_decision"`);
  }
}
