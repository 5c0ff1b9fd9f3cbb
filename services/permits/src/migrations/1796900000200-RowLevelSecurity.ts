import { protectBySite, unprotect } from '@opsgraph/core';
import type { MigrationInterface, QueryRunner } from 'typeorm';

/** Rows that hang off a permit and carry no site of their own: visible and writable only with their permit. */
const PERMIT_CHILDREN = ['permit_transition', 'isolation', 'gas_test'] as const;

/**
 * Scope by construction for Permits (see libs/core/src/scope.ts): a request (role `opsgraph_request`) sees and
 * writes only the permits of its caller's sites and what hangs off them, even when a query forgets its `WHERE`.
 *
 * - `permit`: by `site_id`. The contractor boundary of permits is a person's, not a company's: a contractor
 *   sees the permits they asked for or accept at the job (`permitVisible`, `applyScope` in domain/queries.ts).
 *   The session carries no caller id, so that rule stays in the domain code; the database bounds the site.
 * - `permit_transition`, `isolation`, `gas_test`: no site column; through their permit, whose policy applies
 *   inside the check.
 * - `permit_site` (per-site numbering): by `site_id`; a permit is only created at one of the caller's sites.
 *
 * - `known_work_item` (where Work's items are and whose jobs they are, from Work's events): by site, and
 *   for a contractor-only caller by company (their own company's jobs; the host's own work has none).
 *   `checkCoverable` answers any id it cannot see "not found", as a random id: unknown ids are never taken
 *   on trust, so a permit can neither cover nor block another site's or another company's work.
 *
 * Left unprotected:
 * - `outbox`, `outbox_pending`, `inbox` (libs/events): no site; events of every site are written by requests'
 *   transactions and read only by the relay and consumers, which run as the owner. `migrations` is not
 *   granted to the request role at all.
 */
export class RowLevelSecurity1796900000200 implements MigrationInterface {
  name = 'RowLevelSecurity1796900000200';

  async up(q: QueryRunner): Promise<void> {
    await protectBySite(q, 'permit');
    for (const table of PERMIT_CHILDREN) await protectBySite(q, table, { through: { table: 'permit', key: 'permit_id' } });
    await protectBySite(q, 'permit_site');
    await protectBySite(q, 'known_work_item', { company: 'contractor_company' });
  }

  async down(q: QueryRunner): Promise<void> {
    for (const table of ['known_work_item', 'permit_site', ...PERMIT_CHILDREN, 'permit']) await unprotect(q, table);
  }
}
