import { Column, CreateDateColumn, Entity, PrimaryColumn } from 'typeorm';
import type { SourceDomain } from './work-item';

/**
 * A `work.requested` event Work has acted on: the producer's idempotency key and the item it created,
 * so a repeated request (a redelivery, or the producer asking again) finds its item instead of making one.
 */
@Entity()
export class WorkRequest {
  @PrimaryColumn('text') sourceDomain: SourceDomain;
  /** Chosen by the producing domain, unique within it, e.g. `incident:<id>:action:<n>`. */
  @PrimaryColumn('text') requestId: string;
  @Column('uuid') workItemId: string;
  /** The CloudEvents id of the request that created the item. */
  @Column('text') eventId: string;
  @CreateDateColumn({ type: 'timestamptz' }) createdAt: Date;
}
