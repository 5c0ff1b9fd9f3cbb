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
