import { devToken, type Caller } from '@opsgraph/core';
import { composeSupergraph, startGateway } from '@opsgraph/gateway';
import { createClient as createSseClient } from 'graphql-sse';
import { createClient as createWsClient } from 'graphql-ws';
import WebSocket from 'ws';
import { postGraphQL } from './services';
import type { TestGateway } from './gateway';

/** One message of a subscription as a client received it. */
export interface LiveMessage<T = any> {
  data?: T;
  errors?: { message: string; extensions?: Record<string, any> }[];
  extensions?: { position: string; catchUp?: boolean; reset?: boolean; [key: string]: unknown };
  /** When it arrived (Date.now()). */
  receivedAt: number;
}

/** A running subscription: every message it received, a way to wait for one, and how it ended. */
export interface LiveSubscription<T = any> {
  messages: LiveMessage<T>[];
  /** The first message (after those already taken by earlier calls) that `match` accepts; fails after `timeoutMs`. */
  next(match?: (m: LiveMessage<T>) => unknown, timeoutMs?: number): Promise<LiveMessage<T>>;
  /** Resolves when the stream ended: completed by the server, or the connection closed (with its code and reason). */
  ended: Promise<{ code?: number; reason?: string; error?: unknown }>;
  close(): Promise<void>;
}

export interface LiveTestGateway extends TestGateway {
  wsUrl: string;
  /** Subscribes over WebSocket (graphql-ws), authenticated in `connection_init`. */
  subscribeWs<T = any>(query: string, variables: Record<string, unknown>, caller: Caller | string, extensions?: Record<string, unknown>): Promise<LiveSubscription<T>>;
  /** Subscribes over Server-Sent Events (graphql-sse, distinct connections), authenticated by the request header. */
  subscribeSse<T = any>(query: string, variables: Record<string, unknown>, caller: Caller | string, extensions?: Record<string, unknown>): Promise<LiveSubscription<T>>;
}

/** The real gateway, started once it reads the event stream (so no update of the test is missed). */
export async function startLiveTestGateway(subgraphUrls: Record<string, string>): Promise<LiveTestGateway> {
  const app = await startGateway({ port: 0, supergraphSdl: composeSupergraph(), subgraphUrls });
  await app.live.ready;
  const wsUrl = app.url.replace(/^http/, 'ws');
  const tokenOf = async (caller: Caller | string) => (typeof caller === 'string' ? caller : devToken(caller));
  return {
    url: app.url,
    wsUrl,
    async query(query, variables = {}, caller, headers = {}) {
      const auth: Record<string, string> = caller ? { authorization: `Bearer ${await devToken(caller)}` } : {};
      return postGraphQL(app.url, query, variables, { ...auth, ...headers });
    },
    async subscribeWs(query, variables, caller, extensions) {
      const token = await tokenOf(caller);
      const live = collector();
      let closedWith: { code?: number; reason?: string } = {};
      const client = createWsClient({
        url: wsUrl,
        webSocketImpl: WebSocket,
        connectionParams: { authorization: `Bearer ${token}` },
        retryAttempts: 0,
        lazy: false,
        onNonLazyError: () => undefined, // a close is reported through `ended`
        on: { closed: (event) => (closedWith = { code: (event as { code?: number }).code, reason: (event as { reason?: string }).reason }) },
      });
      const unsubscribe = client.subscribe({ query, variables, extensions }, {
        next: (value) => live.push(value as LiveMessage),
        error: (error) => live.end({ ...closedWith, ...closeOf(error), error }),
        complete: () => live.end(closedWith),
      });
      return live.subscription(async () => {
        unsubscribe();
        await client.dispose();
      });
    },
    async subscribeSse(query, variables, caller, extensions) {
      const token = await tokenOf(caller);
      const live = collector();
      const client = createSseClient({ url: app.url, singleConnection: false, headers: { authorization: `Bearer ${token}` }, retryAttempts: 0 });
      const unsubscribe = client.subscribe({ query, variables, extensions }, {
        next: (value) => live.push(value as LiveMessage),
        error: (error) => live.end({ error }),
        complete: () => live.end({}),
      });
      return live.subscription(async () => {
        unsubscribe();
        client.dispose();
      });
    },
    stop: () => app.close(),
  };
}

const closeOf = (error: unknown) => (error && typeof error === 'object' && 'code' in error ? { code: (error as { code: number }).code, reason: (error as { reason?: string }).reason } : {});

function collector() {
  const messages: LiveMessage[] = [];
  let taken = 0;
  const waiters = new Set<() => void>();
  let finish: (how: { code?: number; reason?: string; error?: unknown }) => void = () => undefined;
  const ended = new Promise<{ code?: number; reason?: string; error?: unknown }>((resolve) => (finish = resolve));
  let over = false;
  return {
    push(value: Omit<LiveMessage, 'receivedAt'>) {
      messages.push({ ...value, receivedAt: Date.now() });
      for (const w of waiters) w();
    },
    end(how: { code?: number; reason?: string; error?: unknown }) {
      over = true;
      finish(how);
      for (const w of waiters) w();
    },
    subscription(close: () => Promise<void>): LiveSubscription {
      return {
        messages,
        ended,
        close,
        next(match = () => true, timeoutMs = 20_000) {
          return new Promise((resolve, reject) => {
            const check = () => {
              for (let i = taken; i < messages.length; i++) {
                if (match(messages[i])) {
                  taken = i + 1;
                  cleanup();
                  resolve(messages[i]);
                  return;
                }
              }
              if (over) {
                cleanup();
                reject(new Error(`the subscription ended without the awaited message (${messages.length} received)`));
              }
            };
            const timer = setTimeout(() => {
              cleanup();
              reject(new Error(`no matching message within ${timeoutMs} ms; received ${messages.length}: ${JSON.stringify(messages.slice(-3))}`.slice(0, 4000)));
            }, timeoutMs);
            const cleanup = () => {
              clearTimeout(timer);
              waiters.delete(check);
            };
            waiters.add(check);
            check();
          });
        },
      };
    },
  };
}

/** A bare graphql-ws client authenticated as the token's bearer (for benchmarks and tests that drive many subscriptions). */
export function connectGraphqlWs(wsUrl: string, token: string) {
  return createWsClient({ url: wsUrl, webSocketImpl: WebSocket, connectionParams: { authorization: `Bearer ${token}` }, retryAttempts: 0, lazy: false, onNonLazyError: () => undefined });
}
