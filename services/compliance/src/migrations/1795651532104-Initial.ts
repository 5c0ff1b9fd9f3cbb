import type { MigrationInterface, QueryRunner } from 'typeorm';

export class Initial1795651532104 implements MigrationInterface {
  name = 'Initial1795651532104';

  async up(q: QueryRunner): Promise<void> {
    await q.query(`CREATE TABLE "tracked_work_item" ("work_item_id" uuid NOT NULL, "number" text NOT NULL, "work_type" text NOT NULL, "status" text NOT NULL, "site_id" uuid NOT NULL, "area_id" uuid, "line_id" uuid, "asset_id" uuid, "asset_class" text, "source_domain" text, "source_record_id" text, "request_id" text, "owner_id" text, "verified_at" TIMESTAMP WITH TIME ZONE, "verifier_id" text, "last_event_at" TIMESTAMP WITH TIME ZONE NOT NULL, "updated_at" TIMESTAMP WITH TIME ZONE NOT NULL DEFAULT now(), CONSTRAINT "PK_a58f3b73f7c540e2a395b1099ae" PRIMARY KEY ("work_item_id"))`);
    await q.query(`CREATE INDEX "tracked_work_item_request" ON "tracked_work_item"  ("request_id") `);
    await q.query(`CREATE INDEX "tracked_work_item_source" ON "tracked_work_item"  ("source_domain", "source_record_id") `);
    await q.query(`CREATE INDEX "tracked_work_item_asset" ON "tracked_work_item"  ("asset_id", "status") `);
    await q.query(`CREATE TABLE "compliance_audit" ("id" uuid NOT NULL DEFAULT gen_random_uuid(), "seq" SERIAL NOT NULL, "title" text NOT NULL, "site_id" uuid NOT NULL, "area_ids" uuid array NOT NULL DEFAULT '{}', "scope" text NOT NULL, "audit_date" TIMESTAMP WITH TIME ZONE NOT NULL, "auditor_id" text NOT NULL, "created_by_id" text NOT NULL, "created_at" TIMESTAMP WITH TIME ZONE NOT NULL DEFAULT now(), CONSTRAINT "UQ_4b3be1f82236c0b2e4508906bd6" UNIQUE ("seq"), CONSTRAINT "PK_17840c86c2a03edea09630e5ca7" PRIMARY KEY ("id"))`);
    await q.query(`CREATE INDEX "IDX_7bb1116e632d781b0d23a4b2a6" ON "compliance_audit"  ("site_id") `);
    await q.query(`CREATE TABLE "audit_finding" ("id" uuid NOT NULL DEFAULT gen_random_uuid(), "audit_id" uuid NOT NULL, "seq" integer NOT NULL, "severity" text NOT NULL, "requirement_id" uuid, "site_id" uuid NOT NULL, "area_id" uuid, "asset_id" uuid, "description" text NOT NULL, "status" text NOT NULL, "closed_at" TIMESTAMP WITH TIME ZONE, "closed_by_id" text, "close_note" text, "created_by_id" text NOT NULL, "created_at" TIMESTAMP WITH TIME ZONE NOT NULL DEFAULT now(), CONSTRAINT "PK_704e81a6e4b2c621fecb4ec37be" PRIMARY KEY ("id"))`);
    await q.query(`CREATE INDEX "IDX_7172ce625131c81cfd54835c11" ON "audit_finding"  ("site_id") `);
    await q.query(`CREATE UNIQUE INDEX "IDX_33e3d657bebf9b18b3588a9796" ON "audit_finding"  ("audit_id", "seq") `);
    await q.query(`CREATE TABLE "compliance_finding_action" ("id" uuid NOT NULL DEFAULT gen_random_uuid(), "finding_id" uuid NOT NULL, "seq" integer NOT NULL, "title" text NOT NULL, "description" text, "owner_id" text, "due_at" TIMESTAMP WITH TIME ZONE, "request_id" text NOT NULL, "created_by_id" text NOT NULL, "created_at" TIMESTAMP WITH TIME ZONE NOT NULL DEFAULT now(), CONSTRAINT "UQ_dc455dd61fbb11cbfdb9d726dcf" UNIQUE ("request_id"), CONSTRAINT "PK_3b1b5b6095f0d73d4be48ab2749" PRIMARY KEY ("id"))`);
    await q.query(`CREATE UNIQUE INDEX "IDX_6ab7795282fa63fc7d89179c12" ON "compliance_finding_action"  ("finding_id", "seq") `);
    await q.query(`CREATE TABLE "requirement" ("id" uuid NOT NULL DEFAULT gen_random_uuid(), "reference" text NOT NULL, "clause" text, "title" text NOT NULL, "text" text NOT NULL, "source" text NOT NULL, "site_ids" uuid array NOT NULL, "area_ids" uuid array NOT NULL DEFAULT '{}', "asset_ids" uuid array NOT NULL DEFAULT '{}', "asset_classes" text array NOT NULL DEFAULT '{}', "work_types" text array NOT NULL DEFAULT '{}', "work_check" text, "recurrence_months" integer, "lead_days" integer NOT NULL DEFAULT '30', "acceptance_criteria" text NOT NULL, "evidence" jsonb NOT NULL DEFAULT '[]'::jsonb, "owner_id" text, "created_by_id" text NOT NULL, "created_at" TIMESTAMP WITH TIME ZONE NOT NULL DEFAULT now(), CONSTRAINT "PK_5e3278ee8e2094dd0f10a4aec62" PRIMARY KEY ("id"))`);
    await q.query(`CREATE TABLE "compliance_obligation" ("id" uuid NOT NULL DEFAULT gen_random_uuid(), "requirement_id" uuid NOT NULL, "target_kind" text NOT NULL, "site_id" uuid NOT NULL, "area_id" uuid, "asset_id" uuid, "due_at" TIMESTAMP WITH TIME ZONE NOT NULL, "status" text NOT NULL, "attempt" integer NOT NULL DEFAULT '0', "request_id" text, "raised_at" TIMESTAMP WITH TIME ZONE, "overdue_notified_at" TIMESTAMP WITH TIME ZONE, "met_at" TIMESTAMP WITH TIME ZONE, "evidence_work_item_id" uuid, "evidence_verified_at" TIMESTAMP WITH TIME ZONE, "evidence_verifier_id" text, "evidence_number" text, "previous_id" uuid, "created_at" TIMESTAMP WITH TIME ZONE NOT NULL DEFAULT now(), CONSTRAINT "PK_535a9379fa836a3604475c53aec" PRIMARY KEY ("id"))`);
    await q.query(`CREATE INDEX "IDX_19e14cd11d2943c87e45746841" ON "compliance_obligation"  ("site_id") `);
    await q.query(`CREATE INDEX "IDX_ffc0299bdbd5e9978b98b5eeb3" ON "compliance_obligation"  ("request_id") `);
    await q.query(`CREATE INDEX "IDX_cd4b9702690e00ee951befd649" ON "compliance_obligation"  ("status", "due_at") `);
    await q.query(`CREATE INDEX "IDX_6d5d39425a7614d092713da805" ON "compliance_obligation"  ("requirement_id", "due_at") `);
    await q.query(`CREATE TABLE "compliance_check" ("id" uuid NOT NULL DEFAULT gen_random_uuid(), "requirement_id" uuid NOT NULL, "work_item_id" uuid NOT NULL, "site_id" uuid NOT NULL, "status" text NOT NULL, "confirmed_by_id" text, "confirmed_at" TIMESTAMP WITH TIME ZONE, "note" text, "created_at" TIMESTAMP WITH TIME ZONE NOT NULL DEFAULT now(), CONSTRAINT "PK_dad68e0c660e585cfdb8432fda5" PRIMARY KEY ("id"))`);
    await q.query(`CREATE INDEX "IDX_1551835a99970c19c9262770b8" ON "compliance_check"  ("work_item_id") `);
    await q.query(`CREATE INDEX "IDX_ece845d3fc28495e4eda8eca6d" ON "compliance_check"  ("site_id") `);
    await q.query(`CREATE UNIQUE INDEX "IDX_5d4859e2719f94d531826e03eb" ON "compliance_check"  ("requirement_id", "work_item_id") `);
  }

  async down(q: QueryRunner): Promise<void> {
    await q.query(`DROP INDEX "public"."IDX_5d4859e2719f94d531826e03eb"`);
    await q.query(`DROP INDEX "public"."IDX_ece845d3fc28495e4eda8eca6d"`);
    await q.query(`DROP INDEX "public"."IDX_1551835a99970c19c9262770b8"`);
    await q.query(`DROP TABLE "compliance_check"`);
    await q.query(`DROP INDEX "public"."IDX_6d5d39425a7614d092713da805"`);
    await q.query(`DROP INDEX "public"."IDX_cd4b9702690e00ee951befd649"`);
    await q.query(`DROP INDEX "public"."IDX_ffc0299bdbd5e9978b98b5eeb3"`);
    await q.query(`DROP INDEX "public"."IDX_19e14cd11d2943c87e45746841"`);
    await q.query(`DROP TABLE "compliance_obligation"`);
    await q.query(`DROP TABLE "requirement"`);
    await q.query(`DROP INDEX "public"."IDX_6ab7795282fa63fc7d89179c12"`);
    await q.query(`DROP TABLE "compliance_finding_action"`);
    await q.query(`DROP INDEX "public"."IDX_33e3d657bebf9b18b3588a9796"`);
    await q.query(`DROP INDEX "public"."IDX_7172ce625131c81cfd54835c11"`);
    await q.query(`DROP TABLE "audit_finding"`);
    await q.query(`DROP INDEX "public"."IDX_7bb1116e632d781b0d23a4b2a6"`);
    await q.query(`DROP TABLE "compliance_audit"`);
    await q.query(`DROP INDEX "public"."tracked_work_item_asset"`);
    await q.query(`DROP INDEX "public"."tracked_work_item_source"`);
    await q.query(`DROP INDEX "public"."tracked_work_item_request"`);
    await q.query(`DROP TABLE "tracked_work_item"`);
  }
}
