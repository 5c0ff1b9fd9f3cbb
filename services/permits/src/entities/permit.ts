import { Column, CreateDateColumn, Entity, Index, PrimaryColumn, PrimaryGeneratedColumn, UpdateDateColumn, VersionColumn } from 'typeorm';
import { PERMIT_STATUSES, type PermitType } from '@opsgraph/events';

export { PERMIT_STATUSES };
export type PermitStatus = (typeof PERMIT_STATUSES)[number];
/** A permit in one of these states never authorises work again; a new permit is needed. */
export const FINAL_STATUSES: PermitStatus[] = ['CLOSED', 'CANCELLED', 'EXPIRED'];

/**
 * A permit to work: what may be done, where, by whom, under which precautions, and for how long.
 * The work items it covers are held by id (Work owns them); GIN indexes on the id arrays answer
 * "which permits cover this item / this asset" in one statement for a whole list.
 */
@Entity()
@Index(['siteId', 'status'])
@Index(['status', 'validTo'])
@Index('permit_work_item_ids', { synchronize: false })
@Index('permit_asset_ids', { synchronize: false })
export class Permit {
  @PrimaryGeneratedColumn('uuid') id: string;
  /** Human number, unique per site, e.g. PTW-GRN-0001. */
  @Column('text', { unique: true }) number: string;
  @Column('text') type: PermitType;
  @Column('text') status: PermitStatus;
  @Column('text') description: string;

  @Column('uuid') siteId: string;
  @Column('uuid', { nullable: true }) areaId: string | null;
  @Column('uuid', { array: true, default: () => "'{}'" }) assetIds: string[];
  @Column('uuid', { array: true, default: () => "'{}'" }) workItemIds: string[];

  @Column('text') requesterId: string;
  /** Who added work items after it was drafted: they shaped what it authorises, so they neither approve nor issue it. */
  @Column('text', { array: true, default: () => "'{}'" }) workItemsAddedByIds: string[];
  @Column('text', { nullable: true }) approvedById: string | null;
  @Column('timestamptz', { nullable: true }) approvedAt: Date | null;
  @Column('text', { nullable: true }) issuerId: string | null;
  @Column('timestamptz', { nullable: true }) issuedAt: Date | null;
  /** Who accepts the permit at the job and answers for the work done under it. */
  @Column('text', { nullable: true }) performingAuthorityId: string | null;

  @Column('timestamptz') validFrom: Date;
  @Column('timestamptz') validTo: Date;
  @Column('text', { array: true, default: () => "'{}'" }) precautions: string[];
  @Column('text', { nullable: true }) conditions: string | null;
  /** Why it was last suspended, cancelled, closed or expired. */
  @Column('text', { nullable: true }) statusReason: string | null;
  /** When it became closed, cancelled or expired: a permit issued later for the same work supersedes it. */
  @Column('timestamptz', { nullable: true }) endedAt: Date | null;

  @CreateDateColumn({ type: 'timestamptz' }) createdAt: Date;
  @UpdateDateColumn({ type: 'timestamptz' }) updatedAt: Date;
  @VersionColumn() version: number;
}

/** Append-only history of a permit's states (a trigger refuses updates and deletes). */
@Entity()
@Index(['permitId', 'id'])
export class PermitTransition {
  @PrimaryGeneratedColumn('increment', { type: 'bigint' }) id: string;
  @Column('uuid') permitId: string;
  @Column('text', { nullable: true }) fromStatus: PermitStatus | null;
  @Column('text') toStatus: PermitStatus;
  @Column('text') actorId: string;
  @Column('timestamptz') at: Date;
  @Column('text', { nullable: true }) note: string | null;
}

/** Per-site numbering: the site's code (given with its first permit) and the last number handed out. */
@Entity()
export class PermitSite {
  @PrimaryColumn('uuid') siteId: string;
  @Column('text') code: string;
  @Column('int', { default: 0 }) lastNumber: number;
}
