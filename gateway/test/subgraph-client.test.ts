import http from 'node:http';
import type { AddressInfo } from 'node:net';
import { SubgraphClient, splitJsonArray } from '../src/subgraph-client';
import { eventually, ok, people, person, startSubgraphProxy, startTestGateway, startTestService, type SubgraphProxy, type TestGateway, type TestService } from '@opsgraph/testing';
import { service as competenceService } from '../../services/competence/src/service';
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

describe('batched calls', () => {
  /** Answers a batch as Apollo Server does: one JSON array, an answer per operation, in order. */
  let server: http.Server;
  let url: string;
  const seen: { body: string; headers: http.IncomingHttpHeaders }[] = [];
  beforeAll(async () => {
    server = http.createServer((req, res) => {
      let body = '';
      req.on('data', (c) => (body += c));
      req.on('end', () => {
        seen.push({ body, headers: req.headers });
        const parsed = JSON.parse(body);
        const answer = (op: { query: string }) => ({ data: { echo: op.query, tricky: 'a "quoted", [bracketed] {braced} \\ value' } });
        res.writeHead(200, { 'content-type': 'application/json', 'x-opsgraph-sql-statements': '7' });
        res.end(JSON.stringify(Array.isArray(parsed) ? parsed.map(answer) : answer(parsed)));
      });
    });
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    url = `http://127.0.0.1:${(server.address() as AddressInfo).port}/graphql`;
  });
  afterAll(() => new Promise((resolve) => server.close(resolve)));
  beforeEach(() => seen.splice(0));

  test('calls of one request to one subgraph started together go as one batch; each gets its own answer', async () => {
    const client = new SubgraphClient({ timeoutMs: 5_000, batch: true });
    try {
      const headers = { 'x-request-id': 'r-1' };
      const answers = await Promise.all(['{ a }', '{ b }', '{ c }'].map((q) => client.post(url, headers, JSON.stringify({ query: q }))));
      expect(seen).toHaveLength(1);
      expect(JSON.parse(seen[0].body)).toEqual([{ query: '{ a }' }, { query: '{ b }' }, { query: '{ c }' }]);
      expect(answers.map((a) => JSON.parse(a.body).data.echo)).toEqual(['{ a }', '{ b }', '{ c }']);
      expect(JSON.parse(answers[0].body).data.tricky).toBe('a "quoted", [bracketed] {braced} \\ value');
      // The batch's statement count is reported once, not once per answer.
      expect(answers.map((a) => a.headers['x-opsgraph-sql-statements'])).toEqual(['7', undefined, undefined]);

      // Other headers (another request, another caller), or a later turn: separate requests, unbatched when alone.
      seen.splice(0);
      await Promise.all([client.post(url, headers, '{"query":"{ a }"}'), client.post(url, { 'x-request-id': 'r-2' }, '{"query":"{ a }"}')]);
      await client.post(url, headers, '{"query":"{ b }"}');
      expect(seen.map((s) => JSON.parse(s.body))).toEqual([{ query: '{ a }' }, { query: '{ a }' }, { query: '{ b }' }]);
    } finally {
      client.close();
    }
  });

  test('splitting a batch answer respects strings, escapes and nesting, and refuses what is not an array', () => {
    const parts = [{ data: { a: [1, { b: '],[' }], c: 'say "hi", then \\' } }, { errors: [{ message: '{' }] }, null, 'x'].map((p) => JSON.stringify(p));
    expect(splitJsonArray(`[${parts.join(',')}]`)).toEqual(parts);
    expect(splitJsonArray(` [ ${parts.join(' , ')} ] \n`)).toEqual(parts);
    expect(splitJsonArray('[]')).toEqual([]);
    for (const bad of ['{"errors":[]}', '[{"a":1}', '[1] trailing', 'x[1]']) expect(splitJsonArray(bad)).toBeNull();
  });
});

describe('batching through the gateway with real subgraphs', () => {
  let work: TestService;
  let competence: TestService;
  let proxy: SubgraphProxy;
  const batches: number[] = [];
  let itemId: string;
  beforeAll(async () => {
    work = await startTestService(workService);
    competence = await startTestService(competenceService);
    // Counts the operations in each request that reaches competence.
    proxy = await startSubgraphProxy(competence.url, (body) => void batches.push(Array.isArray(body) ? body.length : 1));
    const site = ok(await work.query(`mutation { createSite(input: { code: "BAT", name: "Batch" }) { id } }`, {}, people.admin)).createSite;
    itemId = ok(await work.query(`mutation($s: ID!, $o: ID!) { createWorkItem(input: { type: INSPECTION, title: "Batch me", siteId: $s, ownerId: $o }) { id } }`, { s: site.id, o: people.technician.id }, people.supervisor)).createWorkItem.id;
    // Competence answers `ownerQualified` once Work's event told it of the item: both answers below must see it.
    await eventually(async () => (await competence.db.query(`SELECT 1 FROM open_work_item WHERE work_item_id = $1`, [itemId])).length > 0, 30_000);
  });
  afterAll(async () => {
    await proxy.close();
    await competence.stop();
    await work.stop();
  });

  test("a plan's two fetches from competence (the owner, the item's qualifications) travel as one request, with the same answer", async () => {
    const query = `query($id: ID!) { workItem(id: $id) { title owner { id } requiredQualifications { code } ownerQualified { qualified } } }`;
    const answerWith = async (batch: boolean) => {
      const before = process.env.OPSGRAPH_BATCH_SUBGRAPH_CALLS;
      process.env.OPSGRAPH_BATCH_SUBGRAPH_CALLS = String(batch);
      const gateway = await startTestGateway({ work: work.url, competence: proxy.url });
      if (before === undefined) delete process.env.OPSGRAPH_BATCH_SUBGRAPH_CALLS;
      else process.env.OPSGRAPH_BATCH_SUBGRAPH_CALLS = before;
      try {
        batches.splice(0);
        const answer = await gateway.query(query.replace('owner { id }', 'owner { id name }'), { id: itemId }, people.supervisor);
        return { data: ok(answer), batches: [...batches] };
      } finally {
        await gateway.stop();
      }
    };
    const batched = await answerWith(true);
    const single = await answerWith(false);
    expect(single.batches).toEqual([1, 1]);
    expect(batched.batches).toEqual([2]);
    expect(batched.data).toEqual(single.data);
    expect(batched.data.workItem).toMatchObject({ title: 'Batch me', owner: { id: people.technician.id } });
  });
});
