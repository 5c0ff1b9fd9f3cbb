import type { MigrationInterface, QueryRunner } from 'typeorm';

/** Who drafted, edited or submitted each revision: none of them approves it. */
export class RevisionEditors1796671943972 implements MigrationInterface {
  name = 'RevisionEditors1796671943972';

  async up(q: QueryRunner): Promise<void> {
    await q.query(`ALTER TABLE "document_revision" ADD "editor_ids" text array NOT NULL DEFAULT '{}'`);
    // Who edited or submitted earlier revisions was not kept; their author is known.
    await q.query(`UPDATE "document_revision" SET "editor_ids" = ARRAY["author_id"]`);
  }

  async down(q: QueryRunner): Promise<void> {
    await q.query(`ALTER TABLE "document_revision" DROP COLUMN "editor_ids"`);
  }
}
