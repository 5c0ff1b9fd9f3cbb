import { SignJWT } from 'jose';
import { userTokenConfig } from '@opsgraph/core';
import { subgraphDefinitions } from '@opsgraph/gateway';
import { ALIASES, expectError, inputProbes, ok, people, person, postGraphQL, startTestGateway, startTestService, type TestGateway, type TestService } from '@opsgraph/testing';
import { service as changeService } from '../../services/change/src/service';
import { service as competenceService } from '../../services/competence/src/service';
import { service as complianceService } from '../../services/compliance/src/service';
import { service as documentsService } from '../../services/documents/src/service';
import { service as hazardsService } from '../../services/hazards/src/service';
import { service as permitsService } from '../../services/permits/src/service';
import { service as workService } from '../../services/work/src/service';

/**
 * What probing from outside got through, as cases derived from every subgraph's schema (libs/testing
 * probes.ts), so a new field or argument is probed without a line here: text Postgres cannot store, impossible
 * or empty dates, a thousand aliases of a root field; and the token classes (no expiry, a lifetime of years,
 * a contractor without a company, a subject spelled in upper case) against every subgraph.
 */

const definitions = { work: workService, permits: permitsService, competence: competenceService, documents: documentsService, hazards: hazardsService, change: changeService, compliance: complianceService };
let services: Record<string, TestService>;
let gateway: TestGateway;

beforeAll(async () => {
  const started = await Promise.all(Object.entries(definitions).map(async ([name, definition]) => [name, await startTestService(definition as never)] as const));
  services = Object.fromEntries(started);
  gateway = await startTestGateway(Object.fromEntries(started.map(([name, s]) => [name, s.url])));
}, 120_000);
afterAll(async () => {
  await gateway?.stop();
  await Promise.all(Object.values(services ?? {}).map((s) => s.stop()));
});

describe.each(subgraphDefinitions().map((d) => [d.name, d.typeDefs] as const))('%s', (name, typeDefs) => {
  const probes = inputProbes(typeDefs);

  test('every root field is probed', () => {
    expect(probes.filter((p) => p.code === 'QUERY_TOO_COMPLEX').length).toBeGreaterThan(1);
  });

  test('bad text, bad dates and alias floods are refused with a stable code before anything runs', async () => {
    const failures: string[] = [];
    for (const probe of probes) {
      const res = await gateway.query(probe.document, probe.variables, people.admin);
      const codes = (res.errors ?? []).map((e) => e.extensions?.code);
      if (!codes.includes(probe.code) || res.data && Object.values(res.data).some((v) => v !== null)) failures.push(`${probe.name}: ${JSON.stringify(res.errors ?? res.data).slice(0, 300)}`);
    }
    expect(failures).toEqual([]);
    // Refused text and dates still leave a trace in the audit trail (with U+FFFD for what cannot be stored); the
    // alias floods never reach the subgraph.
    const audit = ok(await gateway.query(`{ ${name}AuditTrail(first: 200) { operation outcome errorCode } }`, {}, people.admin))[`${name}AuditTrail`];
    const refusedMutations = Math.min(200, probes.filter((p) => p.document.startsWith('mutation') && p.code === 'BAD_USER_INPUT').length);
    expect(audit.length).toBeGreaterThanOrEqual(refusedMutations);
    expect(audit.slice(0, refusedMutations).filter((a: { outcome: string; errorCode: string }) => a.outcome !== 'refused' || a.errorCode !== 'BAD_USER_INPUT')).toEqual([]);
  });
});

describe('tokens', () => {
  const config = userTokenConfig();
  const secret = new TextEncoder().encode(config.secret!);
  const sign = (claims: Record<string, unknown>, sub: string, lifetime?: { iat?: number; exp?: number }) => {
    const jwt = new SignJWT(claims).setProtectedHeader({ alg: 'HS256' }).setSubject(sub).setIssuer(config.issuer).setAudience(config.audience);
    if (lifetime?.iat !== undefined) jwt.setIssuedAt(lifetime.iat);
    if (lifetime?.exp !== undefined) jwt.setExpirationTime(lifetime.exp);
    return jwt.sign(secret);
  };
  const now = () => Math.floor(Date.now() / 1000);
  const admin = { roles: ['administrator'], sites: ['*'] };

  test.each([
    ['no expiry', () => sign(admin, people.admin.id, { iat: now() }), 'no expiry'],
    ['a hundred years', () => sign(admin, people.admin.id, { iat: now(), exp: now() + 100 * 365 * 86_400 }), 'valid for longer'],
    ['a day and a half without iat', () => sign(admin, people.admin.id, { exp: now() + 36 * 3600 }), 'valid for longer'],
    ['an hour from an iat a century ahead', () => sign(admin, people.admin.id, { iat: now() + 100 * 365 * 86_400, exp: now() + 100 * 365 * 86_400 + 3600 }), 'valid for longer'],
    ['a contractor without a company', () => sign({ roles: ['contractor'], sites: ['*'] }, people.admin.id, { iat: now(), exp: now() + 600 }), 'company'],
    ['a subject that is not a person id', () => sign(admin, 'admin', { iat: now(), exp: now() + 600 }), 'person id'],
  ])('%s is refused at the gateway, for every subgraph', async (_why, token, message) => {
    const bearer = await token();
    for (const name of Object.keys(definitions)) {
      const res = await postGraphQL(gateway.url, `{ ${name}AuditTrail(first: 1) { operation } }`, {}, { authorization: `Bearer ${bearer}` });
      expect(res.status).toBe(401);
      expect(expectError(res, 'UNAUTHENTICATED').message).toMatch(message);
    }
  });

  test('a token of a working day is accepted', async () => {
    const bearer = await sign(admin, people.admin.id, { iat: now(), exp: now() + 12 * 3600 });
    ok(await postGraphQL(gateway.url, `{ sites { id } }`, {}, { authorization: `Bearer ${bearer}` }));
  });

  test('a subject in upper case is the same person: it cannot verify its own work', async () => {
    const lower = person('0c0c0c0c-aaaa-4000-8000-00000000abcd', ['supervisor', 'verifier']);
    const upper = { ...lower, id: lower.id.toUpperCase() };
    const site = ok(await gateway.query(`mutation { createSite(input: { code: "IDS", name: "Id spelling" }) { id } }`, {}, people.admin)).createSite;
    const item = ok(await gateway.query(`mutation($s: ID!) { createWorkItem(input: { type: OTHER, title: "spelled twice", siteId: $s }) { id } }`, { s: site.id }, lower)).createWorkItem;
    ok(await gateway.query(`mutation($id: ID!) { startWork(id: $id) { id } }`, { id: item.id }, lower));
    ok(await gateway.query(`mutation($id: ID!) { completeWork(id: $id, evidence: []) { id } }`, { id: item.id }, upper));
    expectError(await gateway.query(`mutation($id: ID!) { verifyWork(id: $id, accept: true) { id } }`, { id: item.id }, upper), 'SEPARATION_OF_DUTIES');
    const read = ok(await gateway.query(`query($id: ID!) { workItem(id: $id) { status history { actor { id } } } }`, { id: item.id }, people.admin)).workItem;
    expect(read.status).toBe('AWAITING_VERIFICATION');
    expect(new Set(read.history.map((h: { actor: { id: string } }) => h.actor.id))).toEqual(new Set([lower.id]));
  });
});

test(`${ALIASES} aliases of a cheap field cost more than the limit`, async () => {
  const aliases = Array.from({ length: ALIASES }, (_, i) => `r${i}: sites { id }`).join(' ');
  expect(expectError(await gateway.query(`{ ${aliases} }`, {}, people.admin), 'QUERY_TOO_COMPLEX').message).toMatch(/cost/);
  ok(await gateway.query(`{ a: sites { id } b: sites { id } }`, {}, people.admin));
});
