import { Column, CreateDateColumn, Entity, Index, PrimaryGeneratedColumn } from 'typeorm';

@Entity()
export class Qualification {
  @PrimaryGeneratedColumn('uuid') id: string;
  /** Short unique code, e.g. HOT-WORK; part of the prerequisite source id `<personId>:<code>`. */
  @Column('text', { unique: true }) code: string;
  @Column('text') name: string;
  @Column('text', { nullable: true }) description: string | null;
  /** How long a record stays valid after it is achieved; null: it never expires. */
  @Column('int', { nullable: true }) validityMonths: number | null;
  @CreateDateColumn({ type: 'timestamptz' }) createdAt: Date;
}

export const REQUIREMENT_SCOPES = ['WORK_TYPE', 'ASSET_CLASS', 'PERMIT_TYPE'] as const;
export type RequirementScope = (typeof REQUIREMENT_SCOPES)[number];

/**
 * A qualification demanded by a kind of work, a class of asset, or a type of permit. Exactly one scope
 * per row, so "which qualifications does this item need" is a match on (scope, value).
 */
@Entity()
@Index(['qualificationId', 'scope', 'value'], { unique: true })
@Index(['scope', 'value'])
export class QualificationRequirement {
  @PrimaryGeneratedColumn('uuid') id: string;
  @Column('uuid') qualificationId: string;
  @Column('text') scope: RequirementScope;
  @Column('text') value: string;
  @CreateDateColumn({ type: 'timestamptz' }) createdAt: Date;
}
