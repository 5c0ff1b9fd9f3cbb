import { loaderGrouped } from '@opsgraph/core';
import { In, type DeepPartial, type EntityManager } from 'typeorm';
import { CompetenceRecord } from '../entities';

/**
 * Competence records (who holds which qualification, until when): reads, locked reads, the expiry rule's
 * candidates, the reads of a person's holdings, the loaders' reads and the writes.
 */

const RECORDS_OF = `SELECT id, person_id AS "personId", qualification_id AS "qualificationId", achieved_at AS "achievedAt", expires_at AS "expiresAt",
  evidence, granted_by_id AS "grantedById", revoked_at AS "revokedAt", revoked_by_id AS "revokedById", revoked_reason AS "revokedReason",
  lapsed_at AS "lapsedAt", created_at AS "createdAt", updated_at AS "updatedAt", version FROM competence_records_of($1::uuid[], $2::uuid[])`;

export function recordById(db: EntityManager, id: string): Promise<CompetenceRecord | null> {
  return db.findOneBy(CompetenceRecord, { id });
}

/** Locks (`FOR UPDATE`) and reads a record by id, or by person and qualification. */
export function lockRecord(db: EntityManager, where: Partial<Pick<CompetenceRecord, 'id' | 'personId' | 'qualificationId'>>): Promise<CompetenceRecord | null> {
  return db.findOne(CompetenceRecord, { where, lock: { mode: 'pessimistic_write' } });
}

/** A person's records of these qualifications. */
export function recordsOfPerson(db: EntityManager, personId: string, qualificationIds: string[]): Promise<CompetenceRecord[]> {
  return db.find(CompetenceRecord, { where: { personId, qualificationId: In(qualificationIds) } });
}

/**
 * The records of these (person, qualification) pairs, read through the migration's `competence_records_of`
 * (which only the owner of the tables runs): whether the owner of work the caller sees holds what it
 * requires, even when the caller may not look the owner up.
 */
export function recordsOfPairs(db: EntityManager, personIds: string[], qualificationIds: string[]): Promise<CompetenceRecord[]> {
  return db.query(RECORDS_OF, [personIds, qualificationIds]);
}

/** Records not revoked of these people, lapsed or expiring by `until`, soonest first, at most 200. */
export function recordsLapsedOrExpiringBy(db: EntityManager, personIds: string[], until: Date): Promise<CompetenceRecord[]> {
  return db
    .getRepository(CompetenceRecord)
    .createQueryBuilder('r')
    .where('r.personId IN (:...ids)', { ids: personIds })
    .andWhere('r.revokedAt IS NULL')
    .andWhere('(r.lapsedAt IS NOT NULL OR r.expiresAt <= :until)', { until })
    .orderBy('r.expiresAt', 'ASC')
    .limit(200)
    .getMany();
}

/** Records past their expiry by `now` not yet lapsed or revoked, soonest first, at most `limit`. */
export function recordsDueToLapse(db: EntityManager, now: Date, limit: number): Promise<CompetenceRecord[]> {
  return db
    .getRepository(CompetenceRecord)
    .createQueryBuilder('r')
    .where('r.lapsedAt IS NULL AND r.revokedAt IS NULL AND r.expiresAt <= :now', { now })
    .orderBy('r.expiresAt', 'ASC')
    .limit(limit)
    .getMany();
}

export const recordsOfPersonLoader = (db: EntityManager) => loaderGrouped(db, CompetenceRecord, 'personId', { achievedAt: 'ASC' });

/** A record not yet written (saved with `saveRecord`). */
export function newRecord(db: EntityManager, fields: DeepPartial<CompetenceRecord>): CompetenceRecord {
  return db.create(CompetenceRecord, fields);
}

/** Writes a new or changed record. */
export async function saveRecord(db: EntityManager, record: CompetenceRecord): Promise<void> {
  await db.save(record);
}
