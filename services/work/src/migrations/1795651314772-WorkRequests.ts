import type { MigrationInterface, QueryRunner } from 'typeorm';

export class WorkRequests1795651314772 implements MigrationInterface {
  name = 'WorkRequests1795651314772';

  async up(q: QueryRunner): Promise<void> {
    await q.query(`CREATE TABLE "work_request" ("source_domain" text NOT NULL, "request_id" text NOT NULL, "work_item_id" uuid NOT NULL, "event_id" text NOT NULL, "created_at" TIMESTAMP WITH TIME ZONE NOT NULL DEFAULT now(), CONSTRAINT "PK_5fb53ac4118b03a00c6466b59a9" PRIMARY KEY ("source_domain", "request_id"))`);
  }

  async down(q: QueryRunner): Promise<void> {
    await q.query(`DROP TABLE "work_request"`);
  }
}
