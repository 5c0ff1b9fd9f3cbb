import { randomUUID } from 'node:crypto';
import { Column, Entity, Index, PrimaryColumn, PrimaryGeneratedColumn, type EntityManager, type MigrationInterface, type QueryRunner } from 'typeorm';
import { REQUEST_ROLE, insertRows, logger, traceHeaders } from '@opsgraph/core';

/** The domains that publish events; each has one topic, `opsgraph.<domain>.v1`. */
export const DOMAINS = ['work', 'permits', 'competence', 'documents', 'hazards', 'change', 'compliance'] as const;
export type Domain = (typeof DOMAINS)[number];
export const topicOf = (domain: Domain) => `opsgraph.${domain}.v1`;
/** Postgres NOTIFY channel the relay listens on, so it wakes on commit instead of polling. */
export const OUTBOX_CHANNEL = 'opsgraph_outbox';

/**
 * One row per event, written in the same transaction as the domain change it describes. `id` gives the
 * publication order. Rows are never updated: what still waits for the broker is in `outbox_pending`.
 */
@Entity('outbox')
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
}

/**
 * The outbox rows the broker has not acknowledged yet: a trigger adds one for every outbox row, the relay
 * deletes it once the broker acknowledged. A narrow table of its own because the relay scans it from its
 * oldest row on every batch: marking the wide outbox rows instead left an index entry per published event
 * that every scan walked past until the next vacuum (a millisecond and more per batch at a few thousand
 * events per second), and rewrote each row with its payload.
 */
@Entity('outbox_pending')
@Index('outbox_pending_key', ['key', 'id'])
export class OutboxPending {
  @PrimaryColumn('bigint')
  id: string;

  @Column('text', { name: 'message_key' })
  key: string;

  /** Failed sends so far: a growing count shows a row the broker keeps refusing. */
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

/** Moves "not yet published" from a column of the outbox to `outbox_pending` (see `OutboxPending`). */
export class OutboxPending1795690000000 implements MigrationInterface {
  name = 'OutboxPending1795690000000';
  async up(q: QueryRunner): Promise<void> {
    await q.query(`CREATE TABLE outbox_pending (id bigint PRIMARY KEY, message_key text NOT NULL, attempts int NOT NULL DEFAULT 0)`);
    await q.query(`CREATE INDEX outbox_pending_key ON outbox_pending (message_key, id)`);
    await q.query(`INSERT INTO outbox_pending (id, message_key, attempts) SELECT id, message_key, attempts FROM outbox WHERE published_at IS NULL`);
    await q.query(`DROP TRIGGER outbox_notify ON outbox`);
    await q.query(`DROP FUNCTION outbox_notify`);
    await q.query(`ALTER TABLE outbox DROP COLUMN published_at, DROP COLUMN attempts`);
    // Every outbox row is pending until published, however it was written; one statement per insert
    // statement, and the relay is woken (NOTIFY is delivered on commit).
    await q.query(`CREATE FUNCTION outbox_pend() RETURNS trigger LANGUAGE plpgsql AS $$
      BEGIN
        INSERT INTO outbox_pending (id, message_key) SELECT id, message_key FROM inserted;
        PERFORM pg_notify('${OUTBOX_CHANNEL}', '');
        RETURN NULL;
      END $$`);
    await q.query(`CREATE TRIGGER outbox_pend AFTER INSERT ON outbox REFERENCING NEW TABLE AS inserted FOR EACH STATEMENT EXECUTE FUNCTION outbox_pend()`);
  }
  async down(q: QueryRunner): Promise<void> {
    await q.query(`DROP TRIGGER outbox_pend ON outbox`);
    await q.query(`DROP FUNCTION outbox_pend`);
    await q.query(`ALTER TABLE outbox ADD COLUMN published_at timestamptz, ADD COLUMN attempts int NOT NULL DEFAULT 0`);
    await q.query(`UPDATE outbox o SET published_at = o.time WHERE NOT EXISTS (SELECT 1 FROM outbox_pending p WHERE p.id = o.id)`);
    await q.query(`UPDATE outbox o SET attempts = p.attempts FROM outbox_pending p WHERE p.id = o.id`);
    await q.query(`CREATE INDEX outbox_unpublished ON outbox (id) WHERE published_at IS NULL`);
    await q.query(`CREATE INDEX outbox_key_unpublished ON outbox (message_key, id) WHERE published_at IS NULL`);
    await q.query(`CREATE FUNCTION outbox_notify() RETURNS trigger LANGUAGE plpgsql AS $$
      BEGIN PERFORM pg_notify('${OUTBOX_CHANNEL}', ''); RETURN NULL; END $$`);
    await q.query(`CREATE TRIGGER outbox_notify AFTER INSERT ON outbox FOR EACH STATEMENT EXECUTE FUNCTION outbox_notify()`);
    await q.query(`DROP TABLE outbox_pending`);
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
    };
  });
  await insertRows(manager, OutboxEvent, rows);
  if (logger.isLevelEnabled('debug')) for (const row of rows) logger.debug({ type: row.type, subject: row.subject, eventId: row.eventId }, 'event recorded');
  return rows.map((row) => row.eventId!);
}

/**
 * Requests (role `opsgraph_request`, see libs/core/src/scope.ts) only append events: the outbox holds every
 * site's, so they may not read, change or delete it, nor the consumers' inbox and parked events. The relay
 * and consumers run as the owner.
 */
export class EventTablesWriteOnly1796900000002 implements MigrationInterface {
  name = 'EventTablesWriteOnly1796900000002';
  async up(q: QueryRunner): Promise<void> {
    await q.query(`DO $$ BEGIN
      REVOKE SELECT, UPDATE, DELETE, TRUNCATE ON outbox, outbox_pending FROM ${REQUEST_ROLE};
      IF to_regclass('inbox') IS NOT NULL THEN REVOKE ALL ON inbox FROM ${REQUEST_ROLE}; END IF;
      IF to_regclass('parked_event') IS NOT NULL THEN REVOKE ALL ON parked_event FROM ${REQUEST_ROLE}; END IF;
    END $$`);
  }
  async down(q: QueryRunner): Promise<void> {
    await q.query(`GRANT SELECT, UPDATE, DELETE ON outbox, outbox_pending TO ${REQUEST_ROLE}`);
  }
}

export const outboxEntities = [OutboxEvent, OutboxPending];
export const outboxMigrations = [CreateOutbox1700000000000, OutboxPending1795690000000, EventTablesWriteOnly1796900000002];
