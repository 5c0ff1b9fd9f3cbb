import http from 'node:http';
import type { AddressInfo } from 'node:net';
import { SubgraphClient } from '../src/subgraph-client';
import { ok, people, person, startTestGateway, startTestService, type TestGateway, type TestService } from '@opsgraph/testing';
import { service as workService } from '../../services/work/src/service';

/** A real HTTP server that answers after a delay and counts what reached it. */
async function slowServer(delayMs: number) {
  const seen: string[] = [];
  const server = http.createServer((req, res) => {
    let body = '';
    req.on('data', (c) => (body += c));
    req.on('end', () => {
      seen.push(body);
      setTimeout(() => res.writeHead(200, { 'content-type': 'application/json' }).end(JSON.stringify({ data: { echo: body, n: seen.length } })), delayMs);
    });
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  return { url: `http://127.0.0.1:${(server.address() as AddressInfo).port}/graphql`, seen, close: () => new Promise((r) => server.close(r)) };
}

describe('the gateway subgraph client', () => {
  let server: Awaited<ReturnType<typeof slowServer>>;
  let client: SubgraphClient;
  beforeAll(async () => {
    server = await slowServer(150);
    client = new SubgraphClient({ timeoutMs: 5_000 });
  });
  afterAll(async () => {
    client.close();
    await server.close();
  });
  beforeEach(() => server.seen.splice(0));

  test('identical reads of one caller in flight together share one round trip; each gets its own copy', async () => {
    const answers = await Promise.all([1, 2, 3, 4, 5].map(() => client.post(server.url, {}, '{"query":"{ a }"}', 'caller-1')));
    expect(server.seen).toHaveLength(1);
    expect(new Set(answers.map((a) => a.body)).size).toBe(1);
    // Parsed per waiter: the gateway merges into what it parses, so no two requests may share objects.
    const [x, y] = answers.map((a) => JSON.parse(a.body));
    expect(x).toEqual(y);
    expect(x).not.toBe(y);
  });

  test('other callers, other bodies, calls without a share key and later calls are not shared', async () => {
    await Promise.all([
      client.post(server.url, {}, '{"query":"{ a }"}', 'caller-1'),
      client.post(server.url, {}, '{"query":"{ a }"}', 'caller-2'),
      client.post(server.url, {}, '{"query":"{ b }"}', 'caller-1'),
      client.post(server.url, {}, '{"query":"{ a }"}'),
      client.post(server.url, {}, '{"query":"{ a }"}'),
    ]);
    expect(server.seen).toHaveLength(5);
    await client.post(server.url, {}, '{"query":"{ a }"}', 'caller-1');
    expect(server.seen).toHaveLength(6); // sharing is for calls in flight together, never a cache
  });

  test('a call past its deadline fails with a TimeoutError', async () => {
    const impatient = new SubgraphClient({ timeoutMs: 50 });
    await expect(impatient.post(server.url, {}, '{}')).rejects.toMatchObject({ name: 'TimeoutError' });
    impatient.close();
  });
});

describe('sharing through the gateway never crosses callers or repeats mutations', () => {
  let work: TestService;
  let gateway: TestGateway;
  const sites: string[] = [];
  beforeAll(async () => {
    work = await startTestService(workService);
    gateway = await startTestGateway({ work: work.url });
    for (const code of ['SHA', 'SHB']) {
      const siteId = ok(await gateway.query(`mutation($c: String!) { createSite(input: { code: $c, name: $c }) { id } }`, { c: code }, people.admin)).createSite.id;
      sites.push(siteId);
      for (let i = 0; i < 3; i++) {
        await gateway.query(`mutation($s: ID!, $t: String!) { createWorkItem(input: { type: OTHER, title: $t, siteId: $s }) { id } }`, { s: siteId, t: `${code}-${i}` }, people.admin).then(ok);
      }
    }
  });
  afterAll(async () => {
    await gateway.stop();
    await work.stop();
  });

  test('two operators of different sites asking the same query at once each see only their own site', async () => {
    const operators = sites.map((siteId, i) => person(`00000000-0000-4000-8000-00000000a00${i}`, 'operator', [siteId]));
    const query = `{ workItems(first: 50) { totalCount edges { node { title site { id } } } } }`;
    const answers = await Promise.all(Array.from({ length: 12 }, (_, i) => gateway.query(query, {}, operators[i % 2]).then((r) => ({ i: i % 2, data: ok(r).workItems }))));
    for (const { i, data } of answers) {
      expect(data.totalCount).toBe(3);
      expect(data.edges.map((e: { node: { site: { id: string } } }) => e.node.site.id)).toEqual([sites[i], sites[i], sites[i]]);
    }
  });

  test('identical mutations sent at once by one caller each run', async () => {
    const create = `mutation($s: ID!) { createWorkItem(input: { type: OTHER, title: "twin", siteId: $s }) { id } }`;
    const [a, b] = await Promise.all([1, 2].map(() => gateway.query(create, { s: sites[0] }, people.admin).then(ok)));
    expect(a.createWorkItem.id).not.toBe(b.createWorkItem.id);
  });
});
