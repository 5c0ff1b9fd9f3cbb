import { randomUUID } from 'node:crypto';
import type http from 'node:http';
import type { Duplex } from 'node:stream';
import type { ApolloServer, ApolloServerOptionsWithGateway } from '@apollo/server';
import {
  GraphQLError,
  Kind,
  NoSchemaIntrospectionCustomRule,
  execute,
  print,
  specifiedRules,
  validate,
  type DocumentNode,
  type ExecutionArgs,
  type ExecutionResult,
  type GraphQLSchema,
  type SelectionSetNode,
  type ValueNode,
} from 'graphql';
import { createHandler as createSseHandler } from 'graphql-sse';
import { handleProtocols } from 'graphql-ws';
import { useServer } from 'graphql-ws/use/ws';
import { decodeJwt } from 'jose';
import { WebSocketServer, type WebSocket } from 'ws';
import { DomainError, envInt, logger, queryLimitsRule, type Caller } from '@opsgraph/core';
import { DOMAINS, CE_HEADERS, tailEvents, topicOf, type ReceivedMessage, type Tail } from '@opsgraph/events';
import { LiveFeeds, LimitError, type LiveConnection, type LiveEvent, type Place } from './feeds';
import { liveClosed, liveConnections, liveEvents } from './metrics';
import { onlyIntrospection, subscriptionAsQuery, withSubscriptions } from './schema';

/** The GraphQL context of an operation over WebSocket or SSE. */
interface LiveContext extends Record<string, unknown> {
  caller: Caller;
  connection: LiveConnection;
  /** The client's `extensions` of the subscribe request (`position` to resume). */
  extensions?: Record<string, unknown>;
}

type GatewayInterface = ApolloServerOptionsWithGateway<object>['gateway'];
type GatewayExecutor = NonNullable<Awaited<ReturnType<GatewayInterface['load']>>['executor']>;

type Resolve = (query: string, variables: Record<string, unknown> | undefined, operationName: string | undefined, caller: Caller) => Promise<ExecutionResult>;

/**
 * Wraps @apollo/gateway so that the schema clients see over HTTP (introspection, validation) has the
 * gateway's Subscription type too. Introspection is answered from that schema; a subscription sent as a plain
 * HTTP request is refused with a pointer to the two transports; everything else runs as before.
 */
export class GatewayWithSubscriptions implements GatewayInterface {
  schema: GraphQLSchema | undefined;

  constructor(private readonly inner: GatewayInterface) {}

  onSchemaLoadOrUpdate(callback: Parameters<GatewayInterface['onSchemaLoadOrUpdate']>[0]) {
    return this.inner.onSchemaLoadOrUpdate(({ apiSchema, coreSupergraphSdl }) => {
      this.schema = withSubscriptions(apiSchema);
      callback({ apiSchema: this.schema, coreSupergraphSdl });
    });
  }

  async load(options: Parameters<GatewayInterface['load']>[0]) {
    const { executor } = await this.inner.load(options);
    if (!executor) return { executor };
    const wrapped: GatewayExecutor = async (requestContext) => {
      if (requestContext.operation.operation === 'subscription') {
        return {
          errors: [
            new GraphQLError('subscriptions are served over WebSocket (graphql-ws protocol) or Server-Sent Events (Accept: text/event-stream) at this URL', {
              extensions: { code: 'BAD_REQUEST' },
            }),
          ],
        };
      }
      if (this.schema && onlyIntrospection(requestContext.operation, requestContext.document)) {
        return execute({ schema: this.schema, document: requestContext.document, operationName: requestContext.request.operationName, variableValues: requestContext.request.variables });
      }
      return executor(requestContext);
    };
    return { executor: wrapped };
  }

  stop() {
    return this.inner.stop();
  }
}

/** The event's domain, time, and the sites and areas its payload names. */
export function liveEventOf(message: ReceivedMessage): LiveEvent | null {
  const type = message.headers[CE_HEADERS.type];
  if (!type?.startsWith('opsgraph.')) return null;
  const domain = type.split('.')[1];
  const time = Date.parse(message.headers[CE_HEADERS.time] ?? '');
  let data: Record<string, unknown>;
  try {
    data = JSON.parse(message.value.toString('utf8'));
  } catch {
    return null;
  }
  const ids = (one: unknown, many: unknown) => {
    const list = [...(typeof one === 'string' ? [one] : []), ...(Array.isArray(many) ? many.filter((x): x is string => typeof x === 'string') : [])];
    return list.length ? list.map((s) => s.toLowerCase()) : null;
  };
  return {
    domain,
    time: Number.isFinite(time) ? time : Date.now(),
    siteIds: ids(data.siteId, data.siteIds)?.filter((s) => s !== '*') || null,
    areaIds: domain === 'work' ? ids(data.areaId, data.areaIds) : null,
  };
}

/** The sites and areas a subscription's root field names in its arguments (a filter's too). */
export function placeOf(document: DocumentNode, operationName: string | undefined, variables: Record<string, unknown> | undefined): Place {
  const operation = document.definitions.find((d) => d.kind === Kind.OPERATION_DEFINITION && (!operationName || d.name?.value === operationName));
  const fragments = new Map(document.definitions.flatMap((d) => (d.kind === Kind.FRAGMENT_DEFINITION ? [[d.name.value, d] as const] : [])));
  const rootField = (set: SelectionSetNode | undefined): import('graphql').FieldNode | undefined => {
    for (const s of set?.selections ?? []) {
      if (s.kind === Kind.FIELD && !s.name.value.startsWith('__')) return s;
      const inner = s.kind === Kind.INLINE_FRAGMENT ? rootField(s.selectionSet) : s.kind === Kind.FRAGMENT_SPREAD ? rootField(fragments.get(s.name.value)?.selectionSet) : undefined;
      if (inner) return inner;
    }
    return undefined;
  };
  const field = operation?.kind === Kind.OPERATION_DEFINITION ? rootField(operation.selectionSet) : undefined;
  const valueOf = (v: ValueNode): unknown =>
    v.kind === Kind.VARIABLE ? variables?.[v.name.value]
    : v.kind === Kind.STRING ? v.value
    : v.kind === Kind.LIST ? v.values.map(valueOf)
    : v.kind === Kind.OBJECT ? Object.fromEntries(v.fields.map((f) => [f.name.value, valueOf(f.value)]))
    : null;
  const sites = new Set<string>();
  const areas = new Set<string>();
  const take = (name: string, value: unknown) => {
    const strings = (Array.isArray(value) ? value : [value]).filter((x): x is string => typeof x === 'string').map((s) => s.toLowerCase());
    if (name === 'siteId' || name === 'siteIds') strings.forEach((s) => sites.add(s));
    else if (name === 'areaId' || name === 'areaIds') strings.forEach((a) => areas.add(a));
    else if (value && typeof value === 'object' && !Array.isArray(value)) for (const [k, v] of Object.entries(value)) take(k, v);
  };
  for (const arg of field?.arguments ?? []) take(arg.name.value, valueOf(arg.value));
  return { siteIds: sites.size ? [...sites] : null, areaIds: areas.size ? [...areas] : null };
}

export interface LiveServerOptions {
  apollo: ApolloServer<any>;
  gateway: GatewayWithSubscriptions;
  verifyUserToken: (authorization: string | undefined) => Promise<Caller>;
  /** Whether introspection is allowed (as for HTTP requests). */
  introspection: boolean;
}

export interface LiveServer {
  /** Resolves once events are being read (updates after this are not missed). */
  ready: Promise<void>;
  /** True for a request that speaks graphql-sse (an event stream, or its single-connection mode). */
  isEventStream(req: http.IncomingMessage): boolean;
  serveEventStream(req: http.IncomingMessage, res: http.ServerResponse, body: string): Promise<void>;
  /** Takes WebSocket upgrades of the gateway's HTTP server (graphql-ws on /graphql and /). */
  attach(server: http.Server): void;
  close(): Promise<void>;
}

const unauthenticated = (message: string) => new GraphQLError(message, { extensions: { code: 'UNAUTHENTICATED' } });

export function startLive(options: LiveServerOptions): LiveServer {
  const { apollo, gateway, verifyUserToken } = options;
  const maxBufferBytes = envInt('OPSGRAPH_SUBSCRIPTION_MAX_BUFFER_BYTES', 4 * 1024 * 1024);
  const resolve: Resolve = async (query, variables, operationName, caller) => {
    const response = await apollo.executeOperation({ query, variables, operationName }, { contextValue: { caller, requestId: `live-${randomUUID()}` } });
    if (response.body.kind !== 'single') throw new Error('incremental delivery is not used by live answers');
    const { data, errors } = response.body.singleResult;
    return { ...(errors && { errors: errors as unknown as GraphQLError[] }), ...(data !== undefined && { data }) };
  };
  const feeds = new LiveFeeds({
    coalesceMs: envInt('OPSGRAPH_SUBSCRIPTION_COALESCE_MS', 75),
    share: process.env.OPSGRAPH_SUBSCRIPTION_SHARING !== 'false',
    retentionMs: envInt('OPSGRAPH_SUBSCRIPTION_RETENTION_S', 3_600) * 1000,
    stallMs: envInt('OPSGRAPH_SUBSCRIPTION_STALL_MS', 30_000),
    perConnection: envInt('OPSGRAPH_SUBSCRIPTIONS_PER_CONNECTION', 25),
    perCaller: envInt('OPSGRAPH_SUBSCRIPTIONS_PER_CALLER', 100),
    resolve,
  });
  /**
   * The event tail starts with the first subscription: a gateway nobody subscribes to reads no events. Once it
   * reads, every open answer is resolved again, so nothing committed while it was starting is missed.
   */
  let tail: Tail | null = null;
  const tailing = (): Tail => {
    if (!tail) {
      tail = tailEvents({
        topics: DOMAINS.map(topicOf),
        clientId: 'gateway',
        onMessages: (messages) => {
          const events = messages.map(liveEventOf).filter((e): e is LiveEvent => !!e);
          liveEvents.inc(events.length);
          if (events.length) feeds.onEvents(events);
        },
      });
      void tail.ready.then(() => feeds.refreshAll());
    }
    return tail;
  };

  const schema = () => {
    if (!gateway.schema) throw new Error('the gateway has not loaded its schema yet');
    return gateway.schema;
  };
  const limitsRule = queryLimitsRule();
  const rules = [...specifiedRules, limitsRule, ...(options.introspection ? [] : [NoSchemaIntrospectionCustomRule])];
  const validateWithLimits: typeof validate = (s, document) => validate(s, document, rules);
  /** Query texts by subscription text: the conversion is done once per distinct document. */
  const queries = new Map<string, string>();

  const subscribe = async (args: ExecutionArgs): Promise<AsyncGenerator<ExecutionResult> | ExecutionResult> => {
    const context = args.contextValue as LiveContext;
    const text = print(args.document);
    let query = queries.get(text);
    if (!query) {
      if (queries.size > 10_000) queries.clear();
      queries.set(text, (query = print(subscriptionAsQuery(schema(), args.document))));
    }
    const variables = (args.variableValues ?? undefined) as Record<string, unknown> | undefined;
    const position = typeof context.extensions?.position === 'string' ? context.extensions.position : undefined;
    tailing();
    try {
      return feeds.open({
        query,
        variables,
        operationName: args.operationName ?? undefined,
        caller: context.caller,
        place: placeOf(args.document, args.operationName ?? undefined, variables),
        position,
        connection: context.connection,
      });
    } catch (err) {
      if (err instanceof LimitError) return { errors: [err] };
      throw err;
    }
  };
  /** Queries and mutations sent over a live transport run like HTTP ones, as the caller. */
  const run = async (args: ExecutionArgs): Promise<ExecutionResult> => {
    const context = args.contextValue as LiveContext;
    return resolve(print(args.document), (args.variableValues ?? undefined) as Record<string, unknown> | undefined, args.operationName ?? undefined, context.caller);
  };

  /** Verifies a bearer token like an HTTP request's, and reads when it expires. */
  const authenticate = async (authorization: string | undefined) => {
    const caller = await verifyUserToken(authorization);
    const exp = decodeJwt(authorization!.replace(/^Bearer\s+/i, '')).exp!;
    return { caller, expiresAt: exp * 1000 };
  };
  /** Runs `onExpiry` when the token runs out (timers longer than ~24 days overflow; tokens live 12 h at most). */
  const untilExpiry = (expiresAt: number, onExpiry: () => void) => setTimeout(onExpiry, Math.max(0, Math.min(expiresAt - Date.now(), 2 ** 31 - 1)));

  // graphql-ws over `ws`, sharing the gateway's port.
  const wss = new WebSocketServer({ noServer: true, handleProtocols, maxPayload: envInt('OPSGRAPH_MAX_BODY_BYTES', 1_000_000) });
  const sockets = new WeakMap<WebSocket, { caller: Caller; connection: LiveConnection; timer?: NodeJS.Timeout }>();
  const wsConnection = (socket: WebSocket): LiveConnection => {
    let closed = false;
    liveConnections.inc({ transport: 'ws' });
    socket.once('close', () => {
      closed = true;
      liveConnections.dec({ transport: 'ws' });
    });
    return {
      transport: 'ws',
      sinks: new Set(),
      backedUp: () => socket.bufferedAmount > maxBufferBytes,
      close: (reason) => {
        if (closed) return;
        liveClosed.inc({ reason: 'slow_consumer' });
        logger.warn({ reason }, 'live connection closed');
        // 1013 "try again later": the client may reconnect with its position and catch up.
        socket.close(1013, reason.slice(0, 120));
      },
    };
  };
  const wsServer = useServer<Record<string, unknown> | undefined, { live?: true }>(
    {
      schema,
      validate: validateWithLimits,
      subscribe,
      execute: run,
      onConnect: async (ctx) => {
        const params = ctx.connectionParams ?? {};
        const given = params.authorization ?? params.Authorization ?? (typeof params.token === 'string' ? `Bearer ${params.token}` : undefined) ?? ctx.extra.request.headers.authorization;
        try {
          const { caller, expiresAt } = await authenticate(typeof given === 'string' ? given : undefined);
          const socket = ctx.extra.socket;
          const connection = wsConnection(socket);
          const timer = untilExpiry(expiresAt, () => {
            liveClosed.inc({ reason: 'token_expired' });
            socket.close(4401, 'Unauthorized: the token expired');
          });
          socket.once('close', () => clearTimeout(timer));
          sockets.set(socket, { caller, connection, timer });
          return true;
        } catch (e) {
          const message = e instanceof DomainError ? e.message : 'invalid token';
          ctx.extra.socket.close(4403, `Forbidden: ${message}`.slice(0, 120));
          return false;
        }
      },
      context: (ctx, _id, payload) => {
        const known = sockets.get(ctx.extra.socket)!;
        return { caller: known.caller, connection: known.connection, extensions: payload.extensions ?? undefined } satisfies LiveContext;
      },
    },
    wss,
  );

  // graphql-sse: distinct connections (one subscription per streamed request) and its single-connection mode.
  const sse = createSseHandler<http.IncomingMessage, { caller: Caller; connection: LiveConnection }, Record<PropertyKey, unknown>>({
    schema,
    validate: validateWithLimits,
    subscribe,
    execute: run,
    // Every request carries the bearer token: the stream's reservation token is only graphql-sse's own bookkeeping.
    authenticate: (req) => req.headers.get('x-graphql-event-stream-token') || req.headers.get('authorization') || randomUUID(),
    context: (req, params) => ({ caller: req.context.caller, connection: req.context.connection, extensions: params.extensions }),
  });

  return {
    get ready() {
      return tailing().ready;
    },
    isEventStream: (req) => (req.headers.accept ?? '').includes('text/event-stream') || req.headers['x-graphql-event-stream-token'] !== undefined || req.method === 'PUT',
    async serveEventStream(req, res, body) {
      let auth: { caller: Caller; expiresAt: number };
      try {
        auth = await authenticate(req.headers.authorization);
      } catch (e) {
        res.writeHead(401, { 'content-type': 'application/json; charset=utf-8' });
        return void res.end(JSON.stringify({ errors: [{ message: (e as Error).message, extensions: { code: 'UNAUTHENTICATED' } }] }));
      }
      const connection: LiveConnection = {
        transport: 'sse',
        sinks: new Set(),
        backedUp: () => res.writableLength > maxBufferBytes,
        close: (reason) => {
          liveClosed.inc({ reason: 'slow_consumer' });
          logger.warn({ reason }, 'live connection closed');
          res.destroy();
        },
      };
      const [stream, init] = await sse({
        method: req.method ?? 'GET',
        url: req.url ?? '/',
        headers: { get: (key) => (Array.isArray(req.headers[key]) ? (req.headers[key] as string[]).join('\n') : (req.headers[key] as string | undefined)) },
        body: body || null,
        raw: req,
        context: { caller: auth.caller, connection },
      });
      res.writeHead(init.status, init.statusText, init.headers);
      if (!stream || typeof stream === 'string') return void res.end(stream);
      liveConnections.inc({ transport: 'sse' });
      const timer = untilExpiry(auth.expiresAt, () => {
        liveClosed.inc({ reason: 'token_expired' });
        const sinks = [...connection.sinks];
        // A stream without a subscription of ours (single-connection mode) just ends.
        if (!sinks.length) void stream.return(undefined);
        for (const sink of sinks) sink.end({ errors: [unauthenticated('the token expired: subscribe again with a new token and your last position')] });
      });
      const stop = () => void stream.return(undefined);
      res.once('close', stop);
      try {
        for await (const chunk of stream) {
          if (!res.writable) break;
          res.write(chunk);
        }
      } finally {
        clearTimeout(timer);
        res.off('close', stop);
        liveConnections.dec({ transport: 'sse' });
        res.end();
      }
    },
    attach(server) {
      server.on('upgrade', (req: http.IncomingMessage, socket: Duplex, head: Buffer) => {
        const path = (req.url ?? '/').split('?')[0];
        if (path !== '/graphql' && path !== '/') return void socket.destroy();
        wss.handleUpgrade(req, socket, head, (ws) => wss.emit('connection', ws, req));
      });
    },
    async close() {
      feeds.close();
      await wsServer.dispose();
      for (const client of wss.clients) client.terminate();
      await new Promise<void>((done) => wss.close(() => done()));
      await tail?.stop();
    },
  };
}
