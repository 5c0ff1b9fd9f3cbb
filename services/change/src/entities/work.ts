import type { RequiredOutcomeV1 } from '@opsgraph/events';
import { Column, CreateDateColumn, Entity, Index, PrimaryColumn, PrimaryGeneratedColumn } from 'typeorm';

/** A task that puts the change in place; raised in Work as a work item with the change as its source. */
@Entity()
@Index(['changeId', 'seq'], { unique: true })
export class ChangeTask {
  @PrimaryGeneratedColumn('uuid') id: string;
  @Column('uuid') changeId: string;
  @Column('int') seq: number;
  @Column('text') title: string;
  @Column('text', { nullable: true }) description: string | null;
  @Column('text') workType: string;
  @Column('uuid') siteId: string;
  @Column('uuid', { nullable: true }) areaId: string | null;
  @Column('uuid', { nullable: true }) lineId: string | null;
  @Column('uuid', { nullable: true }) assetId: string | null;
  @Column('text', { nullable: true }) ownerId: string | null;
  @Column('timestamptz', { nullable: true }) dueAt: Date | null;
  /**
   * The proof the task's work item asks for, as raised (given, or the default of implementationProof). Null
   * only for tasks raised before it was kept, which asked for Work's default.
   */
  @Column('jsonb', { nullable: true }) requiredOutcome: RequiredOutcomeV1 | null;
  @Column('text', { unique: true }) requestId: string;
  @Column('text') createdById: string;
  @CreateDateColumn({ type: 'timestamptz' }) createdAt: Date;
}

/**
 * One check of the pre-startup safety review ("inspect line 3 before restart"). It becomes a work item
 * of type PRE_STARTUP_CHECK when the change enters the review; the change closes only when every check's
 * work item is verified done.
 */
@Entity()
@Index(['changeId', 'seq'], { unique: true })
export class PreStartupCheck {
  @PrimaryGeneratedColumn('uuid') id: string;
  @Column('uuid') changeId: string;
  @Column('int') seq: number;
  @Column('text') title: string;
  @Column('text') whatChanged: string;
  @Column('uuid', { array: true, default: () => "'{}'" }) documentIds: string[];
  @Column('boolean') permitRequired: boolean;
  @Column('text', { nullable: true }) permitNote: string | null;
  /** What must be confirmed before production resumes: the checklist the work item must answer. */
  @Column('text', { array: true }) confirmations: string[];
  @Column('uuid') siteId: string;
  @Column('uuid', { nullable: true }) areaId: string | null;
  @Column('uuid', { nullable: true }) lineId: string | null;
  @Column('uuid', { nullable: true }) assetId: string | null;
  @Column('text', { nullable: true }) ownerId: string | null;
  /** How often it was raised: a cancelled check work item is raised again under a new request id. */
  @Column('int', { default: 0 }) attempt: number;
  @Index() @Column('text', { nullable: true }) requestId: string | null;
  @Column('timestamptz', { nullable: true }) raisedAt: Date | null;
  @Column('text') createdById: string;
  @CreateDateColumn({ type: 'timestamptz' }) createdAt: Date;
}

/**
 * The contractor company doing a work item, as Work's `work_item.created` event told it (only work that has
 * one): the contractor boundary of change. Kept beside the tracked view (libs/core's TrackedWorkItem has no
 * such column), with the item's site so that its own row-level security needs no join.
 */
@Entity()
export class WorkContractor {
  @PrimaryColumn('uuid') workItemId: string;
  @Column('uuid') siteId: string;
  @Column('text') contractorCompany: string;
}

/**
 * An issued permit to work covering a work item, from the permits domain's events (`permit.issued`,
 * `permit.reinstated`, work items added to an issued permit): what satisfies the "valid permit" blocker of a
 * pre-startup check that needs one, whichever of the permit's and Work's events arrives first.
 */
@Entity()
@Index(['workItemId', 'permitId'], { unique: true })
export class PermitCover {
  @PrimaryGeneratedColumn('uuid') id: string;
  @Column('uuid') workItemId: string;
  @Column('uuid') permitId: string;
  @Column('text') permitNumber: string;
  @Column('uuid') siteId: string;
  @Column('timestamptz') issuedAt: Date;
}
