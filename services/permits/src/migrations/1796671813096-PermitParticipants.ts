import type { MigrationInterface, QueryRunner } from 'typeorm';

/** Who planned each isolation and who added work to each permit: they do not verify or approve and issue it. */
export class PermitParticipants1796671813096 implements MigrationInterface {
  name = 'PermitParticipants1796671813096';

  async up(q: QueryRunner): Promise<void> {
    await q.query(`ALTER TABLE "isolation" ADD "planned_by_id" text`);
    await q.query(`ALTER TABLE "permit" ADD "work_items_added_by_ids" text array NOT NULL DEFAULT '{}'`);
    // Isolations listed with the permit were written in its transaction (same now()): its requester planned them.
    // Those added later stay unknown; who added work before now is not known either.
    await q.query(`UPDATE "isolation" i SET "planned_by_id" = p."requester_id" FROM "permit" p WHERE p."id" = i."permit_id" AND i."created_at" = p."created_at"`);
  }

  async down(q: QueryRunner): Promise<void> {
    await q.query(`ALTER TABLE "permit" DROP COLUMN "work_items_added_by_ids"`);
    await q.query(`ALTER TABLE "isolation" DROP COLUMN "planned_by_id"`);
  }
}
