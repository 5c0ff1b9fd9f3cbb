import { databaseName, ensureDatabase, envInt, logger, postgresConfig, type PostgresConfig } from '@opsgraph/core';
import { Pool, type PoolClient } from 'pg';
import { ConsumedGroups, type LagReading } from './metrics';
import { DEAD_LETTER_TOPIC, TopicNames, topicPrefixFromEnv } from './names';
import { listen } from './pg-listen';
import { deleteInSlices, pruneEvery } from './retention';
import { backoff, Waker } from './timing';
import type { ReceivedMessage, SubscribeOptions, Subscription, Transport, TransportMessage } from './transport';

/** NOTIFY channel of the bus; the payload is the (physical) topic that got messages. */
export const BUS_CHANNEL = 'opsgraph_bus';
/** Advisory lock namespace: key 1 of the two-key locks the bus takes (key 2 is a topic hash). */
const BUS_LOCK = 7_243_118;

const SCHEMA = `
CREATE TABLE IF NOT EXISTS bus_event (
  id bigserial PRIMARY KEY,
  topic text NOT NULL,
  message_key text,
  headers jsonb NOT NULL DEFAULT '{}',
  value bytea NOT NULL,
  created_at timestamptz NOT NULL DEFAULT now());
CREATE INDEX IF NOT EXISTS bus_event_topic ON bus_event (topic, id);
CREATE INDEX IF NOT EXISTS bus_event_created ON bus_event (created_at);
CREATE TABLE IF NOT EXISTS bus_offset (
  group_id text NOT NULL,
  topic text NOT NULL,
  last_id bigint NOT NULL,
  updated_at timestamptz NOT NULL DEFAULT now(),
  PRIMARY KEY (group_id, topic));`;

export interface PostgresTransportOptions {
  /** Defaults to OPSGRAPH_BUS_DATABASE, else `opsgraph_bus` (with OPSGRAPH_DB_PREFIX). */
  database?: string;
  server?: PostgresConfig;
  topicPrefix?: string;
  pollIntervalMs?: number;
  batchSize?: number;
  /**
   * How long events stay on the bus (default OPSGRAPH_BUS_RETENTION_HOURS, 168 = Kafka's default of 7 days):
   * like a topic's retention, older events are deleted whether or not every group has read them, so the
   * bus does not grow for ever. A replay from the beginning reaches back this far.
   */
  retentionMs?: number;
  /** How often a transport deletes expired events (default hourly; every service's transport does it, idempotently). */
  pruneIntervalMs?: number;
}

/**
 * The broker-less fallback: an append-only `bus_event` log in a small shared database, with committed
 * offsets per consumer group and topic in `bus_offset`. Publishing takes a per-topic advisory lock so ids
 * within a topic are assigned in commit order (a reader never skips a row that commits late). A topic has
 * no partitions: one member of a group consumes it at a time, holding its offset row locked while it
 * handles a batch, and the others stand by. Readers wake on NOTIFY, with a slow poll as a safety net.
 */
export class PostgresTransport implements Transport {
  readonly kind = 'postgres' as const;
  readonly database: string;
  readonly names: TopicNames;
  private readonly server: PostgresConfig;
  private readonly pollIntervalMs: number;
  private readonly batchSize: number;
  private pool: Promise<Pool> | null = null;
  private readonly subscriptions = new Set<Subscription>();
  /** Groups this transport consumed for (by physical id): their lag is on /metrics until the transport closes. */
  private readonly consumedGroups = new ConsumedGroups('postgres', (name) => this.names.logical(name), () => this.readLag());
  private readonly retentionMs: number;
  private readonly pruneIntervalMs: number;
  private stopPruning: (() => void) | null = null;

  constructor(options: PostgresTransportOptions = {}) {
    this.database = options.database ?? (process.env.OPSGRAPH_BUS_DATABASE || databaseName('bus'));
    this.server = options.server ?? postgresConfig();
    this.names = new TopicNames(options.topicPrefix ?? topicPrefixFromEnv());
    this.pollIntervalMs = options.pollIntervalMs ?? 1_000;
    this.batchSize = options.batchSize ?? 500;
    this.retentionMs = options.retentionMs ?? envInt('OPSGRAPH_BUS_RETENTION_HOURS', 168) * 3_600_000;
    this.pruneIntervalMs = options.pruneIntervalMs ?? 3_600_000;
  }

  /** Deletes events older than the retention, a bounded slice per statement so no lock is held for long; returns how many. */
  async pruneExpired(): Promise<number> {
    const pool = await this.connected();
    return deleteInSlices(
      async (limit) =>
        (await pool.query(`DELETE FROM bus_event WHERE id IN (SELECT id FROM bus_event WHERE created_at < now() - $1 * interval '1 millisecond' ORDER BY id LIMIT $2)`, [this.retentionMs, limit])).rowCount ?? 0,
    );
  }

  private get connection() {
    return { ...this.server, database: this.database };
  }

  /** Creates the bus database and tables on first use (idempotent; safe when several services race). */
  private connected(): Promise<Pool> {
    this.pool ??= (async () => {
      await ensureDatabase(this.database, this.server);
      const pool = new Pool({ ...this.connection, max: 4, application_name: 'opsgraph:bus' });
      pool.on('error', (err) => logger.warn({ err: err.message }, 'bus connection lost'));
      const client = await pool.connect();
      try {
        await client.query('SELECT pg_advisory_lock($1, 0)', [BUS_LOCK]);
        await client.query(SCHEMA);
      } finally {
        await client.query('SELECT pg_advisory_unlock($1, 0)', [BUS_LOCK]).catch(() => undefined);
        client.release();
      }
      this.stopPruning = pruneEvery(this.pruneIntervalMs, 'expired bus events', { database: this.database }, () => this.pruneExpired());
      return pool;
    })();
    return this.pool.catch((err) => {
      this.pool = null;
      throw err;
    });
  }

  private async inTransaction<T>(work: (client: PoolClient) => Promise<T>): Promise<T> {
    const client = await (await this.connected()).connect();
    let broken = false;
    // A consumer's transaction idles while its batch is handled; a connection lost then must not crash the process.
    const onError = (err: Error) => {
      broken = true;
      logger.warn({ err: err.message }, 'bus connection lost during a transaction');
    };
    client.on('error', onError);
    try {
      await client.query('BEGIN');
      const result = await work(client);
      await client.query('COMMIT');
      return result;
    } catch (err) {
      await client.query('ROLLBACK').catch(() => (broken = true));
      throw err;
    } finally {
      client.off('error', onError);
      client.release(broken);
    }
  }

  async publish(messages: TransportMessage[]): Promise<void> {
    if (!messages.length) return;
    const topics = [...new Set(messages.map((m) => this.names.physical(m.topic)))].sort();
    await this.inTransaction(async (client) => {
      // Sorted, so two publishers of the same topics cannot deadlock.
      for (const topic of topics) await client.query('SELECT pg_advisory_xact_lock($1, hashtext($2))', [BUS_LOCK, topic]);
      await client.query(
        `INSERT INTO bus_event (topic, message_key, headers, value)
         SELECT t, k, h, v FROM unnest($1::text[], $2::text[], $3::jsonb[], $4::bytea[]) WITH ORDINALITY AS m(t, k, h, v, n) ORDER BY n`,
        [messages.map((m) => this.names.physical(m.topic)), messages.map((m) => m.key), messages.map((m) => JSON.stringify(m.headers)), messages.map((m) => m.value)],
      );
      await client.query('SELECT pg_notify($1, t) FROM unnest($2::text[]) AS t', [BUS_CHANNEL, topics]);
    });
  }

  /**
   * Lag of every group this transport consumed for: the bus rows of each topic after the group's `last_id`
   * (one partition, 0). Ids within a topic are assigned in commit order, so that is what the group has yet
   * to read. A group without an offset row yet lags by what it will read (all, when from the beginning).
   */
  async readLag(): Promise<LagReading> {
    const pool = await this.connected();
    const lag: LagReading['lag'] = [];
    for (const [group, { topics, fromBeginning }] of this.consumedGroups) {
      const { rows } = await pool.query(
        `SELECT t AS topic, CASE WHEN o.last_id IS NULL AND NOT $3 THEN 0
                ELSE (SELECT count(*) FROM bus_event e WHERE e.topic = t AND e.id > coalesce(o.last_id, 0)) END::bigint AS lag
         FROM unnest($2::text[]) AS t LEFT JOIN bus_offset o ON o.group_id = $1 AND o.topic = t`,
        [group, [...topics], fromBeginning],
      );
      for (const r of rows) lag.push({ consumer: this.names.logical(group), topic: this.names.logical(r.topic), partition: 0, messages: Number(r.lag) });
    }
    const { rows } = await pool.query('SELECT count(*)::bigint AS n FROM bus_event WHERE topic = $1', [this.names.physical(DEAD_LETTER_TOPIC)]);
    return { lag, deadLetters: Number(rows[0].n) };
  }

  async subscribe(options: SubscribeOptions): Promise<Subscription> {
    const group = this.names.physical(options.groupId);
    const topics = options.topics.map((t) => this.names.physical(t));
    this.consumedGroups.watch(group, topics, options.fromBeginning ?? true);
    const waker = new Waker();
    let running = true;
    let listener: { close(): Promise<void> } | null = null;
    const control = { isRunning: () => running, heartbeat: async () => undefined };

    // One batch of one topic inside a bus transaction that holds the group's offset row.
    const consumeTopic = (topic: string) =>
      this.inTransaction(async (client) => {
        const offset = await client.query('SELECT last_id FROM bus_offset WHERE group_id = $1 AND topic = $2 FOR UPDATE SKIP LOCKED', [group, topic]);
        if (!offset.rowCount) return false; // another member of the group is on it
        const { rows } = await client.query('SELECT id, message_key, headers, value FROM bus_event WHERE topic = $1 AND id > $2 ORDER BY id LIMIT $3', [topic, offset.rows[0].last_id, this.batchSize]);
        if (!rows.length) return false;
        const logical = this.names.logical(topic);
        const messages: ReceivedMessage[] = rows.map((r) => ({ topic: logical, partition: 0, offset: String(r.id), key: r.message_key, value: r.value, headers: r.headers }));
        await options.onBatch(messages, control);
        await client.query('UPDATE bus_offset SET last_id = $3, updated_at = now() WHERE group_id = $1 AND topic = $2', [group, topic, rows[rows.length - 1].id]);
        return true;
      });

    const loop = async () => {
      let failures = 0;
      let offsetsReady = false;
      while (running) {
        try {
          if (!offsetsReady) {
            const pool = await this.connected();
            // Listen once the bus database surely exists.
            listener ??= listen(this.connection, BUS_CHANNEL, (topic) => {
              if (!topic || topics.includes(topic)) waker.wake();
            });
            await pool.query(
              `INSERT INTO bus_offset (group_id, topic, last_id)
               SELECT $1, t, CASE WHEN $3 THEN 0 ELSE coalesce((SELECT max(id) FROM bus_event WHERE topic = t), 0) END
               FROM unnest($2::text[]) AS t ON CONFLICT DO NOTHING`,
              [group, topics, options.fromBeginning ?? true],
            );
            offsetsReady = true;
          }
          let busy = false;
          for (const topic of topics) if (running) busy = (await consumeTopic(topic)) || busy;
          failures = 0;
          if (!busy) await waker.wait(this.pollIntervalMs);
        } catch (err) {
          failures++;
          if (running) logger.warn({ group, err: (err as Error).message, failures }, 'bus consumer batch failed; retrying');
          await waker.wait(backoff(failures, 200, 10_000));
        }
      }
    };
    const loopDone = loop();

    const subscription: Subscription = {
      stop: async () => {
        if (!running) return;
        running = false;
        waker.wake();
        await loopDone;
        await listener?.close();
        this.subscriptions.delete(subscription);
      },
    };
    this.subscriptions.add(subscription);
    return subscription;
  }

  async close(): Promise<void> {
    for (const subscription of [...this.subscriptions]) await subscription.stop();
    this.consumedGroups.close();
    this.stopPruning?.();
    this.stopPruning = null;
    const pool = this.pool;
    this.pool = null;
    if (pool) await (await pool.catch(() => null))?.end();
  }
}
