import { Column, CreateDateColumn, Entity, Index, PrimaryGeneratedColumn } from 'typeorm';
import type { HazardControlKind } from '@opsgraph/events';

/** The risk assessment of one job (work item): the hazards met and the controls required before work starts. */
@Entity()
export class JobRiskAssessment {
  @PrimaryGeneratedColumn('uuid') id: string;
  @Index({ unique: true }) @Column('uuid') workItemId: string;
  @Column('uuid') siteId: string;
  @Column('text', { nullable: true }) notes: string | null;
  @Column('text') assessedById: string;
  @CreateDateColumn({ type: 'timestamptz' }) createdAt: Date;
}

/** A register hazard selected for a job. */
@Entity()
@Index(['workItemId', 'position'])
export class JobHazard {
  @PrimaryGeneratedColumn('uuid') id: string;
  @Index() @Column('uuid') assessmentId: string;
  @Column('uuid') workItemId: string;
  @Column('uuid') hazardId: string;
  @Column('int') position: number;
}

export const CONTROL_STATES = ['REQUIRED', 'CONFIRMED'] as const;
export type ControlState = (typeof CONTROL_STATES)[number];

/**
 * A control a job requires: a HAZARD_CONTROL_IN_PLACE blocker on the work item (its id is the blocker's
 * source record) until someone confirms it with evidence. A copy, so later register changes do not alter it.
 */
@Entity()
@Index(['jobHazardId', 'position'])
@Index(['workItemId'])
// The page's and the board's controls of an assessment, in order.
@Index(['assessmentId', 'position'])
export class JobHazardControl {
  @PrimaryGeneratedColumn('uuid') id: string;
  @Column('uuid') assessmentId: string;
  @Column('uuid') jobHazardId: string;
  @Column('uuid') workItemId: string;
  @Column('uuid') hazardId: string;
  /** The register control it was copied from; null for a control added for this job only. */
  @Column('uuid', { nullable: true }) hazardControlId: string | null;
  @Column('text') kind: HazardControlKind;
  @Column('text') description: string;
  @Column('int') position: number;
  @Column('text') state: ControlState;
  @Column('text', { nullable: true }) evidence: string | null;
  @Column('text', { nullable: true }) evidenceUrl: string | null;
  @Column('text', { nullable: true }) confirmedById: string | null;
  @Column('timestamptz', { nullable: true }) confirmedAt: Date | null;
  @Column('text', { nullable: true }) reopenedReason: string | null;
}
