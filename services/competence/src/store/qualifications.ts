import { loaderBy, loaderGrouped, selectRows } from '@opsgraph/core';
import { In, type DeepPartial, type EntityManager } from 'typeorm';
import { Qualification, QualificationRequirement, type RequirementScope } from '../entities';

/**
 * Qualifications and the requirements that demand them (by work type, asset class or permit type): the
 * requirements lock, reads, loaders and writes.
 */

const REQUIREMENTS_LOCK = 7_243_131;
/**
 * Requirement changes take this lock exclusively; everything that weighs requirements against work or
 * records (consumer handlers, grants, expiry) shares it. So a requirement added while a work item is being
 * projected is seen by one of the two, never missed by both. Always taken before any person lock.
 */
export async function lockRequirements(db: EntityManager, exclusive = false): Promise<void> {
  await db.query(exclusive ? 'SELECT pg_advisory_xact_lock($1)' : 'SELECT pg_advisory_xact_lock_shared($1)', [REQUIREMENTS_LOCK]);
}

// ---------- qualifications ----------

export function qualificationWithCode(db: EntityManager, code: string): Promise<Qualification | null> {
  return db.getRepository(Qualification).findOneBy({ code });
}

export function qualificationById(db: EntityManager, id: string): Promise<Qualification | null> {
  return db.findOneBy(Qualification, { id });
}

export function qualificationCodeTaken(db: EntityManager, code: string): Promise<boolean> {
  return db.existsBy(Qualification, { code });
}

/** Every qualification, by code. */
export function allQualifications(db: EntityManager): Promise<Qualification[]> {
  return db.getRepository(Qualification).find({ order: { code: 'ASC' } });
}

/** The qualifications with these ids, by code. */
export function qualificationsWithIds(db: EntityManager, ids: string[]): Promise<Qualification[]> {
  return db.find(Qualification, { where: { id: In(ids) }, order: { code: 'ASC' } });
}

export const qualificationLoader = (db: EntityManager) => loaderBy(db, Qualification);

export function insertQualification(db: EntityManager, fields: DeepPartial<Qualification>): Promise<Qualification> {
  return db.save(db.create(Qualification, fields));
}

// ---------- requirements ----------

/** Every requirement (find). */
export function allQualificationRequirements(db: EntityManager): Promise<QualificationRequirement[]> {
  return db.find(QualificationRequirement);
}

/** Every requirement, in one plain SELECT (no find): for the loaders of a board. */
export function qualificationRequirementRows(db: EntityManager): Promise<QualificationRequirement[]> {
  return selectRows(db, QualificationRequirement, 'id', null);
}

/** The requirements demanding a qualification. */
export function requirementsOfQualification(db: EntityManager, qualificationId: string): Promise<QualificationRequirement[]> {
  return db.find(QualificationRequirement, { where: { qualificationId } });
}

export const requirementsOfQualificationLoader = (db: EntityManager) => loaderGrouped(db, QualificationRequirement, 'qualificationId', { createdAt: 'ASC' });

export function requirementExists(db: EntityManager, qualificationId: string, scope: RequirementScope, value: string): Promise<boolean> {
  return db.existsBy(QualificationRequirement, { qualificationId, scope, value });
}

/** Locks (`FOR UPDATE`) and reads a requirement. */
export function lockQualificationRequirement(db: EntityManager, id: string): Promise<QualificationRequirement | null> {
  return db.findOne(QualificationRequirement, { where: { id }, lock: { mode: 'pessimistic_write' } });
}

export function insertQualificationRequirement(db: EntityManager, fields: DeepPartial<QualificationRequirement>): Promise<QualificationRequirement> {
  return db.save(db.create(QualificationRequirement, fields));
}

export async function deleteQualificationRequirement(db: EntityManager, id: string): Promise<void> {
  await db.delete(QualificationRequirement, { id });
}
