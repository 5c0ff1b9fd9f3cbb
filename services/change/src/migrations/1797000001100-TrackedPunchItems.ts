import { protectBySite, unprotect } from '@opsgraph/core';
import type { MigrationInterface, QueryRunner } from 'typeorm';

/**
 * Work's punch items with their category (entities/punch-item.ts), for "may we restart?": visible to a request
 * with their tracked work item (whose own policies, site and contractor, apply inside the check).
 */
export class TrackedPunchItems1797000001100 implements MigrationInterface {
  name = 'TrackedPunchItems1797000001100';

  async up(q: QueryRunner): Promise<void> {
    await q.query(`CREATE TABLE "tracked_punch_item" ("work_item_id" uuid NOT NULL, "category" text NOT NULL, "project" text NOT NULL, "system" text, "milestone" text,
      "last_event_at" TIMESTAMP WITH TIME ZONE NOT NULL, CONSTRAINT "PK_tracked_punch_item" PRIMARY KEY ("work_item_id"),
      CONSTRAINT "CHK_tracked_punch_item_category" CHECK ("category" IN ('A', 'B')))`);
    await q.query(`CREATE INDEX "IDX_tracked_punch_item_a" ON "tracked_punch_item" ("work_item_id") WHERE "category" = 'A'`);
    await protectBySite(q, 'tracked_punch_item', { through: { table: 'tracked_work_item', key: 'work_item_id', parentKey: 'work_item_id' } });
  }

  async down(q: QueryRunner): Promise<void> {
    await unprotect(q, 'tracked_punch_item');
    await q.query(`DROP TABLE "tracked_punch_item"`);
  }
}
