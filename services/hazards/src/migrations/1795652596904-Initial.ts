import type { MigrationInterface, QueryRunner } from 'typeorm';

export class Initial1795652596904 implements MigrationInterface {
  name = 'Initial1795652596904';

  async up(q: QueryRunner): Promise<void> {
    await q.query(`CREATE TABLE "tracked_work_item" ("work_item_id" uuid NOT NULL, "number" text NOT NULL, "work_type" text NOT NULL, "status" text NOT NULL, "site_id" uuid NOT NULL, "area_id" uuid, "line_id" uuid, "asset_id" uuid, "asset_class" text, "source_domain" text, "source_record_id" text, "request_id" text, "owner_id" text, "verified_at" TIMESTAMP WITH TIME ZONE, "verifier_id" text, "last_event_at" TIMESTAMP WITH TIME ZONE NOT NULL, "updated_at" TIMESTAMP WITH TIME ZONE NOT NULL DEFAULT now(), CONSTRAINT "PK_a58f3b73f7c540e2a395b1099ae" PRIMARY KEY ("work_item_id"))`);
    await q.query(`CREATE INDEX "tracked_work_item_request" ON "tracked_work_item"  ("request_id") `);
    await q.query(`CREATE INDEX "tracked_work_item_source" ON "tracked_work_item"  ("source_domain", "source_record_id") `);
    await q.query(`CREATE INDEX "tracked_work_item_asset" ON "tracked_work_item"  ("asset_id", "status") `);
    await q.query(`CREATE TABLE "hazard" ("id" uuid NOT NULL DEFAULT gen_random_uuid(), "site_id" uuid NOT NULL, "area_id" uuid, "asset_id" uuid, "work_types" text array NOT NULL DEFAULT '{}', "title" text NOT NULL, "description" text, "likelihood" integer NOT NULL, "severity" integer NOT NULL, "risk_rating" integer NOT NULL, "residual_likelihood" integer NOT NULL, "residual_severity" integer NOT NULL, "residual_rating" integer NOT NULL, "active" boolean NOT NULL DEFAULT true, "retired_reason" text, "created_by_id" text NOT NULL, "created_at" TIMESTAMP WITH TIME ZONE NOT NULL DEFAULT now(), "updated_at" TIMESTAMP WITH TIME ZONE NOT NULL DEFAULT now(), "version" integer NOT NULL, CONSTRAINT "PK_858b71d38b62597cf819d2da486" PRIMARY KEY ("id"))`);
    await q.query(`CREATE INDEX "IDX_bfb66f0f5cf30a66b7886665a2" ON "hazard"  ("asset_id") `);
    await q.query(`CREATE INDEX "IDX_d736ff26d0b7fe0e26aaa43fb5" ON "hazard"  ("area_id") `);
    await q.query(`CREATE INDEX "IDX_9b6925abc7e67731608a43a344" ON "hazard"  ("site_id", "active") `);
    await q.query(`CREATE TABLE "hazard_control" ("id" uuid NOT NULL DEFAULT gen_random_uuid(), "hazard_id" uuid NOT NULL, "kind" text NOT NULL, "description" text NOT NULL, "position" integer NOT NULL, CONSTRAINT "PK_bde8c2e81a0f91980fdb0d51bfa" PRIMARY KEY ("id"))`);
    await q.query(`CREATE INDEX "IDX_4a1070d5334b9def5034292efc" ON "hazard_control"  ("hazard_id", "position") `);
    await q.query(`CREATE TABLE "incident" ("id" uuid NOT NULL DEFAULT gen_random_uuid(), "serial" SERIAL NOT NULL, "type" text NOT NULL, "severity" text NOT NULL, "status" text NOT NULL, "occurred_at" TIMESTAMP WITH TIME ZONE NOT NULL, "site_id" uuid NOT NULL, "area_id" uuid, "asset_id" uuid, "title" text NOT NULL, "description" text NOT NULL, "reporter_id" text NOT NULL, "people_involved_ids" uuid array NOT NULL DEFAULT '{}', "investigator_id" uuid, "investigation_started_at" TIMESTAMP WITH TIME ZONE, "investigation_completed_at" TIMESTAMP WITH TIME ZONE, "root_causes" text array NOT NULL DEFAULT '{}', "findings" text, "hold_requested_at" TIMESTAMP WITH TIME ZONE, "closed_at" TIMESTAMP WITH TIME ZONE, "closed_by_id" text, "closing_note" text, "reported_at" TIMESTAMP WITH TIME ZONE NOT NULL DEFAULT now(), "updated_at" TIMESTAMP WITH TIME ZONE NOT NULL DEFAULT now(), "version" integer NOT NULL, CONSTRAINT "PK_5f90b28b0b8238d89ee8edcf96e" PRIMARY KEY ("id"))`);
    await q.query(`CREATE UNIQUE INDEX "IDX_6fa2ef0e406cb377bb6a88eeeb" ON "incident"  ("serial") `);
    await q.query(`CREATE INDEX "IDX_985b01508edf5e59ad0c697d8d" ON "incident"  ("asset_id") `);
    await q.query(`CREATE INDEX "IDX_1c16edb2e27b2a0d629d29c02d" ON "incident"  ("area_id", "status") `);
    await q.query(`CREATE INDEX "IDX_f01bdaf93cf9bcb7808c77aa16" ON "incident"  ("site_id", "status") `);
    await q.query(`CREATE TABLE "incident_action" ("id" uuid NOT NULL DEFAULT gen_random_uuid(), "incident_id" uuid NOT NULL, "number" integer NOT NULL, "kind" text NOT NULL, "title" text NOT NULL, "description" text, "owner_id" uuid NOT NULL, "due_at" TIMESTAMP WITH TIME ZONE, "request_id" text NOT NULL, "created_by_id" text NOT NULL, "created_at" TIMESTAMP WITH TIME ZONE NOT NULL DEFAULT now(), CONSTRAINT "UQ_fd4a739b4d0a9b7dced1788fe2c" UNIQUE ("request_id"), CONSTRAINT "PK_a404d7e37a61275dbd6adb26d82" PRIMARY KEY ("id"))`);
    await q.query(`CREATE UNIQUE INDEX "IDX_7117ef66f602288baf42c374b5" ON "incident_action"  ("incident_id", "number") `);
    await q.query(`CREATE TABLE "job_risk_assessment" ("id" uuid NOT NULL DEFAULT gen_random_uuid(), "work_item_id" uuid NOT NULL, "site_id" uuid NOT NULL, "notes" text, "assessed_by_id" text NOT NULL, "created_at" TIMESTAMP WITH TIME ZONE NOT NULL DEFAULT now(), CONSTRAINT "PK_239eb87149b2e47a466708f0c11" PRIMARY KEY ("id"))`);
    await q.query(`CREATE UNIQUE INDEX "IDX_cb815f30fb984521f31b98811e" ON "job_risk_assessment"  ("work_item_id") `);
    await q.query(`CREATE TABLE "job_hazard" ("id" uuid NOT NULL DEFAULT gen_random_uuid(), "assessment_id" uuid NOT NULL, "work_item_id" uuid NOT NULL, "hazard_id" uuid NOT NULL, "position" integer NOT NULL, CONSTRAINT "PK_2886b34730e7d65179859927996" PRIMARY KEY ("id"))`);
    await q.query(`CREATE INDEX "IDX_b74cc76fe1eeca14dd8c915c6b" ON "job_hazard"  ("assessment_id") `);
    await q.query(`CREATE INDEX "IDX_37920b39144f211a3970261ff6" ON "job_hazard"  ("work_item_id", "position") `);
    await q.query(`CREATE TABLE "job_hazard_control" ("id" uuid NOT NULL DEFAULT gen_random_uuid(), "assessment_id" uuid NOT NULL, "job_hazard_id" uuid NOT NULL, "work_item_id" uuid NOT NULL, "hazard_id" uuid NOT NULL, "hazard_control_id" uuid, "kind" text NOT NULL, "description" text NOT NULL, "position" integer NOT NULL, "state" text NOT NULL, "evidence" text, "evidence_url" text, "confirmed_by_id" text, "confirmed_at" TIMESTAMP WITH TIME ZONE, "reopened_reason" text, CONSTRAINT "PK_cb2b2f1ccfcbd32e5e85c1c4557" PRIMARY KEY ("id"))`);
    await q.query(`CREATE INDEX "IDX_a784d6652d5fc2d9c6c2dd7f24" ON "job_hazard_control"  ("work_item_id") `);
    await q.query(`CREATE INDEX "IDX_ef5a9160f0f7608d0ea57500b6" ON "job_hazard_control"  ("job_hazard_id", "position") `);
  }

  async down(q: QueryRunner): Promise<void> {
    await q.query(`DROP INDEX "public"."IDX_ef5a9160f0f7608d0ea57500b6"`);
    await q.query(`DROP INDEX "public"."IDX_a784d6652d5fc2d9c6c2dd7f24"`);
    await q.query(`DROP TABLE "job_hazard_control"`);
    await q.query(`DROP INDEX "public"."IDX_37920b39144f211a3970261ff6"`);
    await q.query(`DROP INDEX "public"."IDX_b74cc76fe1eeca14dd8c915c6b"`);
    await q.query(`DROP TABLE "job_hazard"`);
    await q.query(`DROP INDEX "public"."IDX_cb815f30fb984521f31b98811e"`);
    await q.query(`DROP TABLE "job_risk_assessment"`);
    await q.query(`DROP INDEX "public"."IDX_7117ef66f602288baf42c374b5"`);
    await q.query(`DROP TABLE "incident_action"`);
    await q.query(`DROP INDEX "public"."IDX_f01bdaf93cf9bcb7808c77aa16"`);
    await q.query(`DROP INDEX "public"."IDX_1c16edb2e27b2a0d629d29c02d"`);
    await q.query(`DROP INDEX "public"."IDX_985b01508edf5e59ad0c697d8d"`);
    await q.query(`DROP INDEX "public"."IDX_6fa2ef0e406cb377bb6a88eeeb"`);
    await q.query(`DROP TABLE "incident"`);
    await q.query(`DROP INDEX "public"."IDX_4a1070d5334b9def5034292efc"`);
    await q.query(`DROP TABLE "hazard_control"`);
    await q.query(`DROP INDEX "public"."IDX_9b6925abc7e67731608a43a344"`);
    await q.query(`DROP INDEX "public"."IDX_d736ff26d0b7fe0e26aaa43fb5"`);
    await q.query(`DROP INDEX "public"."IDX_bfb66f0f5cf30a66b7886665a2"`);
    await q.query(`DROP TABLE "hazard"`);
    await q.query(`DROP INDEX "public"."tracked_work_item_asset"`);
    await q.query(`DROP INDEX "public"."tracked_work_item_source"`);
    await q.query(`DROP INDEX "public"."tracked_work_item_request"`);
    await q.query(`DROP TABLE "tracked_work_item"`);
  }
}
