/**
 * Measures levers before anyone changes the code: starts a subgraph or our gateway with some settings changed
 * at run time, without touching files outside bench/. Used by `node bench/run.mjs --tune LIST`.
 *
 *   BENCH_TUNE=cache-control,http-agent node --import tsx bench/experiments/start.ts services/work/src/main.ts
 *
 * Levers (comma list in BENCH_TUNE):
 *   cache-control  Apollo Server's cache-control plugin off (ApolloServerPluginCacheControlDisabled). It is
 *                  installed by default and hooks willResolveField, which makes Apollo Server wrap every
 *                  resolver of the schema; nothing here uses cache hints.
 *   http-agent     the gateway's subgraph calls through node:http with a keep-alive Agent instead of Node's
 *                  fetch (undici + web streams): the same requests, a cheaper client.
 */
import http from 'node:http';
import path from 'node:path';
import { ApolloServer } from '@apollo/server';
import { ApolloServerPluginCacheControlDisabled } from '@apollo/server/plugin/disabled';

const tune = new Set((process.env.BENCH_TUNE ?? '').split(',').filter(Boolean));

if (tune.has('cache-control')) {
  const start = ApolloServer.prototype.start;
  ApolloServer.prototype.start = function patchedStart(this: ApolloServer) {
    const internals = (this as unknown as { internals: { plugins: { __internal_plugin_id__?: string }[] } }).internals;
    if (!internals.plugins.some((p) => p.__internal_plugin_id__ === 'CacheControl')) internals.plugins.push(ApolloServerPluginCacheControlDisabled() as never);
    return start.call(this);
  };
}

if (tune.has('http-agent')) {
  const agent = new http.Agent({ keepAlive: true, maxSockets: 64, keepAliveMsecs: 30_000 });
  const original = globalThis.fetch;
  globalThis.fetch = (async (input: string | URL | Request, init: RequestInit = {}) => {
    const url = new URL(typeof input === 'string' || input instanceof URL ? input : input.url);
    if (url.protocol !== 'http:') return original(input, init);
    const headers: Record<string, string> = {};
    new Headers(init.headers).forEach((v, k) => (headers[k] = v));
    const body = init.body === undefined || init.body === null ? undefined : String(init.body);
    if (body !== undefined) headers['content-length'] = String(Buffer.byteLength(body));
    return new Promise<Response>((resolve, reject) => {
      const req = http.request(url, { method: init.method ?? 'GET', headers, agent }, (res) => {
        const chunks: Buffer[] = [];
        res.on('data', (c: Buffer) => chunks.push(c));
        res.on('end', () => {
          const h = new Headers();
          for (const [k, v] of Object.entries(res.headers)) if (v !== undefined) h.set(k, Array.isArray(v) ? v.join(', ') : v);
          resolve(new Response(Buffer.concat(chunks), { status: res.statusCode, headers: h }));
        });
        res.on('error', reject);
      });
      req.on('error', reject);
      init.signal?.addEventListener('abort', () => req.destroy(new Error('aborted')), { once: true });
      req.end(body);
    });
  }) as typeof fetch;
}

const [script, ...rest] = process.argv.slice(2);
process.argv = [process.argv[0], script, ...rest];
// eslint-disable-next-line @typescript-eslint/no-require-imports
require(path.resolve(script));
