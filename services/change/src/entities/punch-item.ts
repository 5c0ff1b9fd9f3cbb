import { Column, Entity, PrimaryColumn } from 'typeorm';

/**
 * A punch item of Work as this domain knows it from Work's events (`details.punchItem` of `work_item.created` and
 * `work_item.details_changed`): its category decides whether it holds up a restart (A: must be closed before
 * start-up or handover). Status and place are in `tracked_work_item`.
 */
@Entity('tracked_punch_item')
export class TrackedPunchItem {
  @PrimaryColumn('uuid') workItemId: string;
  @Column('text') category: 'A' | 'B';
  @Column('text') project: string;
  @Column('text', { nullable: true }) system: string | null;
  @Column('text', { nullable: true }) milestone: string | null;
  /** Time of the event it was taken from: an older one arriving late does not overwrite it. */
  @Column('timestamptz') lastEventAt: Date;
}
