import { protectBySite, unprotect } from '@opsgraph/core';
import type { MigrationInterface, QueryRunner } from 'typeorm';

/**
 * Holds that hold (domain/holds.ts): the holds supporting records put on assets, active until released, and on
 * each held item the record whose hold stopped it. `asset_hold` is by site (people resuming or raising work read
 * the holds of their own site's assets).
 */
export class AssetHolds1797000000910 implements MigrationInterface {
  name = 'AssetHolds1797000000910';

  async up(q: QueryRunner): Promise<void> {
    await q.query(`CREATE TABLE "asset_hold" ("source_domain" text NOT NULL, "source_record_id" text NOT NULL, "asset_id" uuid NOT NULL, "site_id" uuid NOT NULL,
      "reason" text, "resume_roles" text array NOT NULL, "requested_at" TIMESTAMP WITH TIME ZONE, "released_at" TIMESTAMP WITH TIME ZONE, "release_reason" text,
      CONSTRAINT "PK_asset_hold" PRIMARY KEY ("source_domain", "source_record_id", "asset_id"))`);
    await q.query(`CREATE INDEX "IDX_asset_hold_active" ON "asset_hold" ("asset_id") WHERE released_at IS NULL`);
    await q.query(`ALTER TABLE "work_item" ADD "hold_source_domain" text, ADD "hold_source_record_id" text`);
    await protectBySite(q, 'asset_hold');
  }

  async down(q: QueryRunner): Promise<void> {
    await unprotect(q, 'asset_hold');
    await q.query(`ALTER TABLE "work_item" DROP COLUMN "hold_source_record_id", DROP COLUMN "hold_source_domain"`);
    await q.query(`DROP TABLE "asset_hold"`);
  }
}
