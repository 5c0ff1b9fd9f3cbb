import { DomainError, envInt, isUnavailable, logger } from '@opsgraph/core';
import type { DataSource, EntityManager } from 'typeorm';
import { contractOf, payloadProblem } from './contracts';
import { eventRetries, eventsConsumed } from './metrics';
import { parseEnvelope, type CloudEvent } from './envelope';
import { deleteInSlices, deleteRows, pruneEvery } from './retention';
import { backoff, sleep } from './timing';
import { consumeTraced } from './tracing';
import type { BatchControl, ReceivedMessage, Transport } from './transport';

/** Where events no consumer can ever apply go, with the reason in the `dlq_reason` header. */
export const DEAD_LETTER_TOPIC = 'opsgraph.deadletter.v1';
export const DLQ_HEADERS = {
  reason: 'dlq_reason',
  consumer: 'dlq_consumer',
  topic: 'dlq_topic',
  partition: 'dlq_partition',
  offset: 'dlq_offset',
  time: 'dlq_time',
} as const;

/**
 * Thrown by a handler when the event refers to something that does not exist yet (a blocker for a work
 * item another topic has not delivered). The event is parked and applied later, not dead-lettered.
 */
export class RetryLater extends Error {
  override name = 'RetryLater';
}

/** `unit` is the consumer's unit of work for the transaction when it has one (see `ConsumerOptions.unitOfWork`). */
// eslint-disable-next-line @typescript-eslint/no-explicit-any
export type EventHandler<T = Record<string, unknown>, U = any> = (event: CloudEvent<T>, manager: EntityManager, unit: U) => Promise<void>;
/** Handlers by CloudEvents type; each is typed for its own payload. */
// eslint-disable-next-line @typescript-eslint/no-explicit-any
export type EventHandlers = Record<string, EventHandler<any>>;

/** What the handlers of one transaction share when the consumer has a unit of work. */
export interface EventUnit {
  /** Writes what the handlers changed; runs once, before the commit. */
  flush(): Promise<void>;
}

export interface ConsumerOptions {
  /** Consumer group, also the inbox namespace: keep it stable, or the group re-reads and re-applies history. */
  groupId: string;
  topics: string[];
  /** By CloudEvents type. Known types without a handler are skipped; unknown types are dead-lettered. */
  handlers: EventHandlers;
  /** A new group starts at the oldest retained event (default) or only sees new ones. */
  fromBeginning?: boolean;
  /** How often parked events are retried when nothing new is applied. */
  parkedRetryMs?: number;
  /** How long an event may stay parked before it is dead-lettered as never applicable. */
  parkedTtlMs?: number;
  /** Attempts for an unexpected handler error (a bug, not a domain refusal or an outage) before dead-lettering. */
  maxUnexpectedAttempts?: number;
  /**
   * Most events of a received batch applied in one transaction (default 250). One commit, one lock
   * statement and one parked-key check per group instead of per event is what lets a consumer keep up
   * with thousands of events per second; 1 applies every event in a transaction of its own. A group holds
   * an advisory lock per distinct key until it commits, so keep it well below Postgres' lock table
   * (max_locks_per_transaction × max_connections, 6,400 by default, shared by the server).
   */
  groupSize?: number;
  /**
   * Lets the handlers of one transaction share a unit of work (optional): it is opened with all the events
   * about to be applied (so it can load what they touch in a few statements), each handler gets it as its
   * third argument, and its `flush` writes what they changed before the commit. A group then costs a
   * handful of statements, not several per event: no savepoint and no inbox row per event (the inbox is
   * read and written once per group). The handlers of such a consumer must throw RetryLater before they
   * change anything.
   */
  unitOfWork?: (manager: EntityManager, events: CloudEvent[]) => Promise<EventUnit>;
  /**
   * How long the inbox remembers an applied event. A redelivery after that would be applied again, so keep it
   * well above the broker's retention (7 days by default, like the Postgres bus). Default
   * OPSGRAPH_INBOX_RETENTION_HOURS, else 336 (14 days); deleted hourly (`pruneIntervalMs`).
   */
  inboxRetentionMs?: number;
  pruneIntervalMs?: number;
}

export interface ConsumerStats {
  applied: number;
  duplicates: number;
  ignored: number;
  parked: number;
  unparked: number;
  deadLettered: number;
  /** Attempts repeated after a failure (database or broker away). */
  retries: number;
}

export interface Consumer {
  readonly stats: ConsumerStats;
  /** Retries parked events now (all of them, not only those due). */
  retryParked(): Promise<void>;
  /** Deletes this group's inbox rows older than the retention now (also done on a timer); returns how many. */
  pruneInbox(): Promise<number>;
  stop(): Promise<void>;
}

type Outcome = 'applied' | 'duplicate' | 'parked' | 'skipped';
type Failure = 'not-yet' | 'rejected' | 'transient' | 'unexpected';

/** Serialization failure, deadlock, lock not available: the same transaction succeeds when tried again. */
const RETRYABLE_SQLSTATE = new Set(['40001', '40P01', '55P03']);

/**
 * Sorts a handler failure: "not yet" parks, a refusal (domain rule, bad data) dead-letters at once, an
 * outage retries with backoff and without committing the offset, and anything else (a bug) is retried a
 * few times and then dead-lettered so one event cannot stop a partition for good.
 */
export function classifyFailure(err: unknown): Failure {
  if (err instanceof RetryLater) return 'not-yet';
  if (err instanceof DomainError) return 'rejected';
  if (isUnavailable(err)) return 'transient';
  const e = err as { code?: unknown; name?: unknown };
  if (typeof e.code === 'string') {
    // Connection, resources, operator intervention, system errors: the database is (partly) away.
    if (RETRYABLE_SQLSTATE.has(e.code) || /^(08|53|57|58)/.test(e.code)) return 'transient';
    if (/^2[23][0-9A-Z]{3}$/.test(e.code)) return 'rejected'; // data exception or integrity violation: the same event fails again
  }
  if (typeof e.name === 'string' && e.name.startsWith('KafkaJS')) return 'transient'; // the dead-letter publish failed
  return 'unexpected';
}

const describeError = (err: unknown) => (err instanceof DomainError ? `${err.code}: ${err.message}` : err instanceof Error ? err.message : String(err));
/** Key of the advisory locks that serialise one (consumer, message key) across replicas and the parked-event retry. */
const KEY_LOCK = 7_243_119;

interface ParkedRow {
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

/**
 * Consumes events into a service's database, once in effect.
 *
 * Per message: parse the CloudEvents envelope and validate the payload against its contract (unparsable,
 * unknown type or invalid → dead-letter topic, and go on); then, in ONE transaction, insert into the inbox
 * (already there → a redelivery, skip) and run the handler with that transaction's manager, so the effect,
 * the events it records and the inbox row commit together.
 *
 * Out of order: a handler that throws RetryLater has the event parked in `parked_event`, and later events
 * with the same key wait behind it, so one record's events still apply in order. Parked events are retried
 * after every batch that applied something and every `parkedRetryMs`; one still parked after `parkedTtlMs`
 * is dead-lettered.
 */
export async function startConsumer(db: DataSource, transport: Transport, options: ConsumerOptions): Promise<Consumer> {
  const { groupId, handlers } = options;
  const parkedRetryMs = options.parkedRetryMs ?? 5_000;
  const parkedTtlMs = options.parkedTtlMs ?? 24 * 3600_000;
  const maxUnexpectedAttempts = options.maxUnexpectedAttempts ?? 3;
  const groupSize = Math.max(1, options.groupSize ?? 250);
  const inboxRetentionMs = options.inboxRetentionMs ?? envInt('OPSGRAPH_INBOX_RETENTION_HOURS', 336) * 3_600_000;
  const pruneInbox = () =>
    deleteInSlices((limit) =>
      deleteRows(
        db,
        `DELETE FROM inbox WHERE consumer = $1 AND event_id IN (
           SELECT event_id FROM inbox WHERE consumer = $1 AND processed_at < now() - $2 * interval '1 millisecond' ORDER BY processed_at LIMIT $3)`,
        [groupId, inboxRetentionMs, limit],
      ),
    );
  const stats: ConsumerStats = { applied: 0, duplicates: 0, ignored: 0, parked: 0, unparked: 0, deadLettered: 0, retries: 0 };
  const STAT = { applied: 'applied', duplicate: 'duplicates', ignored: 'ignored', parked: 'parked', dead_lettered: 'deadLettered' } as const;
  const count = (outcome: keyof typeof STAT) => {
    stats[STAT[outcome]]++;
    eventsConsumed.inc({ consumer: groupId, outcome });
  };
  const countRetry = () => {
    stats.retries++;
    eventRetries.inc({ consumer: groupId });
  };
  let running = true;
  // Rows may be left from an earlier run; cleared when a retry pass finds none.
  let mayHaveParked = true;

  // Batches and parked retries never run at the same time in one process.
  let chain: Promise<unknown> = Promise.resolve();
  const exclusive = <T>(work: () => Promise<T>): Promise<T> => {
    const run = chain.then(work, work);
    chain = run.catch(() => undefined);
    return run;
  };

  const orderKey = (message: ReceivedMessage, eventId: string) => message.key || `event:${eventId}`;

  async function deadLetter(message: ReceivedMessage, reason: string): Promise<void> {
    await transport.publish([
      {
        topic: DEAD_LETTER_TOPIC,
        key: message.key,
        value: message.value,
        headers: {
          ...message.headers,
          [DLQ_HEADERS.reason]: reason.slice(0, 2000),
          [DLQ_HEADERS.consumer]: groupId,
          [DLQ_HEADERS.topic]: message.topic,
          [DLQ_HEADERS.partition]: String(message.partition),
          [DLQ_HEADERS.offset]: message.offset,
          [DLQ_HEADERS.time]: new Date().toISOString(),
        },
      },
    ]);
    count('dead_lettered');
    logger.warn({ consumer: groupId, topic: message.topic, offset: message.offset, type: message.headers.ce_type, reason }, 'event dead-lettered');
  }

  async function park(manager: EntityManager, event: CloudEvent, message: ReceivedMessage, reason: string) {
    const inserted = await manager.query(
      `INSERT INTO parked_event (consumer, event_id, topic, message_key, headers, value, source_partition, source_offset, reason)
       VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9) ON CONFLICT (consumer, event_id) DO NOTHING RETURNING seq`,
      [groupId, event.id, message.topic, orderKey(message, event.id), message.headers, message.value, message.partition, message.offset, reason.slice(0, 2000)],
    );
    mayHaveParked = true;
    return inserted.length > 0; // else a redelivery of an event that is parked already
  }

  /**
   * One attempt at applying an event in one transaction. `parked` is the parked row being retried; a new
   * event whose key has parked events waits behind them instead.
   */
  function apply(event: CloudEvent, message: ReceivedMessage, parked: ParkedRow | null): Promise<Outcome> {
    const key = orderKey(message, event.id);
    return db.transaction(async (manager) => {
      await manager.query('SELECT pg_advisory_xact_lock($1, hashtext($2))', [KEY_LOCK, `${groupId}:${key}`]);
      const [head] = await manager.query('SELECT seq FROM parked_event WHERE consumer = $1 AND message_key = $2 ORDER BY seq LIMIT 1', [groupId, key]);
      if (parked ? head?.seq !== parked.seq : head) {
        if (parked) return 'skipped'; // applied meanwhile by another replica, or no longer first in line
        if (await park(manager, event, message, `waiting behind parked event of key ${key}`)) count('parked');
        return 'parked';
      }
      // Everything after the savepoint is undone for a "not yet", while the lock and the line are kept.
      await manager.query('SAVEPOINT handler');
      try {
        const inserted = await manager.query('INSERT INTO inbox (consumer, event_id, type) VALUES ($1, $2, $3) ON CONFLICT DO NOTHING RETURNING event_id', [groupId, event.id, event.type]);
        if (inserted.length) {
          const unit = await options.unitOfWork?.(manager, [event]);
          await handlers[event.type](event, manager, unit);
          await unit?.flush();
        }
        if (parked) await manager.query('DELETE FROM parked_event WHERE seq = $1', [parked.seq]);
        return inserted.length ? 'applied' : 'duplicate';
      } catch (err) {
        if (!(err instanceof RetryLater)) throw err;
        await manager.query('ROLLBACK TO SAVEPOINT handler');
        if (parked) {
          const delayMs = Math.min(parkedRetryMs * 2 ** parked.attempts, 300_000);
          await manager.query(`UPDATE parked_event SET attempts = attempts + 1, reason = $2, retry_at = now() + $3 * interval '1 millisecond' WHERE seq = $1`, [parked.seq, err.message.slice(0, 2000), delayMs]);
        } else if (await park(manager, event, message, err.message)) {
          count('parked');
        }
        return 'parked';
      }
    });
  }

  /** Repeats `step` until it succeeds: failures wait with backoff, and a stop gives up so the offset stays uncommitted. */
  async function persist<T>(control: BatchControl, context: Record<string, unknown>, step: (failures: number) => Promise<T>): Promise<T> {
    for (let failures = 0; ; ) {
      try {
        return await step(failures);
      } catch (err) {
        failures++;
        if (!control.isRunning()) throw err;
        countRetry();
        const delay = backoff(failures, 200, 10_000);
        logger.warn({ consumer: groupId, ...context, err: describeError(err), failures, retryInMs: delay }, 'event not handled; will retry');
        // Keep the group membership while waiting out an outage (kafkajs sends at most one per interval).
        for (const until = Date.now() + delay; control.isRunning() && Date.now() < until; ) {
          await sleep(Math.min(100, until - Date.now()));
          await control.heartbeat();
        }
      }
    }
  }

  /** Applies with retries: outages wait; refusals dead-letter at once and unexpected errors after a few attempts. */
  function settle(event: CloudEvent, message: ReceivedMessage, control: BatchControl, parked: ParkedRow | null): Promise<Outcome | 'dead-lettered'> {
    return persist(control, { eventId: event.id, type: event.type }, async (failures) => {
      try {
        return await apply(event, message, parked);
      } catch (err) {
        const kind = classifyFailure(err);
        if (kind === 'rejected' || (kind === 'unexpected' && failures + 1 >= maxUnexpectedAttempts)) {
          await deadLetter(message, kind === 'rejected' ? `rejected by handler: ${describeError(err)}` : `handler failed ${failures + 1} times: ${describeError(err)}`);
          if (parked) await db.query('DELETE FROM parked_event WHERE seq = $1', [parked.seq]);
          return 'dead-lettered';
        }
        throw err;
      }
    });
  }

  const dead = (message: ReceivedMessage, control: BatchControl, reason: string) =>
    persist(control, { topic: message.topic, offset: message.offset }, () => deadLetter(message, reason)).then(() => 'dead-lettered' as const);

  /** Everything short of applying: envelope, type and payload checks. */
  function check(message: ReceivedMessage): { event: CloudEvent } | { dead: string } | 'ignored' {
    let event: CloudEvent;
    try {
      event = parseEnvelope(message);
    } catch (err) {
      return { dead: `unparsable: ${(err as Error).message}` };
    }
    if (!contractOf(event.type, event.version)) return { dead: `unknown event type ${event.type} v${event.version}` };
    if (!handlers[event.type]) return 'ignored';
    const problem = payloadProblem(event.type, event.version, event.data, 'consume');
    return problem ? { dead: `invalid payload: ${problem}` } : { event };
  }

  /** One message on its own: checked, then applied in a transaction of its own, with retries. */
  async function consume(message: ReceivedMessage, control: BatchControl): Promise<Outcome | 'dead-lettered' | 'ignored'> {
    const checked = check(message);
    if (checked === 'ignored') {
      count('ignored');
      return 'ignored';
    }
    if ('dead' in checked) return dead(message, control, checked.dead);
    const outcome = await settle(checked.event, message, control, null);
    if (outcome === 'applied' || outcome === 'duplicate') count(outcome);
    return outcome;
  }

  /**
   * Applies consecutive events of a batch in ONE transaction: the keys' locks in one statement (in hash
   * order, so replicas cannot deadlock), one look for parked keys, then the events in order. Without a unit
   * of work each event gets a savepoint, its inbox row and its handler, and a "not yet" rolls back to the
   * savepoint; with one, the inbox is read once, the handlers share the unit, and the unit's changes and
   * the inbox rows are written once at the end. Either way a "not yet" parks the event (and the rest of its
   * key), and any other failure rolls the whole group back and its events go again one by one, through the
   * careful path with retries and dead-lettering. Returns the outcomes in order, after the commit.
   */
  function applyTogether(group: { event: CloudEvent; message: ReceivedMessage }[]): Promise<{ outcomes: Outcome[]; newlyParked: number }> {
    return db.transaction(async (manager) => {
      const keys = [...new Set(group.map(({ event, message }) => orderKey(message, event.id)))];
      await manager.query(
        'SELECT pg_advisory_xact_lock($1, h) FROM (SELECT DISTINCT hashtext(k) AS h FROM unnest($2::text[]) AS k ORDER BY 1) AS ordered',
        [KEY_LOCK, keys.map((key) => `${groupId}:${key}`)],
      );
      // After the locks (a statement of its own, so this one's snapshot sees what other replicas committed
      // before they let go): the keys with parked events, and with a unit of work the events already applied.
      // One index probe per key and per event, whatever the planner's statistics say: with `= ANY($3)` and an
      // inbox that grew since it was last analysed, the planner took every row of the consumer (its
      // `inbox_processed` index) and filtered them, a cost that grew with the inbox (9 ms at 40,000 rows).
      const [checks]: { waiting: string[]; applied: string[] }[] = await manager.query(
        `SELECT ARRAY(SELECT k.key FROM unnest($2::text[]) AS k(key)
                      CROSS JOIN LATERAL (SELECT 1 FROM parked_event WHERE consumer = $1 AND message_key = k.key LIMIT 1) AS parked) AS waiting,
                ARRAY(SELECT e.id FROM unnest($3::text[]) AS e(id)
                      CROSS JOIN LATERAL (SELECT 1 FROM inbox WHERE consumer = $1 AND event_id = e.id LIMIT 1) AS seen) AS applied`,
        [groupId, keys, options.unitOfWork ? group.map(({ event }) => event.id) : []],
      );
      const waiting = new Set<string>(checks.waiting);
      let newlyParked = 0;
      const parkInLine = async (event: CloudEvent, message: ReceivedMessage, key: string, reason: string): Promise<Outcome> => {
        if (await park(manager, event, message, reason)) newlyParked++;
        waiting.add(key);
        return 'parked';
      };

      // With a unit of work: the unit opened with the events to apply.
      const seen = new Set<string>();
      const applied: CloudEvent[] = [];
      let unit: EventUnit | undefined;
      if (options.unitOfWork) {
        for (const id of checks.applied) seen.add(id);
        unit = await options.unitOfWork(manager, group.filter(({ event, message }) => !seen.has(event.id) && !waiting.has(orderKey(message, event.id))).map(({ event }) => event));
      }
      const applyOne = async (event: CloudEvent, message: ReceivedMessage, key: string): Promise<Outcome> => {
        if (unit) {
          if (seen.has(event.id)) return 'duplicate';
          seen.add(event.id); // the same event twice in one batch
          try {
            await handlers[event.type](event, manager, unit);
            applied.push(event);
            return 'applied';
          } catch (err) {
            if (!(err instanceof RetryLater)) throw err;
            return parkInLine(event, message, key, err.message);
          }
        }
        await manager.query('SAVEPOINT handler');
        try {
          const inserted = await manager.query('INSERT INTO inbox (consumer, event_id, type) VALUES ($1, $2, $3) ON CONFLICT DO NOTHING RETURNING event_id', [groupId, event.id, event.type]);
          if (inserted.length) await handlers[event.type](event, manager, undefined);
          return inserted.length ? 'applied' : 'duplicate';
        } catch (err) {
          if (!(err instanceof RetryLater)) throw err;
          await manager.query('ROLLBACK TO SAVEPOINT handler');
          return parkInLine(event, message, key, err.message);
        }
      };

      const outcomes: Outcome[] = [];
      for (const { event, message } of group) {
        const key = orderKey(message, event.id);
        if (waiting.has(key)) outcomes.push(await parkInLine(event, message, key, `waiting behind parked event of key ${key}`));
        else outcomes.push(await consumeTraced(groupId, transport.kind, message, () => applyOne(event, message, key)));
      }
      if (unit) {
        await unit.flush();
        if (applied.length) {
          await manager.query('INSERT INTO inbox (consumer, event_id, type) SELECT $1, * FROM unnest($2::text[], $3::text[])', [groupId, applied.map((e) => e.id), applied.map((e) => e.type)]);
        }
      }
      return { outcomes, newlyParked };
    });
  }

  /** Applies a run of checked events: together when there are several, one by one when that fails. */
  async function applyGroup(group: { event: CloudEvent; message: ReceivedMessage }[], control: BatchControl): Promise<number> {
    let outcomes: (Outcome | 'dead-lettered')[] | undefined;
    if (group.length > 1) {
      try {
        const together = await applyTogether(group);
        outcomes = together.outcomes;
        for (let i = 0; i < together.newlyParked; i++) count('parked');
        for (const outcome of outcomes) if (outcome === 'applied' || outcome === 'duplicate') count(outcome);
      } catch (err) {
        logger.debug({ consumer: groupId, events: group.length, err: describeError(err) }, 'group not applied together; applying its events one by one');
      }
    }
    if (!outcomes) {
      outcomes = [];
      for (const { event, message } of group) {
        if (!control.isRunning()) throw new Error('consumer stopped during a batch');
        const outcome = await consumeTraced(groupId, transport.kind, message, () => settle(event, message, control, null));
        if (outcome === 'applied' || outcome === 'duplicate') count(outcome);
        outcomes.push(outcome);
        await control.heartbeat();
      }
    }
    return outcomes.filter((o) => o === 'applied').length;
  }

  const always: BatchControl = { isRunning: () => running, heartbeat: async () => undefined };

  /** Retries parked events key by key, oldest first, stopping at the first of a key that is still not applicable. `onlyDue` skips keys whose head waits for its backoff. */
  async function retryParked(onlyDue: boolean, control: BatchControl = always): Promise<void> {
    if (!mayHaveParked) return;
    const heads: { message_key: string; retry_due: boolean }[] = await db.query(
      `SELECT message_key, retry_at <= now() AS retry_due
       FROM (SELECT DISTINCT ON (message_key) message_key, seq, retry_at FROM parked_event WHERE consumer = $1 ORDER BY message_key, seq) AS head
       ORDER BY seq LIMIT 500`,
      [groupId],
    );
    if (!heads.length) mayHaveParked = false;
    for (const { message_key: key, retry_due: due } of heads) {
      if (onlyDue && !due) continue;
      for (;;) {
        if (!control.isRunning()) return;
        const [row]: ParkedRow[] = await db.query(
          `SELECT seq, event_id, topic, message_key, headers, value, source_partition, source_offset, reason, attempts,
                  (extract(epoch FROM now() - parked_at) * 1000)::bigint AS parked_for_ms
           FROM parked_event WHERE consumer = $1 AND message_key = $2 ORDER BY seq LIMIT 1`,
          [groupId, key],
        );
        if (!row) break;
        const message: ReceivedMessage = { topic: row.topic, key: row.message_key.startsWith('event:') ? null : row.message_key, value: row.value, headers: row.headers, partition: row.source_partition, offset: row.source_offset };
        if (Number(row.parked_for_ms) > parkedTtlMs) {
          await deadLetter(message, `still not applicable after ${Math.round(parkedTtlMs / 60_000)} min: ${row.reason}`);
          await db.query('DELETE FROM parked_event WHERE seq = $1', [row.seq]);
          continue;
        }
        const outcome = await consumeTraced(groupId, transport.kind, message, () => settle(parseEnvelope(message), message, control, row));
        if (outcome === 'parked') break;
        if (outcome === 'applied' || outcome === 'duplicate') count(outcome);
        if (outcome === 'applied') stats.unparked++;
        else if (outcome === 'skipped') break;
      }
    }
  }

  const subscription = await transport.subscribe({
    groupId,
    topics: options.topics,
    fromBeginning: options.fromBeginning ?? true,
    onBatch: (messages, control) =>
      exclusive(async () => {
        let applied = 0;
        for (let i = 0; i < messages.length; ) {
          // Stopping or rebalanced: leave the rest (and the batch's offset) for whoever consumes next.
          if (!control.isRunning()) throw new Error('consumer stopped during a batch');
          // A run of applicable events goes in one transaction; anything else (dead letter, ignored) on its own, in order.
          const group: { event: CloudEvent; message: ReceivedMessage }[] = [];
          for (let checked; i < messages.length && group.length < groupSize && typeof (checked = check(messages[i])) === 'object' && 'event' in checked; i++) {
            group.push({ event: checked.event, message: messages[i] });
          }
          if (group.length) {
            applied += await applyGroup(group, control);
          } else {
            // Under a `consume <type>` span in the trace of the change that caused the event (tracing on), with a log line.
            const message = messages[i++];
            if ((await consumeTraced(groupId, transport.kind, message, () => consume(message, control))) === 'applied') applied++;
          }
          await control.heartbeat();
        }
        // Something new was applied: a parked event may have become applicable.
        if (applied && mayHaveParked) await retryParked(false, control).catch((err) => logger.warn({ consumer: groupId, err: describeError(err) }, 'parked retry failed'));
      }),
  });

  // The timer also looks for events another replica parked (and may no longer be around to retry).
  const timer = setInterval(() => {
    if (!running) return;
    mayHaveParked = true;
    void exclusive(() => retryParked(true)).catch((err) => logger.warn({ consumer: groupId, err: describeError(err) }, 'parked retry failed'));
  }, parkedRetryMs);
  timer.unref();
  const stopPruning = pruneEvery(options.pruneIntervalMs ?? 3_600_000, 'expired inbox entries', { consumer: groupId }, pruneInbox);

  return {
    stats,
    retryParked: () => exclusive(() => retryParked(false)),
    pruneInbox,
    async stop() {
      if (!running) return;
      running = false;
      clearInterval(timer);
      stopPruning();
      await subscription.stop();
      await chain;
    },
  };
}
