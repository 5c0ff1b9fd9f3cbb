import { REQUEST_ROLE, protectBySite, unprotect } from '@opsgraph/core';
import type { MigrationInterface, QueryRunner } from 'typeorm';

/**
 * Start-up authorization, its own step after the pre-startup review: one record per change with who authorized,
 * when, the note and the verified checks it rested on; seen through its change like the change's other parts.
 * And the issued permits covering work items (from the permits domain's events), which satisfy the "valid
 * permit" blocker of a pre-startup check that needs one; by site, like the tracked work, and nothing of it for a
 * contractor-only caller (only the consumer reads it; which permits cover which work is the permits domain's to show).
 */
const NO_CONTRACTOR = `((SELECT opsgraph_company()) IS NULL)`;

export class StartupAuthorization1797000000300 implements MigrationInterface {
  name = 'StartupAuthorization1797000000300';

  async up(q: QueryRunner): Promise<void> {
    await q.query(`CREATE TABLE "startup_authorization" ("id" uuid NOT NULL DEFAULT gen_random_uuid(), "change_id" uuid NOT NULL, "authorized_by_id" text NOT NULL, "authorized_at" TIMESTAMP WITH TIME ZONE NOT NULL, "note" text NOT NULL, "verified_checks" jsonb NOT NULL, CONSTRAINT "PK_32f570635469610cd39fa37bec8" PRIMARY KEY ("id"))`);
    await q.query(`CREATE UNIQUE INDEX "IDX_cdec71f43ac646ac5e1b394b29" ON "startup_authorization"  ("change_id") `);
    await protectBySite(q, 'startup_authorization', { through: { table: 'change_request', key: 'change_id' } });
    await q.query(`CREATE TABLE "permit_cover" ("id" uuid NOT NULL DEFAULT gen_random_uuid(), "work_item_id" uuid NOT NULL, "permit_id" uuid NOT NULL, "permit_number" text NOT NULL, "site_id" uuid NOT NULL, "issued_at" TIMESTAMP WITH TIME ZONE NOT NULL, CONSTRAINT "PK_c263d7ac0a78dbe6c8b027e2caf" PRIMARY KEY ("id"))`);
    await q.query(`CREATE UNIQUE INDEX "IDX_8288975b2f995f7290ee0194a7" ON "permit_cover"  ("work_item_id", "permit_id") `);
    await protectBySite(q, 'permit_cover');
    await q.query(`CREATE POLICY permit_cover_contractor ON permit_cover AS RESTRICTIVE TO ${REQUEST_ROLE} USING ${NO_CONTRACTOR} WITH CHECK ${NO_CONTRACTOR}`);
  }

  async down(q: QueryRunner): Promise<void> {
    await q.query(`DROP POLICY IF EXISTS permit_cover_contractor ON permit_cover`);
    await unprotect(q, 'permit_cover');
    await q.query(`DROP INDEX "public"."IDX_8288975b2f995f7290ee0194a7"`);
    await q.query(`DROP TABLE "permit_cover"`);
    await unprotect(q, 'startup_authorization');
    await q.query(`DROP INDEX "public"."IDX_cdec71f43ac646ac5e1b394b29"`);
    await q.query(`DROP TABLE "startup_authorization"`);
  }
}
