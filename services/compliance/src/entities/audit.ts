import { Column, CreateDateColumn, Entity, Generated, Index, PrimaryGeneratedColumn } from 'typeorm';

export const AUDIT_KINDS = ['AUDIT', 'INSPECTION'] as const;
export type AuditKind = (typeof AUDIT_KINDS)[number];

/** A reading of a failed inspection outside its limits, as Work reported it. */
export interface InspectionReading {
  label: string;
  value: number;
  unit?: string | null;
  min?: number | null;
  max?: number | null;
}

/**
 * An audit of a site: its scope, when, and who audited. Of kind INSPECTION it is the record of a failed
 * inspection (the work item, its readings outside their limits, its verifier as auditor), and its one finding
 * is the non-conformance.
 */
@Entity()
export class ComplianceAudit {
  @PrimaryGeneratedColumn('uuid') id: string;
  @Column('int', { unique: true }) @Generated('increment') seq: number;
  @Column('text') title: string;
  @Index() @Column('uuid') siteId: string;
  @Column('uuid', { array: true, default: () => "'{}'" }) areaIds: string[];
  @Column('text') scope: string;
  @Column('timestamptz') auditDate: Date;
  @Column('text') auditorId: string;
  @Column('text') createdById: string;
  @Column('text', { default: 'AUDIT' }) kind: AuditKind;
  /** INSPECTION: the failed inspection, its occurrence and its readings outside their limits. */
  @Column('uuid', { nullable: true }) inspectionWorkItemId: string | null;
  @Column('text', { nullable: true }) inspectionWorkItemNumber: string | null;
  @Column('uuid', { nullable: true }) obligationId: string | null;
  @Column('jsonb', { default: () => "'[]'::jsonb" }) readings: InspectionReading[];
  @CreateDateColumn({ type: 'timestamptz' }) createdAt: Date;
}

/**
 * Whether the corrective actions worked, checked a set time after closing: PENDING until then, RAISED as work,
 * EFFECTIVE when that work is verified within its limits, NOT_EFFECTIVE (and reopened) when not; NOT_REQUIRED
 * for a finding closed without actions.
 */
export const EFFECTIVENESS_STATUSES = ['PENDING', 'RAISED', 'EFFECTIVE', 'NOT_EFFECTIVE', 'NOT_REQUIRED'] as const;
export type EffectivenessStatus = (typeof EFFECTIVENESS_STATUSES)[number];

export const FINDING_SEVERITIES = ['OBSERVATION', 'MINOR', 'MAJOR', 'CRITICAL'] as const;
export type FindingSeverity = (typeof FINDING_SEVERITIES)[number];

/** What an audit found; it closes only when every corrective action is verified done. */
@Entity()
@Index(['auditId', 'seq'], { unique: true })
export class AuditFinding {
  @PrimaryGeneratedColumn('uuid') id: string;
  @Column('uuid') auditId: string;
  @Column('int') seq: number;
  @Column('text') severity: FindingSeverity;
  @Column('uuid', { nullable: true }) requirementId: string | null;
  @Index() @Column('uuid') siteId: string;
  @Column('uuid', { nullable: true }) areaId: string | null;
  @Column('uuid', { nullable: true }) assetId: string | null;
  @Column('text') description: string;
  @Column('text') status: 'OPEN' | 'CLOSED';
  @Column('timestamptz', { nullable: true }) closedAt: Date | null;
  @Column('text', { nullable: true }) closedById: string | null;
  @Column('text', { nullable: true }) closeNote: string | null;
  @Column('text') createdById: string;
  /** The failed inspection this finding is the non-conformance of (null: found by an audit). */
  @Column('uuid', { nullable: true }) inspectionWorkItemId: string | null;
  /** The effectiveness check: days after closing, when it is raised, its work and verdict. */
  @Column('int', { nullable: true }) effectivenessCheckDays: number | null;
  @Column('text', { nullable: true }) effectivenessStatus: EffectivenessStatus | null;
  @Index() @Column('timestamptz', { nullable: true }) effectivenessCheckAt: Date | null;
  @Column('int', { default: 0 }) effectivenessAttempt: number;
  @Index() @Column('text', { nullable: true }) effectivenessRequestId: string | null;
  @Column('timestamptz', { nullable: true }) effectivenessRaisedAt: Date | null;
  @Column('uuid', { nullable: true }) effectivenessWorkItemId: string | null;
  @Column('timestamptz', { nullable: true }) effectivenessCheckedAt: Date | null;
  @Column('text', { nullable: true }) effectivenessCheckedById: string | null;
  @Column('int', { default: 0 }) reopenCount: number;
  @CreateDateColumn({ type: 'timestamptz' }) createdAt: Date;
}

export const FINDING_HISTORY_ACTIONS = ['RECORDED', 'CLOSED', 'EFFECTIVENESS_CHECK_RAISED', 'EFFECTIVE', 'NOT_EFFECTIVE', 'REOPENED'] as const;
export type FindingHistoryAction = (typeof FINDING_HISTORY_ACTIONS)[number];

/** What happened to a finding, in order: recorded, closed, its effectiveness check, reopened (with the reason). */
@Entity()
@Index(['findingId', 'at'])
export class FindingHistoryEntry {
  @PrimaryGeneratedColumn('uuid') id: string;
  @Column('uuid') findingId: string;
  @Column('uuid') siteId: string;
  @Column('text') action: FindingHistoryAction;
  @Column('text', { nullable: true }) fromStatus: string | null;
  @Column('text', { nullable: true }) toStatus: string | null;
  @Column('text') actorId: string;
  @Column('text', { nullable: true }) note: string | null;
  @Column('uuid', { nullable: true }) workItemId: string | null;
  @CreateDateColumn({ type: 'timestamptz' }) at: Date;
}

/** A corrective action of a finding, raised in Work as a CORRECTIVE_ACTION with the finding as source. */
@Entity()
@Index(['findingId', 'seq'], { unique: true })
export class ComplianceFindingAction {
  @PrimaryGeneratedColumn('uuid') id: string;
  @Column('uuid') findingId: string;
  @Column('int') seq: number;
  @Column('text') title: string;
  @Column('text', { nullable: true }) description: string | null;
  @Column('text', { nullable: true }) ownerId: string | null;
  @Column('timestamptz', { nullable: true }) dueAt: Date | null;
  @Column('text', { unique: true }) requestId: string;
  @Column('text') createdById: string;
  @CreateDateColumn({ type: 'timestamptz' }) createdAt: Date;
}
