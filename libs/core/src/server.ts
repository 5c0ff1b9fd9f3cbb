import { promisify } from 'node:util';
import { brotliCompress, constants as zlibConstants, gzip } from 'node:zlib';
import { randomUUID } from 'node:crypto';
import { readFileSync } from 'node:fs';
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import { ApolloServer, HeaderMap, type GraphQLRequestContext } from '@apollo/server';
import { SpanKind, SpanStatusCode, trace } from '@opentelemetry/api';
import { ApolloServerPluginCacheControlDisabled, ApolloServerPluginInlineTraceDisabled } from '@apollo/server/plugin/disabled';
import { buildSubgraphSchema } from '@apollo/subgraph';

import { parse } from 'graphql';
import type { DataSource, EntityManager } from 'typeorm';
import { auditPlugin, auditResolvers, auditTypeDefs } from './audit';
import { scheduleResolvers, scheduleTypeDefs, type RunningSchedule } from './scheduler';
import { DateTimeScalar, inputChecksPlugin } from './inputs';
import { INTERNAL_HEADER, verifyInternalCaller, type Caller } from './auth';
import { envInt, isDevelopment } from './config';
import type { RequestContext } from './context';
import { countStatements } from './db';
import { DomainError, formatError } from './errors';
import { idempotencyPlugin, withIdempotencyKey } from './idempotency';
import { requestManager } from './scope';
import { logger } from './logger';
import { metricsPlugin, metricsRegistry } from './metrics';
import { REQUEST_ID_ATTRIBUTE, extractTraceContext, inSpan, tracingEnabled } from './tracing';

export const STATEMENTS_HEADER = 'x-opsgraph-sql-statements';
/** Sent (any value) by a client that wants `STATEMENTS_HEADER` back: counting has a cost, so it is asked for. */
export const COUNT_STATEMENTS_HEADER = 'x-opsgraph-count-statements';
export const REQUEST_ID_HEADER = 'x-request-id';

export interface HttpApp {
  server: http.Server;
  url: string;
  port: number;
  close(): Promise<void>;
}

type Route = (req: http.IncomingMessage, res: http.ServerResponse, body: string) => Promise<void>;

export function sendJson(res: http.ServerResponse, status: number, value: unknown, headers: Record<string, string> = {}) {
  // setHeader, not writeHead's argument: the request log reads x-request-id back from the response.
  for (const [name, v] of Object.entries({ 'content-type': 'application/json; charset=utf-8', ...headers })) res.setHeader(name, v);
  res.writeHead(status);
  res.end(JSON.stringify(value));
}

/** The request id a route answered with (its `x-request-id` response header), else the one the caller sent. */
function responseRequestId(req: http.IncomingMessage, res: http.ServerResponse): string | undefined {
  const answered = res.getHeader(REQUEST_ID_HEADER);
  if (typeof answered === 'string') return answered;
  const sent = req.headers[REQUEST_ID_HEADER];
  return typeof sent === 'string' ? sent.slice(0, 100) : undefined;
}

/** Reads a request body up to a limit; past it the request is refused with 413 before parsing. */
export function readBody(req: http.IncomingMessage, limit: number): Promise<string> {
  return new Promise((resolve, reject) => {
    const tooLarge = () => Object.assign(new Error('request body too large'), { status: 413 });
    if (Number(req.headers['content-length'] ?? 0) > limit) {
      req.resume(); // drain, so the 413 reaches the client instead of a reset connection
      return reject(tooLarge());
    }
    let size = 0;
    let refused = false;
    const chunks: Buffer[] = [];
    req.on('data', (chunk: Buffer) => {
      if (refused) return;
      size += chunk.length;
      if (size > limit) {
        refused = true;
        chunks.length = 0;
        reject(tooLarge());
        return;
      }
      chunks.push(chunk);
    });
    req.on('end', () => refused || resolve(Buffer.concat(chunks).toString('utf8')));
    req.on('error', reject);
  });
}

/**
 * A small HTTP host shared by the gateway and every subgraph: health and readiness stay open, everything
 * else goes to the GraphQL route. Keep-alive is on so the gateway reuses connections to subgraphs.
 */
export async function listenHttp(options: {
  port: number;
  host?: string;
  graphql: Route;
  ready: () => Promise<boolean>;
  routes?: Record<string, Route>;
}): Promise<HttpApp> {
  const limit = envInt('OPSGRAPH_MAX_BODY_BYTES', 1_000_000);
  const server = http.createServer(async (req, res) => {
    const path = (req.url ?? '/').split('?')[0];
    // Probes and scrapes are neither traced nor logged: they would drown the requests.
    if (path === '/health' || path === '/metrics' || path === '/ready') return handle(req, res, path);
    const started = performance.now();
    const serve = async () => {
      await handle(req, res, path);
      // One line per request, written inside its span (so it carries the trace id when tracing is on).
      const requestId = responseRequestId(req, res);
      logger.info({ method: req.method, path, status: res.statusCode, durationMs: Math.round(performance.now() - started), requestId }, 'request completed');
      return requestId;
    };
    if (!tracingEnabled()) return void (await serve());
    // A server span, child of the caller's `traceparent` (the gateway's fetch span, or a client's).
    await inSpan(`${req.method} ${path}`, {
      kind: SpanKind.SERVER,
      parent: extractTraceContext(req.headers),
      attributes: { 'http.request.method': req.method ?? 'GET', 'url.path': path, 'server.port': (server.address() as AddressInfo).port },
    }, async (span) => {
      const requestId = await serve();
      span.setAttribute('http.response.status_code', res.statusCode);
      if (requestId) span.setAttribute(REQUEST_ID_ATTRIBUTE, requestId);
      if (res.statusCode >= 500) span.setStatus({ code: SpanStatusCode.ERROR });
    });
  });
  async function handle(req: http.IncomingMessage, res: http.ServerResponse, path: string) {
    try {
      if (path === '/health') return sendJson(res, 200, { status: 'ok' });
      if (path === '/metrics') {
        res.writeHead(200, { 'content-type': metricsRegistry.contentType });
        return res.end(await metricsRegistry.metrics());
      }
      if (path === '/ready') {
        const ok = await options.ready().catch(() => false);
        return sendJson(res, ok ? 200 : 503, { status: ok ? 'ready' : 'not ready' });
      }
      const body = req.method === 'POST' ? await readBody(req, limit) : '';
      const route = options.routes?.[path];
      if (route) return await route(req, res, body);
      if (path === '/graphql' || path === '/') return await options.graphql(req, res, body);
      sendJson(res, 404, { error: 'not found' });
    } catch (e) {
      const status = (e as { status?: number }).status ?? 500;
      if (status >= 500) logger.error({ err: e, path, requestId: responseRequestId(req, res) }, 'request failed');
      if (!res.headersSent) {
        // A refused body may still be arriving: close the connection rather than keep reading it.
        sendJson(res, status, { errors: [{ message: status === 413 ? 'request body too large' : 'internal error', extensions: { code: status === 413 ? 'PAYLOAD_TOO_LARGE' : 'INTERNAL_SERVER_ERROR' } }] }, status === 413 ? { connection: 'close' } : {});
      } else res.end();
    }
  }
  server.keepAliveTimeout = 65_000;
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(options.port, options.host ?? '127.0.0.1', () => resolve());
  });
  const port = (server.address() as AddressInfo).port;
  return {
    server,
    port,
    url: `http://127.0.0.1:${port}/graphql`,
    // Graceful: stop accepting, let requests in flight finish, but never wait on a stuck connection for
    // longer than the grace period.
    close: () =>
      new Promise<void>((resolve) => {
        server.close(() => resolve());
        server.closeIdleConnections();
        setTimeout(() => server.closeAllConnections(), envInt('OPSGRAPH_SHUTDOWN_GRACE_MS', 5_000)).unref();
      }),
  };
}

/** Hands a parsed HTTP request to Apollo Server and writes its answer. */
const compress = {
  // Quality 4: most of brotli's gain for a fraction of its top setting's CPU.
  br: promisify((body: string, done: (err: Error | null, out: Buffer) => void) => brotliCompress(body, { params: { [zlibConstants.BROTLI_PARAM_QUALITY]: 4 } }, done)),
  gzip: promisify((body: string, done: (err: Error | null, out: Buffer) => void) => gzip(body, { level: 5 }, done)),
};

/**
 * How to encode an answer: brotli or gzip when the client accepts it and the answer is worth it (a board is
 * ~90 KiB of JSON that compresses about tenfold; tiny answers are cheaper sent as they are). The gateway
 * asks its subgraphs for nothing compressed: on loopback it would only cost CPU.
 */
function encodingFor(req: http.IncomingMessage, body: string): keyof typeof compress | null {
  const accepted = req.headers['accept-encoding'];
  if (!accepted || body.length < envInt('OPSGRAPH_COMPRESS_MIN_BYTES', 1024)) return null;
  const offered = new Map(
    String(accepted)
      .split(',')
      .map((part) => {
        const [name, ...params] = part.trim().toLowerCase().split(';');
        const q = params.map((p) => p.trim()).find((p) => p.startsWith('q='));
        return [name, q ? Number(q.slice(2)) : 1] as const;
      }),
  );
  const takes = (name: string) => (offered.get(name) ?? offered.get('*') ?? 0) > 0;
  return takes('br') ? 'br' : takes('gzip') ? 'gzip' : null;
}

export async function executeGraphQL<C extends object>(
  apollo: ApolloServer<C>,
  req: http.IncomingMessage,
  res: http.ServerResponse,
  body: string,
  context: () => Promise<C>,
  extraHeaders: Record<string, string> | (() => Record<string, string>) = {},
): Promise<void> {
  const headers = new HeaderMap();
  for (const [key, value] of Object.entries(req.headers)) {
    if (value !== undefined) headers.set(key, Array.isArray(value) ? value.join(', ') : value);
  }
  let parsed: unknown = body;
  if (body && (headers.get('content-type') ?? '').includes('json')) {
    try {
      parsed = JSON.parse(body);
    } catch {
      return sendJson(res, 400, { errors: [{ message: 'request body is not valid JSON', extensions: { code: 'BAD_REQUEST' } }] });
    }
  }
  const url = new URL(req.url ?? '/', 'http://localhost');
  const result = await apollo.executeHTTPGraphQLRequest({
    httpGraphQLRequest: { method: req.method ?? 'GET', headers, search: url.search, body: parsed },
    context,
  });
  const extra = typeof extraHeaders === 'function' ? extraHeaders() : extraHeaders;
  for (const [key, value] of result.headers) res.setHeader(key, value);
  for (const [key, value] of Object.entries(extra)) res.setHeader(key, value);
  res.statusCode = result.status ?? 200;
  if (result.body.kind === 'complete') {
    const encoding = encodingFor(req, result.body.string);
    if (!encoding) return void res.end(result.body.string);
    res.setHeader('content-encoding', encoding);
    res.setHeader('vary', 'accept-encoding');
    res.end(await compress[encoding](result.body.string));
  } else {
    for await (const chunk of result.body.asyncIterator) res.write(chunk);
    res.end();
  }
}

/**
 * The SDL a subgraph serves: its own schema.graphql plus what every subgraph shares (its audit trail, its
 * time-driven rules run on demand).
 * Composition reads the same function, so the supergraph and the servers always agree.
 */
export function subgraphSdl(name: string, ownSdl: string): string {
  const shareable = /@link\([^)]*import:\s*\[[^\]]*"@shareable"/.test(ownSdl);
  if (!shareable) throw new Error(`${name}: schema.graphql must import @shareable from the federation spec`);
  return `${ownSdl}\n${auditTypeDefs(name)}\n${scheduleTypeDefs(name)}`;
}

function mergeResolvers(own: object, shared: Record<string, Record<string, unknown>>): object {
  const merged: Record<string, Record<string, unknown>> = { ...(own as Record<string, Record<string, unknown>>) };
  for (const [type, fields] of Object.entries(shared)) merged[type] = { ...(merged[type] ?? {}), ...fields };
  return merged;
}

export interface SubgraphOptions<Loaders> {
  name: string;
  /** Path of the service's schema.graphql (the SDL that composition also reads). */
  schemaPath: string;
  /** The service's resolver map (typed by its generated resolver types). */
  resolvers: object;
  db: DataSource;
  /** Fresh per request, on the request's scoped manager; the caller lets loaders apply role rules too. */
  createLoaders: (db: EntityManager, caller: Caller) => Loaders;
  /** The service's running time-driven rules, which an administrator may run on demand. */
  schedules?: RunningSchedule[];
}

/** Builds a federated subgraph: schema, error mapping, gateway-signed caller check, per-request loaders. */
export function createSubgraph<Loaders>(options: SubgraphOptions<Loaders>) {
  const sdl = subgraphSdl(options.name, readFileSync(options.schemaPath, 'utf8'));
  const typeDefs = parse(sdl);
  // Shared scalars: every subgraph that declares DateTime reads and checks it the same way.
  const scalars = /^\s*scalar\s+DateTime\b/m.test(sdl) ? { DateTime: DateTimeScalar } : {};
  const apollo = new ApolloServer<RequestContext<Loaders>>({
    schema: buildSubgraphSchema([{ typeDefs, resolvers: { ...scalars, ...mergeResolvers(mergeResolvers(options.resolvers, auditResolvers(options.name)), scheduleResolvers(options.name, options.schedules ?? [])) } as never }]),
    formatError: (formatted, error) => formatError(formatted, error, isDevelopment()),
    includeStacktraceInErrorResponses: false,
    // The gateway sends the fetches of one request that start together as one batch; they share the
    // request's context, so its loaders too.
    allowBatchedHttpRequests: true,
    plugins: [
      // Federated tracing costs time on every request; we trace with OpenTelemetry instead.
      ApolloServerPluginInlineTraceDisabled(),
      // Nothing uses cache hints; the plugin wraps every resolver for nothing.
      ApolloServerPluginCacheControlDisabled(),
      inputChecksPlugin() as never,
      {
        // A read sees one snapshot of the database; a mutation runs its own transactions (see requestManager).
        async requestDidStart() {
          return {
            async didResolveOperation({ operation, contextValue }: GraphQLRequestContext<RequestContext<Loaders>>) {
              const scoped = (contextValue as RequestContext<Loaders> & { scoped?: ReturnType<typeof requestManager> }).scoped;
              if (operation?.operation === 'query') scoped?.readOnly();
              else scoped?.writable();
            },
          };
        },
      },
      auditPlugin(options.db) as never,
      idempotencyPlugin(options.db) as never,
      metricsPlugin(options.name) as never,
      {
        async requestDidStart() {
          return {
            async didEncounterErrors(ctx: GraphQLRequestContext<RequestContext<Loaders>>) {
              for (const err of ctx.errors ?? []) {
                if (!(err.originalError instanceof DomainError) && !err.extensions?.code) {
                  logger.error({ err: err.originalError ?? err, requestId: ctx.contextValue.requestId, service: options.name }, 'resolver failed');
                }
              }
            },
          };
        },
      },
    ],
  });

  const graphql: Route = async (req, res, body) => {
    let caller;
    let requestId = (req.headers[REQUEST_ID_HEADER] as string | undefined) ?? randomUUID();
    try {
      const verified = await verifyInternalCaller(req.headers[INTERNAL_HEADER] as string | undefined);
      caller = verified.caller;
      requestId = verified.requestId ?? requestId;
    } catch (e) {
      const err = e as DomainError;
      return sendJson(res, 401, { errors: [{ message: err.message, extensions: { code: err.code } }] });
    }
    trace.getActiveSpan()?.setAttribute('opsgraph.service', options.name);
    // Every statement of the request runs in the caller's scope, enforced by the database (see scope.ts).
    const scoped = requestManager(options.db, caller);
    const run = (scope?: { count: number }) =>
      executeGraphQL(apollo, req, res, body, async () => ({ caller, requestId, db: scoped.manager, loaders: options.createLoaders(scoped.manager, caller), scoped }), () => ({
        ...(scope && { [STATEMENTS_HEADER]: String(scope.count) }),
        [REQUEST_ID_HEADER]: requestId,
      }));
    try {
      // A mutation fetch carrying the client's Idempotency-Key runs with it (see idempotency.ts).
      await withIdempotencyKey(req, res, caller.id, () => (req.headers[COUNT_STATEMENTS_HEADER] === undefined ? run() : countStatements(run)));
    } finally {
      // After the answer was sent: giving the connection back is not part of the request's time.
      void scoped.release().catch((err) => logger.warn({ err, requestId }, 'request connection release failed'));
    }
  };

  return {
    apollo,
    async listen(port: number, host?: string): Promise<HttpApp> {
      await apollo.start();
      const app = await listenHttp({
        port,
        host,
        graphql,
        ready: async () => {
          await options.db.query('SELECT 1');
          return true;
        },
      });
      logger.info({ service: options.name, url: app.url }, 'subgraph listening');
      return {
        ...app,
        close: async () => {
          await app.close();
          await apollo.stop();
        },
      };
    },
  };
}
