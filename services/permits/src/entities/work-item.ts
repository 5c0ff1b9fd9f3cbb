import { Column, Entity, PrimaryColumn } from 'typeorm';

/**
 * What Permits knows of Work's items, from Work's `work_item.created` events (never Work's tables): where
 * each item is and which contractor company does it. A permit may cover only items at its own site that
 * the person asking may see (for a contractor: their own company's jobs). Items Work has not told us about
 * yet are taken on trust; a site and a company never change after an item is created.
 */
@Entity()
export class KnownWorkItem {
  @PrimaryColumn('uuid') workItemId: string;
  @Column('uuid') siteId: string;
  @Column('text', { nullable: true }) contractorCompany: string | null;
}
