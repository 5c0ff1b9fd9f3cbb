import type { MigrationInterface, QueryRunner } from 'typeorm';

/**
 * Conditions judged at the moment of action (domain/work-items.ts, `lapseExpired`): a satisfied prerequisite
 * carries when it lapses (`valid_until`, also on the kept facts that satisfy blockers raised later), and each
 * item the earliest of them (`lapses_at`), so lists and the board count a lapsed item blocked without a join.
 */
export class PrerequisiteValidity1797000000900 implements MigrationInterface {
  name = 'PrerequisiteValidity1797000000900';

  async up(q: QueryRunner): Promise<void> {
    await q.query(`ALTER TABLE "prerequisite" ADD "valid_until" TIMESTAMP WITH TIME ZONE`);
    await q.query(`ALTER TABLE "prerequisite_fact" ADD "valid_until" TIMESTAMP WITH TIME ZONE`);
    await q.query(`ALTER TABLE "work_item" ADD "lapses_at" TIMESTAMP WITH TIME ZONE`);
  }

  async down(q: QueryRunner): Promise<void> {
    await q.query(`ALTER TABLE "work_item" DROP COLUMN "lapses_at"`);
    await q.query(`ALTER TABLE "prerequisite_fact" DROP COLUMN "valid_until"`);
    await q.query(`ALTER TABLE "prerequisite" DROP COLUMN "valid_until"`);
  }
}
