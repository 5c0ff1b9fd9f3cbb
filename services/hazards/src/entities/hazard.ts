import { Column, CreateDateColumn, Entity, Index, PrimaryGeneratedColumn, UpdateDateColumn, VersionColumn } from 'typeorm';
import type { HazardControlKind } from '@opsgraph/events';

/**
 * A hazard in the register: where it is met (a site, optionally an area or asset, optionally only for some
 * work types), how likely and how bad (1-5 each), and the risk left once its required controls are in place.
 * Ratings are stored with the factors (set together by the domain) so lists filter and sort on them.
 */
@Entity()
@Index(['siteId', 'active'])
@Index(['areaId'])
@Index(['assetId'])
export class Hazard {
  @PrimaryGeneratedColumn('uuid') id: string;
  @Column('uuid') siteId: string;
  @Column('uuid', { nullable: true }) areaId: string | null;
  @Column('uuid', { nullable: true }) assetId: string | null;
  /** Empty: any work at its place. */
  @Column('text', { array: true, default: () => "'{}'" }) workTypes: string[];
  @Column('text') title: string;
  @Column('text', { nullable: true }) description: string | null;
  @Column('int') likelihood: number;
  @Column('int') severity: number;
  @Column('int') riskRating: number;
  @Column('int') residualLikelihood: number;
  @Column('int') residualSeverity: number;
  @Column('int') residualRating: number;
  @Column('boolean', { default: true }) active: boolean;
  @Column('text', { nullable: true }) retiredReason: string | null;
  @Column('text') createdById: string;
  @CreateDateColumn({ type: 'timestamptz' }) createdAt: Date;
  @UpdateDateColumn({ type: 'timestamptz' }) updatedAt: Date;
  @VersionColumn() version: number;
}

/** A control the register requires for a hazard; a job assessment copies the ones it selects. */
@Entity()
@Index(['hazardId', 'position'])
export class HazardControl {
  @PrimaryGeneratedColumn('uuid') id: string;
  @Column('uuid') hazardId: string;
  @Column('text') kind: HazardControlKind;
  @Column('text') description: string;
  @Column('int') position: number;
}
