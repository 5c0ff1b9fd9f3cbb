import { loaderBy, loaderGrouped } from '@opsgraph/core';
import type { EntityManager } from 'typeorm';
import { JobHazard, JobHazardControl, JobRiskAssessment } from '../entities';

/**
 * Job risk assessments: one per work item, the hazards it selected (job hazards) and the controls it requires
 * (job hazard controls, each a blocker on the work item). Reads, writes and the per-request loaders.
 */

// ---------- assessments ----------

export function assessmentOfWorkItem(db: EntityManager, workItemId: string): Promise<JobRiskAssessment | null> {
  return db.getRepository(JobRiskAssessment).findOneBy({ workItemId });
}

/** The assessment of a work item that must exist (read back after it was inserted). */
export function existingAssessmentOfWorkItem(db: EntityManager, workItemId: string): Promise<JobRiskAssessment> {
  return db.findOneByOrFail(JobRiskAssessment, { workItemId });
}

export function assessmentById(db: EntityManager, id: string): Promise<JobRiskAssessment | null> {
  return db.findOneBy(JobRiskAssessment, { id });
}

/** Inserts a work item's assessment unless it has one already; whether it was inserted. */
export async function insertAssessmentUnlessExists(db: EntityManager, fields: Pick<JobRiskAssessment, 'workItemId' | 'siteId' | 'notes' | 'assessedById'>): Promise<boolean> {
  const inserted = await db.createQueryBuilder().insert().into(JobRiskAssessment).values(fields).orIgnore().returning('*').execute();
  return inserted.raw.length > 0;
}

// ---------- job hazards and their controls ----------

export function insertJobHazard(db: EntityManager, fields: Partial<JobHazard>): Promise<JobHazard> {
  return db.save(db.create(JobHazard, fields));
}

export function insertJobHazardControl(db: EntityManager, fields: Partial<JobHazardControl>): Promise<JobHazardControl> {
  return db.save(db.create(JobHazardControl, fields));
}

/** Locks (`FOR UPDATE`) and reads a job's control for a change. */
export function lockJobHazardControl(db: EntityManager, id: string): Promise<JobHazardControl | null> {
  return db.findOne(JobHazardControl, { where: { id }, lock: { mode: 'pessimistic_write' } });
}

export function saveJobHazardControl(db: EntityManager, control: JobHazardControl): Promise<JobHazardControl> {
  return db.save(control);
}

// ---------- per-request loaders (one statement per tick) ----------

export const assessmentOfWorkItemLoader = (db: EntityManager) => loaderBy(db, JobRiskAssessment, 'workItemId');
export const jobHazardsOfWorkItemLoader = (db: EntityManager) => loaderGrouped(db, JobHazard, 'workItemId', { position: 'ASC' });
export const jobHazardsOfAssessmentLoader = (db: EntityManager) => loaderGrouped(db, JobHazard, 'assessmentId', { position: 'ASC' });
export const controlsOfJobHazardLoader = (db: EntityManager) => loaderGrouped(db, JobHazardControl, 'jobHazardId', { position: 'ASC' });
export const controlsOfAssessmentLoader = (db: EntityManager) => loaderGrouped(db, JobHazardControl, 'assessmentId', { position: 'ASC' });
