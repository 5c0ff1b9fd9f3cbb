import { Column, Entity, Index, PrimaryColumn, PrimaryGeneratedColumn, type MigrationInterface, type QueryRunner } from 'typeorm';

/**
 * Events a consumer group has applied, written in the same transaction as their effect: a redelivered
 * event finds its row and is skipped, which makes at-least-once delivery exactly-once in effect.
 * Keyed by consumer group too, so two consumers in one service each apply an event once.
 */
@Entity('inbox')
@Index('inbox_processed', ['consumer', 'processedAt'])
export class InboxEntry {
  @PrimaryColumn('text')
  consumer: string;

  @PrimaryColumn('text', { name: 'event_id' })
  eventId: string;

  @Column('text')
  type: string;

  @Column('timestamptz', { name: 'processed_at', default: () => 'now()' })
  processedAt: Date;
}

/**
 * Events that arrived before what they refer to (a blocker for a work item that does not exist yet).
 * Kept with the raw message so they are applied later exactly as received; `seq` keeps arrival order, and
 * later events of the same key wait behind a parked one so one record's events still apply in order.
 */
@Entity('parked_event')
@Index('parked_event_event', ['consumer', 'eventId'], { unique: true })
@Index('parked_event_key', ['consumer', 'messageKey', 'seq'])
export class ParkedEvent {
  @PrimaryGeneratedColumn('increment', { type: 'bigint' })
  seq: string;

  @Column('text')
  consumer: string;

  @Column('text', { name: 'event_id' })
  eventId: string;

  @Column('text')
  topic: string;

  /** The message key, or `event:<id>` for a keyless message (it then waits for nothing else). */
  @Column('text', { name: 'message_key' })
  messageKey: string;

  @Column('jsonb')
  headers: Record<string, string>;

  @Column('bytea')
  value: Buffer;

  @Column('int', { name: 'source_partition' })
  sourcePartition: number;

  @Column('text', { name: 'source_offset' })
  sourceOffset: string;

  /** Why it waits: the handler's "not yet" message, or the event it waits behind. */
  @Column('text')
  reason: string;

  @Column('int', { default: 0 })
  attempts: number;

  @Column('timestamptz', { name: 'parked_at', default: () => 'now()' })
  parkedAt: Date;

  @Column('timestamptz', { name: 'retry_at', default: () => 'now()' })
  retryAt: Date;
}

export class CreateInbox1700000000002 implements MigrationInterface {
  name = 'CreateInbox1700000000002';
  async up(q: QueryRunner): Promise<void> {
    await q.query(`CREATE TABLE inbox (
      consumer text NOT NULL,
      event_id text NOT NULL,
      type text NOT NULL,
      processed_at timestamptz NOT NULL DEFAULT now(),
      PRIMARY KEY (consumer, event_id))`);
    await q.query(`CREATE TABLE parked_event (
      seq bigserial PRIMARY KEY,
      consumer text NOT NULL,
      event_id text NOT NULL,
      topic text NOT NULL,
      message_key text NOT NULL,
      headers jsonb NOT NULL,
      value bytea NOT NULL,
      source_partition int NOT NULL,
      source_offset text NOT NULL,
      reason text NOT NULL,
      attempts int NOT NULL DEFAULT 0,
      parked_at timestamptz NOT NULL DEFAULT now(),
      retry_at timestamptz NOT NULL DEFAULT now())`);
    await q.query(`CREATE UNIQUE INDEX parked_event_event ON parked_event (consumer, event_id)`);
    await q.query(`CREATE INDEX parked_event_key ON parked_event (consumer, message_key, seq)`);
  }
  async down(q: QueryRunner): Promise<void> {
    await q.query(`DROP TABLE parked_event`);
    await q.query(`DROP TABLE inbox`);
  }
}

/** Lets a consumer find its oldest inbox rows, which its retention deletes. */
export class InboxProcessedIndex1795690000001 implements MigrationInterface {
  name = 'InboxProcessedIndex1795690000001';
  async up(q: QueryRunner): Promise<void> {
    await q.query(`CREATE INDEX inbox_processed ON inbox (consumer, processed_at)`);
  }
  async down(q: QueryRunner): Promise<void> {
    await q.query(`DROP INDEX inbox_processed`);
  }
}

export const inboxEntities = [InboxEntry, ParkedEvent];
export const inboxMigrations = [CreateInbox1700000000002, InboxProcessedIndex1795690000001];
