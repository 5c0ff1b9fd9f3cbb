import type { MigrationInterface, QueryRunner } from 'typeorm';

export class Initial1795651557606 implements MigrationInterface {
  name = 'Initial1795651557606';

  async up(q: QueryRunner): Promise<void> {
    await q.query(`CREATE TABLE "tracked_work_item" ("work_item_id" uuid NOT NULL, "number" text NOT NULL, "work_type" text NOT NULL, "status" text NOT NULL, "site_id" uuid NOT NULL, "area_id" uuid, "line_id" uuid, "asset_id" uuid, "asset_class" text, "source_domain" text, "source_record_id" text, "request_id" text, "owner_id" text, "verified_at" TIMESTAMP WITH TIME ZONE, "verifier_id" text, "last_event_at" TIMESTAMP WITH TIME ZONE NOT NULL, "updated_at" TIMESTAMP WITH TIME ZONE NOT NULL DEFAULT now(), CONSTRAINT "PK_a58f3b73f7c540e2a395b1099ae" PRIMARY KEY ("work_item_id"))`);
    await q.query(`CREATE INDEX "tracked_work_item_request" ON "tracked_work_item"  ("request_id") `);
    await q.query(`CREATE INDEX "tracked_work_item_source" ON "tracked_work_item"  ("source_domain", "source_record_id") `);
    await q.query(`CREATE INDEX "tracked_work_item_asset" ON "tracked_work_item"  ("asset_id", "status") `);
    await q.query(`CREATE TABLE "document_acknowledgement" ("id" uuid NOT NULL DEFAULT gen_random_uuid(), "revision_id" uuid NOT NULL, "document_id" uuid NOT NULL, "person_id" uuid NOT NULL, "state" text NOT NULL, "work_item_ids" uuid array NOT NULL DEFAULT '{}', "required_at" TIMESTAMP WITH TIME ZONE, "acknowledged_at" TIMESTAMP WITH TIME ZONE, CONSTRAINT "PK_2eae99592a4ae86bd1cc370907e" PRIMARY KEY ("id"))`);
    await q.query(`CREATE INDEX "IDX_ba98af6f810d6d3a1f93684501" ON "document_acknowledgement"  ("person_id", "state") `);
    await q.query(`CREATE UNIQUE INDEX "IDX_f04d6c2c3f7201bf42dfbf572a" ON "document_acknowledgement"  ("revision_id", "person_id") `);
    await q.query(`CREATE TABLE "document" ("id" uuid NOT NULL DEFAULT gen_random_uuid(), "number" text NOT NULL, "title" text NOT NULL, "type" text NOT NULL, "owner_id" uuid NOT NULL, "site_id" uuid NOT NULL, "site_ids" uuid array NOT NULL DEFAULT '{}', "area_ids" uuid array NOT NULL DEFAULT '{}', "asset_ids" uuid array NOT NULL DEFAULT '{}', "work_types" text array NOT NULL DEFAULT '{}', "review_interval_days" integer, "last_reviewed_at" TIMESTAMP WITH TIME ZONE, "created_at" TIMESTAMP WITH TIME ZONE NOT NULL DEFAULT now(), "updated_at" TIMESTAMP WITH TIME ZONE NOT NULL DEFAULT now(), "version" integer NOT NULL, CONSTRAINT "UQ_82a4ee79717aa882602410a3ca2" UNIQUE ("number"), CONSTRAINT "PK_e57d3357f83f3cdc0acffc3d777" PRIMARY KEY ("id"))`);
    await q.query(`CREATE INDEX "IDX_8bf210e0edfd908be21e6381f6" ON "document"  ("site_id") `);
    await q.query(`CREATE TABLE "document_revision" ("id" uuid NOT NULL DEFAULT gen_random_uuid(), "document_id" uuid NOT NULL, "label" text NOT NULL, "status" text NOT NULL, "effective_date" TIMESTAMP WITH TIME ZONE, "content_ref" text NOT NULL, "checksum" text NOT NULL, "change_summary" text, "author_id" text NOT NULL, "submitted_at" TIMESTAMP WITH TIME ZONE, "returned_reason" text, "approved_by_id" text, "approved_at" TIMESTAMP WITH TIME ZONE, "superseded_at" TIMESTAMP WITH TIME ZONE, "created_at" TIMESTAMP WITH TIME ZONE NOT NULL DEFAULT now(), "version" integer NOT NULL, CONSTRAINT "PK_f416b4fe1a4994e9445d8f904a1" PRIMARY KEY ("id"))`);
    await q.query(`CREATE UNIQUE INDEX "document_revision_pending" ON "document_revision"  ("document_id") WHERE "status" IN ('DRAFT', 'IN_REVIEW')`);
    await q.query(`CREATE UNIQUE INDEX "document_revision_current" ON "document_revision"  ("document_id") WHERE "status" = 'APPROVED'`);
    await q.query(`CREATE UNIQUE INDEX "IDX_76819deede505e328f3a9ca69e" ON "document_revision"  ("document_id", "label") `);
    await q.query(`CREATE TABLE "document_review" ("id" uuid NOT NULL DEFAULT gen_random_uuid(), "document_id" uuid NOT NULL, "kind" text NOT NULL, "reason" text, "due_at" TIMESTAMP WITH TIME ZONE NOT NULL, "status" text NOT NULL, "requested_by_id" text NOT NULL, "created_at" TIMESTAMP WITH TIME ZONE NOT NULL DEFAULT now(), "closed_at" TIMESTAMP WITH TIME ZONE, CONSTRAINT "PK_ef6f4a72770b0a59b231be327b5" PRIMARY KEY ("id"))`);
    await q.query(`CREATE UNIQUE INDEX "document_review_open" ON "document_review"  ("document_id") WHERE "status" = 'OPEN'`);
    await q.query(`CREATE INDEX "IDX_e6d698928c0ec529eb0be57752" ON "document_review"  ("document_id", "created_at") `);
    await q.query(`CREATE TABLE "document_reviewer" ("id" uuid NOT NULL DEFAULT gen_random_uuid(), "review_id" uuid NOT NULL, "person_id" uuid NOT NULL, "request_id" text NOT NULL, CONSTRAINT "UQ_3517c274ec74a90d62f4a5584d4" UNIQUE ("request_id"), CONSTRAINT "PK_2bbff68c09ecaac9174b5ac8dac" PRIMARY KEY ("id"))`);
    await q.query(`CREATE UNIQUE INDEX "IDX_3f5dd18201efaf5106c1db5f4e" ON "document_reviewer"  ("review_id", "person_id") `);
    // GIN indexes for "which documents apply at these places" and "which acknowledgements block this work" (entities mark them synchronize: false).
    await q.query(`CREATE INDEX "document_site_ids" ON "document" USING gin ("site_ids")`);
    await q.query(`CREATE INDEX "document_area_ids" ON "document" USING gin ("area_ids")`);
    await q.query(`CREATE INDEX "document_asset_ids" ON "document" USING gin ("asset_ids")`);
    await q.query(`CREATE INDEX "document_acknowledgement_work_item_ids" ON "document_acknowledgement" USING gin ("work_item_ids")`);
  }

  async down(q: QueryRunner): Promise<void> {
    await q.query(`DROP INDEX "public"."IDX_3f5dd18201efaf5106c1db5f4e"`);
    await q.query(`DROP TABLE "document_reviewer"`);
    await q.query(`DROP INDEX "public"."IDX_e6d698928c0ec529eb0be57752"`);
    await q.query(`DROP INDEX "public"."document_review_open"`);
    await q.query(`DROP TABLE "document_review"`);
    await q.query(`DROP INDEX "public"."IDX_76819deede505e328f3a9ca69e"`);
    await q.query(`DROP INDEX "public"."document_revision_current"`);
    await q.query(`DROP INDEX "public"."document_revision_pending"`);
    await q.query(`DROP TABLE "document_revision"`);
    await q.query(`DROP INDEX "public"."IDX_8bf210e0edfd908be21e6381f6"`);
    await q.query(`DROP TABLE "document"`);
    await q.query(`DROP INDEX "public"."IDX_f04d6c2c3f7201bf42dfbf572a"`);
    await q.query(`DROP INDEX "public"."IDX_ba98af6f810d6d3a1f93684501"`);
    await q.query(`DROP TABLE "document_acknowledgement"`);
    await q.query(`DROP INDEX "public"."tracked_work_item_asset"`);
    await q.query(`DROP INDEX "public"."tracked_work_item_source"`);
    await q.query(`DROP INDEX "public"."tracked_work_item_request"`);
    await q.query(`DROP TABLE "tracked_work_item"`);
  }
}
