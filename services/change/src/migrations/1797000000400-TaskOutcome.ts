import type { MigrationInterface, QueryRunner } from 'typeorm';

/**
 * An implementation task keeps the proof its work item asks for. Null only for tasks raised before it was
 * kept: they asked for Work's default ("<title>: done as described", no evidence).
 */
export class TaskOutcome1797000000400 implements MigrationInterface {
  name = 'TaskOutcome1797000000400';

  async up(q: QueryRunner): Promise<void> {
    await q.query(`ALTER TABLE "change_task" ADD "required_outcome" jsonb`);
  }

  async down(q: QueryRunner): Promise<void> {
    await q.query(`ALTER TABLE "change_task" DROP COLUMN "required_outcome"`);
  }
}
