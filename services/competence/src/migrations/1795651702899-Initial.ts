import type { MigrationInterface, QueryRunner } from 'typeorm';

export class Initial1795651702899 implements MigrationInterface {
  name = 'Initial1795651702899';

  async up(q: QueryRunner): Promise<void> {
    await q.query(`CREATE TABLE "competence_record" ("id" uuid NOT NULL DEFAULT gen_random_uuid(), "person_id" uuid NOT NULL, "qualification_id" uuid NOT NULL, "achieved_at" TIMESTAMP WITH TIME ZONE NOT NULL, "expires_at" TIMESTAMP WITH TIME ZONE, "evidence" text, "granted_by_id" text NOT NULL, "revoked_at" TIMESTAMP WITH TIME ZONE, "revoked_by_id" text, "revoked_reason" text, "lapsed_at" TIMESTAMP WITH TIME ZONE, "created_at" TIMESTAMP WITH TIME ZONE NOT NULL DEFAULT now(), "updated_at" TIMESTAMP WITH TIME ZONE NOT NULL DEFAULT now(), "version" integer NOT NULL, CONSTRAINT "PK_1141253ac5d8f1302d80b2a0758" PRIMARY KEY ("id"))`);
    await q.query(`CREATE INDEX "competence_record_due" ON "competence_record"  ("expires_at") WHERE lapsed_at IS NULL AND revoked_at IS NULL AND expires_at IS NOT NULL`);
    await q.query(`CREATE INDEX "IDX_bd6ede86a75b1ce37fa1dde717" ON "competence_record"  ("qualification_id") `);
    await q.query(`CREATE UNIQUE INDEX "IDX_e127330d4829841473de69fdb7" ON "competence_record"  ("person_id", "qualification_id") `);
    await q.query(`CREATE TABLE "person" ("id" uuid NOT NULL, "name" text NOT NULL, "company" text, "roles" text array NOT NULL DEFAULT '{}', "site_ids" text array NOT NULL DEFAULT '{}', "created_at" TIMESTAMP WITH TIME ZONE NOT NULL DEFAULT now(), "updated_at" TIMESTAMP WITH TIME ZONE NOT NULL DEFAULT now(), "version" integer NOT NULL, CONSTRAINT "PK_5fdaf670315c4b7e70cce85daa3" PRIMARY KEY ("id"))`);
    await q.query(`CREATE INDEX "IDX_3aaa004a2034f64fe353e51440" ON "person"  ("company") `);
    await q.query(`CREATE TABLE "qualification" ("id" uuid NOT NULL DEFAULT gen_random_uuid(), "code" text NOT NULL, "name" text NOT NULL, "description" text, "validity_months" integer, "created_at" TIMESTAMP WITH TIME ZONE NOT NULL DEFAULT now(), CONSTRAINT "UQ_ba1e477aaaa6b5703968001fb9a" UNIQUE ("code"), CONSTRAINT "PK_c8244868552c4364a5264440a66" PRIMARY KEY ("id"))`);
    await q.query(`CREATE TABLE "qualification_requirement" ("id" uuid NOT NULL DEFAULT gen_random_uuid(), "qualification_id" uuid NOT NULL, "scope" text NOT NULL, "value" text NOT NULL, "created_at" TIMESTAMP WITH TIME ZONE NOT NULL DEFAULT now(), CONSTRAINT "PK_9ca01f2528039c003363ec6c95e" PRIMARY KEY ("id"))`);
    await q.query(`CREATE INDEX "IDX_3bf9724f5585946331267c4449" ON "qualification_requirement"  ("scope", "value") `);
    await q.query(`CREATE UNIQUE INDEX "IDX_508df02291d958f9cbccc45678" ON "qualification_requirement"  ("qualification_id", "scope", "value") `);
    await q.query(`CREATE TABLE "open_work_item" ("work_item_id" uuid NOT NULL, "number" text NOT NULL, "site_id" uuid NOT NULL, "work_type" text NOT NULL, "asset_class" text, "owner_id" uuid, "contractor_company" text, "created_at" TIMESTAMP WITH TIME ZONE NOT NULL DEFAULT now(), CONSTRAINT "PK_fa37451df04514c99323917f3f2" PRIMARY KEY ("work_item_id"))`);
    await q.query(`CREATE INDEX "IDX_11d876e40acffa3aa1715fc76c" ON "open_work_item"  ("asset_class") `);
    await q.query(`CREATE INDEX "IDX_bd365dc63faabd5d41515c2d26" ON "open_work_item"  ("work_type") `);
    await q.query(`CREATE INDEX "IDX_bc2d46f6a46abe3d4e372d1288" ON "open_work_item"  ("owner_id") `);
    await q.query(`CREATE TABLE "work_permit_cover" ("work_item_id" uuid NOT NULL, "permit_id" uuid NOT NULL, "permit_type" text NOT NULL, CONSTRAINT "PK_4268b4798c883ec26f8eef41b63" PRIMARY KEY ("work_item_id", "permit_id"))`);
    await q.query(`CREATE INDEX "IDX_d0a018f9decdd08a0c4de1211a" ON "work_permit_cover"  ("permit_id") `);
    // "People at this site (or every site)" for lists and "who could take this job" (array overlap).
    await q.query(`CREATE INDEX "person_site_ids" ON "person" USING gin ("site_ids")`);
  }

  async down(q: QueryRunner): Promise<void> {
    await q.query(`DROP INDEX "public"."person_site_ids"`);
    await q.query(`DROP INDEX "public"."IDX_9d18bd4a32fc0cd8ff82b12037"`);
    await q.query(`DROP INDEX "public"."IDX_fcbbd424adfc2a340371ca7b54"`);
    await q.query(`DROP INDEX "public"."IDX_d0a018f9decdd08a0c4de1211a"`);
    await q.query(`DROP TABLE "work_permit_cover"`);
    await q.query(`DROP INDEX "public"."IDX_bc2d46f6a46abe3d4e372d1288"`);
    await q.query(`DROP INDEX "public"."IDX_bd365dc63faabd5d41515c2d26"`);
    await q.query(`DROP INDEX "public"."IDX_11d876e40acffa3aa1715fc76c"`);
    await q.query(`DROP TABLE "open_work_item"`);
    await q.query(`DROP INDEX "public"."IDX_508df02291d958f9cbccc45678"`);
    await q.query(`DROP INDEX "public"."IDX_3bf9724f5585946331267c4449"`);
    await q.query(`DROP TABLE "qualification_requirement"`);
    await q.query(`DROP TABLE "qualification"`);
    await q.query(`DROP INDEX "public"."IDX_3aaa004a2034f64fe353e51440"`);
    await q.query(`DROP TABLE "person"`);
    await q.query(`DROP INDEX "public"."IDX_e127330d4829841473de69fdb7"`);
    await q.query(`DROP INDEX "public"."IDX_bd6ede86a75b1ce37fa1dde717"`);
    await q.query(`DROP INDEX "public"."competence_record_due"`);
    await q.query(`DROP TABLE "competence_record"`);
  }
}
