import http from 'node:http';
import type { AddressInfo } from 'node:net';
import { SignJWT, UnsecuredJWT, exportJWK, exportSPKI, generateKeyPair, type JWK, type KeyLike } from 'jose';
import type { HttpApp } from '@opsgraph/core';
import { composeSupergraph, startGateway } from '@opsgraph/gateway';
import { expectError, ok, people, postGraphQL, type GraphQLResult, type TestService } from '@opsgraph/testing';
import { startWork } from '../../services/work/test/fixtures';

/**
 * The gateway configured for a real identity provider: RS256 user tokens verified against a JSON Web Key
 * Set served by a local key server (OPSGRAPH_JWKS_URL), with issuer and audience checked. Good tokens
 * carry the caller's identity to the subgraph; every bad one is refused at the gateway, the same way,
 * before anything reaches a subgraph.
 */

const ISSUER = 'https://idp.opsgraph.test/';
const AUDIENCE = 'opsgraph-api';

interface SigningKey {
  kid: string;
  privateKey: KeyLike;
  publicKey: KeyLike;
  jwk: JWK;
}

async function rsaKey(kid: string): Promise<SigningKey> {
  const { privateKey, publicKey } = await generateKeyPair('RS256');
  return { kid, privateKey, publicKey, jwk: { ...(await exportJWK(publicKey)), kid, alg: 'RS256', use: 'sig' } };
}

/** A local identity provider's key endpoint: serves whatever key set it is given, counting fetches. */
async function startKeyServer(keys: JWK[]) {
  const state = { keys, fetches: 0, lastFetch: 0 };
  const server = http.createServer((_req, res) => {
    state.fetches += 1;
    state.lastFetch = Date.now();
    res.writeHead(200, { 'content-type': 'application/json' });
    res.end(JSON.stringify({ keys: state.keys }));
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  return {
    state,
    url: `http://127.0.0.1:${(server.address() as AddressInfo).port}/.well-known/jwks.json`,
    close: () => new Promise<void>((resolve) => {
      server.closeAllConnections();
      server.close(() => resolve());
    }),
  };
}

/** Starts the real gateway with the user-token settings in the environment it reads them from. */
async function startJwksGateway(supergraphSdl: string, workUrl: string, env: Record<string, string>): Promise<HttpApp> {
  const saved = Object.fromEntries(Object.keys(env).map((k) => [k, process.env[k]]));
  Object.assign(process.env, env);
  try {
    return await startGateway({ port: 0, supergraphSdl, subgraphUrls: { work: workUrl } });
  } finally {
    for (const [k, v] of Object.entries(saved)) {
      if (v === undefined) delete process.env[k];
      else process.env[k] = v;
    }
  }
}

interface Claims {
  sub?: string;
  name?: string;
  roles?: string[];
  sites?: string[];
  company?: string;
}

/** A token as the identity provider would issue it; every part can be varied to make a bad one. */
async function issue(key: { privateKey: KeyLike | Uint8Array; kid?: string }, claims: Claims, options: { alg?: string; iss?: string; aud?: string; exp?: string | number } = {}) {
  const { sub, ...rest } = claims;
  const jwt = new SignJWT(rest as Record<string, unknown>)
    .setProtectedHeader({ alg: options.alg ?? 'RS256', ...(key.kid ? { kid: key.kid } : {}), typ: 'JWT' })
    .setIssuer(options.iss ?? ISSUER)
    .setAudience(options.aud ?? AUDIENCE)
    .setIssuedAt()
    .setExpirationTime(options.exp ?? '10m');
  if (sub) jwt.setSubject(sub);
  return jwt.sign(key.privateKey);
}

const b64 = (value: unknown) => Buffer.from(JSON.stringify(value)).toString('base64url');
const decodePart = (part: string) => JSON.parse(Buffer.from(part, 'base64url').toString('utf8'));

const ask = (app: HttpApp, query: string, token?: string, variables: Record<string, unknown> = {}) =>
  postGraphQL(app.url, query, variables, token === undefined ? {} : { authorization: `Bearer ${token}` });

/** Requests the work subgraph has answered so far (its own Prometheus counter). */
async function workRequests(work: TestService): Promise<number> {
  const text = await (await fetch(work.url.replace(/graphql$/, 'metrics'))).text();
  return text
    .split('\n')
    .filter((line) => line.startsWith('opsgraph_graphql_requests_total{service="work"'))
    .reduce((sum, line) => sum + Number(line.split(' ').pop()), 0);
}

/** Refused at the gateway: 401, one generic UNAUTHENTICATED error, no data, no detail, never executed. */
function expectRefused(res: GraphQLResult, message = 'invalid or expired token') {
  expect(res.status).toBe(401);
  expect(res.data).toBeUndefined();
  expect(res.errors).toEqual([{ message, extensions: { code: 'UNAUTHENTICATED' } }]);
  expect(res.statements).toBeNaN(); // no statement count: the request never ran
}

const SCOPED_READ = `{ sites { id code } }`;

// One Work subgraph and one composed supergraph for the whole file; each block starts its own key server and gateway.
let work: TestService;
let supergraphSdl: string;
beforeAll(async () => {
  supergraphSdl = composeSupergraph();
  work = await startWork();
});
afterAll(() => work?.stop());
const CREATE = `mutation($s: ID!) { createWorkItem(input: { type: INSPECTION, title: "Walk-down after IdP login", siteId: $s }) { id history { to actor { id } } } }`;

describe('RS256 user tokens from a JWKS endpoint', () => {
  let gateway: HttpApp;
  let keyServer: Awaited<ReturnType<typeof startKeyServer>>;
  let key: SigningKey;
  let siteA: string;
  let siteB: string;
  const supervisor: Claims = { sub: '10000000-0000-4000-8000-00000000a001', name: 'Ida Provider', roles: ['supervisor'], sites: [] };

  beforeAll(async () => {
    key = await rsaKey('idp-key-1');
    keyServer = await startKeyServer([key.jwk]);
    siteA = ok(await work.query(`mutation { createSite(input: { code: "JWA", name: "JWKS A" }) { id } }`, {}, people.admin)).createSite.id;
    siteB = ok(await work.query(`mutation { createSite(input: { code: "JWB", name: "JWKS B" }) { id } }`, {}, people.admin)).createSite.id;
    supervisor.sites = [siteA];
    // Default JWKS cooldown (30 s), as in production.
    gateway = await startJwksGateway(supergraphSdl, work.url, { OPSGRAPH_JWKS_URL: keyServer.url, OPSGRAPH_JWT_ISSUER: ISSUER, OPSGRAPH_JWT_AUDIENCE: AUDIENCE });
  });
  afterAll(async () => {
    await gateway?.close();
    await keyServer?.close();
  });

  test('a valid token is accepted and its identity, roles and sites reach the subgraph', async () => {
    const token = await issue(key, supervisor);
    // Scope from the token's `sites`: only site A exists for this caller.
    expect(ok(await ask(gateway, SCOPED_READ, token)).sites).toEqual([{ id: siteA, code: 'JWA' }]);
    // Identity from `sub`: the subgraph records the caller as the actor.
    const created = ok(await ask(gateway, CREATE, token, { s: siteA })).createWorkItem;
    expect(created.history[0]).toEqual({ to: 'OPEN', actor: { id: supervisor.sub } });
    expect(created.history.every((h: { actor: { id: string } }) => h.actor.id === supervisor.sub)).toBe(true);
    // Out of the token's sites: not found, as if it did not exist.
    expectError(await ask(gateway, CREATE, token, { s: siteB }), 'NOT_FOUND');
    // Roles from `roles`: a read-only person may read but not raise work.
    const readOnly = await issue(key, { ...supervisor, sub: '10000000-0000-4000-8000-00000000a002', roles: ['read_only'] });
    expect(ok(await ask(gateway, SCOPED_READ, readOnly)).sites).toHaveLength(1);
    expectError(await ask(gateway, CREATE, readOnly, { s: siteA }), 'FORBIDDEN');
    expect(keyServer.state.fetches).toBe(1); // the key set is cached, not fetched per request
  });

  test('bad tokens are refused with UNAUTHENTICATED, identically, and nothing reaches the subgraph', async () => {
    // A good token first, so the key set is loaded and the refusals below are about the tokens.
    ok(await ask(gateway, SCOPED_READ, await issue(key, supervisor)));
    const before = await workRequests(work);
    const otherKeySameKid = await rsaKey(key.kid);
    const otherKeyOtherKid = await rsaKey('not-published');
    const good = await issue(key, supervisor);
    const [header, payload, signature] = good.split('.');
    const publicPem = await exportSPKI(key.publicKey);
    const asAdmin: Claims = { ...supervisor, roles: ['administrator'], sites: ['*'] };

    const bad: Record<string, string> = {
      expired: await issue(key, supervisor, { exp: Math.floor(Date.now() / 1000) - 60 }),
      'wrong issuer': await issue(key, supervisor, { iss: 'https://evil.example/' }),
      'wrong audience': await issue(key, supervisor, { aud: 'some-other-api' }),
      'another RSA key under our kid': await issue(otherKeySameKid, asAdmin),
      'another RSA key, unknown kid': await issue(otherKeyOtherKid, asAdmin),
      'another RSA key, no kid': await issue({ privateKey: otherKeyOtherKid.privateKey }, asAdmin),
      'tampered payload (roles and sites raised)': `${header}.${b64({ ...decodePart(payload), roles: ['administrator'], sites: ['*'] })}.${signature}`,
      'tampered payload (expiry extended)': `${header}.${b64({ ...decodePart(payload), exp: decodePart(payload).exp + 86_400 })}.${signature}`,
      'signature stripped': `${header}.${payload}.`,
      'HS256 signed with the public key (PEM)': await issue({ privateKey: new TextEncoder().encode(publicPem), kid: key.kid }, asAdmin, { alg: 'HS256' }),
      'HS256 signed with the public key (JWK)': await issue({ privateKey: new TextEncoder().encode(JSON.stringify(key.jwk)), kid: key.kid }, asAdmin, { alg: 'HS256' }),
      'HS256 signed with the dev secret': await issue({ privateKey: new TextEncoder().encode('dev-jwt-secret-change-me') }, asAdmin, { alg: 'HS256' }),
      'alg none (jose)': new UnsecuredJWT({ ...asAdmin, sub: undefined }).setSubject(supervisor.sub!).setIssuer(ISSUER).setAudience(AUDIENCE).setExpirationTime('10m').encode(),
      'alg none with our kid': `${b64({ alg: 'none', kid: key.kid, typ: 'JWT' })}.${b64({ ...decodePart(payload), roles: ['administrator'] })}.`,
      'alg none, original signature kept': `${b64({ alg: 'none', kid: key.kid })}.${payload}.${signature}`,
      'header alg changed to RS512': `${b64({ ...decodePart(header), alg: 'RS512' })}.${payload}.${signature}`,
      'not a JWT': 'definitely-not-a-token',
    };
    for (const [why, token] of Object.entries(bad)) {
      const res = await ask(gateway, SCOPED_READ, token);
      try {
        expectRefused(res);
      } catch (e) {
        throw new Error(`${why}: ${(e as Error).message}`);
      }
      // The mutation is refused just the same (and changes nothing).
      expectRefused(await ask(gateway, CREATE, token, { s: siteA }));
    }
    // Signed by our provider but naming nobody: refused too.
    expectRefused(await ask(gateway, SCOPED_READ, await issue(key, { ...supervisor, sub: undefined })), 'token has no subject');
    expectRefused(await ask(gateway, SCOPED_READ), 'a bearer token is required');
    expectRefused(await postGraphQL(gateway.url, SCOPED_READ, {}, { authorization: `Basic ${Buffer.from('admin:admin').toString('base64')}` }), 'a bearer token is required');
    expectRefused(await postGraphQL(gateway.url, SCOPED_READ, {}, { authorization: good }), 'a bearer token is required'); // no scheme
    expect(await workRequests(work)).toBe(before);
    // And the good token still works: the refusals were about the tokens, not a broken gateway.
    expect(ok(await ask(gateway, SCOPED_READ, good)).sites).toEqual([{ id: siteA, code: 'JWA' }]);
  });

  test('tokens with unknown kids cannot make the gateway hammer the identity provider', async () => {
    const before = keyServer.state.fetches;
    const started = Date.now();
    const stranger = await rsaKey('stranger');
    for (let i = 0; i < 10; i++) expectRefused(await ask(gateway, SCOPED_READ, await issue({ ...stranger, kid: `random-${i}` }, supervisor)));
    // At most one refetch per cooldown (30 s by default), however many unknown kids arrive.
    expect(keyServer.state.fetches - before).toBeLessThanOrEqual(1 + Math.floor((Date.now() - started) / 30_000));
  });
});

describe('key rotation at the identity provider', () => {
  const COOLDOWN_MS = 300;
  let gateway: HttpApp;
  let keyServer: Awaited<ReturnType<typeof startKeyServer>>;
  const reader: Claims = { sub: '10000000-0000-4000-8000-00000000b001', roles: ['operator'], sites: ['*'] };

  beforeAll(async () => {
    keyServer = await startKeyServer([]);
    gateway = await startJwksGateway(supergraphSdl, work.url, {
      OPSGRAPH_JWKS_URL: keyServer.url,
      OPSGRAPH_JWT_ISSUER: ISSUER,
      OPSGRAPH_JWT_AUDIENCE: AUDIENCE,
      OPSGRAPH_JWKS_COOLDOWN_MS: String(COOLDOWN_MS),
    });
  });
  afterAll(async () => {
    await gateway?.close();
    await keyServer?.close();
  });

  test('a token signed with a newly published key is accepted; the retired key is refused once the set is refetched', async () => {
    const oldKey = await rsaKey('2024-key');
    const newKey = await rsaKey('2025-key');
    keyServer.state.keys = [oldKey.jwk];
    const oldToken = await issue(oldKey, reader);
    expect(ok(await ask(gateway, SCOPED_READ, oldToken)).sites).toEqual(expect.any(Array));
    expect(keyServer.state.fetches).toBe(1);

    // The provider rotates: it publishes the new key and retires the old one, and signs with the new one.
    keyServer.state.keys = [newKey.jwk];
    const newToken = await issue(newKey, reader);
    // Past the cooldown since the last fetch, the unknown kid makes the gateway fetch the set again.
    await new Promise((r) => setTimeout(r, Math.max(0, keyServer.state.lastFetch + COOLDOWN_MS + 50 - Date.now())));
    expect(ok(await ask(gateway, SCOPED_READ, newToken)).sites).toEqual(expect.any(Array));
    expect(keyServer.state.fetches).toBe(2);
    expect(ok(await ask(gateway, SCOPED_READ, newToken)).sites).toEqual(expect.any(Array));
    expect(keyServer.state.fetches).toBe(2); // cached again

    // The retired key is no longer trusted, even though its token has not expired.
    expectRefused(await ask(gateway, SCOPED_READ, oldToken));
  });

  test('during an overlap both keys are accepted', async () => {
    const current = await rsaKey('overlap-current');
    const next = await rsaKey('overlap-next');
    keyServer.state.keys = [current.jwk, next.jwk];
    await new Promise((r) => setTimeout(r, Math.max(0, keyServer.state.lastFetch + COOLDOWN_MS + 50 - Date.now())));
    expect(ok(await ask(gateway, SCOPED_READ, await issue(next, reader))).sites).toEqual(expect.any(Array));
    expect(ok(await ask(gateway, SCOPED_READ, await issue(current, reader))).sites).toEqual(expect.any(Array));
  });
});
