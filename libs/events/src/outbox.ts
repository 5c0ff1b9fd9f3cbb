import { randomUUID } from 'node:crypto';
import { Column, Entity, Index, PrimaryGeneratedColumn, type EntityManager, type MigrationInterface, type QueryRunner } from 'typeorm';
import { insertRows, logger, traceHeaders } from '@opsgraph/core';

/** The domains that publish events; each has one topic, `opsgraph.<domain>.v1`. */
export const DOMAINS = ['work', 'permits', 'competence', 'documents', 'hazards', 'change', 'compliance'] as const;
export type Domain = (typeof DOMAINS)[number];
export const topicOf = (domain: Domain) => `opsgraph.${domain}.v1`;
/** Postgres NOTIFY channel the relay listens on, so it wakes on commit instead of polling. */
export const OUTBOX_CHANNEL = 'opsgraph_outbox';

/**
 * One row per event, written in the same transaction as the domain change it describes. `id` gives the
 * publication order; rows are marked published only after the broker acknowledged them.
 */
@Entity('outbox')
@Index('outbox_unpublished', ['id'], { where: 'published_at IS NULL' })
@Index('outbox_key_unpublished', ['key', 'id'], { where: 'published_at IS NULL' })
export class OutboxEvent {
  @PrimaryGeneratedColumn('increment', { type: 'bigint' })
  id: string;

  /** CloudEvents `id`: unique per event, the consumer's idempotency key. */
  @Column('uuid', { name: 'event_id', unique: true })
  eventId: string;

  @Column('text')
  topic: string;

  /** Kafka message key: the aggregate id, so one record's events stay in one partition, in order. */
  @Column('text', { name: 'message_key' })
  key: string;

  @Column('text')
  type: string;

  @Column('text')
  source: string;

  @Column('text')
  subject: string;

  @Column('timestamptz')
  time: Date;

  @Column('text')
  dataschema: string;

  @Column('jsonb')
  data: Record<string, unknown>;

  /** Trace context and request id travelling with the event. */
  @Column('jsonb', { default: () => "'{}'" })
  headers: Record<string, string>;

  @Column('timestamptz', { name: 'published_at', nullable: true })
  publishedAt: Date | null;

  @Column('int', { default: 0 })
  attempts: number;
}

export class CreateOutbox1700000000000 implements MigrationInterface {
  name = 'CreateOutbox1700000000000';
  async up(q: QueryRunner): Promise<void> {
    await q.query(`CREATE TABLE outbox (
      id bigserial PRIMARY KEY,
      event_id uuid NOT NULL UNIQUE,
      topic text NOT NULL,
      message_key text NOT NULL,
      type text NOT NULL,
      source text NOT NULL,
      subject text NOT NULL,
      time timestamptz NOT NULL,
      dataschema text NOT NULL,
      data jsonb NOT NULL,
      headers jsonb NOT NULL DEFAULT '{}',
      published_at timestamptz,
      attempts int NOT NULL DEFAULT 0)`);
    await q.query(`CREATE INDEX outbox_unpublished ON outbox (id) WHERE published_at IS NULL`);
    await q.query(`CREATE INDEX outbox_key_unpublished ON outbox (message_key, id) WHERE published_at IS NULL`);
    // Wake the relay when an outbox row commits (NOTIFY is delivered only on commit).
    await q.query(`CREATE FUNCTION outbox_notify() RETURNS trigger LANGUAGE plpgsql AS $$
      BEGIN PERFORM pg_notify('${OUTBOX_CHANNEL}', ''); RETURN NULL; END $$`);
    await q.query(`CREATE TRIGGER outbox_notify AFTER INSERT ON outbox FOR EACH STATEMENT EXECUTE FUNCTION outbox_notify()`);
  }
  async down(q: QueryRunner): Promise<void> {
    await q.query(`DROP TABLE outbox`);
    await q.query(`DROP FUNCTION outbox_notify`);
  }
}

export interface NewEvent {
  domain: Domain;
  /** Short type such as `work_item.created`; the full CloudEvents type is `opsgraph.<domain>.<type>`. */
  type: string;
  /** The aggregate (record) id the event is about. */
  subject: string;
  data: Record<string, unknown>;
  /** Contract version of the payload schema. */
  version?: number;
  requestId?: string;
}

export const ceType = (domain: Domain, type: string) => `opsgraph.${domain}.${type}`;
export const dataschemaOf = (domain: Domain, type: string, version = 1) => `urn:opsgraph:schema:${domain}.${type}:v${version}`;

/** Validation hook for event payloads; the contracts module registers the real one. */
let validatePayload: (ceTypeName: string, version: number, data: unknown) => void = () => undefined;
export function setPayloadValidator(fn: typeof validatePayload) {
  validatePayload = fn;
}

/**
 * Writes an event into the outbox with the caller's transaction manager: it commits or rolls back with
 * the domain change, so nothing is published for a rolled-back change and nothing committed is lost.
 */
export async function recordEvent(manager: EntityManager, event: NewEvent): Promise<string> {
  return (await recordEvents(manager, [event]))[0];
}

/** Writes several events of one transaction in one statement, in the order given (the order they are published in). */
export async function recordEvents(manager: EntityManager, events: readonly NewEvent[]): Promise<string[]> {
  if (!manager.queryRunner?.isTransactionActive) throw new Error('recordEvent must run inside the domain transaction');
  // The event outlives the request: it keeps the request id and, when tracing, the trace context of the
  // change (`traceparent`), so its publication and whoever consumes it join the request's trace.
  const trace = traceHeaders();
  const rows = events.map((event): Partial<OutboxEvent> => {
    const type = ceType(event.domain, event.type);
    const version = event.version ?? 1;
    validatePayload(type, version, event.data);
    return {
      eventId: randomUUID(),
      topic: topicOf(event.domain),
      key: event.subject,
      type,
      source: `/opsgraph/${event.domain}`,
      subject: event.subject,
      time: new Date(),
      dataschema: dataschemaOf(event.domain, event.type, version),
      data: event.data,
      headers: { ...(event.requestId ? { requestid: event.requestId } : {}), ...trace },
      publishedAt: null,
      attempts: 0,
    };
  });
  await insertRows(manager, OutboxEvent, rows);
  if (logger.isLevelEnabled('debug')) for (const row of rows) logger.debug({ type: row.type, subject: row.subject, eventId: row.eventId }, 'event recorded');
  return rows.map((row) => row.eventId!);
}

export const outboxEntities = [OutboxEvent];
export const outboxMigrations = [CreateOutbox1700000000000];
