import type { MigrationInterface, QueryRunner } from 'typeorm';

export class Initial1795649973335 implements MigrationInterface {
  name = 'Initial1795649973335';

  async up(q: QueryRunner): Promise<void> {
    await q.query(`CREATE TABLE "site" ("id" uuid NOT NULL DEFAULT gen_random_uuid(), "code" text NOT NULL, "name" text NOT NULL, "last_number" integer NOT NULL DEFAULT '0', "created_at" TIMESTAMP WITH TIME ZONE NOT NULL DEFAULT now(), CONSTRAINT "UQ_56cf02fa98a3b4129ee1b886a93" UNIQUE ("code"), CONSTRAINT "PK_635c0eeabda8862d5b0237b42b4" PRIMARY KEY ("id"))`);
    await q.query(`CREATE TABLE "area" ("id" uuid NOT NULL DEFAULT gen_random_uuid(), "site_id" uuid NOT NULL, "code" text NOT NULL, "name" text NOT NULL, CONSTRAINT "PK_39d5e4de490139d6535d75f42ff" PRIMARY KEY ("id"))`);
    await q.query(`CREATE UNIQUE INDEX "IDX_150a32168c3c130d2328354642" ON "area"  ("site_id", "code") `);
    await q.query(`CREATE TABLE "line" ("id" uuid NOT NULL DEFAULT gen_random_uuid(), "site_id" uuid NOT NULL, "area_id" uuid NOT NULL, "code" text NOT NULL, "name" text NOT NULL, CONSTRAINT "PK_3d944a608f62f599dfe688ff2b1" PRIMARY KEY ("id"))`);
    await q.query(`CREATE UNIQUE INDEX "IDX_ea5e4ce0f39a97bdbaab0b09ba" ON "line"  ("area_id", "code") `);
    await q.query(`CREATE TABLE "asset" ("id" uuid NOT NULL DEFAULT gen_random_uuid(), "site_id" uuid NOT NULL, "area_id" uuid, "line_id" uuid, "parent_id" uuid, "code" text NOT NULL, "name" text NOT NULL, "asset_class" text, CONSTRAINT "PK_1209d107fe21482beaea51b745e" PRIMARY KEY ("id"))`);
    await q.query(`CREATE INDEX "IDX_d05980ddacd16cb5839d7d2776" ON "asset"  ("area_id") `);
    await q.query(`CREATE INDEX "IDX_63fa63c4302b8a05859151f6e5" ON "asset"  ("line_id") `);
    await q.query(`CREATE INDEX "IDX_ecd8149ed35ca5430c48781c00" ON "asset"  ("parent_id") `);
    await q.query(`CREATE UNIQUE INDEX "IDX_e9b6954792d7f98fe3c45a3dee" ON "asset"  ("site_id", "code") `);
    await q.query(`CREATE TABLE "transition" ("id" BIGSERIAL NOT NULL, "work_item_id" uuid NOT NULL, "from_status" text, "to_status" text NOT NULL, "actor_id" text NOT NULL, "at" TIMESTAMP WITH TIME ZONE NOT NULL, "note" text, CONSTRAINT "PK_bb9daff96e2e8586928b5757e4e" PRIMARY KEY ("id"))`);
    await q.query(`CREATE INDEX "IDX_b8462923d45d3bee9f2942a595" ON "transition"  ("to_status", "at") `);
    await q.query(`CREATE INDEX "IDX_c2eeeb21c0af5992da6662e7af" ON "transition"  ("work_item_id", "id") `);
    await q.query(`CREATE TABLE "evidence" ("id" uuid NOT NULL DEFAULT gen_random_uuid(), "work_item_id" uuid NOT NULL, "kind" text NOT NULL, "label" text NOT NULL, "text" text, "value" double precision, "unit" text, "within_limits" boolean, "url" text, "checksum" text, "answers" jsonb, "submitted_by_id" text NOT NULL, "submitted_at" TIMESTAMP WITH TIME ZONE NOT NULL, CONSTRAINT "PK_b864cb5d49854f89917fc0b44b9" PRIMARY KEY ("id"))`);
    await q.query(`CREATE INDEX "IDX_ef41fd52d7cd5fdb95a24e4406" ON "evidence"  ("work_item_id") `);
    await q.query(`CREATE TABLE "shift_log_entry" ("id" uuid NOT NULL DEFAULT gen_random_uuid(), "site_id" uuid NOT NULL, "area_id" uuid, "shift" text NOT NULL, "author_id" text NOT NULL, "at" TIMESTAMP WITH TIME ZONE NOT NULL, "text" text NOT NULL, "attention_next_shift" boolean NOT NULL DEFAULT false, "work_item_ids" uuid array NOT NULL DEFAULT '{}', CONSTRAINT "PK_077a8cbf16da69586346bf3699b" PRIMARY KEY ("id"))`);
    await q.query(`CREATE INDEX "IDX_074e8b898788b76f85306e271b" ON "shift_log_entry"  ("site_id", "shift", "at") `);
    await q.query(`CREATE TABLE "prerequisite" ("id" uuid NOT NULL DEFAULT gen_random_uuid(), "work_item_id" uuid NOT NULL, "kind" text NOT NULL, "state" text NOT NULL, "description" text NOT NULL, "source_domain" text NOT NULL, "source_record_id" text NOT NULL DEFAULT '', "reason" text, "waived_reason" text, "waived_by_id" uuid, "resolved_at" TIMESTAMP WITH TIME ZONE, "created_at" TIMESTAMP WITH TIME ZONE NOT NULL DEFAULT now(), CONSTRAINT "PK_79e022943cb1a2aee541f7eca89" PRIMARY KEY ("id"))`);
    await q.query(`CREATE INDEX "IDX_f8fc6ddfe589e50960887d04d6" ON "prerequisite"  ("work_item_id") `);
    await q.query(`CREATE INDEX "IDX_622ae83041d880a7879c4a7d8a" ON "prerequisite"  ("source_domain", "source_record_id") `);
    await q.query(`CREATE UNIQUE INDEX "IDX_0cf104ee1d3047809178f8c0af" ON "prerequisite"  ("work_item_id", "kind", "source_domain", "source_record_id") `);
    await q.query(`CREATE TABLE "work_item" ("id" uuid NOT NULL DEFAULT gen_random_uuid(), "number" text NOT NULL, "type" text NOT NULL, "title" text NOT NULL, "description" text, "status" text NOT NULL, "held_from" text, "hold_reason" text, "priority" text NOT NULL DEFAULT 'MEDIUM', "open_prerequisites" integer NOT NULL DEFAULT '0', "site_id" uuid NOT NULL, "area_id" uuid, "line_id" uuid, "asset_id" uuid, "shift" text, "batch" text, "vehicle" text, "contractor_company" text, "window_start" TIMESTAMP WITH TIME ZONE, "window_end" TIMESTAMP WITH TIME ZONE, "customer_commitment" text, "due_at" TIMESTAMP WITH TIME ZONE, "owner_id" uuid, "team" text, "performer_id" uuid, "verified_by_id" uuid, "verified_at" TIMESTAMP WITH TIME ZONE, "completed_at" TIMESTAMP WITH TIME ZONE, "source_domain" text NOT NULL, "source_record_id" text, "source_reason" text, "required_outcome" jsonb NOT NULL, "links" jsonb NOT NULL DEFAULT '[]'::jsonb, "created_at" TIMESTAMP WITH TIME ZONE NOT NULL DEFAULT now(), "updated_at" TIMESTAMP WITH TIME ZONE NOT NULL DEFAULT now(), "version" integer NOT NULL, CONSTRAINT "UQ_723e8518136280cf7bc1a56c6f4" UNIQUE ("number"), CONSTRAINT "PK_ef6a53d98d3a483417ae3334144" PRIMARY KEY ("id"))`);
    await q.query(`CREATE INDEX "IDX_13ed7d6cbc80d97bc81a7278b2" ON "work_item"  ("contractor_company") `);
    await q.query(`CREATE INDEX "IDX_f8631f66bf6f576e0f42d78ca5" ON "work_item"  ("created_at", "id") `);
    await q.query(`CREATE INDEX "IDX_9230dfa6327da952303639aa2d" ON "work_item"  ("source_domain", "source_record_id") `);
    await q.query(`CREATE INDEX "IDX_5b1012129e28906f3930e6dfe5" ON "work_item"  ("owner_id", "status") `);
    await q.query(`CREATE INDEX "IDX_49d0e1b8c0f0538b1811febd3c" ON "work_item"  ("asset_id", "status") `);
    await q.query(`CREATE INDEX "IDX_c663f549bb39ec0a2d60af1d10" ON "work_item"  ("area_id", "status") `);
    await q.query(`CREATE INDEX "IDX_22cf342048a5f4d1e9b59f5ed0" ON "work_item"  ("site_id", "status") `);
    // History is append-only: refuse updates and deletes at the database, not only in code.
    await q.query(`CREATE FUNCTION transition_append_only() RETURNS trigger LANGUAGE plpgsql AS $$
      BEGIN RAISE EXCEPTION 'work item history is append-only'; END $$`);
    await q.query(`CREATE TRIGGER transition_append_only BEFORE UPDATE OR DELETE ON "transition" FOR EACH ROW EXECUTE FUNCTION transition_append_only()`);
  }

  async down(q: QueryRunner): Promise<void> {
    await q.query(`DROP TRIGGER transition_append_only ON "transition"`);
    await q.query(`DROP FUNCTION transition_append_only`);
    await q.query(`DROP INDEX "public"."IDX_22cf342048a5f4d1e9b59f5ed0"`);
    await q.query(`DROP INDEX "public"."IDX_c663f549bb39ec0a2d60af1d10"`);
    await q.query(`DROP INDEX "public"."IDX_49d0e1b8c0f0538b1811febd3c"`);
    await q.query(`DROP INDEX "public"."IDX_5b1012129e28906f3930e6dfe5"`);
    await q.query(`DROP INDEX "public"."IDX_9230dfa6327da952303639aa2d"`);
    await q.query(`DROP INDEX "public"."IDX_f8631f66bf6f576e0f42d78ca5"`);
    await q.query(`DROP INDEX "public"."IDX_13ed7d6cbc80d97bc81a7278b2"`);
    await q.query(`DROP TABLE "work_item"`);
    await q.query(`DROP INDEX "public"."IDX_0cf104ee1d3047809178f8c0af"`);
    await q.query(`DROP INDEX "public"."IDX_622ae83041d880a7879c4a7d8a"`);
    await q.query(`DROP INDEX "public"."IDX_f8fc6ddfe589e50960887d04d6"`);
    await q.query(`DROP TABLE "prerequisite"`);
    await q.query(`DROP INDEX "public"."IDX_074e8b898788b76f85306e271b"`);
    await q.query(`DROP TABLE "shift_log_entry"`);
    await q.query(`DROP INDEX "public"."IDX_ef41fd52d7cd5fdb95a24e4406"`);
    await q.query(`DROP TABLE "evidence"`);
    await q.query(`DROP INDEX "public"."IDX_c2eeeb21c0af5992da6662e7af"`);
    await q.query(`DROP INDEX "public"."IDX_b8462923d45d3bee9f2942a595"`);
    await q.query(`DROP TABLE "transition"`);
    await q.query(`DROP INDEX "public"."IDX_e9b6954792d7f98fe3c45a3dee"`);
    await q.query(`DROP INDEX "public"."IDX_ecd8149ed35ca5430c48781c00"`);
    await q.query(`DROP INDEX "public"."IDX_63fa63c4302b8a05859151f6e5"`);
    await q.query(`DROP INDEX "public"."IDX_d05980ddacd16cb5839d7d2776"`);
    await q.query(`DROP TABLE "asset"`);
    await q.query(`DROP INDEX "public"."IDX_ea5e4ce0f39a97bdbaab0b09ba"`);
    await q.query(`DROP TABLE "line"`);
    await q.query(`DROP INDEX "public"."IDX_150a32168c3c130d2328354642"`);
    await q.query(`DROP TABLE "area"`);
    await q.query(`DROP TABLE "site"`);
  }
}
