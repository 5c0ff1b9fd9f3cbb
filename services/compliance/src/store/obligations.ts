import { loaderBy, loaderGrouped } from '@opsgraph/core';
import { In, type DeepPartial, type EntityManager } from 'typeorm';
import { ComplianceObligation, Requirement } from '../entities';

/**
 * Obligations (the occurrences of recurring requirements): the scheduled rule's candidates, locked reads,
 * the filtered list, reads by requirement, the per-request loader and the writes.
 */

/** Open occurrences not yet raised whose lead time has started by `now`, soonest due first. */
export function obligationsDueToRaise(db: EntityManager, now: Date): Promise<ComplianceObligation[]> {
  return db.getRepository(ComplianceObligation).createQueryBuilder('o')
    .innerJoin(Requirement, 'r', 'r.id = o.requirementId')
    .where(`o.status = 'OPEN' AND o.requestId IS NULL AND o.dueAt - make_interval(days => r.leadDays) <= :now`, { now })
    .orderBy('o.dueAt', 'ASC')
    .getMany();
}

/** Open occurrences past their due date not yet announced as overdue, soonest due first. */
export function obligationsOverdueUnannounced(db: EntityManager, now: Date): Promise<ComplianceObligation[]> {
  return db.getRepository(ComplianceObligation).createQueryBuilder('o')
    .where(`o.status = 'OPEN' AND o.dueAt < :now AND o.overdueNotifiedAt IS NULL`, { now })
    .orderBy('o.dueAt', 'ASC')
    .getMany();
}

/** Locks (`FOR UPDATE`) and reads an occurrence. */
export function lockObligation(db: EntityManager, id: string): Promise<ComplianceObligation | null> {
  return db.findOne(ComplianceObligation, { where: { id }, lock: { mode: 'pessimistic_write' } });
}

/** Locks (`FOR UPDATE`) and reads the occurrence that asked for the work with this request id. */
export function lockObligationOfRequest(db: EntityManager, requestId: string): Promise<ComplianceObligation | null> {
  return db.findOne(ComplianceObligation, { where: { requestId }, lock: { mode: 'pessimistic_write' } });
}

/** Locks (`FOR UPDATE`) and reads the failed occurrence whose non-conformance is this finding. */
export function lockObligationOfFinding(db: EntityManager, findingId: string): Promise<ComplianceObligation | null> {
  return db.findOne(ComplianceObligation, { where: { findingId }, lock: { mode: 'pessimistic_write' } });
}

/** What the list of occurrences filters on; `sites` (absent: every site) keeps the caller to theirs. */
export interface ObligationConditions {
  siteId?: string;
  requirementId?: string;
  assetId?: string;
  sites?: string[];
}

/** Occurrences with their requirement (`o.requirement`), soonest due first, at most 500. */
export async function obligationsWithRequirements(db: EntityManager, where: ObligationConditions): Promise<(ComplianceObligation & { requirement: Requirement })[]> {
  const q = db.getRepository(ComplianceObligation).createQueryBuilder('o').innerJoinAndMapOne('o.requirement', Requirement, 'r', 'r.id = o.requirementId');
  if (where.siteId) q.andWhere('o.siteId = :siteId', { siteId: where.siteId });
  if (where.requirementId) q.andWhere('o.requirementId = :requirementId', { requirementId: where.requirementId });
  if (where.assetId) q.andWhere('o.assetId = :assetId', { assetId: where.assetId });
  if (where.sites) q.andWhere('o.siteId IN (:...sites)', { sites: where.sites });
  return (await q.orderBy('o.dueAt', 'ASC').take(500).getMany()) as (ComplianceObligation & { requirement: Requirement })[];
}

export function obligationsOfRequirements(db: EntityManager, ids: string[]): Promise<ComplianceObligation[]> {
  return db.getRepository(ComplianceObligation).find({ where: { requirementId: In(ids) } });
}

/** The occurrences of these requirements at one site. */
export function obligationsOfRequirementsAtSite(db: EntityManager, ids: string[], siteId: string): Promise<ComplianceObligation[]> {
  return db.getRepository(ComplianceObligation).find({ where: { requirementId: In(ids), siteId } });
}

export const obligationLoader = (db: EntityManager) => loaderBy(db, ComplianceObligation);
export const obligationsOfRequirementLoader = (db: EntityManager) => loaderGrouped(db, ComplianceObligation, 'requirementId', { dueAt: 'DESC' });

/** A new occurrence, with the database's id on the returned entity. */
export function insertObligation(db: EntityManager, fields: DeepPartial<ComplianceObligation>): Promise<ComplianceObligation> {
  return db.save(db.create(ComplianceObligation, fields));
}

/** Writes a changed occurrence. */
export async function saveObligation(db: EntityManager, obligation: ComplianceObligation): Promise<void> {
  await db.save(obligation);
}
