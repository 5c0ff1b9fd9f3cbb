import { protectBySite, unprotect } from '@opsgraph/core';
import type { MigrationInterface, QueryRunner } from 'typeorm';

/**
 * CAPA that proves it worked, and inspections that can fail: a finding's effectiveness check, reopen count and
 * history (`finding_history_entry`, protected by its own `site_id`, the finding's); a failed inspection kept as
 * an audit of kind INSPECTION with its readings; an occurrence NOT_MET with its record, non-conformance and
 * when that was corrected.
 */
export class CapaLoop1797000000700 implements MigrationInterface {
  name = 'CapaLoop1797000000700';

  async up(q: QueryRunner): Promise<void> {
    await q.query(`CREATE TABLE "finding_history_entry" ("id" uuid NOT NULL DEFAULT gen_random_uuid(), "finding_id" uuid NOT NULL, "site_id" uuid NOT NULL, "action" text NOT NULL, "from_status" text, "to_status" text, "actor_id" text NOT NULL, "note" text, "work_item_id" uuid, "at" TIMESTAMP WITH TIME ZONE NOT NULL DEFAULT now(), CONSTRAINT "PK_3772a3b5da1cbb598d3ce43200e" PRIMARY KEY ("id"))`);
    await q.query(`CREATE INDEX "IDX_6e641907ccd5ab190881c9b714" ON "finding_history_entry"  ("finding_id", "at") `);
    await q.query(`ALTER TABLE "compliance_audit" ADD "kind" text NOT NULL DEFAULT 'AUDIT'`);
    await q.query(`ALTER TABLE "compliance_audit" ADD "inspection_work_item_id" uuid`);
    await q.query(`ALTER TABLE "compliance_audit" ADD "inspection_work_item_number" text`);
    await q.query(`ALTER TABLE "compliance_audit" ADD "obligation_id" uuid`);
    await q.query(`ALTER TABLE "compliance_audit" ADD "readings" jsonb NOT NULL DEFAULT '[]'::jsonb`);
    await q.query(`ALTER TABLE "audit_finding" ADD "inspection_work_item_id" uuid`);
    await q.query(`ALTER TABLE "audit_finding" ADD "effectiveness_check_days" integer`);
    await q.query(`ALTER TABLE "audit_finding" ADD "effectiveness_status" text`);
    await q.query(`ALTER TABLE "audit_finding" ADD "effectiveness_check_at" TIMESTAMP WITH TIME ZONE`);
    await q.query(`ALTER TABLE "audit_finding" ADD "effectiveness_attempt" integer NOT NULL DEFAULT '0'`);
    await q.query(`ALTER TABLE "audit_finding" ADD "effectiveness_request_id" text`);
    await q.query(`ALTER TABLE "audit_finding" ADD "effectiveness_raised_at" TIMESTAMP WITH TIME ZONE`);
    await q.query(`ALTER TABLE "audit_finding" ADD "effectiveness_work_item_id" uuid`);
    await q.query(`ALTER TABLE "audit_finding" ADD "effectiveness_checked_at" TIMESTAMP WITH TIME ZONE`);
    await q.query(`ALTER TABLE "audit_finding" ADD "effectiveness_checked_by_id" text`);
    await q.query(`ALTER TABLE "audit_finding" ADD "reopen_count" integer NOT NULL DEFAULT '0'`);
    await q.query(`ALTER TABLE "compliance_obligation" ADD "inspection_id" uuid`);
    await q.query(`ALTER TABLE "compliance_obligation" ADD "finding_id" uuid`);
    await q.query(`ALTER TABLE "compliance_obligation" ADD "corrected_at" TIMESTAMP WITH TIME ZONE`);
    await q.query(`CREATE INDEX "IDX_ad8fbfb839827e5358e56b6a50" ON "audit_finding"  ("effectiveness_check_at") `);
    await q.query(`CREATE INDEX "IDX_6326fae3d3c513519ff2a11d4a" ON "audit_finding"  ("effectiveness_request_id") `);
    await q.query(`CREATE INDEX "IDX_ef0a3a25db132b7be6c3726625" ON "compliance_obligation"  ("finding_id") `);
    await protectBySite(q, 'finding_history_entry');
  }

  async down(q: QueryRunner): Promise<void> {
    await unprotect(q, 'finding_history_entry');
    await q.query(`DROP INDEX "public"."IDX_ef0a3a25db132b7be6c3726625"`);
    await q.query(`DROP INDEX "public"."IDX_6326fae3d3c513519ff2a11d4a"`);
    await q.query(`DROP INDEX "public"."IDX_ad8fbfb839827e5358e56b6a50"`);
    await q.query(`ALTER TABLE "compliance_obligation" DROP COLUMN "corrected_at"`);
    await q.query(`ALTER TABLE "compliance_obligation" DROP COLUMN "finding_id"`);
    await q.query(`ALTER TABLE "compliance_obligation" DROP COLUMN "inspection_id"`);
    await q.query(`ALTER TABLE "audit_finding" DROP COLUMN "reopen_count"`);
    await q.query(`ALTER TABLE "audit_finding" DROP COLUMN "effectiveness_checked_by_id"`);
    await q.query(`ALTER TABLE "audit_finding" DROP COLUMN "effectiveness_checked_at"`);
    await q.query(`ALTER TABLE "audit_finding" DROP COLUMN "effectiveness_work_item_id"`);
    await q.query(`ALTER TABLE "audit_finding" DROP COLUMN "effectiveness_raised_at"`);
    await q.query(`ALTER TABLE "audit_finding" DROP COLUMN "effectiveness_request_id"`);
    await q.query(`ALTER TABLE "audit_finding" DROP COLUMN "effectiveness_attempt"`);
    await q.query(`ALTER TABLE "audit_finding" DROP COLUMN "effectiveness_check_at"`);
    await q.query(`ALTER TABLE "audit_finding" DROP COLUMN "effectiveness_status"`);
    await q.query(`ALTER TABLE "audit_finding" DROP COLUMN "effectiveness_check_days"`);
    await q.query(`ALTER TABLE "audit_finding" DROP COLUMN "inspection_work_item_id"`);
    await q.query(`ALTER TABLE "compliance_audit" DROP COLUMN "readings"`);
    await q.query(`ALTER TABLE "compliance_audit" DROP COLUMN "obligation_id"`);
    await q.query(`ALTER TABLE "compliance_audit" DROP COLUMN "inspection_work_item_number"`);
    await q.query(`ALTER TABLE "compliance_audit" DROP COLUMN "inspection_work_item_id"`);
    await q.query(`ALTER TABLE "compliance_audit" DROP COLUMN "kind"`);
    await q.query(`DROP INDEX "public"."IDX_6e641907ccd5ab190881c9b714"`);
    await q.query(`DROP TABLE "finding_history_entry"`);
  }
}
