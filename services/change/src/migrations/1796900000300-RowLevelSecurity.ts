import { REQUEST_ROLE, protectBySite, unprotect } from '@opsgraph/core';
import type { MigrationInterface, QueryRunner } from 'typeorm';

/** The children of a change: every row hangs off one change request and goes with it. */
const CHANGE_CHILDREN = ['change_approval', 'change_transition', 'change_gate', 'change_task', 'pre_startup_check'] as const;

const COMPANY = '(SELECT opsgraph_company())';

/** A change is at several sites (`site_ids`): a caller sees it when they work at one of them, as `canSee` says. */
const CHANGE_SITE_RULE = `((SELECT opsgraph_all_sites()) OR site_ids && (SELECT opsgraph_site_ids()))`;

/**
 * The contractor rule: a contractor-only caller (`opsgraph.company` set) sees only the changes behind their
 * company's jobs: a change that raised work Work gives to their company (an implementation task, a
 * pre-startup check, the restore action), or that their company's work waits for (a gate). Restrictive: it is
 * added to (ANDed with) the site rule. Asked of an owner's function, so that the policy does not read
 * `change_gate`, whose own policy reads `change_request` (Postgres refuses policies that recurse).
 */
const CHANGE_CONTRACTOR_RULE = `(${COMPANY} IS NULL OR change_serves_company_work(change_request.id))`;

/** A contractor-only caller reads only their company's work items (Work's own boundary, `inScope`). */
const WORK_CONTRACTOR_RULE = `(${COMPANY} IS NULL OR EXISTS (SELECT 1 FROM work_contractor w WHERE w.work_item_id = tracked_work_item.work_item_id AND w.contractor_company = ${COMPANY}))`;

const UUID_PATTERN = `'^[0-9a-fA-F]{8}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{12}$'`;

/**
 * The work of a change the caller sees is part of that change, at whichever of its sites it is: the work it
 * raised (Work's source is the change) and the work that waits for it. Without it, someone steering a
 * change at two sites from one of them could not tell whether the other site's tasks and checks are done.
 */
const WORK_OF_VISIBLE_CHANGE = `(
  (source_domain = 'CHANGE' AND EXISTS (SELECT 1 FROM change_request c
     WHERE c.id = CASE WHEN tracked_work_item.source_record_id ~ ${UUID_PATTERN} THEN tracked_work_item.source_record_id::uuid END))
  OR EXISTS (SELECT 1 FROM change_gate g WHERE g.work_item_id = tracked_work_item.work_item_id))`;

/**
 * The contractor rule's question, asked as the owner (row-level security does not restrict the table owner),
 * with a fixed search path so that no caller's object stands in for ours: does the change serve the caller's
 * company's work? A yes or no, never rows.
 */
const SERVES_COMPANY_WORK = `CREATE OR REPLACE FUNCTION change_serves_company_work(p_change_id uuid) RETURNS boolean
  LANGUAGE sql STABLE SECURITY DEFINER SET search_path = public, pg_temp AS $$
  SELECT EXISTS (SELECT 1 FROM tracked_work_item t JOIN work_contractor w ON w.work_item_id = t.work_item_id
                  WHERE t.source_domain = 'CHANGE' AND t.source_record_id = p_change_id::text AND w.contractor_company = opsgraph_company())
      OR EXISTS (SELECT 1 FROM change_gate g JOIN work_contractor w ON w.work_item_id = g.work_item_id
                  WHERE g.change_id = p_change_id AND w.contractor_company = opsgraph_company()) $$`;

/**
 * Scope by construction for change (see libs/core/src/scope.ts): a request (role `opsgraph_request`) sees and
 * writes only the changes of its caller's sites, with everything that belongs to them, and a contractor-only
 * caller only the changes behind their company's jobs, even when a query forgets its `WHERE`.
 *
 * - `change_request`: by `site_ids` (an array, which `protectBySite` does not take: the same policy written
 *   here), plus the contractor rule above. Which fields of a change a contractor reads is the resolvers' rule
 *   (services/change/src/resolvers.ts).
 * - `change_approval`, `change_transition`, `change_gate`: no site; through their change.
 * - `change_task`, `pre_startup_check`: through their change too, although they have a `site_id`: they are
 *   parts of one change, which its domain checks as a whole (a change is not implemented, reviewed or closed
 *   while any task or check is open, and numbers them per change). A caller at one site of a change at two
 *   must see all of them, as before; by their own site the rest would silently count as done.
 * - `tracked_work_item`: by site; also readable as the work of a change the caller sees (above); for a
 *   contractor only their company's work items.
 * - `work_contractor` (new here: the contractor company of each work item, from Work's events): by site and
 *   company.
 *
 * One request path needs rows outside the caller's scope: submitting a change holds the open work on its
 * assets at every one of its sites, also those the submitter does not work at. `gateOpenWork`
 * (services/change/src/domain/work.ts) reads those work item ids in the system scope (`withSystemScope`).
 *
 * Left unprotected: `outbox`, `outbox_pending`, `inbox` and `parked_event` (libs/events) have no site: events
 * of every site are written by requests' transactions and read only by the relay and consumers, which run as
 * the owner; `idempotency_key` (libs/core) is looked up by the caller's own key; `audit_entry` has its own
 * policy (libs/core); `migrations` is not granted to the request role at all.
 */
export class RowLevelSecurity1796900000300 implements MigrationInterface {
  name = 'RowLevelSecurity1796900000300';

  async up(q: QueryRunner): Promise<void> {
    await q.query(`CREATE TABLE "work_contractor" ("work_item_id" uuid NOT NULL, "site_id" uuid NOT NULL, "contractor_company" text NOT NULL, CONSTRAINT "PK_work_contractor" PRIMARY KEY ("work_item_id"))`);
    await q.query(`CREATE INDEX "change_gate_work_item" ON "change_gate" ("work_item_id")`);
    await q.query(SERVES_COMPANY_WORK);
    await q.query(`REVOKE ALL ON FUNCTION change_serves_company_work(uuid) FROM PUBLIC`);
    await q.query(`GRANT EXECUTE ON FUNCTION change_serves_company_work(uuid) TO ${REQUEST_ROLE}`);

    await q.query(`ALTER TABLE change_request ENABLE ROW LEVEL SECURITY`);
    await q.query(`DROP POLICY IF EXISTS change_request_scope ON change_request`);
    await q.query(`CREATE POLICY change_request_scope ON change_request TO ${REQUEST_ROLE} USING ${CHANGE_SITE_RULE} WITH CHECK ${CHANGE_SITE_RULE}`);
    await q.query(`DROP POLICY IF EXISTS change_request_contractor ON change_request`);
    await q.query(`CREATE POLICY change_request_contractor ON change_request AS RESTRICTIVE TO ${REQUEST_ROLE} USING ${CHANGE_CONTRACTOR_RULE} WITH CHECK ${CHANGE_CONTRACTOR_RULE}`);
    for (const table of CHANGE_CHILDREN) await protectBySite(q, table, { through: { table: 'change_request', key: 'change_id' } });

    await protectBySite(q, 'tracked_work_item');
    await q.query(`DROP POLICY IF EXISTS tracked_work_item_of_change ON tracked_work_item`);
    await q.query(`CREATE POLICY tracked_work_item_of_change ON tracked_work_item FOR SELECT TO ${REQUEST_ROLE} USING ${WORK_OF_VISIBLE_CHANGE}`);
    await q.query(`DROP POLICY IF EXISTS tracked_work_item_contractor ON tracked_work_item`);
    await q.query(`CREATE POLICY tracked_work_item_contractor ON tracked_work_item AS RESTRICTIVE TO ${REQUEST_ROLE} USING ${WORK_CONTRACTOR_RULE} WITH CHECK ${WORK_CONTRACTOR_RULE}`);
    await protectBySite(q, 'work_contractor', { company: 'contractor_company' });
  }

  async down(q: QueryRunner): Promise<void> {
    await q.query(`DROP POLICY IF EXISTS tracked_work_item_contractor ON tracked_work_item`);
    await q.query(`DROP POLICY IF EXISTS tracked_work_item_of_change ON tracked_work_item`);
    await q.query(`DROP POLICY IF EXISTS change_request_contractor ON change_request`);
    for (const table of ['tracked_work_item', ...CHANGE_CHILDREN, 'change_request']) await unprotect(q, table);
    await q.query(`DROP FUNCTION IF EXISTS change_serves_company_work(uuid)`);
    await q.query(`DROP INDEX "public"."change_gate_work_item"`);
    await q.query(`DROP TABLE "work_contractor"`);
  }
}
