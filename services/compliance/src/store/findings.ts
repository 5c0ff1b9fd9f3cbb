import { loaderBy, loaderGrouped } from '@opsgraph/core';
import { In, LessThanOrEqual, type DeepPartial, type EntityManager } from 'typeorm';
import { AuditFinding, ComplianceFindingAction, FindingHistoryEntry } from '../entities';

/** Audit findings and their corrective actions: numbering, reads, locked reads, loaders and writes. */

// ---------- findings ----------

export function findingById(db: EntityManager, id: string): Promise<AuditFinding | null> {
  return db.getRepository(AuditFinding).findOneBy({ id });
}

/** Locks (`FOR UPDATE`) and reads a finding. */
export function lockFinding(db: EntityManager, id: string): Promise<AuditFinding | null> {
  return db.findOne(AuditFinding, { where: { id }, lock: { mode: 'pessimistic_write' } });
}

/** The number the next finding of an audit takes (the audit is locked by the caller). */
export async function nextFindingSeq(db: EntityManager, auditId: string): Promise<number> {
  const seqRow = await db.createQueryBuilder(AuditFinding, 'f').select('COALESCE(MAX(f.seq), 0)', 'max').where('f.auditId = :auditId', { auditId }).getRawOne<{ max: number }>();
  return Number(seqRow?.max ?? 0) + 1;
}

export function insertFinding(db: EntityManager, fields: DeepPartial<AuditFinding>): Promise<AuditFinding> {
  return db.save(db.create(AuditFinding, fields));
}

/** Writes a changed finding. */
export async function saveFinding(db: EntityManager, finding: AuditFinding): Promise<void> {
  await db.save(finding);
}

/** Locks (`FOR UPDATE`) and reads the finding whose effectiveness check asked for the work with this request id. */
export function lockFindingOfEffectivenessRequest(db: EntityManager, requestId: string): Promise<AuditFinding | null> {
  return db.findOne(AuditFinding, { where: { effectivenessRequestId: requestId }, lock: { mode: 'pessimistic_write' } });
}

/** Closed findings whose effectiveness check is pending and due by `now`, soonest first. */
export function findingsWithEffectivenessDue(db: EntityManager, now: Date): Promise<AuditFinding[]> {
  return db.find(AuditFinding, { where: { status: 'CLOSED', effectivenessStatus: 'PENDING', effectivenessCheckAt: LessThanOrEqual(now) }, order: { effectivenessCheckAt: 'ASC' } });
}

export const findingLoader = (db: EntityManager) => loaderBy(db, AuditFinding);
export const findingsOfAuditLoader = (db: EntityManager) => loaderGrouped(db, AuditFinding, 'auditId', { seq: 'ASC' });

// ---------- corrective actions ----------

/** The number the next corrective action of a finding takes (the finding is locked by the caller). */
export async function nextActionSeq(db: EntityManager, findingId: string): Promise<number> {
  const row = await db.createQueryBuilder(ComplianceFindingAction, 'a').select('COALESCE(MAX(a.seq), 0)', 'max').where('a.findingId = :findingId', { findingId }).getRawOne<{ max: number }>();
  return Number(row?.max ?? 0) + 1;
}

export function insertFindingAction(db: EntityManager, fields: DeepPartial<ComplianceFindingAction>): Promise<ComplianceFindingAction> {
  return db.save(db.create(ComplianceFindingAction, fields));
}

/** The corrective actions of these findings, in their order. */
export function actionsOfFindings(db: EntityManager, findingIds: string[]): Promise<ComplianceFindingAction[]> {
  return db.getRepository(ComplianceFindingAction).find({ where: { findingId: In(findingIds) }, order: { seq: 'ASC' } });
}

export const actionsOfFindingLoader = (db: EntityManager) => loaderGrouped(db, ComplianceFindingAction, 'findingId', { seq: 'ASC' });

// ---------- history ----------

export function insertFindingHistory(db: EntityManager, fields: DeepPartial<FindingHistoryEntry>): Promise<FindingHistoryEntry> {
  return db.save(db.create(FindingHistoryEntry, fields));
}

export const historyOfFindingLoader = (db: EntityManager) => loaderGrouped(db, FindingHistoryEntry, 'findingId', { at: 'ASC' });
