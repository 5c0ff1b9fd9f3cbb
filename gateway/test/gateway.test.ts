import { readFileSync } from 'node:fs';
import { SignJWT } from 'jose';
import { devToken, internalSecret, signInternalCaller } from '@opsgraph/core';
import { SUPERGRAPH_PATH, composeSupergraph } from '@opsgraph/gateway';
import { expectError, ok, people, postGraphQL, startTestGateway, startTestService, type TestGateway, type TestService } from '@opsgraph/testing';
import { service as workService } from '../../services/work/src/service';

test('the checked-in supergraph is what the subgraph schemas compose to (run `pnpm compose`)', () => {
  expect(readFileSync(SUPERGRAPH_PATH, 'utf8')).toBe(composeSupergraph());
});

describe('through the gateway', () => {
  let work: TestService;
  let gateway: TestGateway;
  beforeAll(async () => {
    work = await startTestService(workService);
    gateway = await startTestGateway({ work: work.url });
  });
  afterAll(async () => {
    await gateway.stop();
    await work.stop();
  });

  test('one query returns a work item with its place, owner, source, prerequisites and history', async () => {
    const admin = people.admin;
    const site = ok(await gateway.query(`mutation { createSite(input: { code: "GW", name: "Gateway plant" }) { id } }`, {}, admin)).createSite;
    const area = ok(await gateway.query(`mutation($s: ID!) { createArea(input: { siteId: $s, code: "PACK", name: "Packaging" }) { id } }`, { s: site.id }, admin)).createArea;
    const asset = ok(await gateway.query(`mutation($s: ID!, $a: ID!) { createAsset(input: { siteId: $s, areaId: $a, code: "P-1", name: "Pump 1" }) { id } }`, { s: site.id, a: area.id }, admin)).createAsset;
    const created = ok(await gateway.query(`mutation($i: CreateWorkItemInput!) { createWorkItem(input: $i) { id } }`, {
      i: {
        type: 'INSPECTION', title: 'Inspect line 3 before restart', siteId: site.id, assetId: asset.id, ownerId: people.technician.id,
        source: { domain: 'CHANGE', recordId: 'c0ffee00-0000-4000-8000-000000000001', reason: 'pre-startup check of MOC-7' },
        prerequisites: [{ kind: 'PERMIT_VALID', description: 'Cold work permit', sourceDomain: 'PERMITS', sourceRecordId: 'p-1' }],
      },
    }, people.supervisor)).createWorkItem;
    const res = await gateway.query(`query($id: ID!) { workItem(id: $id) {
      number status blocked site { code } area { code } asset { code name } owner { id }
      source { domain recordId reason } prerequisites { kind state description } history { from to actor { id } } } }`, { id: created.id }, people.operator);
    expect(ok(res).workItem).toEqual({
      number: 'GW-000001', status: 'OPEN', blocked: true,
      site: { code: 'GW' }, area: { code: 'PACK' }, asset: { code: 'P-1', name: 'Pump 1' }, owner: { id: people.technician.id },
      source: { domain: 'CHANGE', recordId: 'c0ffee00-0000-4000-8000-000000000001', reason: 'pre-startup check of MOC-7' },
      prerequisites: [{ kind: 'PERMIT_VALID', state: 'OPEN', description: 'Cold work permit' }],
      history: [{ from: null, to: 'OPEN', actor: { id: people.supervisor.id } }],
    });
    expect(res.statements).toBeGreaterThan(0); // summed from the subgraph
  });

  test('errors keep their code and details through the gateway, never a stack trace', async () => {
    expectError(await gateway.query(`{ workItem(id: "not-a-uuid") { id } }`, {}, people.operator), 'BAD_USER_INPUT');
    const site = ok(await gateway.query(`mutation { createSite(input: { code: "ERR", name: "Errors" }) { id } }`, {}, people.admin)).createSite;
    const item = ok(await gateway.query(`mutation($s: ID!) { createWorkItem(input: { type: OTHER, title: "x", siteId: $s, prerequisites: [{ kind: MATERIAL, description: "spare seal" }] }) { id } }`, { s: site.id }, people.supervisor)).createWorkItem;
    const refused = expectError(await gateway.query(`mutation($id: ID!) { startWork(id: $id) { id } }`, { id: item.id }, people.technician), 'PREREQUISITES_OPEN');
    expect(refused.extensions!.blockers).toEqual([expect.objectContaining({ kind: 'MATERIAL', description: 'spare seal' })]);
    expect(JSON.stringify(refused)).not.toMatch(/stacktrace|at .*\.ts:/);
  });

  test('callers without a valid token are refused', async () => {
    const noToken = await gateway.query(`{ sites { id } }`, {}, null);
    expect(noToken.status).toBe(401);
    expectError(noToken, 'UNAUTHENTICATED');
    const expired = await devToken(people.admin, { expiresIn: '-1m' });
    expectError(await gateway.query(`{ sites { id } }`, {}, null, { authorization: `Bearer ${expired}` }), 'UNAUTHENTICATED');
    const forged = `${(await devToken(people.admin)).slice(0, -4)}AAAA`;
    expectError(await gateway.query(`{ sites { id } }`, {}, null, { authorization: `Bearer ${forged}` }), 'UNAUTHENTICATED');
  });

  test('subgraphs refuse requests that did not come through the gateway; health stays open', async () => {
    const direct = await postGraphQL(work.url, `{ sites { id } }`);
    expect(direct.status).toBe(401);
    expectError(direct, 'UNAUTHENTICATED');
    const entities = await postGraphQL(work.url, `{ _entities(representations: [{ __typename: "Site", id: "x" }]) { __typename } }`, {}, { 'x-opsgraph-caller': 'forged' });
    expectError(entities, 'UNAUTHENTICATED');
    for (const url of [work.url, gateway.url]) {
      const base = url.replace(/\/graphql$/, '');
      expect((await fetch(`${base}/health`)).status).toBe(200);
      expect((await fetch(`${base}/ready`)).status).toBe(200);
    }
  });

  test('statement counts come back only to a client that asks for them', async () => {
    const query = JSON.stringify({ query: `{ sites { id } }` });
    const token = await devToken(people.admin);
    const send = (extra: Record<string, string>) => fetch(gateway.url, { method: 'POST', headers: { 'content-type': 'application/json', authorization: `Bearer ${token}`, ...extra }, body: query });
    const plain = await send({});
    expect(plain.status).toBe(200);
    expect(plain.headers.get('x-opsgraph-sql-statements')).toBeNull();
    const counted = await send({ 'x-opsgraph-count-statements': '1' });
    expect(Number(counted.headers.get('x-opsgraph-sql-statements'))).toBeGreaterThan(0);
    // A subgraph, likewise: the gateway's signed header, with and without the request for a count.
    const internal = await signInternalCaller(people.admin);
    const direct = (extra: Record<string, string>) => fetch(work.url, { method: 'POST', headers: { 'content-type': 'application/json', 'x-opsgraph-caller': internal, ...extra }, body: query });
    expect((await direct({})).headers.get('x-opsgraph-sql-statements')).toBeNull();
    expect(Number((await direct({ 'x-opsgraph-count-statements': '1' })).headers.get('x-opsgraph-sql-statements'))).toBeGreaterThan(0);
  });

  test('a subgraph trusts a verified gateway header until it expires, never a tampered or expired one', async () => {
    const secret = new TextEncoder().encode(internalSecret());
    const sign = (expiresAt: number) =>
      new SignJWT({ roles: ['administrator'], sites: ['*'] }).setProtectedHeader({ alg: 'HS256' }).setSubject(people.admin.id).setIssuer('opsgraph-gateway').setIssuedAt().setExpirationTime(expiresAt).sign(secret);
    const query = `{ sites { id } }`;
    const shortLived = await sign(Math.floor(Date.now() / 1000) + 2);
    ok(await postGraphQL(work.url, query, {}, { 'x-opsgraph-caller': shortLived }));
    ok(await postGraphQL(work.url, query, {}, { 'x-opsgraph-caller': shortLived })); // the second time from what it remembers
    expectError(await postGraphQL(work.url, query, {}, { 'x-opsgraph-caller': `${shortLived.slice(0, -4)}AAAA` }), 'UNAUTHENTICATED');
    expectError(await postGraphQL(work.url, query, {}, { 'x-opsgraph-caller': await sign(Math.floor(Date.now() / 1000) - 60) }), 'UNAUTHENTICATED');
    // Remembered or not, a header is refused once its expiry has passed.
    await new Promise((resolve) => setTimeout(resolve, Math.max(0, Number(JSON.parse(Buffer.from(shortLived.split('.')[1], 'base64url').toString()).exp) * 1000 - Date.now() + 50)));
    expectError(await postGraphQL(work.url, query, {}, { 'x-opsgraph-caller': shortLived }), 'UNAUTHENTICATED');
  });

  test('oversized request bodies are refused before parsing', async () => {
    const res = await fetch(gateway.url, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify({ query: `{ sites { id } }`, pad: 'x'.repeat(1_100_000) }) });
    expect(res.status).toBe(413);
  });
});

describe('abuse limits', () => {
  let work: TestService;
  let gateway: TestGateway;
  beforeAll(async () => {
    work = await startTestService(workService);
    gateway = await startTestGateway({ work: work.url });
  });
  afterAll(async () => {
    await gateway.stop();
    await work.stop();
  });

  test('too deep and too costly queries are refused before reaching a subgraph', async () => {
    const deep = `{ sites { areas { site { areas { site { areas { site { areas { site { areas { site { areas { site { id } } } } } } } } } } } } } }`;
    const tooDeep = expectError(await gateway.query(deep, {}, people.admin), 'QUERY_TOO_COMPLEX');
    expect(tooDeep.message).toMatch(/levels deep/);
    const costly = `{ workItems(first: 200) { edges { node { asset { openWorkItems { history { at } evidence { label } prerequisites { description } } } } } } }`;
    const tooCostly = expectError(await gateway.query(`{ a: ${costly.slice(1, -1)} b: ${costly.slice(1, -1)} c: ${costly.slice(1, -1)} }`.replace('{ a: workItems', '{ a: workItems'), {}, people.admin), 'QUERY_TOO_COMPLEX');
    expect(tooCostly.message).toMatch(/cost/);
    expect(ok(await gateway.query(`{ workItems(first: 20) { edges { node { id asset { code } } } } }`, {}, people.admin)).workItems.edges).toEqual([]);
  });

  test('page sizes are capped', async () => {
    expectError(await gateway.query(`{ workItems(first: 1000) { totalCount } }`, {}, people.admin), 'BAD_USER_INPUT');
  });
});

test('every process serves Prometheus metrics: requests, errors by code, latency, DB pool', async () => {
  const work = await startTestService(workService);
  const gateway = await startTestGateway({ work: work.url });
  try {
    await gateway.query(`{ workItem(id: "bad") { id } }`, {}, people.admin);
    await gateway.query(`{ sites { id } }`, {}, people.admin);
    const text = await (await fetch(work.url.replace(/graphql$/, 'metrics'))).text();
    expect(text).toMatch(/opsgraph_graphql_requests_total\{service="work",operation="query",outcome="ok"\} [1-9]/);
    expect(text).toMatch(/opsgraph_graphql_errors_total\{service="work",code="BAD_USER_INPUT"\} [1-9]/);
    expect(text).toMatch(/opsgraph_graphql_request_duration_seconds_bucket/);
    expect(text).toMatch(/opsgraph_db_pool_connections\{database="work",state="total"\} [1-9]/);
    const gatewayText = await (await fetch(gateway.url.replace(/graphql$/, 'metrics'))).text();
    expect(gatewayText).toMatch(/opsgraph_graphql_requests_total\{service="gateway"/);
  } finally {
    await gateway.stop();
    await work.stop();
  }
});
