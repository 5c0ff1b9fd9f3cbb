import { Column, CreateDateColumn, Entity, Index, PrimaryGeneratedColumn } from 'typeorm';

/** The limits a gas test was judged against; stored with the test so the verdict can be re-read later. */
export interface GasLimits {
  /** Oxygen, % by volume: both too little and too much are dangerous. */
  o2Min: number;
  o2Max: number;
  /** Flammables, % of the lower explosive limit. */
  lelMax: number;
  /** Hydrogen sulphide, ppm. */
  h2sMax: number;
  /** Carbon monoxide, ppm. */
  coMax: number;
}

/** Usual confined-space entry limits; a site may record a test against stricter ones. */
export const DEFAULT_GAS_LIMITS: GasLimits = { o2Min: 19.5, o2Max: 23.5, lelMax: 10, h2sMax: 5, coMax: 25 };

@Entity()
@Index(['permitId', 'testedAt'])
export class GasTest {
  @PrimaryGeneratedColumn('uuid') id: string;
  @Column('uuid') permitId: string;
  @Column('double precision') o2: number;
  @Column('double precision') lel: number;
  @Column('double precision') h2s: number;
  @Column('double precision') co: number;
  @Column('jsonb') limits: GasLimits;
  /** Computed from the readings and limits when recorded. */
  @Column('boolean') withinLimits: boolean;
  /** Where in the space the sample was taken. */
  @Column('text', { nullable: true }) location: string | null;
  @Column('text') testedById: string;
  @Column('timestamptz') testedAt: Date;
  @Column('timestamptz') expiresAt: Date;
  @CreateDateColumn({ type: 'timestamptz' }) createdAt: Date;
}

/** What is out of limits, in words ("O2 18.2 % below 19.5"); empty when the atmosphere is acceptable. */
export function gasFailures(r: Pick<GasTest, 'o2' | 'lel' | 'h2s' | 'co'>, limits: GasLimits): string[] {
  const failures: string[] = [];
  if (r.o2 < limits.o2Min) failures.push(`O2 ${r.o2} % below ${limits.o2Min}`);
  if (r.o2 > limits.o2Max) failures.push(`O2 ${r.o2} % above ${limits.o2Max}`);
  if (r.lel > limits.lelMax) failures.push(`LEL ${r.lel} % above ${limits.lelMax}`);
  if (r.h2s > limits.h2sMax) failures.push(`H2S ${r.h2s} ppm above ${limits.h2sMax}`);
  if (r.co > limits.coMax) failures.push(`CO ${r.co} ppm above ${limits.coMax}`);
  return failures;
}
