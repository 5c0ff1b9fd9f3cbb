import { loaderGrouped } from '@opsgraph/core';
import { In, type EntityManager } from 'typeorm';
import { ComplianceCheck } from '../entities';

/** Compliance checks (the COMPLIANCE_CHECK prerequisites on work items): reads, loaders and writes. */

/** Raises the OPEN check of a requirement on a work item unless it exists; whether it was new. */
export async function insertCheckIfNew(db: EntityManager, requirementId: string, workItemId: string, siteId: string): Promise<boolean> {
  const inserted: unknown[] = await db.query(
    `INSERT INTO compliance_check (requirement_id, work_item_id, site_id, status) VALUES ($1, $2, $3, 'OPEN')
       ON CONFLICT (requirement_id, work_item_id) DO NOTHING RETURNING id`,
    [requirementId, workItemId, siteId],
  );
  return inserted.length > 0;
}

/** Locks (`FOR UPDATE`) and reads the check of a requirement on a work item. */
export function lockCheck(db: EntityManager, requirementId: string, workItemId: string): Promise<ComplianceCheck | null> {
  return db.findOne(ComplianceCheck, { where: { requirementId, workItemId }, lock: { mode: 'pessimistic_write' } });
}

/** The open checks of these requirements at one site, oldest first. */
export function openChecksOfRequirementsAtSite(db: EntityManager, ids: string[], siteId: string): Promise<ComplianceCheck[]> {
  return db.getRepository(ComplianceCheck).find({ where: { requirementId: In(ids), siteId, status: 'OPEN' }, order: { createdAt: 'ASC' } });
}

export const checksOfRequirementLoader = (db: EntityManager) => loaderGrouped(db, ComplianceCheck, 'requirementId', { createdAt: 'ASC' });
export const checksOfWorkItemLoader = (db: EntityManager) => loaderGrouped(db, ComplianceCheck, 'workItemId', { createdAt: 'ASC' });

/** Writes a changed check. */
export async function saveCheck(db: EntityManager, check: ComplianceCheck): Promise<void> {
  await db.save(check);
}

/** Cancels the open checks of a work item (cancelled work), in one statement. */
export async function cancelOpenChecksOfWorkItem(db: EntityManager, workItemId: string): Promise<void> {
  await db.update(ComplianceCheck, { workItemId, status: 'OPEN' }, { status: 'CANCELLED' });
}
