import type { MigrationInterface, QueryRunner } from 'typeorm';

/** Permits' view of where Work's items are and whose jobs they are (entities/work-item.ts). */
export class KnownWorkItem1795662282108 implements MigrationInterface {
  name = 'KnownWorkItem1795662282108';

  async up(q: QueryRunner): Promise<void> {
    await q.query(`CREATE TABLE "known_work_item" ("work_item_id" uuid NOT NULL, "site_id" uuid NOT NULL, "contractor_company" text, CONSTRAINT "PK_40aeea0d61c418e370d6152d776" PRIMARY KEY ("work_item_id"))`);
  }

  async down(q: QueryRunner): Promise<void> {
    await q.query(`DROP TABLE "known_work_item"`);
  }
}
