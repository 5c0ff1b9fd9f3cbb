import { REQUEST_ROLE, protectBySite, unprotect } from '@opsgraph/core';
import type { MigrationInterface, QueryRunner } from 'typeorm';

/**
 * A competence record belongs to its holder: visible and writable with a person the caller may see, as
 * `personVisible` (domain/scope.ts) decides — someone sharing one of the caller's sites, or of every site
 * (`*`), and for a contractor-only caller someone of their own company. `person.site_ids` is text (it may
 * hold `*`), hence the cast of the caller's site ids.
 */
const HOLDER_VISIBLE = `EXISTS (SELECT 1 FROM person p WHERE p.id = competence_record.person_id
  AND ((SELECT opsgraph_all_sites()) OR '*' = ANY (p.site_ids) OR p.site_ids && (SELECT opsgraph_site_ids()::text[]))
  AND ((SELECT opsgraph_company()) IS NULL OR p.company = (SELECT opsgraph_company())))`;

/**
 * Scope by construction for Competence (see libs/core/src/scope.ts): a request (role `opsgraph_request`) sees
 * and writes only what its caller may see, even when a query forgets its `WHERE`.
 *
 * - `open_work_item` (the projection of Work's open items): by `site_id` and `contractor_company`, the
 *   contractor boundary of `inScope` that the `openWorkItem` loader and `qualifiedPeople` apply.
 * - `work_permit_cover`: no site; through its open work item (a cover whose item is not, or no longer, open
 *   is read by nobody but the consumer).
 * - `competence_record`: through its holder, by the rule above (written directly: `protectBySite`'s `through`
 *   would defer to `person`, which has no policy).
 *
 * Left unprotected, on purpose:
 * - `person`: readable whatever the caller's scope. Other domains' records in a caller's scope name people
 *   outside it (who approved a permit, who granted a record); their reference must resolve to their id and
 *   name (`personView`, domain/scope.ts; scope.test.ts asserts it), and the sites of a person are what the
 *   record policy above is decided on. What more of a person a caller may see stays with `personVisible`.
 * - `qualification`, `qualification_requirement`: the company-wide catalogue of qualifications and of what
 *   work demands them; they belong to no site and every caller reads them.
 * - `outbox`, `outbox_pending`, `inbox`, `parked_event` (libs/events): no site; events of every site are written
 *   by requests' transactions and read only by the relay and consumers, which run as the owner. `audit_entry`
 *   and `idempotency_key` are libs/core's own; `migrations` is not granted to the request role at all.
 */
export class RowLevelSecurity1796900000400 implements MigrationInterface {
  name = 'RowLevelSecurity1796900000400';

  async up(q: QueryRunner): Promise<void> {
    await protectBySite(q, 'open_work_item', { company: 'contractor_company' });
    await protectBySite(q, 'work_permit_cover', { through: { table: 'open_work_item', key: 'work_item_id', parentKey: 'work_item_id' } });
    await q.query(`ALTER TABLE competence_record ENABLE ROW LEVEL SECURITY`);
    await q.query(`DROP POLICY IF EXISTS competence_record_scope ON competence_record`);
    await q.query(`CREATE POLICY competence_record_scope ON competence_record TO ${REQUEST_ROLE} USING (${HOLDER_VISIBLE}) WITH CHECK (${HOLDER_VISIBLE})`);
    // Whether the owner of work a caller sees holds what it requires belongs to that work, even when the owner
    // is someone the caller may not look up (a contractor's job owned by a host employee): read by the owner
    // of the tables, for exactly those (person, qualification) pairs.
    await q.query(`CREATE FUNCTION competence_records_of(person_ids uuid[], qualification_ids uuid[]) RETURNS SETOF competence_record
      LANGUAGE sql STABLE SECURITY DEFINER SET search_path = public
      AS $$ SELECT r.* FROM competence_record r JOIN unnest(person_ids, qualification_ids) AS k(person_id, qualification_id)
              ON r.person_id = k.person_id AND r.qualification_id = k.qualification_id $$`);
  }

  async down(q: QueryRunner): Promise<void> {
    await q.query(`DROP FUNCTION competence_records_of(uuid[], uuid[])`);
    for (const table of ['competence_record', 'work_permit_cover', 'open_work_item']) await unprotect(q, table);
  }
}
