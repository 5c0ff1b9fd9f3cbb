import { protectBySite, unprotect } from '@opsgraph/core';
import type { MigrationInterface, QueryRunner } from 'typeorm';

/**
 * Scope by construction for hazards (see libs/core/src/scope.ts): a request (role `opsgraph_request`) sees
 * and writes only the rows of its caller's sites, even when a query forgets its `WHERE`.
 *
 * - `hazard`, `job_risk_assessment`, `incident`, `tracked_work_item`: by their own `site_id`.
 * - `hazard_control`: through its hazard (the register's controls carry no site).
 * - `job_hazard`, `job_hazard_control`: through their job risk assessment, whose site they share.
 * - `incident_action`: through its incident.
 * - `work_performer`: through the tracked work item it names (who did work at a site is that site's).
 *
 * No contractor company boundary here: the one contractor rule of hazards (a contractor sees only the
 * incidents they reported themselves, `canSeeIncident`) is about a person, not a company, and stays in the
 * domain; the register and job assessments of a contractor's sites stay visible to them, as before.
 *
 * The work items and locations a request names are checked as the caller, against these protected tables
 * and the copy of Work's registry (`known_location`, migration 1796900000600): another site's is "not found",
 * exactly as a random id is (services/hazards/src/domain/common.ts, libs/core/src/places.ts).
 *
 * Left unprotected: `outbox`, `outbox_pending`, `inbox` and `parked_event` (libs/events) have no site: events
 * of every site are written by requests' transactions and read only by the relay and consumers, which run as
 * the owner; `idempotency_key` (libs/core) is looked up by the caller's own key; `audit_entry` has its own
 * policy (libs/core); `migrations` is not granted to the request role at all.
 */
export class RowLevelSecurity1796900000300 implements MigrationInterface {
  name = 'RowLevelSecurity1796900000300';

  async up(q: QueryRunner): Promise<void> {
    for (const table of ['hazard', 'job_risk_assessment', 'incident', 'tracked_work_item']) await protectBySite(q, table);
    await protectBySite(q, 'hazard_control', { through: { table: 'hazard', key: 'hazard_id' } });
    for (const table of ['job_hazard', 'job_hazard_control']) await protectBySite(q, table, { through: { table: 'job_risk_assessment', key: 'assessment_id' } });
    await protectBySite(q, 'incident_action', { through: { table: 'incident', key: 'incident_id' } });
    await protectBySite(q, 'work_performer', { through: { table: 'tracked_work_item', key: 'work_item_id', parentKey: 'work_item_id' } });
  }

  async down(q: QueryRunner): Promise<void> {
    for (const table of ['work_performer', 'incident_action', 'job_hazard_control', 'job_hazard', 'hazard_control', 'tracked_work_item', 'incident', 'job_risk_assessment', 'hazard']) {
      await unprotect(q, table);
    }
  }
}
