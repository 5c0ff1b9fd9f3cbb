import { REQUEST_ROLE } from '@opsgraph/core';
import type { MigrationInterface, QueryRunner } from 'typeorm';

/**
 * Order-independent blockers (domain/work-items.ts, `applyFact`): each prerequisite remembers the order of the
 * source fact its state and its description came from, and `prerequisite_fact` keeps the latest fact of a
 * record for blockers that appear later.
 *
 * `prerequisite_fact` has no site column: a record's fact (a permit suspended, a change rejected) names no site,
 * and only Work's event consumer, as the owner, reads and writes it. Requests get no access at all, so a person
 * cannot learn another site's record state from it (listed with the event tables in libs/core/test/rls-coverage.test.ts).
 */
export class PrerequisiteFacts1797000000200 implements MigrationInterface {
  name = 'PrerequisiteFacts1797000000200';

  async up(q: QueryRunner): Promise<void> {
    await q.query(`ALTER TABLE "prerequisite" ADD "state_fact" text, ADD "description_fact" text`);
    await q.query(`CREATE TABLE "prerequisite_fact" ("source_domain" text NOT NULL, "source_record_id" text NOT NULL, "kind" text NOT NULL, "target" text NOT NULL,
      "state" text NOT NULL, "description" text, "reason" text, "fact_order" text NOT NULL, "event_id" text NOT NULL,
      "recorded_at" TIMESTAMP WITH TIME ZONE NOT NULL DEFAULT now(),
      CONSTRAINT "PK_prerequisite_fact" PRIMARY KEY ("source_domain", "source_record_id", "kind", "target"),
      CONSTRAINT "CHK_prerequisite_fact_state" CHECK ("state" IN ('OPEN', 'SATISFIED')))`);
    await q.query(`REVOKE ALL ON "prerequisite_fact" FROM ${REQUEST_ROLE}`);
  }

  async down(q: QueryRunner): Promise<void> {
    await q.query(`DROP TABLE "prerequisite_fact"`);
    await q.query(`ALTER TABLE "prerequisite" DROP COLUMN "description_fact", DROP COLUMN "state_fact"`);
  }
}
