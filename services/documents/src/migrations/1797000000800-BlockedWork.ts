import { protectBySite, unprotect } from '@opsgraph/core';
import type { MigrationInterface, QueryRunner } from 'typeorm';

/**
 * `document_blocked_work`: every acknowledgement blocker raised on a work item and how it ended, kept after it
 * is cleared (a superseded revision's blockers used to be forgotten once the newer revision was acknowledged).
 * No site column: protected through its document, like the acknowledgements it records.
 *
 * Existing blockers are carried over from the acknowledgements: what still blocks is open, what an
 * acknowledgement cleared is cleared by it. What superseded acknowledgements blocked before this migration
 * was not kept and cannot be recovered.
 */
export class BlockedWork1797000000800 implements MigrationInterface {
  name = 'BlockedWork1797000000800';

  async up(q: QueryRunner): Promise<void> {
    await q.query(`CREATE TABLE "document_blocked_work" ("id" uuid NOT NULL DEFAULT gen_random_uuid(), "document_id" uuid NOT NULL, "revision_id" uuid NOT NULL, "person_id" uuid NOT NULL,
      "work_item_id" uuid NOT NULL, "work_item_number" text, "description" text NOT NULL, "raised_at" TIMESTAMP WITH TIME ZONE NOT NULL, "cleared_at" TIMESTAMP WITH TIME ZONE,
      "cleared_by" text, "cleared_by_revision_id" uuid, "cleared_reason" text,
      CONSTRAINT "PK_document_blocked_work" PRIMARY KEY ("id"),
      CONSTRAINT "CHK_document_blocked_work_cleared_by" CHECK ("cleared_by" IN ('ACKNOWLEDGED', 'RELEASED')),
      CONSTRAINT "CHK_document_blocked_work_cleared" CHECK (("cleared_at" IS NULL) = ("cleared_by" IS NULL)))`);
    await q.query(`CREATE INDEX "IDX_document_blocked_work_revision_person" ON "document_blocked_work" ("revision_id", "person_id")`);
    await q.query(`CREATE UNIQUE INDEX "document_blocked_work_open" ON "document_blocked_work" ("revision_id", "person_id", "work_item_id") WHERE "cleared_at" IS NULL`);
    await protectBySite(q, 'document_blocked_work', { through: { table: 'document', key: 'document_id' } });
    await q.query(`INSERT INTO "document_blocked_work" ("document_id", "revision_id", "person_id", "work_item_id", "work_item_number", "description", "raised_at", "cleared_at", "cleared_by", "cleared_by_revision_id", "cleared_reason")
      SELECT a.document_id, a.revision_id, a.person_id, w.id, t.number,
        'Read and understood: ' || d.number || ' rev ' || r.label || ' "' || d.title || '"',
        COALESCE(a.required_at, now()),
        CASE WHEN a.state = 'ACKNOWLEDGED' THEN COALESCE(a.acknowledged_at, now()) END,
        CASE WHEN a.state = 'ACKNOWLEDGED' THEN 'ACKNOWLEDGED' END,
        CASE WHEN a.state = 'ACKNOWLEDGED' THEN a.revision_id END,
        CASE WHEN a.state = 'ACKNOWLEDGED' THEN 'acknowledged ' || d.number || ' rev ' || r.label END
      FROM document_acknowledgement a
      JOIN document d ON d.id = a.document_id
      JOIN document_revision r ON r.id = a.revision_id
      CROSS JOIN LATERAL unnest(a.work_item_ids) AS w(id)
      LEFT JOIN tracked_work_item t ON t.work_item_id = w.id`);
  }

  async down(q: QueryRunner): Promise<void> {
    await unprotect(q, 'document_blocked_work');
    await q.query(`DROP TABLE "document_blocked_work"`);
  }
}
