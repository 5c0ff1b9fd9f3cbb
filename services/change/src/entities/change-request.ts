import { Column, CreateDateColumn, Entity, Generated, Index, PrimaryGeneratedColumn, UpdateDateColumn, VersionColumn } from 'typeorm';

export const CHANGE_TYPES = ['PERMANENT', 'TEMPORARY', 'EMERGENCY'] as const;
export type ChangeType = (typeof CHANGE_TYPES)[number];

export const CHANGE_STATUSES = ['DRAFT', 'SUBMITTED', 'IN_REVIEW', 'APPROVED', 'IMPLEMENTING', 'PRE_STARTUP_REVIEW', 'STARTUP_AUTHORIZED', 'CLOSED', 'REJECTED', 'CANCELLED'] as const;
export type ChangeStatus = (typeof CHANGE_STATUSES)[number];
/** Proposed but not approved: work on assets in scope waits for the approval. */
export const PENDING_APPROVAL: ChangeStatus[] = ['SUBMITTED', 'IN_REVIEW'];
/** The plant is being changed or has just been: production on the scope may not restart yet. */
export const BLOCKING_RESTART: ChangeStatus[] = ['IMPLEMENTING', 'PRE_STARTUP_REVIEW'];
export const FINISHED: ChangeStatus[] = ['CLOSED', 'REJECTED', 'CANCELLED'];
/** The change is in the plant: from here on it is restored or made permanent when temporary and past its end. */
export const IN_PLACE: ChangeStatus[] = ['IMPLEMENTING', 'PRE_STARTUP_REVIEW', 'STARTUP_AUTHORIZED', 'CLOSED'];

export const APPROVER_ROLES = ['OPERATIONS', 'ENGINEERING', 'SAFETY'] as const;
export type ApproverRole = (typeof APPROVER_ROLES)[number];

export const RISK_RATINGS = ['LOW', 'MEDIUM', 'HIGH', 'CRITICAL'] as const;
export type RiskRating = (typeof RISK_RATINGS)[number];

/** A management-of-change record: what is changed, why, where, at what risk, and who must approve it. */
@Entity()
@Index(['status'])
export class ChangeRequest {
  @PrimaryGeneratedColumn('uuid') id: string;
  /** Sequence behind the human number MOC-000123. */
  @Column('int', { unique: true }) @Generated('increment') seq: number;
  @Column('text') title: string;
  @Column('text') description: string;
  @Column('text') type: ChangeType;
  @Column('text') status: ChangeStatus;
  @Column('text') reason: string;
  @Column('uuid', { array: true }) siteIds: string[];
  @Column('uuid', { array: true, default: () => "'{}'" }) areaIds: string[];
  @Column('uuid', { array: true, default: () => "'{}'" }) lineIds: string[];
  @Column('uuid', { array: true, default: () => "'{}'" }) assetIds: string[];
  @Column('uuid', { array: true, default: () => "'{}'" }) documentIds: string[];
  @Column('text') riskAssessment: string;
  @Column('text') riskRating: RiskRating;
  /** End of a temporary change: after it the change must be restored or made permanent. */
  @Column('timestamptz', { nullable: true }) endDate: Date | null;
  @Column('text') requesterId: string;
  @Column('text') ownerId: string;
  @Column('text', { array: true }) requiredApproverRoles: ApproverRole[];
  @Column('timestamptz', { nullable: true }) submittedAt: Date | null;
  @Column('timestamptz', { nullable: true }) approvedAt: Date | null;
  @Column('timestamptz', { nullable: true }) closedAt: Date | null;
  /** Why it was rejected or cancelled. */
  @Column('text', { nullable: true }) endReason: string | null;
  /** Idempotency key of the "restore or make permanent" action, once raised. */
  @Column('text', { nullable: true }) restoreRequestId: string | null;
  @CreateDateColumn({ type: 'timestamptz' }) createdAt: Date;
  @UpdateDateColumn({ type: 'timestamptz' }) updatedAt: Date;
  @VersionColumn() version: number;
}

@Entity()
@Index(['changeId', 'role'], { unique: true })
export class ChangeApproval {
  @PrimaryGeneratedColumn('uuid') id: string;
  @Column('uuid') changeId: string;
  @Column('text') role: ApproverRole;
  @Column('text') approverId: string;
  @Column('text') decision: 'APPROVED' | 'REJECTED';
  @Column('text', { nullable: true }) comment: string | null;
  @Column('timestamptz') at: Date;
}

/** Append-only lifecycle history of a change. */
@Entity()
@Index(['changeId', 'id'])
export class ChangeTransition {
  @PrimaryGeneratedColumn('increment', { type: 'bigint' }) id: string;
  @Column('uuid') changeId: string;
  @Column('text', { nullable: true }) fromStatus: ChangeStatus | null;
  @Column('text') toStatus: ChangeStatus;
  @Column('text') actorId: string;
  @Column('timestamptz') at: Date;
  @Column('text', { nullable: true }) note: string | null;
}

/** One verified pre-startup check as it stood when start-up was authorized: the evidence the authorization rests on. */
export interface VerifiedCheck {
  checkId: string;
  title: string;
  workItemId: string;
  workItemNumber: string;
  verifiedAt: string | null;
  verifierId: string | null;
}

/**
 * The start-up authorization of a change (one per change): who released production after the pre-startup
 * review, when, why, and the verified checks it rested on. Written once, never updated.
 */
@Entity()
@Index(['changeId'], { unique: true })
export class StartupAuthorization {
  @PrimaryGeneratedColumn('uuid') id: string;
  @Column('uuid') changeId: string;
  @Column('text') authorizedById: string;
  @Column('timestamptz') authorizedAt: Date;
  @Column('text') note: string;
  @Column('jsonb') verifiedChecks: VerifiedCheck[];
}

/** A work item that waits for this change's approval because it touches an asset in its scope. */
@Entity()
@Index(['changeId', 'workItemId'], { unique: true })
// The changes a work item waits for (row-level security asks it of every tracked work item a request reads).
@Index('change_gate_work_item', ['workItemId'])
export class ChangeGate {
  @PrimaryGeneratedColumn('uuid') id: string;
  @Column('uuid') changeId: string;
  @Column('uuid') workItemId: string;
  @CreateDateColumn({ type: 'timestamptz' }) createdAt: Date;
}
