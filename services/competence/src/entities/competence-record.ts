import { Column, CreateDateColumn, Entity, Index, PrimaryGeneratedColumn, UpdateDateColumn, VersionColumn } from 'typeorm';
import { validityStatus } from '@opsgraph/core';

export const COMPETENCE_STATUSES = ['VALID', 'EXPIRING', 'EXPIRED', 'REVOKED'] as const;
export type CompetenceStatus = (typeof COMPETENCE_STATUSES)[number];
/** A record this close to its expiry shows EXPIRING, so renewals are planned before work is blocked. */
export const EXPIRING_WITHIN_DAYS = 30;

/**
 * That a person holds a qualification: one row per person and qualification, renewed in place (the
 * facts on the competence topic keep the history).
 */
@Entity()
@Index(['personId', 'qualificationId'], { unique: true })
@Index(['qualificationId'])
@Index('competence_record_due', ['expiresAt'], { where: 'lapsed_at IS NULL AND revoked_at IS NULL AND expires_at IS NOT NULL' })
export class CompetenceRecord {
  @PrimaryGeneratedColumn('uuid') id: string;
  @Column('uuid') personId: string;
  @Column('uuid') qualificationId: string;
  @Column('timestamptz') achievedAt: Date;
  /** Computed from the qualification's validity unless given; null: never expires. */
  @Column('timestamptz', { nullable: true }) expiresAt: Date | null;
  /** Certificate number, training record or link that proves it. */
  @Column('text', { nullable: true }) evidence: string | null;
  @Column('text') grantedById: string;
  @Column('timestamptz', { nullable: true }) revokedAt: Date | null;
  @Column('text', { nullable: true }) revokedById: string | null;
  @Column('text', { nullable: true }) revokedReason: string | null;
  /** When the expiry rule saw it lapse and re-opened the work it affects; cleared by renewal. */
  @Column('timestamptz', { nullable: true }) lapsedAt: Date | null;
  @CreateDateColumn({ type: 'timestamptz' }) createdAt: Date;
  @UpdateDateColumn({ type: 'timestamptz' }) updatedAt: Date;
  @VersionColumn() version: number;
}

/** Status now: REVOKED, EXPIRED (by date, or lapsed by the expiry rule), EXPIRING within 30 days, or VALID. */
export function recordStatus(record: CompetenceRecord, now: Date): CompetenceStatus {
  if (record.revokedAt) return 'REVOKED';
  if (record.lapsedAt) return 'EXPIRED';
  return validityStatus(record.expiresAt, now, EXPIRING_WITHIN_DAYS);
}

/** Whether the record lets its holder do work that demands the qualification now. */
export const holdsNow = (record: CompetenceRecord, now: Date) => ['VALID', 'EXPIRING'].includes(recordStatus(record, now));
