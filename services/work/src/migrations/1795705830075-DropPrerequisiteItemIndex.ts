import type { MigrationInterface, QueryRunner } from 'typeorm';

/**
 * The prerequisite's own index on work_item_id duplicated the leading column of the unique
 * (work_item_id, kind, source_domain, source_record_id) index, which serves the same reads: one index fewer
 * to write for every prerequisite raised.
 */
export class DropPrerequisiteItemIndex1795705830075 implements MigrationInterface {
  name = 'DropPrerequisiteItemIndex1795705830075';

  async up(q: QueryRunner): Promise<void> {
    await q.query(`DROP INDEX "public"."IDX_f8fc6ddfe589e50960887d04d6"`);
  }

  async down(q: QueryRunner): Promise<void> {
    await q.query(`CREATE INDEX "IDX_f8fc6ddfe589e50960887d04d6" ON "prerequisite" USING btree ("work_item_id") `);
  }
}
