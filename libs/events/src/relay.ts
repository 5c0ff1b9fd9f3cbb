import { envInt, logger } from '@opsgraph/core';
import type { DataSource } from 'typeorm';
import { toMessage } from './envelope';
import { outboxPublishFailures, outboxPublished, watchBacklog, type OutboxBacklog } from './metrics';
import { OUTBOX_CHANNEL } from './outbox';
import { listen, pgConfigOf } from './pg-listen';
import { deleteInSlices, deleteRows, pruneEvery } from './retention';
import { backoff, sleep, Waker } from './timing';
import { publishTraced } from './tracing';
import type { Transport } from './transport';

export interface RelayOptions {
  /** Rows per transaction (and per broker request). */
  batchSize?: number;
  /**
   * How long the relay waits after a commit woke it before it reads the outbox, so that the commits of
   * those milliseconds go in one broker request (Kafka's `linger.ms`). A few milliseconds of latency buy
   * far fewer statements and requests under load. Default OPSGRAPH_RELAY_LINGER_MS, else 10.
   */
  lingerMs?: number;
  /** Safety-net poll when no NOTIFY arrives (a missed notification, a listener reconnecting). */
  pollIntervalMs?: number;
  /** Longest wait between attempts while the broker is unreachable. */
  maxBackoffMs?: number;
  /**
   * How long published events stay in the outbox (for looking back at what a service said; the broker has
   * them too). Default OPSGRAPH_OUTBOX_RETENTION_HOURS, else 168 (7 days); unpublished ones are never deleted.
   */
  retentionMs?: number;
  /** How often the relay deletes what outlived the retention (default hourly). */
  pruneIntervalMs?: number;
}

export interface Relay {
  /** Publishes until every row committed before the call is published (or the timeout passes). */
  flush(timeoutMs?: number): Promise<void>;
  backlog(): Promise<OutboxBacklog>;
  /** Deletes published events older than the retention now (the relay also does it on its timer); returns how many. */
  pruneExpired(): Promise<number>;
  readonly stats: { published: number; batches: number; failures: number };
  stop(): Promise<void>;
}

interface OutboxRow {
  id: string;
  event_id: string;
  topic: string;
  message_key: string;
  type: string;
  source: string;
  subject: string;
  time: Date;
  dataschema: string;
  /** The payload's JSON text, published as it is. */
  data: string;
  headers: Record<string, string>;
}

export async function outboxBacklog(db: DataSource): Promise<OutboxBacklog> {
  const [row] = await db.query(
    `SELECT count(*)::int AS count, (extract(epoch FROM now() - min(o.time)) * 1000)::bigint AS age FROM outbox_pending p JOIN outbox o USING (id)`,
  );
  return { count: row.count, oldestAgeMs: row.age === null ? null : Number(row.age) };
}

/**
 * Publishes one batch: locks the oldest pending rows (SKIP LOCKED, so several relays share the work),
 * sends their events and deletes them from the pending rows in the same transaction, only after the
 * transport acknowledged.
 * A crash between send and commit leaves them unpublished: they are sent again (at-least-once) and the
 * consumers' inbox drops the duplicate.
 *
 * Per-key order with several relays: a row is sent only if no earlier unpublished row of its key lies
 * outside this batch (locked by another relay). Earlier rows of one key are always committed first,
 * because domain changes lock their aggregate before they record its events.
 */
async function publishBatch(db: DataSource, transport: Transport, batchSize: number): Promise<{ selected: number; published: number }> {
  const runner = db.createQueryRunner();
  await runner.connect();
  let ids: string[] = [];
  try {
    await runner.startTransaction();
    const rows: OutboxRow[] = await runner.query(
      // `= ANY(ARRAY(…))` keeps the outbox read to its primary key whatever the planner believes of the tables' sizes (a join was planned as a scan of the whole outbox).
      `WITH p AS (SELECT id FROM outbox_pending ORDER BY id LIMIT $1 FOR UPDATE SKIP LOCKED)
       SELECT id, event_id, topic, message_key, type, source, subject, time, dataschema, data::text AS data, headers
       FROM outbox WHERE id = ANY(ARRAY(SELECT id FROM p)) ORDER BY id`,
      [batchSize],
    );
    ids = rows.map((r) => r.id);
    if (!rows.length) {
      await runner.commitTransaction();
      return { selected: 0, published: 0 };
    }
    const blocked: { message_key: string; first: string }[] = await runner.query(
      `SELECT message_key, min(id) AS first FROM outbox_pending
       WHERE message_key = ANY($1) AND id < $2 AND NOT (id = ANY($3::bigint[]))
       GROUP BY message_key`,
      [[...new Set(rows.map((r) => r.message_key))], ids[ids.length - 1], ids],
    );
    const firstBlocked = new Map(blocked.map((b) => [b.message_key, BigInt(b.first)]));
    const sendable = rows.filter((r) => {
      const first = firstBlocked.get(r.message_key);
      return first === undefined || BigInt(r.id) < first;
    });
    if (sendable.length) {
      // Under a producer span per event recorded in a trace (tracing on), whose context the message carries on.
      await publishTraced(
        transport,
        sendable.map((r) => toMessage({ eventId: r.event_id, topic: r.topic, key: r.message_key, type: r.type, source: r.source, subject: r.subject, time: r.time, dataschema: r.dataschema, data: r.data, headers: r.headers })),
      );
      await runner.query(`DELETE FROM outbox_pending WHERE id = ANY($1::bigint[])`, [sendable.map((r) => r.id)]);
    }
    await runner.commitTransaction();
    return { selected: rows.length, published: sendable.length };
  } catch (err) {
    if (runner.isTransactionActive) await runner.rollbackTransaction().catch(() => undefined);
    // Outside the rolled-back transaction, so the count survives: it shows how long a row has been failing.
    if (ids.length) await db.query(`UPDATE outbox_pending SET attempts = attempts + 1 WHERE id = ANY($1::bigint[])`, [ids]).catch(() => undefined);
    throw err;
  } finally {
    await runner.release();
  }
}

/** Deletes the outbox's published events older than `retentionMs`, oldest first, a slice at a time. */
function pruneOutbox(db: DataSource, retentionMs: number): Promise<number> {
  return deleteInSlices((limit) =>
    deleteRows(
      db,
      `DELETE FROM outbox WHERE id IN (
         SELECT id FROM (SELECT id, time FROM outbox o WHERE NOT EXISTS (SELECT 1 FROM outbox_pending p WHERE p.id = o.id) ORDER BY id LIMIT $2) AS oldest
         WHERE time < now() - $1 * interval '1 millisecond')`,
      [retentionMs, limit],
    ),
  );
}

/**
 * Moves committed outbox rows to the transport in the background: wakes on the outbox NOTIFY (sent on
 * commit by a trigger) and polls slowly as a fallback. Requests never wait for it; while the broker is
 * away rows simply stay unpublished and the relay retries with backoff, also across restarts.
 */
export function startRelay(db: DataSource, transport: Transport, options: RelayOptions = {}): Relay {
  const batchSize = options.batchSize ?? 200;
  const pollIntervalMs = options.pollIntervalMs ?? 1_000;
  const maxBackoffMs = options.maxBackoffMs ?? 10_000;
  const lingerMs = options.lingerMs ?? envInt('OPSGRAPH_RELAY_LINGER_MS', 10);
  const retentionMs = options.retentionMs ?? envInt('OPSGRAPH_OUTBOX_RETENTION_HOURS', 168) * 3_600_000;
  const waker = new Waker();
  const stats = { published: 0, batches: 0, failures: 0 };
  let running = true;
  const listener = listen(pgConfigOf(db), OUTBOX_CHANNEL, () => waker.wake());
  const database = String(db.options.database);
  const unwatch = watchBacklog(database, () => outboxBacklog(db));
  const stopPruning = pruneEvery(options.pruneIntervalMs ?? 3_600_000, 'expired outbox events', { database }, () => pruneOutbox(db, retentionMs));

  const loop = async () => {
    let failures = 0;
    while (running) {
      try {
        const { selected, published } = await publishBatch(db, transport, batchSize);
        stats.published += published;
        if (published) {
          stats.batches++;
          outboxPublished.inc({ database }, published);
        }
        failures = 0;
        // A full batch means more may wait; a batch held back by another relay's rows waits like an empty one.
        if (selected === batchSize && published > 0) continue;
        await waker.wait(pollIntervalMs);
        if (lingerMs) await sleep(lingerMs);
      } catch (err) {
        failures++;
        stats.failures++;
        outboxPublishFailures.inc({ database });
        if (!running) break;
        const delay = backoff(failures, 200, maxBackoffMs);
        logger.warn({ database, err: (err as Error).message, failures, retryInMs: delay }, 'outbox relay could not publish; will retry');
        // Not waker.wait: commits keep notifying during an outage and must not shorten the backoff.
        for (const until = Date.now() + delay; running && Date.now() < until; ) await sleep(Math.min(100, until - Date.now()));
      }
    }
  };
  const done = loop();

  return {
    stats,
    backlog: () => outboxBacklog(db),
    pruneExpired: () => pruneOutbox(db, retentionMs),
    async flush(timeoutMs = 30_000) {
      const [{ max }] = await db.query(`SELECT max(id) AS max FROM outbox_pending`);
      if (max === null) return;
      const deadline = Date.now() + timeoutMs;
      waker.wake();
      for (;;) {
        const [{ waiting }] = await db.query(`SELECT count(*)::int AS waiting FROM outbox_pending WHERE id <= $1`, [max]);
        if (!waiting) return;
        if (Date.now() > deadline) throw new Error(`outbox flush timed out with ${waiting} event(s) unpublished`);
        await sleep(20);
      }
    },
    async stop() {
      running = false;
      waker.wake();
      stopPruning();
      await done;
      unwatch();
      await listener.close();
    },
  };
}
