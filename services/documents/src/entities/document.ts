import { Column, CreateDateColumn, Entity, Index, PrimaryGeneratedColumn, UpdateDateColumn, VersionColumn } from 'typeorm';
import type { DocumentType, RevisionStatus } from '@opsgraph/events';

/**
 * A controlled document: what it is, who owns it, and where it applies. It applies to a work item when
 * the item is at one of its places (the site, one of the areas or one of the assets it names) and, if it
 * names work types, the item is of one of them. GIN indexes on the place arrays answer "which documents
 * apply here" for a whole list of work items in one statement.
 */
@Entity()
@Index('document_site_ids', { synchronize: false })
@Index('document_area_ids', { synchronize: false })
@Index('document_asset_ids', { synchronize: false })
export class Document {
  @PrimaryGeneratedColumn('uuid') id: string;
  /** Document control number, e.g. SOP-PACK-014; unique. */
  @Column('text', { unique: true }) number: string;
  @Column('text') title: string;
  @Column('text') type: DocumentType;
  @Column('uuid') ownerId: string;
  /** The site whose document control holds it: its review work is raised there and edits need its scope. */
  @Index() @Column('uuid') siteId: string;
  @Column('uuid', { array: true, default: () => "'{}'" }) siteIds: string[];
  @Column('uuid', { array: true, default: () => "'{}'" }) areaIds: string[];
  @Column('uuid', { array: true, default: () => "'{}'" }) assetIds: string[];
  /** Empty: every type of work at its places. */
  @Column('text', { array: true, default: () => "'{}'" }) workTypes: string[];
  /** Periodic review: the document is due for review this many days after it was last approved or reviewed. */
  @Column('int', { nullable: true }) reviewIntervalDays: number | null;
  @Column('timestamptz', { nullable: true }) lastReviewedAt: Date | null;
  @CreateDateColumn({ type: 'timestamptz' }) createdAt: Date;
  @UpdateDateColumn({ type: 'timestamptz' }) updatedAt: Date;
  @VersionColumn() version: number;
}

/**
 * One revision of a document. At most one is APPROVED (the current one) and at most one is pending
 * (DRAFT or IN_REVIEW) per document: partial unique indexes hold both even under concurrent approvals.
 */
@Entity()
@Index(['documentId', 'label'], { unique: true })
@Index('document_revision_current', ['documentId'], { unique: true, where: `"status" = 'APPROVED'` })
@Index('document_revision_pending', ['documentId'], { unique: true, where: `"status" IN ('DRAFT', 'IN_REVIEW')` })
export class DocumentRevision {
  @PrimaryGeneratedColumn('uuid') id: string;
  @Column('uuid') documentId: string;
  @Column('text') label: string;
  @Column('text') status: RevisionStatus;
  /** When none is given it takes effect when approved. */
  @Column('timestamptz', { nullable: true }) effectiveDate: Date | null;
  /** Where the content lives (document store URI); the checksum proves which content was approved. */
  @Column('text') contentRef: string;
  @Column('text') checksum: string;
  @Column('text', { nullable: true }) changeSummary: string | null;
  @Column('text') authorId: string;
  /** Everyone who drafted, edited or submitted it (the author first): none of them approves it. */
  @Column('text', { array: true, default: () => "'{}'" }) editorIds: string[];
  @Column('timestamptz', { nullable: true }) submittedAt: Date | null;
  @Column('text', { nullable: true }) returnedReason: string | null;
  @Column('text', { nullable: true }) approvedById: string | null;
  @Column('timestamptz', { nullable: true }) approvedAt: Date | null;
  @Column('timestamptz', { nullable: true }) supersededAt: Date | null;
  @CreateDateColumn({ type: 'timestamptz' }) createdAt: Date;
  @VersionColumn() version: number;
}
