import { Column, CreateDateColumn, Entity, Index, PrimaryColumn, UpdateDateColumn, VersionColumn } from 'typeorm';
import type { Role } from '@opsgraph/core';

/** Sites value meaning "every site" (as on tokens). */
export const ALL_SITES = '*';

/**
 * A person other domains refer to by id. The id is the person's identity subject (the `sub` of their
 * token), so every domain agrees on who is who without sharing a table.
 */
@Entity()
@Index('person_site_ids', { synchronize: false })
export class Person {
  @PrimaryColumn('uuid') id: string;
  @Column('text') name: string;
  /** Employer, or for contractors their contractor company: the contractor boundary. */
  @Index() @Column('text', { nullable: true }) company: string | null;
  @Column('text', { array: true, default: () => "'{}'" }) roles: Role[];
  /** Sites the person works at; `*` means every site. */
  @Column('text', { array: true, default: () => "'{}'" }) siteIds: string[];
  @CreateDateColumn({ type: 'timestamptz' }) createdAt: Date;
  @UpdateDateColumn({ type: 'timestamptz' }) updatedAt: Date;
  @VersionColumn() version: number;
}

export const isContractor = (p: Pick<Person, 'roles'>) => p.roles.includes('contractor');
