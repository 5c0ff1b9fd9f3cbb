import type { MigrationInterface, QueryRunner } from 'typeorm';

/** Who started or completed each work item (WorkPerformer in libs/core tracked-work.ts), learnt from Work's events from now on. */
export class WorkPerformers1796672121775 implements MigrationInterface {
  name = 'WorkPerformers1796672121775';

  async up(q: QueryRunner): Promise<void> {
    await q.query(`CREATE TABLE "work_performer" ("work_item_id" uuid NOT NULL, "person_id" text NOT NULL, CONSTRAINT "PK_71d1587b6486dd1fd6bbf535895" PRIMARY KEY ("work_item_id", "person_id"))`);
  }

  async down(q: QueryRunner): Promise<void> {
    await q.query(`DROP TABLE "work_performer"`);
  }
}
