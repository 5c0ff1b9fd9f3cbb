import { Column, CreateDateColumn, Entity, Index, PrimaryGeneratedColumn } from 'typeorm';

export const REQUIREMENT_SOURCES = ['REGULATION', 'STANDARD', 'INTERNAL'] as const;
export type RequirementSource = (typeof REQUIREMENT_SOURCES)[number];

export interface ComplianceEvidenceRequirement {
  kind: 'PHOTO' | 'MEASUREMENT' | 'SIGNATURE' | 'DOCUMENT' | 'CHECKLIST';
  label: string;
  unit?: string | null;
  min?: number | null;
  max?: number | null;
  questions?: string[] | null;
}

/**
 * An obligation from a regulation, standard or internal rule, applied to sites, areas, assets or asset
 * classes. With a recurrence it needs periodic proof: an occurrence per target comes due and raises an
 * inspection. With a work check it gates matching work with a COMPLIANCE_CHECK prerequisite.
 */
@Entity()
export class Requirement {
  @PrimaryGeneratedColumn('uuid') id: string;
  /** e.g. "Pressure Equipment Directive 2014/68/EU", "ISO 45001", "GRN-HSE-012". */
  @Column('text') reference: string;
  @Column('text', { nullable: true }) clause: string | null;
  @Column('text') title: string;
  @Column('text') text: string;
  @Column('text') source: RequirementSource;
  /** Where it applies: the sites; within them, the areas, assets and asset classes (none named: the whole site). */
  @Column('uuid', { array: true }) siteIds: string[];
  @Column('uuid', { array: true, default: () => "'{}'" }) areaIds: string[];
  @Column('uuid', { array: true, default: () => "'{}'" }) assetIds: string[];
  @Column('text', { array: true, default: () => "'{}'" }) assetClasses: string[];
  /** Work types it applies to (empty: any work at the places above). */
  @Column('text', { array: true, default: () => "'{}'" }) workTypes: string[];
  /** What must be checked before matching work is handed over; set → COMPLIANCE_CHECK prerequisite. */
  @Column('text', { nullable: true }) workCheck: string | null;
  /** Periodic proof every N months (null: no recurring obligation). */
  @Column('int', { nullable: true }) recurrenceMonths: number | null;
  /** How many days before the due date the inspection is raised. */
  @Column('int', { default: 30 }) leadDays: number;
  @Column('text') acceptanceCriteria: string;
  @Column('jsonb', { default: () => "'[]'::jsonb" }) evidence: ComplianceEvidenceRequirement[];
  /** Who owns the inspections it raises. */
  @Column('text', { nullable: true }) ownerId: string | null;
  @Column('text') createdById: string;
  @CreateDateColumn({ type: 'timestamptz' }) createdAt: Date;
}

export const OBLIGATION_TARGETS = ['ASSET', 'AREA', 'SITE'] as const;
export type ObligationTarget = (typeof OBLIGATION_TARGETS)[number];

/**
 * One occurrence of a recurring requirement for one target: due at a date, raised as an inspection
 * some days before, MET only when that inspection is verified done (with the work as evidence).
 */
@Entity()
@Index(['requirementId', 'dueAt'])
@Index(['status', 'dueAt'])
export class ComplianceObligation {
  @PrimaryGeneratedColumn('uuid') id: string;
  @Column('uuid') requirementId: string;
  @Column('text') targetKind: ObligationTarget;
  @Index() @Column('uuid') siteId: string;
  @Column('uuid', { nullable: true }) areaId: string | null;
  @Column('uuid', { nullable: true }) assetId: string | null;
  @Column('timestamptz') dueAt: Date;
  /** NOT_MET: its inspection was verified with readings outside their limits (a failed inspection). */
  @Column('text') status: 'OPEN' | 'MET' | 'NOT_MET';
  /** Raised again under a new request id when its inspection work was cancelled. */
  @Column('int', { default: 0 }) attempt: number;
  @Index() @Column('text', { nullable: true }) requestId: string | null;
  @Column('timestamptz', { nullable: true }) raisedAt: Date | null;
  /** When the overdue fact was published (once). */
  @Column('timestamptz', { nullable: true }) overdueNotifiedAt: Date | null;
  @Column('timestamptz', { nullable: true }) metAt: Date | null;
  /** The evidence: the verified work item, who verified it and when. */
  @Column('uuid', { nullable: true }) evidenceWorkItemId: string | null;
  @Column('timestamptz', { nullable: true }) evidenceVerifiedAt: Date | null;
  @Column('text', { nullable: true }) evidenceVerifierId: string | null;
  @Column('text', { nullable: true }) evidenceNumber: string | null;
  /** NOT_MET: the record of the failed inspection (an audit of kind INSPECTION) and its non-conformance. */
  @Column('uuid', { nullable: true }) inspectionId: string | null;
  @Index() @Column('uuid', { nullable: true }) findingId: string | null;
  /** NOT_MET: when its non-conformance closed (every corrective action verified); cleared when it is reopened. */
  @Column('timestamptz', { nullable: true }) correctedAt: Date | null;
  /** The occurrence this one follows (null for the first). */
  @Column('uuid', { nullable: true }) previousId: string | null;
  @CreateDateColumn({ type: 'timestamptz' }) createdAt: Date;
}

/** A COMPLIANCE_CHECK prerequisite this domain raised on a work item, and how it was cleared. */
@Entity()
@Index(['requirementId', 'workItemId'], { unique: true })
export class ComplianceCheck {
  @PrimaryGeneratedColumn('uuid') id: string;
  @Column('uuid') requirementId: string;
  @Index() @Column('uuid') workItemId: string;
  /** Site of the work item, so a site's status lists its open checks. */
  @Index() @Column('uuid') siteId: string;
  /** CANCELLED when the work was cancelled: nothing is handed over, so there is nothing to check. */
  @Column('text') status: 'OPEN' | 'CONFIRMED' | 'CANCELLED';
  @Column('text', { nullable: true }) confirmedById: string | null;
  @Column('timestamptz', { nullable: true }) confirmedAt: Date | null;
  @Column('text', { nullable: true }) note: string | null;
  @CreateDateColumn({ type: 'timestamptz' }) createdAt: Date;
}
