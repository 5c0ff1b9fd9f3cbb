import { PREREQUISITE_KINDS } from '@opsgraph/events';
import { Column, CreateDateColumn, Entity, Index, PrimaryGeneratedColumn } from 'typeorm';
import type { SourceDomain } from './work-item';

export { PREREQUISITE_KINDS };
export type PrerequisiteKind = (typeof PREREQUISITE_KINDS)[number];
export type PrerequisiteState = 'OPEN' | 'SATISFIED' | 'WAIVED';

/**
 * A blocker on a work item. Supporting domains raise them by event and satisfy or re-open them as their
 * records change; `(workItemId, kind, sourceDomain, sourceRecordId)` identifies one so repeats are upserts.
 */
@Entity()
@Index(['workItemId', 'kind', 'sourceDomain', 'sourceRecordId'], { unique: true })
@Index(['sourceDomain', 'sourceRecordId'])
export class Prerequisite {
  @PrimaryGeneratedColumn('uuid') id: string;
  // Read by item through the unique index above, which starts with it.
  @Column('uuid') workItemId: string;
  @Column('text') kind: PrerequisiteKind;
  @Column('text') state: PrerequisiteState;
  @Column('text') description: string;
  @Column('text') sourceDomain: SourceDomain;
  /** Empty string when raised by hand, so the unique index also holds for manual blockers. */
  @Column('text', { default: '' }) sourceRecordId: string;
  @Column('text', { nullable: true }) reason: string | null;
  @Column('text', { nullable: true }) waivedReason: string | null;
  @Column('uuid', { nullable: true }) waivedById: string | null;
  @Column('timestamptz', { nullable: true }) resolvedAt: Date | null;
  /** When a satisfied condition lapses (a qualification's expiry, a permit's validTo): from then on it counts as open. */
  @Column('timestamptz', { nullable: true }) validUntil: Date | null;
  /** Order (`<ISO time>#<rank>`) of the source's fact its state and reason came from; an older fact never overwrites it. Null: set by hand or before facts were kept. */
  @Column('text', { nullable: true }) stateFact: string | null;
  /** Order of the source's fact its description came from. */
  @Column('text', { nullable: true }) descriptionFact: string | null;
  @CreateDateColumn({ type: 'timestamptz' }) createdAt: Date;
}
