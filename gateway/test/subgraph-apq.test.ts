import { ok, people, startSubgraphProxy, startTestGateway, startTestService, type SubgraphProxy, type TestGateway, type TestService } from '@opsgraph/testing';
import { service as workService } from '../../services/work/src/service';

/**
 * Gateway → subgraph calls use automatic persisted queries: a query text goes to a subgraph once, then only
 * its hash; a subgraph that no longer knows the hash (restarted, another replica) gets the text again and the
 * client never notices. A recording proxy between the gateway and Work sees what travels.
 */
interface Seen {
  query?: string;
  hash?: string;
  answeredNotFound?: boolean;
}

let work: TestService;
let gateway: TestGateway;
let proxy: SubgraphProxy;
const seen: Seen[] = [];
let forgetNext = false;

beforeAll(async () => {
  work = await startTestService(workService);
  proxy = await startSubgraphProxy(work.url, (json, res) => {
    const entry: Seen = { query: json.query, hash: json.extensions?.persistedQuery?.sha256Hash };
    seen.push(entry);
    if (!forgetNext || json.query) return false;
    // As a freshly restarted subgraph answers a hash it never saw.
    forgetNext = false;
    entry.answeredNotFound = true;
    res.writeHead(200, { 'content-type': 'application/json' });
    res.end(JSON.stringify({ errors: [{ message: 'PersistedQueryNotFound', extensions: { code: 'PERSISTED_QUERY_NOT_FOUND' } }] }));
    return true;
  });
  gateway = await startTestGateway({ work: proxy.url });
});

afterAll(async () => {
  await gateway.stop();
  await proxy.close();
  await work.stop();
});

test('a query text reaches the subgraph once, then only its hash; a forgotten hash is sent again with its text', async () => {
  const site = ok(await gateway.query(`mutation { createSite(input: { code: "APQ", name: "Persisted" }) { id } }`, {}, people.admin)).createSite;
  const query = `query($id: ID!) { site(id: $id) { code name } }`;
  seen.length = 0;
  for (let i = 0; i < 3; i++) expect(ok(await gateway.query(query, { id: site.id }, people.operator)).site).toEqual({ code: 'APQ', name: 'Persisted' });
  expect(seen).toHaveLength(3);
  const hash = seen[0].hash!;
  expect(hash).toMatch(/^[0-9a-f]{64}$/);
  expect(seen[0].query).toContain('site(id:');
  expect(seen.slice(1)).toEqual([{ hash, query: undefined }, { hash, query: undefined }]);

  seen.length = 0;
  forgetNext = true;
  expect(ok(await gateway.query(query, { id: site.id }, people.operator)).site).toEqual({ code: 'APQ', name: 'Persisted' });
  expect(seen.map((s) => [Boolean(s.query), s.hash === hash, Boolean(s.answeredNotFound)])).toEqual([
    [false, true, true],
    [true, true, false],
  ]);
  // Known again: back to the hash alone.
  seen.length = 0;
  ok(await gateway.query(query, { id: site.id }, people.operator));
  expect(seen).toEqual([{ hash, query: undefined }]);
});
