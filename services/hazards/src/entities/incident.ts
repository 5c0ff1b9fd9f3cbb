import { Column, CreateDateColumn, Entity, Generated, Index, PrimaryGeneratedColumn, UpdateDateColumn, VersionColumn } from 'typeorm';
import type { ActionKind, IncidentSeverity, IncidentStatus, IncidentType } from '@opsgraph/events/src/schemas/hazards';

/**
 * Something that went wrong (or nearly): what, how bad, when and where, who reported it and who was
 * involved, and its investigation. The people involved are personal data: they stay in this database,
 * out of events, and only HSE, supervisors, the investigator and the reporter see them.
 */
@Entity()
@Index(['siteId', 'status'])
@Index(['areaId', 'status'])
@Index(['assetId'])
export class Incident {
  @PrimaryGeneratedColumn('uuid') id: string;
  /** Gives the human number INC-000042. */
  @Index({ unique: true }) @Column('int') @Generated('increment') serial: number;
  @Column('text') type: IncidentType;
  @Column('text') severity: IncidentSeverity;
  @Column('text') status: IncidentStatus;
  @Column('timestamptz') occurredAt: Date;
  @Column('uuid') siteId: string;
  @Column('uuid', { nullable: true }) areaId: string | null;
  @Column('uuid', { nullable: true }) assetId: string | null;
  @Column('text') title: string;
  @Column('text') description: string;
  @Column('text') reporterId: string;
  @Column('uuid', { array: true, default: () => "'{}'" }) peopleInvolvedIds: string[];
  @Column('uuid', { nullable: true }) investigatorId: string | null;
  @Column('timestamptz', { nullable: true }) investigationStartedAt: Date | null;
  @Column('timestamptz', { nullable: true }) investigationCompletedAt: Date | null;
  /** The investigator, or HSE completing it for them; null for investigations completed before this was kept. */
  @Column('text', { nullable: true }) investigationCompletedById: string | null;
  @Column('text', { array: true, default: () => "'{}'" }) rootCauses: string[];
  @Column('text', { nullable: true }) findings: string | null;
  /** Set when the open work on its asset was asked to go on hold (the HIGH/CRITICAL rule). */
  @Column('timestamptz', { nullable: true }) holdRequestedAt: Date | null;
  @Column('timestamptz', { nullable: true }) closedAt: Date | null;
  @Column('text', { nullable: true }) closedById: string | null;
  @Column('text', { nullable: true }) closingNote: string | null;
  @CreateDateColumn({ type: 'timestamptz' }) reportedAt: Date;
  @UpdateDateColumn({ type: 'timestamptz' }) updatedAt: Date;
  @VersionColumn() version: number;
}

/**
 * A corrective or preventive action of an incident. Work does it: a CORRECTIVE_ACTION work item created
 * from our request (`requestId`), whose progress the tracked view of Work's events follows.
 */
@Entity()
@Index(['incidentId', 'number'], { unique: true })
export class IncidentAction {
  @PrimaryGeneratedColumn('uuid') id: string;
  @Column('uuid') incidentId: string;
  /** 1, 2, ... within the incident. */
  @Column('int') number: number;
  @Column('text') kind: ActionKind;
  @Column('text') title: string;
  @Column('text', { nullable: true }) description: string | null;
  @Column('uuid') ownerId: string;
  @Column('timestamptz', { nullable: true }) dueAt: Date | null;
  @Column('text', { unique: true }) requestId: string;
  @Column('text') createdById: string;
  @CreateDateColumn({ type: 'timestamptz' }) createdAt: Date;
}
