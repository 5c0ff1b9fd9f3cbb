import { REQUEST_ROLE, protectBySite, unprotect } from '@opsgraph/core';
import type { MigrationInterface, QueryRunner } from 'typeorm';

/** The caller's scope holds the site that keeps the document (its document control). */
const HELD = `((SELECT opsgraph_all_sites()) OR site_id = ANY ((SELECT opsgraph_site_ids())::uuid[]))`;
/** The caller's scope holds the site that keeps the document, or one of the sites it applies at (`canSee`). */
const HELD_OR_APPLIES = `((SELECT opsgraph_all_sites()) OR site_id = ANY ((SELECT opsgraph_site_ids())::uuid[]) OR site_ids && (SELECT opsgraph_site_ids()))`;

/** Rows that hang off a document and carry no site of their own: visible and writable only with their document. */
const DOCUMENT_CHILDREN = ['document_revision', 'document_review', 'document_acknowledgement'] as const;

/**
 * Scope by construction for Documents (see libs/core/src/scope.ts): a request (role `opsgraph_request`) sees
 * only the documents of its caller's sites and what hangs off them, even when a query forgets its `WHERE`.
 *
 * - `document`: visible where it is held (`site_id`) and wherever it applies by site (`site_ids`), as `canSee`
 *   (domain/common.ts) has it; written (inserted, updated, deleted) only with the scope of the site that holds
 *   it, as `lockDocument` has it (and its holding site never changes: trigger `document_site_fixed`).
 *   `protectBySite` takes one site column, so this policy is written out here,
 *   under the same name (`document_scope`) and with the same scope functions. A policy that applies to every
 *   command, not a SELECT policy beside a narrower one: acknowledging locks the document `FOR SHARE`, which
 *   Postgres checks against the update rule, and a person at a site the document applies at acknowledges it.
 * - `document_revision`, `document_review`, `document_acknowledgement`: no site column; through their document,
 *   whose policy applies inside the check (a reader at a site the document applies at sees its revisions and
 *   writes their own acknowledgement of it; which revisions and reviews one may change stays the domain's).
 * - `document_reviewer`: through its review (and so its document).
 * - No contractor boundary: contractors read the documents of their sites; which work items they see of an
 *   acknowledgement is `workVisible`'s (the tracked view does not know whose jobs the others are).
 *
 * - `tracked_work_item` (the view of Work's items kept from its events): by site. Approving a revision and
 *   changing where a document applies raise and release acknowledgement blockers on the open work at EVERY
 *   place the document applies, beyond the approver's own sites: `openWorkAt` (domain/applicability.ts)
 *   reads that work in the system scope, inside the request's transaction.
 *
 * Left unprotected:
 * - `outbox`, `outbox_pending`, `inbox` (libs/events): no site; events of every site are written by requests'
 *   transactions and read only by the relay and consumers, which run as the owner. `migrations` is not
 *   granted to the request role at all.
 */
export class RowLevelSecurity1796900000200 implements MigrationInterface {
  name = 'RowLevelSecurity1796900000200';

  async up(q: QueryRunner): Promise<void> {
    await q.query(`ALTER TABLE document ENABLE ROW LEVEL SECURITY`);
    await q.query(`DROP POLICY IF EXISTS document_scope ON document`);
    await q.query(`CREATE POLICY document_scope ON document TO ${REQUEST_ROLE} USING ${HELD_OR_APPLIES} WITH CHECK ${HELD}`);
    // A document stays with the site that holds it: with its site fixed, the check on the new row (held at one
    // of the caller's sites) is a check on the row being changed too. Without it, someone of a site a document
    // only applies at could take it over by moving it to their own site (UPDATE picks rows by USING).
    await q.query(`CREATE OR REPLACE FUNCTION document_site_fixed() RETURNS trigger LANGUAGE plpgsql AS $$
      BEGIN
        IF NEW.site_id IS DISTINCT FROM OLD.site_id THEN RAISE EXCEPTION 'a document stays with the site that holds it'; END IF;
        RETURN NEW;
      END $$`);
    await q.query(`DROP TRIGGER IF EXISTS document_site_fixed ON document`);
    await q.query(`CREATE TRIGGER document_site_fixed BEFORE UPDATE OF site_id ON document FOR EACH ROW EXECUTE FUNCTION document_site_fixed()`);
    // Deleting is a change too: only with the scope of the holding site (no request deletes documents today).
    await q.query(`DROP POLICY IF EXISTS document_delete_held ON document`);
    await q.query(`CREATE POLICY document_delete_held ON document AS RESTRICTIVE FOR DELETE TO ${REQUEST_ROLE} USING ${HELD}`);
    for (const table of DOCUMENT_CHILDREN) await protectBySite(q, table, { through: { table: 'document', key: 'document_id' } });
    await protectBySite(q, 'document_reviewer', { through: { table: 'document_review', key: 'review_id' } });
    await protectBySite(q, 'tracked_work_item');
  }

  async down(q: QueryRunner): Promise<void> {
    for (const table of ['tracked_work_item', 'document_reviewer', ...DOCUMENT_CHILDREN]) await unprotect(q, table);
    await q.query(`DROP POLICY IF EXISTS document_delete_held ON document`);
    await q.query(`DROP TRIGGER IF EXISTS document_site_fixed ON document`);
    await q.query(`DROP FUNCTION IF EXISTS document_site_fixed()`);
    await unprotect(q, 'document');
  }
}
