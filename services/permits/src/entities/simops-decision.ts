import { Column, Entity, Index, PrimaryGeneratedColumn } from 'typeorm';

export const SIMOPS_ACTIONS = ['ISSUE', 'REINSTATE'] as const;
export type SimopsAction = (typeof SIMOPS_ACTIONS)[number];

/**
 * An issuer's explicit decision that a permit may be live beside conflicting live permits (simultaneous
 * operations, domain/simops-table.ts), with the controls that make both jobs safe: recorded with the issue or
 * reinstatement it allowed (its history entry), append-only like the history (a trigger refuses changes).
 */
@Entity()
@Index(['permitId', 'decidedAt'])
@Index('simops_decision_conflicting', { synchronize: false })
export class SimopsDecision {
  @PrimaryGeneratedColumn('uuid') id: string;
  /** The permit whose issue or reinstatement the decision allowed. */
  @Column('uuid') permitId: string;
  /** Its history entry (permit_transition.id). */
  @Column('bigint') transitionId: string;
  @Column('text') action: SimopsAction;
  /** The live permits it conflicted with when decided (GIN-indexed: "decisions naming this permit"). */
  @Column('uuid', { array: true }) conflictingPermitIds: string[];
  /** What makes both jobs safe together, in the issuer's words. */
  @Column('text') controls: string;
  @Column('text') decidedById: string;
  @Column('timestamptz') decidedAt: Date;
}
