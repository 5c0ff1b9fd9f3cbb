import type { MigrationInterface, QueryRunner } from 'typeorm';

/** A job's controls are read by assessment (page and board): without it, a scan of every job's controls. */
export class ControlsByAssessment1795741058497 implements MigrationInterface {
  name = 'ControlsByAssessment1795741058497';

  async up(q: QueryRunner): Promise<void> {
    await q.query(`CREATE INDEX "IDX_1789e365a823691a0e7aa8a675" ON "job_hazard_control"  ("assessment_id", "position") `);
  }

  async down(q: QueryRunner): Promise<void> {
    await q.query(`DROP INDEX "public"."IDX_1789e365a823691a0e7aa8a675"`);
  }
}
