import { Column, Entity, Index, PrimaryGeneratedColumn } from 'typeorm';
import type { EvidenceKind, WorkItemStatus } from './work-item';

/** Append-only: rows are inserted, never updated or deleted (a trigger refuses it). */
@Entity()
@Index(['workItemId', 'id'])
@Index(['toStatus', 'at'])
export class Transition {
  @PrimaryGeneratedColumn('increment', { type: 'bigint' }) id: string;
  @Column('uuid') workItemId: string;
  @Column('text', { nullable: true }) fromStatus: WorkItemStatus | null;
  @Column('text') toStatus: WorkItemStatus;
  @Column('text') actorId: string;
  @Column('timestamptz') at: Date;
  @Column('text', { nullable: true }) note: string | null;
}

export interface ChecklistAnswer {
  question: string;
  answer: string;
}

@Entity()
export class Evidence {
  @PrimaryGeneratedColumn('uuid') id: string;
  @Index() @Column('uuid') workItemId: string;
  @Column('text') kind: EvidenceKind;
  @Column('text') label: string;
  @Column('text', { nullable: true }) text: string | null;
  @Column('double precision', { nullable: true }) value: number | null;
  @Column('text', { nullable: true }) unit: string | null;
  @Column('boolean', { nullable: true }) withinLimits: boolean | null;
  @Column('text', { nullable: true }) url: string | null;
  @Column('text', { nullable: true }) checksum: string | null;
  @Column('jsonb', { nullable: true }) answers: ChecklistAnswer[] | null;
  @Column('text') submittedById: string;
  @Column('timestamptz') submittedAt: Date;
}

@Entity()
@Index(['siteId', 'shift', 'at'])
export class ShiftLogEntry {
  @PrimaryGeneratedColumn('uuid') id: string;
  @Column('uuid') siteId: string;
  @Column('uuid', { nullable: true }) areaId: string | null;
  @Column('text') shift: string;
  @Column('text') authorId: string;
  @Column('timestamptz') at: Date;
  @Column('text') text: string;
  @Column('boolean', { default: false }) attentionNextShift: boolean;
  @Column('uuid', { array: true, default: () => "'{}'" }) workItemIds: string[];
}
