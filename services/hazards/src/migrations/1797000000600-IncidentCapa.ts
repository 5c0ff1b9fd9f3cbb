import { protectBySite, unprotect } from '@opsgraph/core';
import type { MigrationInterface, QueryRunner } from 'typeorm';

/**
 * What regulators and HSE ask of an incident (potential severity, injuries, witnesses, the structured root
 * cause), HSE's justification for closing a serious incident without actions, the effectiveness check, reopen
 * count and history (`incident_history_entry`, protected by its own `site_id`, the incident's).
 */
export class IncidentCapa1797000000600 implements MigrationInterface {
  name = 'IncidentCapa1797000000600';

  async up(q: QueryRunner): Promise<void> {
    await q.query(`CREATE TABLE "incident_history_entry" ("id" uuid NOT NULL DEFAULT gen_random_uuid(), "incident_id" uuid NOT NULL, "site_id" uuid NOT NULL, "action" text NOT NULL, "from_status" text, "to_status" text NOT NULL, "actor_id" text NOT NULL, "note" text, "work_item_id" uuid, "at" TIMESTAMP WITH TIME ZONE NOT NULL DEFAULT now(), CONSTRAINT "PK_613ad482e5f55c063c843dd521b" PRIMARY KEY ("id"))`);
    await q.query(`CREATE INDEX "IDX_db9d724fde9365743d18e0901f" ON "incident_history_entry"  ("incident_id", "at") `);
    await q.query(`ALTER TABLE "incident" ADD "potential_severity" text`);
    await q.query(`ALTER TABLE "incident" ADD "injuries" jsonb NOT NULL DEFAULT '[]'::jsonb`);
    await q.query(`ALTER TABLE "incident" ADD "witnesses" jsonb NOT NULL DEFAULT '[]'::jsonb`);
    await q.query(`ALTER TABLE "incident" ADD "root_cause_categories" text array NOT NULL DEFAULT '{}'`);
    await q.query(`ALTER TABLE "incident" ADD "whys" text array NOT NULL DEFAULT '{}'`);
    await q.query(`ALTER TABLE "incident" ADD "no_action_justification" text`);
    await q.query(`ALTER TABLE "incident" ADD "no_action_justified_by_id" text`);
    await q.query(`ALTER TABLE "incident" ADD "effectiveness_check_days" integer`);
    await q.query(`ALTER TABLE "incident" ADD "effectiveness_status" text`);
    await q.query(`ALTER TABLE "incident" ADD "effectiveness_check_at" TIMESTAMP WITH TIME ZONE`);
    await q.query(`ALTER TABLE "incident" ADD "effectiveness_attempt" integer NOT NULL DEFAULT '0'`);
    await q.query(`ALTER TABLE "incident" ADD "effectiveness_request_id" text`);
    await q.query(`ALTER TABLE "incident" ADD "effectiveness_raised_at" TIMESTAMP WITH TIME ZONE`);
    await q.query(`ALTER TABLE "incident" ADD "effectiveness_work_item_id" uuid`);
    await q.query(`ALTER TABLE "incident" ADD "effectiveness_checked_at" TIMESTAMP WITH TIME ZONE`);
    await q.query(`ALTER TABLE "incident" ADD "effectiveness_checked_by_id" text`);
    await q.query(`ALTER TABLE "incident" ADD "reopen_count" integer NOT NULL DEFAULT '0'`);
    await q.query(`CREATE INDEX "IDX_16d058f63896675dc746cb3e15" ON "incident"  ("effectiveness_check_at") `);
    await q.query(`CREATE INDEX "IDX_a928244917ad6cf8c69283eb58" ON "incident"  ("effectiveness_request_id") `);
    await protectBySite(q, 'incident_history_entry');
  }

  async down(q: QueryRunner): Promise<void> {
    await unprotect(q, 'incident_history_entry');
    await q.query(`DROP INDEX "public"."IDX_a928244917ad6cf8c69283eb58"`);
    await q.query(`DROP INDEX "public"."IDX_16d058f63896675dc746cb3e15"`);
    await q.query(`ALTER TABLE "incident" DROP COLUMN "reopen_count"`);
    await q.query(`ALTER TABLE "incident" DROP COLUMN "effectiveness_checked_by_id"`);
    await q.query(`ALTER TABLE "incident" DROP COLUMN "effectiveness_checked_at"`);
    await q.query(`ALTER TABLE "incident" DROP COLUMN "effectiveness_work_item_id"`);
    await q.query(`ALTER TABLE "incident" DROP COLUMN "effectiveness_raised_at"`);
    await q.query(`ALTER TABLE "incident" DROP COLUMN "effectiveness_request_id"`);
    await q.query(`ALTER TABLE "incident" DROP COLUMN "effectiveness_attempt"`);
    await q.query(`ALTER TABLE "incident" DROP COLUMN "effectiveness_check_at"`);
    await q.query(`ALTER TABLE "incident" DROP COLUMN "effectiveness_status"`);
    await q.query(`ALTER TABLE "incident" DROP COLUMN "effectiveness_check_days"`);
    await q.query(`ALTER TABLE "incident" DROP COLUMN "no_action_justified_by_id"`);
    await q.query(`ALTER TABLE "incident" DROP COLUMN "no_action_justification"`);
    await q.query(`ALTER TABLE "incident" DROP COLUMN "whys"`);
    await q.query(`ALTER TABLE "incident" DROP COLUMN "root_cause_categories"`);
    await q.query(`ALTER TABLE "incident" DROP COLUMN "witnesses"`);
    await q.query(`ALTER TABLE "incident" DROP COLUMN "injuries"`);
    await q.query(`ALTER TABLE "incident" DROP COLUMN "potential_severity"`);
    await q.query(`DROP INDEX "public"."IDX_db9d724fde9365743d18e0901f"`);
    await q.query(`DROP TABLE "incident_history_entry"`);
  }
}
