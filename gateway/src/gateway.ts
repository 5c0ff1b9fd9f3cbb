import { createHash, randomUUID } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { ApolloGateway, type GraphQLDataSource, type GraphQLDataSourceProcessOptions } from '@apollo/gateway';
import { ApolloServer } from '@apollo/server';
import { ApolloServerPluginCacheControlDisabled } from '@apollo/server/plugin/disabled';
import { GraphQLError } from 'graphql';
import {
  GATEWAY_PORT,
  INTERNAL_HEADER,
  checkConfiguration,
  REQUEST_ID_HEADER,
  STATEMENTS_HEADER,
  COUNT_STATEMENTS_HEADER,
  CLIENT_IDEMPOTENCY_HEADER,
  IDEMPOTENCY_KEY_HEADER,
  clientIdempotencyKey,
  envInt,
  executeGraphQL,
  formatError,
  injectTraceContext,
  isDevelopment,
  listenHttp,
  logger,
  queryLimitsRule,
  metricsPlugin,
  sendJson,
  signInternalCaller,
  startTracing,
  userTokenVerifier,
  DomainError,
  type Caller,
  type HttpApp,
} from '@opsgraph/core';
import { SUPERGRAPH_PATH } from './compose';
import { SubgraphClient } from './subgraph-client';
import { GatewayWithSubscriptions, startLive } from './live/server';

export interface GatewayContext {
  caller: Caller;
  requestId: string;
  /** SQL statements the subgraphs ran for this request, summed from their response headers; only when the
   * client asked for the count (`COUNT_STATEMENTS_HEADER`). */
  statements?: { count: number };
  /** The client's `Idempotency-Key`, and per subgraph how many mutation fetches of this request carried it. */
  idempotency?: { key: string; fetches: Map<string, number> };
}

export interface GatewayOptions {
  port?: number;
  supergraphSdl?: string;
  /** Overrides of subgraph URLs by name (tests start subgraphs on free ports). */
  subgraphUrls?: Record<string, string>;
}

type GatewayGraphQLResponse = Awaited<ReturnType<GraphQLDataSource['process']>>;

/** The signed caller header is reused for a minute per caller: signing per call costs CPU and would make
 * every call unique, so identical reads of one caller could never share a round trip. */
const CALLER_HEADER_TTL_MS = 60_000;

/**
 * One subgraph as the gateway sees it: forwards the caller as a signed internal header (subgraphs trust
 * nothing else), sums the SQL statements the subgraph reports, and turns a subgraph that is down or too
 * slow into an error on its own fields only.
 */
class SubgraphDataSource implements GraphQLDataSource<GatewayContext> {
  private readonly callerHeaders = new Map<string, { value: Promise<string>; until: number }>();
  /** Hashes of the queries this subgraph has been sent in full (and so knows by hash). */
  private readonly knownQueries = new Set<string>();

  constructor(
    private readonly serviceName: string,
    private readonly url: string,
    private readonly client: SubgraphClient,
    private readonly shareReads: boolean,
  ) {}

  async process(options: GraphQLDataSourceProcessOptions<GatewayContext>): Promise<GatewayGraphQLResponse> {
    const { request } = options;
    // Health checks and schema loading carry no caller; only incoming operations do.
    const context = 'incomingRequestContext' in options ? options.context : undefined;
    const headers: Record<string, string> = { 'content-type': 'application/json', accept: 'application/json' };
    for (const [name, value] of request.http?.headers ?? []) headers[name] = value;
    // `traceparent` of the active gateway.fetch span, so the subgraph's spans join the trace (nothing when tracing is off).
    injectTraceContext(headers);
    let shareKey: string | undefined;
    if (context?.caller) {
      shareKey = callerKey(context.caller);
      headers[INTERNAL_HEADER] = await this.callerHeader(shareKey, context.caller);
      headers[REQUEST_ID_HEADER] = context.requestId;
      if (context.statements) {
        headers[COUNT_STATEMENTS_HEADER] = '1';
        shareKey += ' counted'; // a counted read must get its own count back
      }
    }
    const mutation = /^\s*mutation\b/.test(request.query ?? '');
    // Each mutation fetch gets a key of its own (`<key>#<n>`, n counting this request's mutation fetches to
    // this subgraph, which run one after another): a retry of the request sends the same keys in the same
    // order, and the subgraph answers it from what it stored. Reads never carry one.
    if (mutation && context?.idempotency) {
      const n = (context.idempotency.fetches.get(this.serviceName) ?? 0) + 1;
      context.idempotency.fetches.set(this.serviceName, n);
      headers[IDEMPOTENCY_KEY_HEADER] = `${context.idempotency.key}#${n}`;
    }
    // Only reads may share a round trip; a mutation always runs once per request.
    if (!this.shareReads || mutation) shareKey = undefined;
    // Automatic persisted queries between gateway and subgraph: a query plan's fetches are the same few
    // texts over and over, so after a subgraph has seen one it gets only its hash (no text to send, parse or
    // hash again on every call). A subgraph that does not know it (restarted, another replica) says so and
    // gets the text once more.
    const query = request.query ?? '';
    const persistedQuery = { version: 1, sha256Hash: queryHash(query) };
    const { variables, operationName } = request;
    const send = async (withText: boolean) => {
      const body = JSON.stringify({ ...(withText && { query }), variables, operationName, extensions: { persistedQuery } });
      let response;
      try {
        response = await this.client.post(this.url, headers, body, shareKey);
      } catch (error) {
        throw this.unavailable((error as Error).name === 'TimeoutError' ? 'timed out' : 'not answering');
      }
      const json = response.headers['content-type']?.includes('json') ? safeParse(response.body) : undefined;
      if (!json || (response.status >= 300 && !Array.isArray(json.errors))) throw this.unavailable(`answered HTTP ${response.status}`);
      const statements = Number(response.headers[STATEMENTS_HEADER] ?? 0);
      if (context?.statements && Number.isFinite(statements)) context.statements.count += statements;
      return json;
    };
    if (!this.knownQueries.has(persistedQuery.sha256Hash)) {
      const json = await send(true);
      if (this.knownQueries.size >= KNOWN_QUERIES_MAX) this.knownQueries.clear();
      this.knownQueries.add(persistedQuery.sha256Hash);
      return json;
    }
    const json = await send(false);
    return json.errors?.some((e) => e.extensions?.code === 'PERSISTED_QUERY_NOT_FOUND') ? send(true) : json;
  }

  private callerHeader(key: string, caller: Caller): Promise<string> {
    const now = Date.now();
    const cached = this.callerHeaders.get(key);
    if (cached && cached.until > now) return cached.value;
    if (this.callerHeaders.size > 10_000) this.callerHeaders.clear();
    const value = signInternalCaller(caller);
    this.callerHeaders.set(key, { value, until: now + CALLER_HEADER_TTL_MS });
    value.catch(() => this.callerHeaders.delete(key));
    return value;
  }

  private unavailable(why: string): GraphQLError {
    return new GraphQLError(`the ${this.serviceName} service is unavailable (${why}); its fields are missing from this answer`, {
      extensions: { code: 'UNAVAILABLE', service: this.serviceName },
    });
  }
}

const KNOWN_QUERIES_MAX = 10_000;
const queryHashes = new Map<string, string>();

/** SHA-256 of a subgraph query text, as APQ names it; computed once per text (plans reuse a few texts). */
function queryHash(query: string): string {
  let hash = queryHashes.get(query);
  if (!hash) {
    if (queryHashes.size >= KNOWN_QUERIES_MAX) queryHashes.clear();
    queryHashes.set(query, (hash = createHash('sha256').update(query).digest('hex')));
  }
  return hash;
}

const configuredUrl = (name: string) => process.env[`OPSGRAPH_${name.toUpperCase()}_URL`] || undefined;

const callerKey = (caller: Caller) => JSON.stringify([caller.id, caller.name, caller.roles, caller.sites, caller.company]);

function safeParse(text: string): GatewayGraphQLResponse | undefined {
  try {
    const value = JSON.parse(text);
    return value && typeof value === 'object' ? value : undefined;
  } catch {
    return undefined;
  }
}

export interface GatewayApp extends HttpApp {
  /** `ready` starts the event tail (else the first subscription does) and resolves once it reads. */
  live: { ready: Promise<void> };
}

export async function startGateway(options: GatewayOptions = {}): Promise<GatewayApp> {
  checkConfiguration('gateway');
  const tracing = startTracing('gateway');
  const supergraphSdl = options.supergraphSdl ?? readFileSync(SUPERGRAPH_PATH, 'utf8');
  // @apollo/gateway sends usage data to Apollo unless told not to: a plant's graph does not phone home.
  process.env.APOLLO_TELEMETRY_DISABLED ??= 'true';
  const shareReads = process.env.OPSGRAPH_SHARE_SUBGRAPH_READS !== 'false';
  const client = new SubgraphClient({
    timeoutMs: envInt('OPSGRAPH_SUBGRAPH_TIMEOUT_MS', 10_000),
    maxSockets: envInt('OPSGRAPH_SUBGRAPH_CONNECTIONS', 64),
    batch: process.env.OPSGRAPH_BATCH_SUBGRAPH_CALLS !== 'false',
  });
  // Subscriptions are served beside @apollo/gateway (which executes none): see live/.
  const gateway = new GatewayWithSubscriptions(new ApolloGateway({
    supergraphSdl,
    // The checked-in supergraph names loopback URLs; OPSGRAPH_<SERVICE>_URL (docker-compose, a real deployment) wins.
    buildService: ({ name, url }) => new SubgraphDataSource(name, options.subgraphUrls?.[name] ?? configuredUrl(name) ?? url ?? '', client, shareReads),
  }));
  const introspection = process.env.OPSGRAPH_INTROSPECTION ? process.env.OPSGRAPH_INTROSPECTION === 'true' : process.env.NODE_ENV !== 'production';
  const apollo = new ApolloServer<GatewayContext>({
    gateway,
    formatError: (formatted, error) => formatError(formatted, error, isDevelopment()),
    includeStacktraceInErrorResponses: false,
    validationRules: [queryLimitsRule()],
    plugins: [metricsPlugin('gateway'), ApolloServerPluginCacheControlDisabled()],
    introspection,
  });
  await apollo.start();
  const verifyUserToken = userTokenVerifier();
  const live = startLive({ apollo, gateway, verifyUserToken, introspection });

  const app = await listenHttp({
    port: options.port ?? envInt('OPSGRAPH_GATEWAY_PORT', GATEWAY_PORT),
    host: process.env.OPSGRAPH_HOST,
    ready: async () => true,
    graphql: async (req, res, body) => {
      if (live.isEventStream(req)) return live.serveEventStream(req, res, body);
      const requestId = (req.headers[REQUEST_ID_HEADER] as string | undefined)?.slice(0, 100) || randomUUID();
      let caller: Caller;
      try {
        caller = await verifyUserToken(req.headers.authorization);
      } catch (e) {
        const err = e as DomainError;
        return sendJson(res, 401, { errors: [{ message: err.message, extensions: { code: err.code } }] }, { [REQUEST_ID_HEADER]: requestId });
      }
      let idempotencyKey: string | undefined;
      try {
        idempotencyKey = clientIdempotencyKey(req.headers[CLIENT_IDEMPOTENCY_HEADER]);
      } catch (e) {
        const err = e as DomainError;
        return sendJson(res, 400, { errors: [{ message: err.message, extensions: { ...err.details, code: err.code } }] }, { [REQUEST_ID_HEADER]: requestId });
      }
      const idempotency = idempotencyKey === undefined ? undefined : { key: idempotencyKey, fetches: new Map<string, number>() };
      const statements = req.headers[COUNT_STATEMENTS_HEADER] === undefined ? undefined : { count: 0 };
      await executeGraphQL(apollo, req, res, body, async () => ({ caller, requestId, statements, idempotency }), () => ({
        ...(statements && { [STATEMENTS_HEADER]: String(statements.count) }),
        [REQUEST_ID_HEADER]: requestId,
      }));
    },
  }).catch(async (err) => {
    await live.close(); // a gateway that could not listen must not keep tailing events
    throw err;
  });
  live.attach(app.server);
  logger.info({ url: app.url }, 'gateway listening');
  return {
    ...app,
    live: {
      get ready() {
        return live.ready;
      },
    },
    close: async () => {
      await live.close();
      await app.close();
      await apollo.stop();
      client.close();
      await tracing.shutdown();
    },
  };
}

/**
 * The gateway as a process: starts it, stops it gracefully on SIGTERM/SIGINT, and on a failed start says
 * why in plain words and exits non-zero (as `runService` does for a subgraph).
 */
export function runGateway(options: GatewayOptions = {}): void {
  process.env.OPSGRAPH_SERVICE ??= 'gateway';
  startGateway(options)
    .then((app) => {
      const stop = async () => {
        await app.close();
        process.exit(0);
      };
      process.once('SIGTERM', () => void stop());
      process.once('SIGINT', () => void stop());
    })
    .catch((err) => {
      logger.fatal({ err }, 'gateway failed to start');
      process.stderr.write(`gateway could not start: ${(err as Error).message}\n`);
      process.exit(1);
    });
}
