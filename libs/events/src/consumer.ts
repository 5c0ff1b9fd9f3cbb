import { envInt, logger } from '@opsgraph/core';
import type { DataSource, EntityManager } from 'typeorm';
import { contractOf, payloadProblem } from './contracts';
import { RetryLater, classifyFailure, deadLetterOf, describeError } from './dead-letter';
import { parseEnvelope, type CloudEvent } from './envelope';
import {
  deferParked,
  deleteParked,
  firstParkedOfKey,
  insertInbox,
  insertInboxRows,
  insertParked,
  lockKey,
  lockKeys,
  parkedHead,
  parkedKeys,
  pruneInbox,
  rollbackToSavepoint,
  savepoint,
  waitingAndApplied,
  type ParkedRow,
} from './inbox-store';
import { eventRetries, eventsConsumed } from './metrics';
import { pruneEvery } from './retention';
import { backoff, sleep } from './timing';
import { consumeTraced } from './tracing';
import type { BatchControl, ReceivedMessage, Transport } from './transport';

export { DLQ_HEADERS, RetryLater, classifyFailure } from './dead-letter';

/** `unit` is the consumer's unit of work for the transaction when it has one (see `ConsumerOptions.unitOfWork`). */
export type EventHandler<T = Record<string, unknown>, U = any> = (event: CloudEvent<T>, manager: EntityManager, unit: U) => Promise<void>;
/** Handlers by CloudEvents type; each is typed for its own payload. */
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
  const pruneOldInbox = () => pruneInbox(db, groupId, inboxRetentionMs);
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
    await transport.publish([deadLetterOf(message, groupId, reason)]);
    count('dead_lettered');
    logger.warn({ consumer: groupId, topic: message.topic, offset: message.offset, type: message.headers.ce_type, reason }, 'event dead-lettered');
  }

  async function park(manager: EntityManager, event: CloudEvent, message: ReceivedMessage, reason: string) {
    const inserted = await insertParked(manager, groupId, event, message, orderKey(message, event.id), reason);
    mayHaveParked = true;
    return inserted; // else a redelivery of an event that is parked already
  }

  /**
   * The inbox row and `run` (the handler) under a savepoint: a redelivery is a 'duplicate' and runs nothing;
   * a "not yet" undoes both (the locks and the line are kept) and is returned for the caller to park.
   */
  async function handleOnce(manager: EntityManager, event: CloudEvent, run: () => Promise<void>): Promise<'applied' | 'duplicate' | RetryLater> {
    await savepoint(manager);
    try {
      if (!(await insertInbox(manager, groupId, event))) return 'duplicate';
      await run();
      return 'applied';
    } catch (err) {
      if (!(err instanceof RetryLater)) throw err;
      await rollbackToSavepoint(manager);
      return err;
    }
  }

  /**
   * One attempt at applying an event in one transaction. `parked` is the parked row being retried; a new
   * event whose key has parked events waits behind them instead.
   */
  function apply(event: CloudEvent, message: ReceivedMessage, parked: ParkedRow | null): Promise<Outcome> {
    const key = orderKey(message, event.id);
    return db.transaction(async (manager) => {
      await lockKey(manager, groupId, key);
      const head = await firstParkedOfKey(manager, groupId, key);
      if (parked ? head?.seq !== parked.seq : head) {
        if (parked) return 'skipped'; // applied meanwhile by another replica, or no longer first in line
        if (await park(manager, event, message, `waiting behind parked event of key ${key}`)) count('parked');
        return 'parked';
      }
      const handled = await handleOnce(manager, event, async () => {
        const unit = await options.unitOfWork?.(manager, [event]);
        await handlers[event.type](event, manager, unit);
        await unit?.flush();
      });
      if (handled instanceof RetryLater) {
        if (parked) await deferParked(manager, parked.seq, handled.message, Math.min(parkedRetryMs * 2 ** parked.attempts, 300_000));
        else if (await park(manager, event, message, handled.message)) count('parked');
        return 'parked';
      }
      if (parked) await deleteParked(manager, parked.seq);
      return handled;
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
          if (parked) await deleteParked(db, parked.seq);
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
      await lockKeys(manager, groupId, keys);
      // After the locks (a statement of its own, so this one's snapshot sees what other replicas committed
      // before they let go): the keys with parked events, and with a unit of work the events already applied.
      const checks = await waitingAndApplied(manager, groupId, keys, options.unitOfWork ? group.map(({ event }) => event.id) : []);
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
        const handled = await handleOnce(manager, event, () => handlers[event.type](event, manager, undefined));
        return handled instanceof RetryLater ? parkInLine(event, message, key, handled.message) : handled;
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
          await insertInboxRows(manager, groupId, applied);
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
    const heads = await parkedKeys(db, groupId);
    if (!heads.length) mayHaveParked = false;
    for (const { message_key: key, retry_due: due } of heads) {
      if (onlyDue && !due) continue;
      for (;;) {
        if (!control.isRunning()) return;
        const row = await parkedHead(db, groupId, key);
        if (!row) break;
        const message: ReceivedMessage = { topic: row.topic, key: row.message_key.startsWith('event:') ? null : row.message_key, value: row.value, headers: row.headers, partition: row.source_partition, offset: row.source_offset };
        if (Number(row.parked_for_ms) > parkedTtlMs) {
          await deadLetter(message, `still not applicable after ${Math.round(parkedTtlMs / 60_000)} min: ${row.reason}`);
          await deleteParked(db, row.seq);
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
  const stopPruning = pruneEvery(options.pruneIntervalMs ?? 3_600_000, 'expired inbox entries', { consumer: groupId }, pruneOldInbox);

  return {
    stats,
    retryParked: () => exclusive(() => retryParked(false)),
    pruneInbox: pruneOldInbox,
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
