import type { MigrationInterface, QueryRunner } from 'typeorm';

/**
 * Who completed each investigation, and who started or completed each work item (WorkPerformer in libs/core tracked-work.ts,
 * learnt from Work's events from now on): they do not close the incident.
 */
export class IncidentParticipants1796672233429 implements MigrationInterface {
  name = 'IncidentParticipants1796672233429';

  async up(q: QueryRunner): Promise<void> {
    await q.query(`CREATE TABLE "work_performer" ("work_item_id" uuid NOT NULL, "person_id" text NOT NULL, CONSTRAINT "PK_71d1587b6486dd1fd6bbf535895" PRIMARY KEY ("work_item_id", "person_id"))`);
    await q.query(`ALTER TABLE "incident" ADD "investigation_completed_by_id" text`);
  }

  async down(q: QueryRunner): Promise<void> {
    await q.query(`ALTER TABLE "incident" DROP COLUMN "investigation_completed_by_id"`);
    await q.query(`DROP TABLE "work_performer"`);
  }
}
