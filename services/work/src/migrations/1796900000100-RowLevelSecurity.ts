import { REQUEST_ROLE, siteScopePolicy, unprotect } from '@opsgraph/core';
import type { MigrationInterface, QueryRunner } from 'typeorm';

/**
 * `protectBySite` of libs/core, with one repair. TEMPORARY: its site condition is written
 * `site_id = ANY (SELECT opsgraph_site_ids())`, which Postgres reads as "equal to any row of the sub-select"
 * (uuid = uuid[]: `operator does not exist`, the policy cannot be created). The repair keeps the sub-select
 * (evaluated once per statement) as an array expression. Once libs/core is fixed it matches nothing: replace
 * `protect` with `protectBySite` then.
 */
async function protect(q: QueryRunner, table: string, options?: Parameters<typeof siteScopePolicy>[1]): Promise<void> {
  for (const sql of siteScopePolicy(table, options)) {
    await q.query(sql.replaceAll('= ANY (SELECT opsgraph_site_ids())', '= ANY ((SELECT opsgraph_site_ids())::uuid[])'));
  }
}

/** Work items and the rows that hang off one: visible and writable only with their item (see below). */
const WORK_ITEM_CHILDREN = ['prerequisite', 'transition', 'evidence', 'work_request'] as const;

/**
 * A contractor-only caller (`opsgraph.company` set) reads and writes only the shift notes that concern their
 * own company's jobs: notes that link (`work_item_ids`) at least one work item of their company. The area's
 * general notes (no linked item, or only other companies' and the site's own work) are not theirs to read.
 * Everyone else is bounded by the site rule alone. A restrictive policy, so it is added to (ANDed with) the
 * site policy `shift_log_entry_scope`.
 */
const SHIFT_NOTE_CONTRACTOR_RULE = `((SELECT opsgraph_company()) IS NULL OR EXISTS (
  SELECT 1 FROM work_item w WHERE w.id = ANY (shift_log_entry.work_item_ids) AND w.contractor_company = (SELECT opsgraph_company())))`;

/**
 * Scope by construction for Work (see libs/core/src/scope.ts): a request (role `opsgraph_request`) sees and
 * writes only the rows of its caller's sites, and a contractor-only caller only their company's jobs, what
 * hangs off them and the shift notes about them, even when a query forgets its `WHERE`.
 *
 * - `site` (its own id is its site), `area`, `line`, `asset`: by site. The location registry carries no
 *   contractor boundary: a contractor sees the places of their sites, as before.
 * - `work_item`: by site and `contractor_company` (the contractor boundary of `inScope`).
 * - `prerequisite`, `transition`, `evidence`, `work_request`: no site column; through their work item, whose
 *   own policy (site and company) applies inside the check.
 * - `shift_log_entry`: by site, plus the contractor rule above.
 *
 * Left unprotected: `outbox`, `outbox_pending` and `inbox` (libs/events) belong to no site: every site's
 * events go through them. Requests' transactions append to the outbox (and its trigger to `outbox_pending`);
 * only the relay and the consumers, as the owner, read them or write the inbox. A site policy has nothing to
 * key on; narrowing what the request role may do with them is libs/events' to decide for every service.
 * `migrations` is not granted to the request role at all.
 */
export class RowLevelSecurity1796900000100 implements MigrationInterface {
  name = 'RowLevelSecurity1796900000100';

  async up(q: QueryRunner): Promise<void> {
    await protect(q, 'site', { site: 'id' });
    for (const table of ['area', 'line', 'asset']) await protect(q, table);
    await protect(q, 'work_item', { company: 'contractor_company' });
    for (const table of WORK_ITEM_CHILDREN) await protect(q, table, { through: { table: 'work_item', key: 'work_item_id' } });
    await protect(q, 'shift_log_entry');
    await q.query(`DROP POLICY IF EXISTS shift_log_entry_contractor ON shift_log_entry`);
    await q.query(`CREATE POLICY shift_log_entry_contractor ON shift_log_entry AS RESTRICTIVE TO ${REQUEST_ROLE}
      USING ${SHIFT_NOTE_CONTRACTOR_RULE} WITH CHECK ${SHIFT_NOTE_CONTRACTOR_RULE}`);
  }

  async down(q: QueryRunner): Promise<void> {
    await q.query(`DROP POLICY IF EXISTS shift_log_entry_contractor ON shift_log_entry`);
    for (const table of ['shift_log_entry', ...WORK_ITEM_CHILDREN, 'work_item', 'asset', 'line', 'area', 'site']) await unprotect(q, table);
  }
}
