import { Column, CreateDateColumn, Entity, Generated, Index, PrimaryGeneratedColumn, UpdateDateColumn, VersionColumn } from 'typeorm';
import type { ActionKind, IncidentSeverity, IncidentStatus, IncidentType } from '@opsgraph/events';
import type { IncidentInjury, IncidentWitness, RootCauseCategory } from '../domain/recordability';

/**
 * Whether an incident's actions worked, checked a set time after closing: PENDING until then, RAISED as work,
 * EFFECTIVE when that work is verified within its limits, NOT_EFFECTIVE (and reopened) when not; NOT_REQUIRED
 * for an incident closed without actions.
 */
export const EFFECTIVENESS_STATUSES = ['PENDING', 'RAISED', 'EFFECTIVE', 'NOT_EFFECTIVE', 'NOT_REQUIRED'] as const;
export type EffectivenessStatus = (typeof EFFECTIVENESS_STATUSES)[number];

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
  /** The worst credible outcome (actual severity is `severity`). */
  @Column('text', { nullable: true }) potentialSeverity: IncidentSeverity | null;
  /** Personal data, as `peopleInvolvedIds`: body part, treatment, lost days per injured person. */
  @Column('jsonb', { default: () => "'[]'::jsonb" }) injuries: IncidentInjury[];
  @Column('jsonb', { default: () => "'[]'::jsonb" }) witnesses: IncidentWitness[];
  /** The structured root cause: categories and the five-whys chain (the first why is the incident's). */
  @Column('text', { array: true, default: () => "'{}'" }) rootCauseCategories: RootCauseCategory[];
  @Column('text', { array: true, default: () => "'{}'" }) whys: string[];
  /** Why a HIGH or CRITICAL incident closed without actions, recorded by HSE. */
  @Column('text', { nullable: true }) noActionJustification: string | null;
  @Column('text', { nullable: true }) noActionJustifiedById: string | null;
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

export const INCIDENT_HISTORY_ACTIONS = [
  'REPORTED', 'DETAILS_RECORDED', 'INVESTIGATION_STARTED', 'INVESTIGATION_COMPLETED', 'CLOSED', 'EFFECTIVENESS_CHECK_RAISED', 'EFFECTIVE', 'NOT_EFFECTIVE', 'REOPENED',
] as const;
export type IncidentHistoryAction = (typeof INCIDENT_HISTORY_ACTIONS)[number];

/** What happened to an incident, in order (the reopen reason, the closing note, a failed check's readings). */
@Entity()
@Index(['incidentId', 'at'])
export class IncidentHistoryEntry {
  @PrimaryGeneratedColumn('uuid') id: string;
  @Column('uuid') incidentId: string;
  @Column('uuid') siteId: string;
  @Column('text') action: IncidentHistoryAction;
  @Column('text', { nullable: true }) fromStatus: IncidentStatus | null;
  @Column('text') toStatus: IncidentStatus;
  @Column('text') actorId: string;
  @Column('text', { nullable: true }) note: string | null;
  @Column('uuid', { nullable: true }) workItemId: string | null;
  @CreateDateColumn({ type: 'timestamptz' }) at: Date;
}
