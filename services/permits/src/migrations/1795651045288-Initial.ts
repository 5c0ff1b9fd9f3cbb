import type { MigrationInterface, QueryRunner } from 'typeorm';

export class Initial1795651045288 implements MigrationInterface {
  name = 'Initial1795651045288';

  async up(q: QueryRunner): Promise<void> {
    await q.query(`CREATE TABLE "gas_test" ("id" uuid NOT NULL DEFAULT gen_random_uuid(), "permit_id" uuid NOT NULL, "o2" double precision NOT NULL, "lel" double precision NOT NULL, "h2s" double precision NOT NULL, "co" double precision NOT NULL, "limits" jsonb NOT NULL, "within_limits" boolean NOT NULL, "location" text, "tested_by_id" text NOT NULL, "tested_at" TIMESTAMP WITH TIME ZONE NOT NULL, "expires_at" TIMESTAMP WITH TIME ZONE NOT NULL, "created_at" TIMESTAMP WITH TIME ZONE NOT NULL DEFAULT now(), CONSTRAINT "PK_39ecb5f0fc5a4e88b8b2e4beef2" PRIMARY KEY ("id"))`);
    await q.query(`CREATE INDEX "IDX_6577bba8960549087a4ac69b21" ON "gas_test"  ("permit_id", "tested_at") `);
    await q.query(`CREATE TABLE "isolation" ("id" uuid NOT NULL DEFAULT gen_random_uuid(), "permit_id" uuid NOT NULL, "asset_id" uuid NOT NULL, "point" text NOT NULL, "method" text NOT NULL, "tag" text, "applied_by_id" text, "applied_at" TIMESTAMP WITH TIME ZONE, "verified_by_id" text, "verified_at" TIMESTAMP WITH TIME ZONE, "removed_by_id" text, "removed_at" TIMESTAMP WITH TIME ZONE, "created_at" TIMESTAMP WITH TIME ZONE NOT NULL DEFAULT now(), CONSTRAINT "PK_3add4d7f925d851b7f7c1fbc948" PRIMARY KEY ("id"))`);
    await q.query(`CREATE INDEX "isolation_active_by_asset" ON "isolation"  ("asset_id") WHERE applied_at IS NOT NULL AND removed_at IS NULL`);
    await q.query(`CREATE INDEX "IDX_06bb7ce01bc858a2cfdfef146b" ON "isolation"  ("permit_id", "created_at") `);
    await q.query(`CREATE TABLE "permit" ("id" uuid NOT NULL DEFAULT gen_random_uuid(), "number" text NOT NULL, "type" text NOT NULL, "status" text NOT NULL, "description" text NOT NULL, "site_id" uuid NOT NULL, "area_id" uuid, "asset_ids" uuid array NOT NULL DEFAULT '{}', "work_item_ids" uuid array NOT NULL DEFAULT '{}', "requester_id" text NOT NULL, "approved_by_id" text, "approved_at" TIMESTAMP WITH TIME ZONE, "issuer_id" text, "issued_at" TIMESTAMP WITH TIME ZONE, "performing_authority_id" text, "valid_from" TIMESTAMP WITH TIME ZONE NOT NULL, "valid_to" TIMESTAMP WITH TIME ZONE NOT NULL, "precautions" text array NOT NULL DEFAULT '{}', "conditions" text, "status_reason" text, "ended_at" TIMESTAMP WITH TIME ZONE, "created_at" TIMESTAMP WITH TIME ZONE NOT NULL DEFAULT now(), "updated_at" TIMESTAMP WITH TIME ZONE NOT NULL DEFAULT now(), "version" integer NOT NULL, CONSTRAINT "UQ_10eb28816089588bc125d08fa19" UNIQUE ("number"), CONSTRAINT "PK_2391da0f3ffdb3315e96908b776" PRIMARY KEY ("id"))`);
    await q.query(`CREATE INDEX "IDX_1fd22bfecf155d2875a4daf974" ON "permit"  ("status", "valid_to") `);
    await q.query(`CREATE INDEX "IDX_e77d64fdbd222871df11c4cdd6" ON "permit"  ("site_id", "status") `);
    await q.query(`CREATE TABLE "permit_transition" ("id" BIGSERIAL NOT NULL, "permit_id" uuid NOT NULL, "from_status" text, "to_status" text NOT NULL, "actor_id" text NOT NULL, "at" TIMESTAMP WITH TIME ZONE NOT NULL, "note" text, CONSTRAINT "PK_ffb410c0d3c5f6e2a49c60c0d40" PRIMARY KEY ("id"))`);
    await q.query(`CREATE INDEX "IDX_4c190266afd8ffccbcea1e8271" ON "permit_transition"  ("permit_id", "id") `);
    await q.query(`CREATE TABLE "permit_site" ("site_id" uuid NOT NULL, "code" text NOT NULL, "last_number" integer NOT NULL DEFAULT '0', CONSTRAINT "PK_751b87e1b12e8128b199439e6a2" PRIMARY KEY ("site_id"))`);
    // "Which permits cover these work items / assets" for a whole list in one statement (array overlap).
    await q.query(`CREATE INDEX "permit_work_item_ids" ON "permit" USING gin ("work_item_ids")`);
    await q.query(`CREATE INDEX "permit_asset_ids" ON "permit" USING gin ("asset_ids")`);
    // Permit history is append-only: refuse updates and deletes at the database, not only in code.
    await q.query(`CREATE FUNCTION permit_transition_append_only() RETURNS trigger LANGUAGE plpgsql AS $$
      BEGIN RAISE EXCEPTION 'permit history is append-only'; END $$`);
    await q.query(`CREATE TRIGGER permit_transition_append_only BEFORE UPDATE OR DELETE ON "permit_transition" FOR EACH ROW EXECUTE FUNCTION permit_transition_append_only()`);
  }

  async down(q: QueryRunner): Promise<void> {
    await q.query(`DROP TRIGGER permit_transition_append_only ON "permit_transition"`);
    await q.query(`DROP FUNCTION permit_transition_append_only`);
    await q.query(`DROP INDEX "public"."permit_asset_ids"`);
    await q.query(`DROP INDEX "public"."permit_work_item_ids"`);
    await q.query(`DROP TABLE "permit_site"`);
    await q.query(`DROP INDEX "public"."IDX_4c190266afd8ffccbcea1e8271"`);
    await q.query(`DROP TABLE "permit_transition"`);
    await q.query(`DROP INDEX "public"."IDX_e77d64fdbd222871df11c4cdd6"`);
    await q.query(`DROP INDEX "public"."IDX_1fd22bfecf155d2875a4daf974"`);
    await q.query(`DROP TABLE "permit"`);
    await q.query(`DROP INDEX "public"."IDX_06bb7ce01bc858a2cfdfef146b"`);
    await q.query(`DROP INDEX "public"."isolation_active_by_asset"`);
    await q.query(`DROP TABLE "isolation"`);
    await q.query(`DROP INDEX "public"."IDX_6577bba8960549087a4ac69b21"`);
    await q.query(`DROP TABLE "gas_test"`);
  }
}
