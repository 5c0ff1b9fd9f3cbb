import { Column, CreateDateColumn, Entity, PrimaryColumn } from 'typeorm';
import type { PrerequisiteKind } from './prerequisite';
import type { SourceDomain } from './work-item';

/** Which items a fact is about: every item with a blocker of the record, the record's own work, or one item (its id). */
/** A supporting record that raises prerequisites. */
export interface PrerequisiteSource {
  domain: SourceDomain;
  recordId: string;
}

export const ALL_ITEMS = '*';
export const OWN_WORK = 'own';

/**
 * The latest state a supporting record told Work for its blockers, kept so the outcome does not depend on the
 * order events arrive in: a fact about every item (or the record's own work) stays to apply to blockers raised
 * later, one about a single item stays only until that item's blocker appears. `factOrder` is the event's time
 * and rank (`<ISO time>#<rank>`): a fact replaces another only when it is not older.
 */
@Entity()
export class PrerequisiteFact {
  @PrimaryColumn('text') sourceDomain: SourceDomain;
  @PrimaryColumn('text') sourceRecordId: string;
  /** Empty: blockers of every kind the record raised. */
  @PrimaryColumn('text') kind: PrerequisiteKind | '';
  /** `*`, `own` or a work item id. */
  @PrimaryColumn('text') target: string;
  @Column('text') state: 'OPEN' | 'SATISFIED';
  @Column('text', { nullable: true }) description: string | null;
  @Column('text', { nullable: true }) reason: string | null;
  /** When the satisfied condition lapses. */
  @Column('timestamptz', { nullable: true }) validUntil: Date | null;
  @Column('text') factOrder: string;
  @Column('text') eventId: string;
  @CreateDateColumn({ type: 'timestamptz' }) recordedAt: Date;
}
