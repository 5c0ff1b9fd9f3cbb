import type { MigrationInterface, QueryRunner } from 'typeorm';

export class Initial1795651265000 implements MigrationInterface {
  name = 'Initial1795651265000';

  async up(q: QueryRunner): Promise<void> {
    await q.query(`CREATE TABLE "tracked_work_item" ("work_item_id" uuid NOT NULL, "number" text NOT NULL, "work_type" text NOT NULL, "status" text NOT NULL, "site_id" uuid NOT NULL, "area_id" uuid, "line_id" uuid, "asset_id" uuid, "asset_class" text, "source_domain" text, "source_record_id" text, "request_id" text, "owner_id" text, "verified_at" TIMESTAMP WITH TIME ZONE, "verifier_id" text, "last_event_at" TIMESTAMP WITH TIME ZONE NOT NULL, "updated_at" TIMESTAMP WITH TIME ZONE NOT NULL DEFAULT now(), CONSTRAINT "PK_a58f3b73f7c540e2a395b1099ae" PRIMARY KEY ("work_item_id"))`);
    await q.query(`CREATE INDEX "tracked_work_item_request" ON "tracked_work_item"  ("request_id") `);
    await q.query(`CREATE INDEX "tracked_work_item_source" ON "tracked_work_item"  ("source_domain", "source_record_id") `);
    await q.query(`CREATE INDEX "tracked_work_item_asset" ON "tracked_work_item"  ("asset_id", "status") `);
    await q.query(`CREATE TABLE "change_request" ("id" uuid NOT NULL DEFAULT gen_random_uuid(), "seq" SERIAL NOT NULL, "title" text NOT NULL, "description" text NOT NULL, "type" text NOT NULL, "status" text NOT NULL, "reason" text NOT NULL, "site_ids" uuid array NOT NULL, "area_ids" uuid array NOT NULL DEFAULT '{}', "line_ids" uuid array NOT NULL DEFAULT '{}', "asset_ids" uuid array NOT NULL DEFAULT '{}', "document_ids" uuid array NOT NULL DEFAULT '{}', "risk_assessment" text NOT NULL, "risk_rating" text NOT NULL, "end_date" TIMESTAMP WITH TIME ZONE, "requester_id" text NOT NULL, "owner_id" text NOT NULL, "required_approver_roles" text array NOT NULL, "submitted_at" TIMESTAMP WITH TIME ZONE, "approved_at" TIMESTAMP WITH TIME ZONE, "closed_at" TIMESTAMP WITH TIME ZONE, "end_reason" text, "restore_request_id" text, "created_at" TIMESTAMP WITH TIME ZONE NOT NULL DEFAULT now(), "updated_at" TIMESTAMP WITH TIME ZONE NOT NULL DEFAULT now(), "version" integer NOT NULL, CONSTRAINT "UQ_65099e8812f2e27dcb577d1f87a" UNIQUE ("seq"), CONSTRAINT "PK_75687d06f07daedcb0de54d75e6" PRIMARY KEY ("id"))`);
    await q.query(`CREATE INDEX "IDX_fb1695d8b0880089a82137522c" ON "change_request"  ("status") `);
    await q.query(`CREATE TABLE "change_approval" ("id" uuid NOT NULL DEFAULT gen_random_uuid(), "change_id" uuid NOT NULL, "role" text NOT NULL, "approver_id" text NOT NULL, "decision" text NOT NULL, "comment" text, "at" TIMESTAMP WITH TIME ZONE NOT NULL, CONSTRAINT "PK_75f7b9a37de3764761d5828130c" PRIMARY KEY ("id"))`);
    await q.query(`CREATE UNIQUE INDEX "IDX_11ded9a0ad5748922c4a7c519e" ON "change_approval"  ("change_id", "role") `);
    await q.query(`CREATE TABLE "change_transition" ("id" BIGSERIAL NOT NULL, "change_id" uuid NOT NULL, "from_status" text, "to_status" text NOT NULL, "actor_id" text NOT NULL, "at" TIMESTAMP WITH TIME ZONE NOT NULL, "note" text, CONSTRAINT "PK_611317bc819d38b345f4734571b" PRIMARY KEY ("id"))`);
    await q.query(`CREATE INDEX "IDX_009bf06dcac8eba165709a6797" ON "change_transition"  ("change_id", "id") `);
    await q.query(`CREATE TABLE "change_gate" ("id" uuid NOT NULL DEFAULT gen_random_uuid(), "change_id" uuid NOT NULL, "work_item_id" uuid NOT NULL, "created_at" TIMESTAMP WITH TIME ZONE NOT NULL DEFAULT now(), CONSTRAINT "PK_eb0917d96609f982f654b271a59" PRIMARY KEY ("id"))`);
    await q.query(`CREATE UNIQUE INDEX "IDX_3f1d017eaa8cb03bfcb027b14e" ON "change_gate"  ("change_id", "work_item_id") `);
    await q.query(`CREATE TABLE "change_task" ("id" uuid NOT NULL DEFAULT gen_random_uuid(), "change_id" uuid NOT NULL, "seq" integer NOT NULL, "title" text NOT NULL, "description" text, "work_type" text NOT NULL, "site_id" uuid NOT NULL, "area_id" uuid, "line_id" uuid, "asset_id" uuid, "owner_id" text, "due_at" TIMESTAMP WITH TIME ZONE, "request_id" text NOT NULL, "created_by_id" text NOT NULL, "created_at" TIMESTAMP WITH TIME ZONE NOT NULL DEFAULT now(), CONSTRAINT "UQ_83eeec93170e4a159d730708b4f" UNIQUE ("request_id"), CONSTRAINT "PK_8d5e62ae1b2e179af7f8dba0972" PRIMARY KEY ("id"))`);
    await q.query(`CREATE UNIQUE INDEX "IDX_c22c4495ea9a57fe550054e042" ON "change_task"  ("change_id", "seq") `);
    await q.query(`CREATE TABLE "pre_startup_check" ("id" uuid NOT NULL DEFAULT gen_random_uuid(), "change_id" uuid NOT NULL, "seq" integer NOT NULL, "title" text NOT NULL, "what_changed" text NOT NULL, "document_ids" uuid array NOT NULL DEFAULT '{}', "permit_required" boolean NOT NULL, "permit_note" text, "confirmations" text array NOT NULL, "site_id" uuid NOT NULL, "area_id" uuid, "line_id" uuid, "asset_id" uuid, "owner_id" text, "attempt" integer NOT NULL DEFAULT '0', "request_id" text, "raised_at" TIMESTAMP WITH TIME ZONE, "created_by_id" text NOT NULL, "created_at" TIMESTAMP WITH TIME ZONE NOT NULL DEFAULT now(), CONSTRAINT "PK_abac096f2d4b1993fffb7192082" PRIMARY KEY ("id"))`);
    await q.query(`CREATE INDEX "IDX_cbd72b16fa1260b2c80f7198d8" ON "pre_startup_check"  ("request_id") `);
    await q.query(`CREATE UNIQUE INDEX "IDX_f3c0317973c1837bcf61fd1769" ON "pre_startup_check"  ("change_id", "seq") `);
  }

  async down(q: QueryRunner): Promise<void> {
    await q.query(`DROP INDEX "public"."IDX_f3c0317973c1837bcf61fd1769"`);
    await q.query(`DROP INDEX "public"."IDX_cbd72b16fa1260b2c80f7198d8"`);
    await q.query(`DROP TABLE "pre_startup_check"`);
    await q.query(`DROP INDEX "public"."IDX_c22c4495ea9a57fe550054e042"`);
    await q.query(`DROP TABLE "change_task"`);
    await q.query(`DROP INDEX "public"."IDX_3f1d017eaa8cb03bfcb027b14e"`);
    await q.query(`DROP TABLE "change_gate"`);
    await q.query(`DROP INDEX "public"."IDX_009bf06dcac8eba165709a6797"`);
    await q.query(`DROP TABLE "change_transition"`);
    await q.query(`DROP INDEX "public"."IDX_11ded9a0ad5748922c4a7c519e"`);
    await q.query(`DROP TABLE "change_approval"`);
    await q.query(`DROP INDEX "public"."IDX_fb1695d8b0880089a82137522c"`);
    await q.query(`DROP TABLE "change_request"`);
    await q.query(`DROP INDEX "public"."tracked_work_item_asset"`);
    await q.query(`DROP INDEX "public"."tracked_work_item_source"`);
    await q.query(`DROP INDEX "public"."tracked_work_item_request"`);
    await q.query(`DROP TABLE "tracked_work_item"`);
  }
}

