// The vocabulary is part of the event contracts (libs/events), so Work and every consumer share one list.
import { EVIDENCE_KINDS, PRIORITIES, SOURCE_DOMAINS, WORK_ITEM_STATUSES as STATUSES, WORK_ITEM_TYPES } from '@opsgraph/events';
export { EVIDENCE_KINDS, PRIORITIES, SOURCE_DOMAINS, STATUSES, WORK_ITEM_TYPES };
import type { WorkDetails } from './work-details';
import { Column, CreateDateColumn, Entity, Index, PrimaryGeneratedColumn, UpdateDateColumn, VersionColumn } from 'typeorm';

export type WorkItemType = (typeof WORK_ITEM_TYPES)[number];

export type WorkItemStatus = (typeof STATUSES)[number];
export const TERMINAL: WorkItemStatus[] = ['DONE', 'CANCELLED'];
export const OPEN_STATUSES: WorkItemStatus[] = ['OPEN', 'READY', 'IN_PROGRESS', 'AWAITING_VERIFICATION', 'ON_HOLD'];

export type Priority = (typeof PRIORITIES)[number];

export type SourceDomain = (typeof SOURCE_DOMAINS)[number];

export type EvidenceKind = (typeof EVIDENCE_KINDS)[number];

export interface EvidenceRequirement {
  kind: EvidenceKind;
  label: string;
  unit?: string | null;
  min?: number | null;
  max?: number | null;
  questions?: string[] | null;
}

export interface RequiredOutcome {
  acceptanceCriteria: string;
  evidence: EvidenceRequirement[];
}

export interface RecordLink {
  domain: SourceDomain;
  recordId: string;
  relation?: string | null;
}

@Entity()
@Index(['siteId', 'status'])
@Index(['areaId', 'status'])
@Index(['assetId', 'status'])
@Index(['ownerId', 'status'])
@Index(['sourceDomain', 'sourceRecordId'])
@Index(['createdAt', 'id'])
export class WorkItem {
  @PrimaryGeneratedColumn('uuid') id: string;
  @Column('text', { unique: true }) number: string;
  @Column('text') type: WorkItemType;
  @Column('text') title: string;
  @Column('text', { nullable: true }) description: string | null;
  @Column('text') status: WorkItemStatus;
  /** Where an ON_HOLD item returns to when resumed. */
  @Column('text', { nullable: true }) heldFrom: WorkItemStatus | null;
  @Column('text', { nullable: true }) holdReason: string | null;
  /** The supporting record whose hold stopped the item (an incident): its `asset_hold` says who resumes it and whether its cause is open. Null: held by hand. */
  @Column('text', { nullable: true }) holdSourceDomain: SourceDomain | null;
  @Column('text', { nullable: true }) holdSourceRecordId: string | null;
  @Column('text', { default: 'MEDIUM' }) priority: Priority;
  /** Count of open prerequisites, kept in the same transaction as every prerequisite change, so lists filter and sort on it without joins. */
  @Column('int', { default: 0 }) openPrerequisites: number;
  /** The earliest `validUntil` of its satisfied prerequisites: from then on it counts as blocked, whether or not the lapse event has arrived. */
  @Column('timestamptz', { nullable: true }) lapsesAt: Date | null;

  @Column('uuid') siteId: string;
  @Column('uuid', { nullable: true }) areaId: string | null;
  @Column('uuid', { nullable: true }) lineId: string | null;
  @Column('uuid', { nullable: true }) assetId: string | null;
  @Column('text', { nullable: true }) shift: string | null;
  @Column('text', { nullable: true }) batch: string | null;
  @Column('text', { nullable: true }) vehicle: string | null;
  @Index() @Column('text', { nullable: true }) contractorCompany: string | null;
  @Column('timestamptz', { nullable: true }) windowStart: Date | null;
  @Column('timestamptz', { nullable: true }) windowEnd: Date | null;
  @Column('text', { nullable: true }) customerCommitment: string | null;
  @Column('timestamptz', { nullable: true }) dueAt: Date | null;

  @Column('uuid', { nullable: true }) ownerId: string | null;
  @Column('text', { nullable: true }) team: string | null;
  @Column('uuid', { nullable: true }) performerId: string | null;
  @Column('uuid', { nullable: true }) verifiedById: string | null;
  @Column('timestamptz', { nullable: true }) verifiedAt: Date | null;
  @Column('timestamptz', { nullable: true }) completedAt: Date | null;

  @Column('text') sourceDomain: SourceDomain;
  @Column('text', { nullable: true }) sourceRecordId: string | null;
  @Column('text', { nullable: true }) sourceReason: string | null;
  @Column('jsonb') requiredOutcome: RequiredOutcome;
  @Column('jsonb', { default: () => "'[]'::jsonb" }) links: RecordLink[];
  /** The details of its type (domain/details.ts), keyed by member, e.g. `{ "logistics": {...} }`; null for types without. */
  @Column('jsonb', { nullable: true }) details: WorkDetails | null;

  @CreateDateColumn({ type: 'timestamptz' }) createdAt: Date;
  @UpdateDateColumn({ type: 'timestamptz' }) updatedAt: Date;
  @VersionColumn() version: number;
}
