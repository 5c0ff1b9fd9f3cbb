import { Column, CreateDateColumn, Entity, Index, PrimaryGeneratedColumn } from 'typeorm';
import type { ReviewKind } from '@opsgraph/events';

export const REVIEW_STATUSES = ['OPEN', 'CLOSED', 'CANCELLED'] as const;
export type ReviewStatus = (typeof REVIEW_STATUSES)[number];

/** A review of a document, periodic (raised by the schedule) or triggered (asked for by someone). */
@Entity()
@Index(['documentId', 'createdAt'])
@Index('document_review_open', ['documentId'], { unique: true, where: `"status" = 'OPEN'` })
export class DocumentReview {
  @PrimaryGeneratedColumn('uuid') id: string;
  @Column('uuid') documentId: string;
  @Column('text') kind: ReviewKind;
  @Column('text', { nullable: true }) reason: string | null;
  @Column('timestamptz') dueAt: Date;
  @Column('text') status: ReviewStatus;
  @Column('text') requestedById: string;
  @CreateDateColumn({ type: 'timestamptz' }) createdAt: Date;
  @Column('timestamptz', { nullable: true }) closedAt: Date | null;
}

/**
 * A reviewer of a review. Their review is a DOCUMENT_REVIEW work item Work creates from our request
 * (`requestId`); the tracked view of Work's events says which item it is and when it is verified.
 */
@Entity()
@Index(['reviewId', 'personId'], { unique: true })
export class DocumentReviewer {
  @PrimaryGeneratedColumn('uuid') id: string;
  @Column('uuid') reviewId: string;
  @Column('uuid') personId: string;
  @Column('text', { unique: true }) requestId: string;
}
