import { loaderBy } from '@opsgraph/core';
import type { DeepPartial, EntityManager } from 'typeorm';
import { ComplianceAudit } from '../entities';

/** Audits: reads by id and by site, the locked read, the per-request loader and the insert. */

export function auditById(db: EntityManager, id: string): Promise<ComplianceAudit | null> {
  return db.getRepository(ComplianceAudit).findOneBy({ id });
}

/** Locks (`FOR UPDATE`) and reads an audit (findings are numbered under it). */
export function lockAudit(db: EntityManager, id: string): Promise<ComplianceAudit | null> {
  return db.findOne(ComplianceAudit, { where: { id }, lock: { mode: 'pessimistic_write' } });
}

/** A site's audits, latest first. */
export function auditsOfSite(db: EntityManager, siteId: string): Promise<ComplianceAudit[]> {
  return db.getRepository(ComplianceAudit).find({ where: { siteId }, order: { auditDate: 'DESC', seq: 'DESC' } });
}

export const auditLoader = (db: EntityManager) => loaderBy(db, ComplianceAudit);

/** A new audit, with the database's id and number (seq) on the returned entity. */
export function insertAudit(db: EntityManager, fields: DeepPartial<ComplianceAudit>): Promise<ComplianceAudit> {
  return db.save(db.create(ComplianceAudit, fields));
}
