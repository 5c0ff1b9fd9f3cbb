import { Column, CreateDateColumn, Entity, Index, PrimaryGeneratedColumn } from 'typeorm';

/** A plant or facility. `code` prefixes the human numbers of its work items (GRN-000123). */
@Entity()
export class Site {
  @PrimaryGeneratedColumn('uuid') id: string;
  @Column('text', { unique: true }) code: string;
  @Column('text') name: string;
  /** Last work item number handed out at this site; incremented in the creating transaction. */
  @Column('int', { default: 0 }) lastNumber: number;
  @CreateDateColumn({ type: 'timestamptz' }) createdAt: Date;
}

@Entity()
@Index(['siteId', 'code'], { unique: true })
export class Area {
  @PrimaryGeneratedColumn('uuid') id: string;
  @Column('uuid') siteId: string;
  @Column('text') code: string;
  @Column('text') name: string;
}

@Entity()
@Index(['areaId', 'code'], { unique: true })
export class Line {
  @PrimaryGeneratedColumn('uuid') id: string;
  @Column('uuid') siteId: string;
  @Column('uuid') areaId: string;
  @Column('text') code: string;
  @Column('text') name: string;
}

/** Equipment; assets may nest (a pump within a skid) through `parentId`. */
@Entity()
@Index(['siteId', 'code'], { unique: true })
export class Asset {
  @PrimaryGeneratedColumn('uuid') id: string;
  @Column('uuid') siteId: string;
  @Index() @Column('uuid', { nullable: true }) areaId: string | null;
  @Index() @Column('uuid', { nullable: true }) lineId: string | null;
  @Index() @Column('uuid', { nullable: true }) parentId: string | null;
  @Column('text') code: string;
  @Column('text') name: string;
  @Column('text', { nullable: true }) assetClass: string | null;
}
