import { REQUEST_ROLE, protectBySite, unprotect } from '@opsgraph/core';
import type { MigrationInterface, QueryRunner } from 'typeorm';

/** Tables with a `site_id` of their own: visible and writable only at the caller's sites. */
const BY_SITE = ['tracked_work_item', 'compliance_audit', 'audit_finding', 'compliance_obligation', 'compliance_check'] as const;

/**
 * A requirement applies at several sites (`site_ids`): a request sees it when one of them is the caller's
 * (`canSeeRequirement`, domain/context.ts), and records one only at sites that are all the caller's
 * (`requirementFields`, domain/requirements.ts: another site is "not found", as a random id).
 */
const REQUIREMENT_VISIBLE = `((SELECT opsgraph_all_sites()) OR site_ids && (SELECT opsgraph_site_ids()))`;
const REQUIREMENT_WRITABLE = `((SELECT opsgraph_all_sites()) OR (cardinality(site_ids) > 0 AND site_ids <@ (SELECT opsgraph_site_ids())))`;

/**
 * Scope by construction for Compliance (see libs/core/src/scope.ts): a request (role `opsgraph_request`) sees
 * and writes only the rows of its caller's sites, even when a query forgets its `WHERE`. Compliance has no
 * contractor boundary (nothing in it is a contractor company's job), so every policy is by site alone.
 *
 * - `tracked_work_item` (the local view of Work's items), `compliance_audit`, `audit_finding` (its own copy of
 *   the audit's site), `compliance_obligation` (an occurrence per target site), `compliance_check` (the site of
 *   the work item it gates): by `site_id`.
 * - `work_performer`: no site; through its tracked work item (the consumer records the item before its
 *   performers, so every performer row has one).
 * - `compliance_finding_action`: no site; through its finding.
 * - `requirement`: by its `site_ids` array, written directly below (`protectBySite` takes one site column):
 *   visible with one of its sites, written only with all of them in scope. A requirement shared by two sites
 *   stays visible to both; its occurrences and checks at the other site do not (they are protected by their
 *   own site), which is what `visibleRequirementStatus` already shows.
 *
 * Left unprotected: `outbox`, `outbox_pending`, `inbox` and `parked_event` (libs/events) have no site: events of
 * every site are written by requests' transactions and read only by the relay and consumers, which run as the
 * owner. `audit_entry` and `idempotency_key` are libs/core's own; `migrations` is not granted to the request
 * role at all.
 */
export class RowLevelSecurity1796900000400 implements MigrationInterface {
  name = 'RowLevelSecurity1796900000400';

  async up(q: QueryRunner): Promise<void> {
    for (const table of BY_SITE) await protectBySite(q, table);
    await protectBySite(q, 'work_performer', { through: { table: 'tracked_work_item', key: 'work_item_id', parentKey: 'work_item_id' } });
    await protectBySite(q, 'compliance_finding_action', { through: { table: 'audit_finding', key: 'finding_id' } });
    await q.query(`ALTER TABLE requirement ENABLE ROW LEVEL SECURITY`);
    await q.query(`DROP POLICY IF EXISTS requirement_scope ON requirement`);
    await q.query(`CREATE POLICY requirement_scope ON requirement TO ${REQUEST_ROLE} USING ${REQUIREMENT_VISIBLE} WITH CHECK ${REQUIREMENT_WRITABLE}`);
  }

  async down(q: QueryRunner): Promise<void> {
    for (const table of ['requirement', 'compliance_finding_action', 'work_performer', ...BY_SITE]) await unprotect(q, table);
  }
}
