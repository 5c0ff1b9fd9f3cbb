import { protectBySite, unprotect } from '@opsgraph/core';
import type { MigrationInterface, QueryRunner } from 'typeorm';

/**
 * Work types with their own details (domain/details.ts): one jsonb document on the item, so it is read, locked
 * and kept in scope with it (the row-level security of `work_item` covers it; no new table). The GIN index
 * serves the list's containment filters (a bay, a punch category, an order or batch); the expression index the
 * logistics moves' slots, which bay conflicts and the time slot filter compare.
 *
 * `work_template`: a site's templates per type (domain/templates.ts), by site; a name once per site.
 */
export class WorkDetails1797000001000 implements MigrationInterface {
  name = 'WorkDetails1797000001000';

  async up(q: QueryRunner): Promise<void> {
    await q.query(`ALTER TABLE "work_item" ADD "details" jsonb`);
    await q.query(`ALTER TABLE "work_item" ADD CONSTRAINT "CHK_work_item_details" CHECK ("details" IS NULL OR jsonb_typeof("details") = 'object')`);
    await q.query(`CREATE INDEX "IDX_work_item_details" ON "work_item" USING gin ("details" jsonb_path_ops) WHERE "details" IS NOT NULL`);
    await q.query(`CREATE INDEX "IDX_work_item_logistics_site" ON "work_item" ("site_id") WHERE "type" = 'LOGISTICS' AND "details" ? 'logistics'`);
    await q.query(`CREATE TABLE "work_template" ("id" uuid NOT NULL DEFAULT gen_random_uuid(), "site_id" uuid NOT NULL, "type" text NOT NULL, "name" text NOT NULL,
      "title" text NOT NULL, "description" text, "priority" text NOT NULL, "required_outcome" jsonb NOT NULL, "blockers" jsonb NOT NULL DEFAULT '[]'::jsonb,
      "details" jsonb, "created_by_id" text NOT NULL, "created_at" TIMESTAMP WITH TIME ZONE NOT NULL DEFAULT now(), CONSTRAINT "PK_work_template" PRIMARY KEY ("id"))`);
    await q.query(`CREATE UNIQUE INDEX "IDX_work_template_site_name" ON "work_template" ("site_id", "name")`);
    await protectBySite(q, 'work_template');
  }

  async down(q: QueryRunner): Promise<void> {
    await unprotect(q, 'work_template');
    await q.query(`DROP TABLE "work_template"`);
    await q.query(`DROP INDEX "IDX_work_item_logistics_site"`);
    await q.query(`DROP INDEX "IDX_work_item_details"`);
    await q.query(`ALTER TABLE "work_item" DROP CONSTRAINT "CHK_work_item_details"`);
    await q.query(`ALTER TABLE "work_item" DROP COLUMN "details"`);
  }
}
