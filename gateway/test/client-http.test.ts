import { createHash } from 'node:crypto';
import http from 'node:http';
import { brotliDecompressSync, gunzipSync } from 'node:zlib';
import { devToken, type HttpApp } from '@opsgraph/core';
import { composeSupergraph, startGateway } from '@opsgraph/gateway';
import { people, type TestService } from '@opsgraph/testing';
import { startWork } from '../../services/work/test/fixtures';

/**
 * What frontends get from the gateway over HTTP besides answers: compressed bodies when they accept them
 * (a board is ~90 KiB of JSON) and automatic persisted queries (a page sends the hash of its query, not the
 * query, once the gateway knows it).
 */

let work: TestService;
let gateway: HttpApp;
let token: string;

beforeAll(async () => {
  work = await startWork();
  gateway = await startGateway({ port: 0, supergraphSdl: composeSupergraph(), subgraphUrls: { work: work.url } });
  token = await devToken(people.admin);
});
afterAll(async () => {
  await gateway?.close();
  await work?.stop();
});

interface Raw {
  status: number;
  headers: http.IncomingHttpHeaders;
  body: Buffer;
}

/** A POST with exactly these headers (fetch would add and undo compression by itself). */
function post(payload: unknown, headers: Record<string, string> = {}): Promise<Raw> {
  const body = JSON.stringify(payload);
  return new Promise((resolve, reject) => {
    const req = http.request(gateway.url, { method: 'POST', headers: { 'content-type': 'application/json', authorization: `Bearer ${token}`, ...headers } }, (res) => {
      const chunks: Buffer[] = [];
      res.on('data', (c: Buffer) => chunks.push(c));
      res.on('end', () => resolve({ status: res.statusCode ?? 0, headers: res.headers, body: Buffer.concat(chunks) }));
      res.on('error', reject);
    });
    req.on('error', reject);
    req.end(body);
  });
}

const decoded = (raw: Raw) => {
  const encoding = raw.headers['content-encoding'];
  const text = encoding === 'br' ? brotliDecompressSync(raw.body) : encoding === 'gzip' ? gunzipSync(raw.body) : raw.body;
  return JSON.parse(text.toString('utf8'));
};

// Large enough to be worth compressing: every type of the graph with its fields.
const LARGE = `{ __schema { types { name fields { name } } } }`;
const SMALL = `{ __typename }`;

describe('compression', () => {
  test('a large answer comes brotli-compressed to a client that takes br, and says so', async () => {
    const plain = await post({ query: LARGE });
    const br = await post({ query: LARGE }, { 'accept-encoding': 'gzip, deflate, br' });
    expect(plain.headers['content-encoding']).toBeUndefined();
    expect(br.headers['content-encoding']).toBe('br');
    expect(br.headers.vary).toMatch(/accept-encoding/i);
    expect(br.body.length * 4).toBeLessThan(plain.body.length);
    expect(decoded(br)).toEqual(decoded(plain));
    expect(decoded(plain).data.__schema.types.length).toBeGreaterThan(20);
  });

  test('gzip when that is what the client takes; nothing for an encoding refused with q=0 or unknown', async () => {
    const gz = await post({ query: LARGE }, { 'accept-encoding': 'gzip' });
    expect(gz.headers['content-encoding']).toBe('gzip');
    expect(decoded(gz).data.__schema.types.length).toBeGreaterThan(20);
    expect((await post({ query: LARGE }, { 'accept-encoding': 'br;q=0, gzip' })).headers['content-encoding']).toBe('gzip');
    expect((await post({ query: LARGE }, { 'accept-encoding': 'br;q=0, gzip;q=0' })).headers['content-encoding']).toBeUndefined();
    expect((await post({ query: LARGE }, { 'accept-encoding': 'compress' })).headers['content-encoding']).toBeUndefined();
  });

  test('small answers and errors go as they are', async () => {
    const small = await post({ query: SMALL }, { 'accept-encoding': 'br, gzip' });
    expect(small.headers['content-encoding']).toBeUndefined();
    expect(decoded(small)).toEqual({ data: { __typename: 'Query' } });
    const refused = await post({ query: '{ nope }' }, { 'accept-encoding': 'br' });
    expect(refused.status).toBe(400);
    expect(decoded(refused).errors[0].extensions.code).toBe('GRAPHQL_VALIDATION_FAILED');
  });
});

describe('automatic persisted queries', () => {
  const query = `query Sites { sites { id code } }`;
  const persisted = { persistedQuery: { version: 1, sha256Hash: createHash('sha256').update(query).digest('hex') } };

  test('a hash the gateway does not know asks for the query; once sent with it, the hash alone is enough', async () => {
    const unknown = decoded(await post({ extensions: persisted }));
    expect(unknown.errors[0].extensions.code).toBe('PERSISTED_QUERY_NOT_FOUND');
    const registered = decoded(await post({ query, extensions: persisted }));
    expect(registered.errors).toBeUndefined();
    const byHash = decoded(await post({ extensions: persisted }));
    expect(byHash).toEqual(registered);
  });

  test('a query that does not match its hash is refused', async () => {
    const wrong = decoded(await post({ query: `{ __typename }`, extensions: persisted }));
    expect(wrong.errors[0].extensions.code).toBe('BAD_REQUEST');
    expect(wrong.errors[0].message).toMatch(/sha does not match/i);
  });
});
