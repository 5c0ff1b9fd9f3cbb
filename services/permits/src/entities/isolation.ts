import { ISOLATION_METHODS } from '@opsgraph/events';
import { Column, CreateDateColumn, Entity, Index, PrimaryGeneratedColumn } from 'typeorm';

export { ISOLATION_METHODS };
export type IsolationMethod = (typeof ISOLATION_METHODS)[number];
export type IsolationState = 'PLANNED' | 'APPLIED' | 'VERIFIED' | 'REMOVED';

/**
 * A lock-out/tag-out point a permit lists. Its state follows from who did what: applied, then verified
 * by someone who neither planned nor applied it, then removed (for good: a removed isolation is neither
 * verified nor applied again). An isolation is active (the asset is locked) from applied to removed.
 */
@Entity()
@Index(['permitId', 'createdAt'])
@Index('isolation_active_by_asset', ['assetId'], { where: 'applied_at IS NOT NULL AND removed_at IS NULL' })
export class Isolation {
  @PrimaryGeneratedColumn('uuid') id: string;
  @Column('uuid') permitId: string;
  @Column('uuid') assetId: string;
  /** Where the isolation is made, e.g. "MCC-3 breaker 12" or "suction valve XV-301". */
  @Column('text') point: string;
  @Column('text') method: IsolationMethod;
  /** Lock or tag number fitted at the point. */
  @Column('text', { nullable: true }) tag: string | null;
  /** Who planned it (listed it on the permit or added it); null when planned before this was recorded. */
  @Column('text', { nullable: true }) plannedById: string | null;
  @Column('text', { nullable: true }) appliedById: string | null;
  @Column('timestamptz', { nullable: true }) appliedAt: Date | null;
  @Column('text', { nullable: true }) verifiedById: string | null;
  @Column('timestamptz', { nullable: true }) verifiedAt: Date | null;
  @Column('text', { nullable: true }) removedById: string | null;
  @Column('timestamptz', { nullable: true }) removedAt: Date | null;
  @CreateDateColumn({ type: 'timestamptz' }) createdAt: Date;
}

export function isolationState(i: Isolation): IsolationState {
  if (i.removedAt) return 'REMOVED';
  if (i.verifiedAt) return 'VERIFIED';
  if (i.appliedAt) return 'APPLIED';
  return 'PLANNED';
}
