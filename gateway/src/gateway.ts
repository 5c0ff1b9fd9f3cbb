import { randomUUID } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { ApolloGateway, RemoteGraphQLDataSource } from '@apollo/gateway';
import { ApolloServer } from '@apollo/server';
import { ApolloServerPluginCacheControlDisabled } from '@apollo/server/plugin/disabled';
import { GraphQLError } from 'graphql';
import {
  GATEWAY_PORT,
  INTERNAL_HEADER,
  REQUEST_ID_HEADER,
  STATEMENTS_HEADER,
  envInt,
  executeGraphQL,
  formatError,
  isDevelopment,
  listenHttp,
  logger,
  queryLimitsRule,
  metricsPlugin,
  sendJson,
  signInternalCaller,
  userTokenVerifier,
  DomainError,
  type Caller,
  type HttpApp,
} from '@opsgraph/core';
import { SUPERGRAPH_PATH } from './compose';

export interface GatewayContext {
  caller: Caller;
  requestId: string;
  /** SQL statements the subgraphs ran for this request, summed from their response headers. */
  statements: { count: number };
}

export interface GatewayOptions {
  port?: number;
  supergraphSdl?: string;
  /** Overrides of subgraph URLs by name (tests start subgraphs on free ports). */
  subgraphUrls?: Record<string, string>;
}

/**
 * Every subgraph call has a deadline, so one slow or dead subgraph costs its fields an error instead of
 * hanging the whole request; Node's fetch keeps connections alive between gateway and subgraphs.
 */
const timedFetch = (timeoutMs: number) => ((url: string, init?: RequestInit) => fetch(url, { ...init, signal: AbortSignal.timeout(timeoutMs) })) as never;

/** Forwards the caller as a signed internal header; subgraphs trust nothing else. */
class SignedCallerDataSource extends RemoteGraphQLDataSource<GatewayContext> {
  constructor(
    private readonly serviceName: string,
    config: ConstructorParameters<typeof RemoteGraphQLDataSource<GatewayContext>>[0],
  ) {
    super(config);
  }

  /** A subgraph that is down or too slow costs only its own fields, with an error that says which. */
  override didEncounterError(error: Error): void {
    throw new GraphQLError(`the ${this.serviceName} service is unavailable (${error.name === 'TimeoutError' ? 'timed out' : 'not answering'}); its fields are missing from this answer`, {
      extensions: { code: 'UNAVAILABLE', service: this.serviceName },
    });
  }

  override async willSendRequest({ request, context }: Parameters<NonNullable<RemoteGraphQLDataSource<GatewayContext>['willSendRequest']>>[0]) {
    if (!context?.caller) return;
    request.http?.headers.set(INTERNAL_HEADER, await signInternalCaller(context.caller, context.requestId));
    request.http?.headers.set(REQUEST_ID_HEADER, context.requestId);
  }
  override didReceiveResponse({ response, context }: Parameters<NonNullable<RemoteGraphQLDataSource<GatewayContext>['didReceiveResponse']>>[0]) {
    const statements = Number(response.http?.headers.get(STATEMENTS_HEADER) ?? 0);
    if (context?.statements && Number.isFinite(statements)) context.statements.count += statements;
    return response;
  }
}

export async function startGateway(options: GatewayOptions = {}): Promise<HttpApp> {
  const supergraphSdl = options.supergraphSdl ?? readFileSync(SUPERGRAPH_PATH, 'utf8');
  const fetcher = timedFetch(envInt('OPSGRAPH_SUBGRAPH_TIMEOUT_MS', 10_000));
  const gateway = new ApolloGateway({
    supergraphSdl,
    buildService: ({ name, url }) => new SignedCallerDataSource(name, { url: options.subgraphUrls?.[name] ?? url, fetcher }),
  });
  const apollo = new ApolloServer<GatewayContext>({
    gateway,
    formatError: (formatted, error) => formatError(formatted, error, isDevelopment()),
    includeStacktraceInErrorResponses: false,
    validationRules: [queryLimitsRule()],
    plugins: [metricsPlugin('gateway'), ApolloServerPluginCacheControlDisabled()],
    introspection: process.env.OPSGRAPH_INTROSPECTION ? process.env.OPSGRAPH_INTROSPECTION === 'true' : process.env.NODE_ENV !== 'production',
  });
  await apollo.start();
  const verifyUserToken = userTokenVerifier();

  const app = await listenHttp({
    port: options.port ?? envInt('OPSGRAPH_GATEWAY_PORT', GATEWAY_PORT),
    host: process.env.OPSGRAPH_HOST,
    ready: async () => true,
    graphql: async (req, res, body) => {
      const requestId = (req.headers[REQUEST_ID_HEADER] as string | undefined)?.slice(0, 100) || randomUUID();
      let caller: Caller;
      try {
        caller = await verifyUserToken(req.headers.authorization);
      } catch (e) {
        const err = e as DomainError;
        return sendJson(res, 401, { errors: [{ message: err.message, extensions: { code: err.code } }] }, { [REQUEST_ID_HEADER]: requestId });
      }
      const statements = { count: 0 };
      await executeGraphQL(apollo, req, res, body, async () => ({ caller, requestId, statements }), () => ({
        [STATEMENTS_HEADER]: String(statements.count),
        [REQUEST_ID_HEADER]: requestId,
      }));
    },
  });
  logger.info({ url: app.url }, 'gateway listening');
  return {
    ...app,
    close: async () => {
      await app.close();
      await apollo.stop();
    },
  };
}
