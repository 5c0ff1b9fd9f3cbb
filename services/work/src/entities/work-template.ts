import { Column, CreateDateColumn, Entity, Index, PrimaryGeneratedColumn } from 'typeorm';
import type { PrerequisiteKind } from './prerequisite';
import type { Priority, RequiredOutcome, WorkItemType } from './work-item';

/** A default blocker of a template: raised open on every item made from it (a permit type, a qualification). */
export interface TemplateBlocker {
  kind: PrerequisiteKind;
  description: string;
}

/**
 * A site's description of a recurring job of one type (domain/templates.ts): its title, steps, required outcome,
 * default blockers and type details, so the same job is raised the same way each time.
 */
@Entity('work_template')
@Index(['siteId', 'name'], { unique: true })
export class WorkTemplate {
  @PrimaryGeneratedColumn('uuid') id: string;
  @Column('uuid') siteId: string;
  @Column('text') type: WorkItemType;
  @Column('text') name: string;
  @Column('text') title: string;
  /** The steps, as the work item's description. */
  @Column('text', { nullable: true }) description: string | null;
  @Column('text') priority: Priority;
  @Column('jsonb') requiredOutcome: RequiredOutcome;
  @Column('jsonb', { default: () => "'[]'::jsonb" }) blockers: TemplateBlocker[];
  /** The type's details in the form `createWorkItem` takes them (`{ "round": {...} }`), or null. */
  @Column('jsonb', { nullable: true }) details: Record<string, unknown> | null;
  @Column('text') createdById: string;
  @CreateDateColumn({ type: 'timestamptz' }) createdAt: Date;
}
