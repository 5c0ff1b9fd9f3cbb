import { createHash, randomUUID } from 'node:crypto';
import { GraphQLError, type ExecutionResult } from 'graphql';
import { inSiteScope, logger, type Caller } from '@opsgraph/core';
import { liveFeeds, liveLag, liveMessages, liveResolutions, liveSubscriptions } from './metrics';

/** What the gateway takes from an event to find the answers it may change. */
export interface LiveEvent {
  domain: string;
  /** Sites the event names (null: it names none, so it may concern any site). */
  siteIds: string[] | null;
  /** Areas a Work event names (null: none, or not a Work event). */
  areaIds: string[] | null;
  /** The event's time (commit time at its producer), epoch ms. */
  time: number;
}

/** The place a subscription watches, from its arguments (null: not narrowed). */
export interface Place {
  siteIds: string[] | null;
  areaIds: string[] | null;
}

/** One client connection (a WebSocket, an SSE stream), as the feeds see it. */
export interface LiveConnection {
  readonly transport: 'ws' | 'sse';
  /** True when the connection's send buffer is over its limit: the client does not read fast enough. */
  backedUp(): boolean;
  /** Closes the whole connection, saying why. */
  close(reason: string): void;
  /** Subscriptions open on it now. */
  readonly sinks: Set<Sink>;
}

export interface LiveOptions {
  /** A feed is resolved at most once per window; the events of a window are answered together (0: every batch of events at once). */
  coalesceMs: number;
  /** Subscriptions with the same document, variables and caller share one resolution (false: one each). */
  share: boolean;
  /** How old a position may be for "what changed since" to be answered as a catch-up, not a reset. */
  retentionMs: number;
  /** How long an update may wait for a connection to take it before the connection is closed as too slow. */
  stallMs: number;
  perConnection: number;
  perCaller: number;
  /** Runs the query as the caller through the gateway's federated execution. */
  resolve(query: string, variables: Record<string, unknown> | undefined, operationName: string | undefined, caller: Caller): Promise<ExecutionResult>;
}

export interface LiveExtensions {
  /** Opaque: time of the answer and a digest of it. Send it back to resume. */
  position: string;
  /** Sent on resuming with a position: the answer changed since that position. */
  catchUp?: true;
  /** Sent on resuming with a position older than the retention window: start over from this picture. */
  reset?: true;
}

type Message = ExecutionResult<Record<string, unknown>, LiveExtensions & Record<string, unknown>>;

interface Answer {
  result: ExecutionResult;
  hash: string;
  position: string;
}

/** The caller as far as any answer can depend on it: person, roles, sites and contractor company. */
export const callerKey = (caller: Caller) => JSON.stringify([caller.id, [...caller.roles].sort(), [...caller.sites].sort(), caller.company ?? null]);

export class LimitError extends GraphQLError {
  constructor(message: string, limit: number) {
    super(message, { extensions: { code: 'TOO_MANY_SUBSCRIPTIONS', limit } });
  }
}

/**
 * One subscription's end of a feed: an async iterator the transport pulls from, with a single slot. Every
 * message is a whole picture, so one waiting for a slow reader is replaced by the next (nothing is lost: the
 * newer picture contains the older one). If one waits longer than `stallMs`, or the connection's buffer is
 * over its limit, the connection is closed as too slow.
 */
export class Sink implements AsyncGenerator<ExecutionResult, void, unknown> {
  awaitingInitial = true;
  private pending: { message: Message; eventTime?: number; since: number } | null = null;
  private waiting: ((r: IteratorResult<ExecutionResult, void>) => void) | null = null;
  private done = false;
  private final: ExecutionResult | null = null;

  constructor(
    readonly connection: LiveConnection,
    private readonly stallMs: number,
    private readonly onEnd: () => void,
  ) {}

  offer(message: Message, kind: 'update' | 'initial' | 'catch_up' | 'reset', eventTime?: number) {
    if (this.done) return;
    if (this.connection.backedUp() || (this.pending && Date.now() - this.pending.since > this.stallMs)) {
      this.connection.close('slow consumer: updates are not read fast enough');
      return;
    }
    liveMessages.inc({ kind });
    if (this.waiting) {
      const take = this.waiting;
      this.waiting = null;
      if (eventTime !== undefined) liveLag.observe(Math.max(0, Date.now() - eventTime) / 1000);
      take({ value: message, done: false });
      return;
    }
    // A catch-up or reset not yet taken stays marked on the picture that replaces it.
    const flags: Partial<LiveExtensions> = this.pending ? { ...(this.pending.message.extensions?.catchUp && { catchUp: true }), ...(this.pending.message.extensions?.reset && { reset: true }) } : {};
    this.pending = {
      message: { ...message, extensions: { ...message.extensions!, ...flags } },
      eventTime: this.pending?.eventTime !== undefined && eventTime !== undefined ? Math.min(this.pending.eventTime, eventTime) : (eventTime ?? this.pending?.eventTime),
      since: this.pending?.since ?? Date.now(),
    };
  }

  /** Ends the subscription after one last message (e.g. why it ends). */
  end(final?: ExecutionResult) {
    if (this.done) return;
    if (final && this.waiting) {
      const take = this.waiting;
      this.waiting = null;
      take({ value: final, done: false });
    } else if (final) this.final = final;
    this.finish();
  }

  next(): Promise<IteratorResult<ExecutionResult, void>> {
    if (this.pending) {
      const { message, eventTime } = this.pending;
      this.pending = null;
      if (eventTime !== undefined) liveLag.observe(Math.max(0, Date.now() - eventTime) / 1000);
      return Promise.resolve({ value: message, done: false });
    }
    if (this.final) {
      const value = this.final;
      this.final = null;
      return Promise.resolve({ value, done: false });
    }
    if (this.done) return Promise.resolve({ value: undefined, done: true });
    return new Promise((resolve) => (this.waiting = resolve));
  }

  return(): Promise<IteratorResult<ExecutionResult, void>> {
    this.pending = null;
    this.final = null;
    this.finish();
    return Promise.resolve({ value: undefined, done: true });
  }

  throw(err: unknown): Promise<IteratorResult<ExecutionResult, void>> {
    this.return();
    return Promise.reject(err);
  }

  [Symbol.asyncIterator]() {
    return this;
  }

  async [Symbol.asyncDispose]() {
    await this.return();
  }

  private finish() {
    if (this.done) return;
    this.done = true;
    if (this.waiting && !this.final) {
      const take = this.waiting;
      this.waiting = null;
      take({ value: undefined, done: true });
    }
    this.onEnd();
  }
}

/** Answers shared by every subscription with the same query, variables and caller. */
class Feed {
  readonly sinks = new Map<Sink, { position?: string }>();
  answer: Answer | null = null;
  timer: NodeJS.Timeout | null = null;
  resolving = false;
  dirty = false;
  /** When the last resolution started (the coalescing window runs from there). */
  lastStarted = 0;
  /** Earliest time of the events the next resolution answers (for the lag metric). */
  eventTime: number | undefined;

  constructor(
    readonly key: string,
    readonly query: string,
    readonly variables: Record<string, unknown> | undefined,
    readonly operationName: string | undefined,
    readonly caller: Caller,
    readonly place: Place,
  ) {}
}

const digest = (result: ExecutionResult) => createHash('sha256').update(JSON.stringify({ data: result.data ?? null, errors: result.errors ?? null })).digest('base64url');

/**
 * Keeps every live answer of this gateway process: maps incoming events to the answers they may change,
 * coalesces bursts, resolves each answer once for all its subscribers and sends it only when it changed.
 */
export class LiveFeeds {
  private readonly feeds = new Map<string, Feed>();
  private readonly perCaller = new Map<string, number>();
  private closed = false;

  constructor(private readonly options: LiveOptions) {}

  /** Opens a subscription; its first message is the current answer (or, resuming, what changed since `position`). */
  open(params: { query: string; variables?: Record<string, unknown>; operationName?: string; caller: Caller; place: Place; position?: string; connection: LiveConnection }): Sink {
    const { connection, caller } = params;
    const who = callerKey(caller);
    if (connection.sinks.size >= this.options.perConnection) {
      throw new LimitError(`this connection has ${connection.sinks.size} subscriptions open; the limit is ${this.options.perConnection}`, this.options.perConnection);
    }
    const mine = this.perCaller.get(who) ?? 0;
    if (mine >= this.options.perCaller) throw new LimitError(`you have ${mine} subscriptions open; the limit is ${this.options.perCaller}`, this.options.perCaller);
    const key = this.options.share ? createHash('sha256').update(JSON.stringify([params.query, params.variables ?? {}, params.operationName ?? null, who])).digest('base64url') : randomUUID();
    let feed = this.feeds.get(key);
    if (!feed) {
      feed = new Feed(key, params.query, params.variables, params.operationName, caller, params.place);
      this.feeds.set(key, feed);
      liveFeeds.set(this.feeds.size);
    }
    const owner = feed;
    this.perCaller.set(who, mine + 1);
    liveSubscriptions.inc();
    const sink = new Sink(connection, this.options.stallMs, () => {
      connection.sinks.delete(sink);
      const n = (this.perCaller.get(who) ?? 1) - 1;
      if (n > 0) this.perCaller.set(who, n);
      else this.perCaller.delete(who);
      liveSubscriptions.dec();
      owner.sinks.delete(sink);
      if (!owner.sinks.size && !owner.resolving) this.drop(owner);
    });
    connection.sinks.add(sink);
    feed.sinks.set(sink, { position: params.position });
    if (feed.answer) this.initial(sink, feed.answer, params.position);
    else if (!feed.resolving) this.schedule(feed, undefined, 0); // else the resolution under way answers it too
    return sink;
  }

  /** Marks the answers these events may change; each is resolved once its coalescing window ends. */
  onEvents(events: LiveEvent[]) {
    if (this.closed) return;
    for (const feed of this.feeds.values()) {
      let earliest: number | undefined;
      for (const event of events) if (affects(event, feed)) earliest = Math.min(earliest ?? event.time, event.time);
      if (earliest !== undefined) this.schedule(feed, earliest, this.options.coalesceMs);
    }
  }

  /** Resolves every open answer again (the event tail just started reading: what came before it is unknown). */
  refreshAll() {
    if (this.closed) return;
    for (const feed of this.feeds.values()) this.schedule(feed, undefined, 0);
  }

  /** Ends every subscription (the gateway is stopping). */
  close() {
    this.closed = true;
    for (const feed of [...this.feeds.values()]) {
      for (const sink of [...feed.sinks.keys()]) sink.end();
      this.drop(feed);
    }
  }

  get size() {
    return this.feeds.size;
  }

  private drop(feed: Feed) {
    if (feed.timer) clearTimeout(feed.timer);
    feed.timer = null;
    if (this.feeds.get(feed.key) === feed) this.feeds.delete(feed.key);
    liveFeeds.set(this.feeds.size);
  }

  /**
   * At most one resolution per feed per window: an event after a quiet spell is answered at once (on the next
   * turn, so the rest of its batch joins it); events during a resolution or within the window after one are
   * answered together when the window ends.
   */
  private schedule(feed: Feed, eventTime: number | undefined, windowMs: number) {
    if (eventTime !== undefined) feed.eventTime = Math.min(feed.eventTime ?? eventTime, eventTime);
    if (feed.resolving) {
      feed.dirty = true;
      return;
    }
    if (feed.timer) return;
    const wait = Math.max(0, feed.lastStarted + windowMs - Date.now());
    feed.timer = setTimeout(() => void this.resolve(feed), wait);
  }

  private async resolve(feed: Feed) {
    feed.timer = null;
    if (!feed.sinks.size || this.closed) return this.drop(feed);
    feed.resolving = true;
    feed.lastStarted = Date.now();
    const eventTime = feed.eventTime;
    feed.eventTime = undefined;
    let result: ExecutionResult;
    try {
      result = await this.options.resolve(feed.query, feed.variables, feed.operationName, feed.caller);
    } catch (err) {
      logger.error({ err }, 'live answer failed');
      result = { errors: [new GraphQLError('internal error', { extensions: { code: 'INTERNAL_SERVER_ERROR' } })] };
    }
    feed.resolving = false;
    const hash = digest(result);
    const changed = feed.answer?.hash !== hash;
    liveResolutions.inc({ changed: String(changed) });
    if (changed) feed.answer = { result, hash, position: `${Date.now()}.${hash.slice(0, 16)}` };
    const answer = feed.answer!;
    for (const [sink, { position }] of feed.sinks) {
      if (sink.awaitingInitial) this.initial(sink, answer, position);
      else if (changed) sink.offer(message(answer), 'update', eventTime);
    }
    if (!feed.sinks.size || this.closed) return this.drop(feed);
    if (feed.dirty) {
      feed.dirty = false;
      this.schedule(feed, undefined, this.options.coalesceMs);
    }
  }

  /**
   * The first message of a subscription. Without a position: the answer now. With one: nothing when the
   * answer is still the one the client had, the answer marked `catchUp` when it changed since, or marked
   * `reset` when the position is older than the retention window (or not one of ours).
   */
  private initial(sink: Sink, answer: Answer, position: string | undefined) {
    sink.awaitingInitial = false;
    if (position === undefined) return sink.offer(message(answer), 'initial');
    const match = /^(\d{13})\.([A-Za-z0-9_-]{16})$/.exec(position);
    if (!match || Date.now() - Number(match[1]) > this.options.retentionMs) return sink.offer(message(answer, { reset: true }), 'reset');
    if (match[2] !== answer.hash.slice(0, 16)) sink.offer(message(answer, { catchUp: true }), 'catch_up');
  }
}

const message = (answer: Answer, flags: Partial<LiveExtensions> = {}): Message => ({
  ...(answer.result.errors && { errors: answer.result.errors }),
  ...(answer.result.data !== undefined && { data: answer.result.data as Record<string, unknown> }),
  extensions: { ...answer.result.extensions, position: answer.position, ...flags },
});

/**
 * Whether an event may change an answer: an event naming sites changes only answers of a caller who sees one
 * of them and that watch one of them (or no site in particular); a Work event naming areas only answers that
 * watch one of them (or no area). An event naming no site may change any answer.
 */
export function affects(event: LiveEvent, feed: { caller: Caller; place: Place }): boolean {
  if (event.siteIds) {
    if (!event.siteIds.some((s) => inSiteScope(feed.caller, s))) return false;
    if (feed.place.siteIds && !event.siteIds.some((s) => feed.place.siteIds!.includes(s))) return false;
  }
  if (event.domain === 'work' && event.areaIds && feed.place.areaIds && !event.areaIds.some((a) => feed.place.areaIds!.includes(a))) return false;
  return true;
}
