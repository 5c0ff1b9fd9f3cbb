import { Column, CreateDateColumn, Entity, Index, PrimaryColumn } from 'typeorm';

/**
 * Competence's own view of open work, kept from Work's events (never Work's tables): who owns what, of
 * which kind, on which class of asset, at which site and for which contractor company. Verified and
 * cancelled items are dropped.
 */
@Entity()
@Index(['ownerId'])
@Index(['workType'])
@Index(['assetClass'])
export class OpenWorkItem {
  @PrimaryColumn('uuid') workItemId: string;
  @Column('text') number: string;
  @Column('uuid') siteId: string;
  @Column('text') workType: string;
  @Column('text', { nullable: true }) assetClass: string | null;
  @Column('uuid', { nullable: true }) ownerId: string | null;
  @Column('text', { nullable: true }) contractorCompany: string | null;
  @CreateDateColumn({ type: 'timestamptz' }) createdAt: Date;
}

/** Which permit types cover a work item, from the permits domain's facts: permit-type requirements key on them. */
@Entity()
@Index(['permitId'])
export class WorkPermitCover {
  @PrimaryColumn('uuid') workItemId: string;
  @PrimaryColumn('uuid') permitId: string;
  @Column('text') permitType: string;
}
