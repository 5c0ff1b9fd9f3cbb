import type { DataSource, EntityManager } from 'typeorm';
import type { CloudEvent } from './envelope';
import { deleteInSlices, deleteRows } from './retention';
import type { ReceivedMessage } from './transport';

/**
 * The consumer's statements on its inbox (events applied) and its parked events (events that came too early),
 * one function per statement; the delivery loop (consumer.ts) builds no SQL. `consumer` is the consumer group.
 */

/** Key of the advisory locks that serialise one (consumer, message key) across replicas and the parked-event retry. */
const KEY_LOCK = 7_243_119;

export interface ParkedRow {
  seq: string;
  event_id: string;
  topic: string;
  message_key: string;
  headers: Record<string, string>;
  value: Buffer;
  source_partition: number;
  source_offset: string;
  reason: string;
  attempts: number;
  parked_for_ms: string;
}

/** Locks one key for the transaction. */
export async function lockKey(manager: EntityManager, consumer: string, key: string): Promise<void> {
  await manager.query('SELECT pg_advisory_xact_lock($1, hashtext($2))', [KEY_LOCK, `${consumer}:${key}`]);
}

/** Locks several keys for the transaction, in hash order, so replicas locking overlapping sets cannot deadlock. */
export async function lockKeys(manager: EntityManager, consumer: string, keys: string[]): Promise<void> {
  await manager.query(
    'SELECT pg_advisory_xact_lock($1, h) FROM (SELECT DISTINCT hashtext(k) AS h FROM unnest($2::text[]) AS k ORDER BY 1) AS ordered',
    [KEY_LOCK, keys.map((key) => `${consumer}:${key}`)],
  );
}

/** Records an event as applied; false when it was already (a redelivery). */
export async function insertInbox(manager: EntityManager, consumer: string, event: Pick<CloudEvent, 'id' | 'type'>): Promise<boolean> {
  const inserted = await manager.query('INSERT INTO inbox (consumer, event_id, type) VALUES ($1, $2, $3) ON CONFLICT DO NOTHING RETURNING event_id', [consumer, event.id, event.type]);
  return inserted.length > 0;
}

/** Records several events as applied in one statement (none of them is there yet: the caller checked). */
export async function insertInboxRows(manager: EntityManager, consumer: string, events: Pick<CloudEvent, 'id' | 'type'>[]): Promise<void> {
  await manager.query('INSERT INTO inbox (consumer, event_id, type) SELECT $1, * FROM unnest($2::text[], $3::text[])', [consumer, events.map((e) => e.id), events.map((e) => e.type)]);
}

/**
 * Of `keys`, those with parked events, and of `eventIds`, those already applied. One index probe per key and per
 * event, whatever the planner's statistics say: with `= ANY($3)` and an inbox grown since it was last analysed,
 * the planner read every row of the consumer and filtered them, a cost that grew with the inbox.
 */
export async function waitingAndApplied(manager: EntityManager, consumer: string, keys: string[], eventIds: string[]): Promise<{ waiting: string[]; applied: string[] }> {
  const [row]: { waiting: string[]; applied: string[] }[] = await manager.query(
    `SELECT ARRAY(SELECT k.key FROM unnest($2::text[]) AS k(key)
                  CROSS JOIN LATERAL (SELECT 1 FROM parked_event WHERE consumer = $1 AND message_key = k.key LIMIT 1) AS parked) AS waiting,
            ARRAY(SELECT e.id FROM unnest($3::text[]) AS e(id)
                  CROSS JOIN LATERAL (SELECT 1 FROM inbox WHERE consumer = $1 AND event_id = e.id LIMIT 1) AS seen) AS applied`,
    [consumer, keys, eventIds],
  );
  return row;
}

/** The first parked event of a key, if any. */
export async function firstParkedOfKey(manager: EntityManager, consumer: string, key: string): Promise<{ seq: string } | undefined> {
  const [head] = await manager.query('SELECT seq FROM parked_event WHERE consumer = $1 AND message_key = $2 ORDER BY seq LIMIT 1', [consumer, key]);
  return head;
}

/** Parks an event with its raw message; false when it was parked already (a redelivery). */
export async function insertParked(manager: EntityManager, consumer: string, event: CloudEvent, message: ReceivedMessage, key: string, reason: string): Promise<boolean> {
  const inserted = await manager.query(
    `INSERT INTO parked_event (consumer, event_id, topic, message_key, headers, value, source_partition, source_offset, reason)
     VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9) ON CONFLICT (consumer, event_id) DO NOTHING RETURNING seq`,
    [consumer, event.id, message.topic, key, message.headers, message.value, message.partition, message.offset, reason.slice(0, 2000)],
  );
  return inserted.length > 0;
}

/** A parked event still not applicable: tried again after `delayMs`. */
export async function deferParked(manager: EntityManager, seq: string, reason: string, delayMs: number): Promise<void> {
  await manager.query(`UPDATE parked_event SET attempts = attempts + 1, reason = $2, retry_at = now() + $3 * interval '1 millisecond' WHERE seq = $1`, [seq, reason.slice(0, 2000), delayMs]);
}

export async function deleteParked(db: DataSource | EntityManager, seq: string): Promise<void> {
  await db.query('DELETE FROM parked_event WHERE seq = $1', [seq]);
}

/** The keys with parked events, oldest first, and whether each one's first event is due for a retry. */
export function parkedKeys(db: DataSource, consumer: string): Promise<{ message_key: string; retry_due: boolean }[]> {
  return db.query(
    `SELECT message_key, retry_at <= now() AS retry_due
     FROM (SELECT DISTINCT ON (message_key) message_key, seq, retry_at FROM parked_event WHERE consumer = $1 ORDER BY message_key, seq) AS head
     ORDER BY seq LIMIT 500`,
    [consumer],
  );
}

/** The first parked event of a key, whole. */
export async function parkedHead(db: DataSource, consumer: string, key: string): Promise<ParkedRow | undefined> {
  const [row]: ParkedRow[] = await db.query(
    `SELECT seq, event_id, topic, message_key, headers, value, source_partition, source_offset, reason, attempts,
            (extract(epoch FROM now() - parked_at) * 1000)::bigint AS parked_for_ms
     FROM parked_event WHERE consumer = $1 AND message_key = $2 ORDER BY seq LIMIT 1`,
    [consumer, key],
  );
  return row;
}

/** Deletes the consumer's inbox rows older than the retention, in slices; returns how many. */
export function pruneInbox(db: DataSource, consumer: string, retentionMs: number): Promise<number> {
  return deleteInSlices((limit) =>
    deleteRows(
      db,
      `DELETE FROM inbox WHERE consumer = $1 AND event_id IN (
         SELECT event_id FROM inbox WHERE consumer = $1 AND processed_at < now() - $2 * interval '1 millisecond' ORDER BY processed_at LIMIT $3)`,
      [consumer, retentionMs, limit],
    ),
  );
}

/** Marks where a handler's changes start, to undo them alone (the locks and the line stay). */
export async function savepoint(manager: EntityManager): Promise<void> {
  await manager.query('SAVEPOINT handler');
}

export async function rollbackToSavepoint(manager: EntityManager): Promise<void> {
  await manager.query('ROLLBACK TO SAVEPOINT handler');
}
