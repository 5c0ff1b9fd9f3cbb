import { Column, Entity, Index, PrimaryGeneratedColumn } from 'typeorm';

export const ACKNOWLEDGEMENT_STATES = ['PENDING', 'ACKNOWLEDGED', 'SUPERSEDED'] as const;
export type AcknowledgementState = (typeof ACKNOWLEDGEMENT_STATES)[number];

/**
 * "Read and understood" of one person for one revision. PENDING while their work is blocked on it (the
 * work items are listed), ACKNOWLEDGED once they confirmed, SUPERSEDED when a newer revision replaced it
 * before they did. The row is also the lock that orders an acknowledgement against new blockers.
 */
@Entity()
@Index(['revisionId', 'personId'], { unique: true })
@Index(['personId', 'state'])
@Index('document_acknowledgement_work_item_ids', { synchronize: false })
export class DocumentAcknowledgement {
  @PrimaryGeneratedColumn('uuid') id: string;
  @Column('uuid') revisionId: string;
  @Column('uuid') documentId: string;
  @Column('uuid') personId: string;
  @Column('text') state: AcknowledgementState;
  /** Work items an acknowledgement prerequisite was raised on for this person and revision. */
  @Column('uuid', { array: true, default: () => "'{}'" }) workItemIds: string[];
  @Column('timestamptz', { nullable: true }) requiredAt: Date | null;
  @Column('timestamptz', { nullable: true }) acknowledgedAt: Date | null;
}

export const BLOCKER_CLEARINGS = ['ACKNOWLEDGED', 'RELEASED'] as const;
export type BlockerClearing = (typeof BLOCKER_CLEARINGS)[number];

/**
 * One blocker a person's acknowledgement of a revision raised on a work item, and how it ended: the record
 * that stays after the blocker is cleared (the acknowledgement's `workItemIds` holds only what still blocks).
 * Keyed by revision and person, not by the acknowledgement row, which goes when nothing needs it any more.
 * At most one open row per revision, person and item; an item released and blocked again gets a new row.
 */
@Entity()
@Index(['revisionId', 'personId'])
@Index('document_blocked_work_open', ['revisionId', 'personId', 'workItemId'], { unique: true, where: `"cleared_at" IS NULL` })
export class DocumentBlockedWork {
  @PrimaryGeneratedColumn('uuid') id: string;
  @Column('uuid') documentId: string;
  @Column('uuid') revisionId: string;
  @Column('uuid') personId: string;
  @Column('uuid') workItemId: string;
  /** Work's number of the item when the blocker was raised (from its events), for people to read. */
  @Column('text', { nullable: true }) workItemNumber: string | null;
  /** What the blocker says on the work item; once a newer revision replaced this one, it names that one. */
  @Column('text') description: string;
  @Column('timestamptz') raisedAt: Date;
  @Column('timestamptz', { nullable: true }) clearedAt: Date | null;
  @Column('text', { nullable: true }) clearedBy: BlockerClearing | null;
  /** The revision whose acknowledgement cleared it: its own, or the newer one that replaced it. */
  @Column('uuid', { nullable: true }) clearedByRevisionId: string | null;
  @Column('text', { nullable: true }) clearedReason: string | null;
}
