import { Column, CreateDateColumn, Entity, Generated, Index, PrimaryGeneratedColumn } from 'typeorm';

/** An audit of a site: its scope, when, and who audited. */
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
  @CreateDateColumn({ type: 'timestamptz' }) createdAt: Date;
}

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
  @CreateDateColumn({ type: 'timestamptz' }) createdAt: Date;
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
