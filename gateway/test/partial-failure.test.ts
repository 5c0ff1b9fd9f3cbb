import http from 'node:http';
import type { AddressInfo } from 'node:net';
import { ok, people, startTestGateway, startTestService, type TestService } from '@opsgraph/testing';
import { service as permitsService } from '../../services/permits/src/service';
import { service as workService } from '../../services/work/src/service';

/**
 * One supporting subgraph down: the gateway still answers with the data of the others and a clear
 * error for the missing fields, and never hangs on a subgraph that does not answer.
 */
let work: TestService;
let itemId: string;
beforeAll(async () => {
  work = await startTestService(workService);
  const site = ok(await work.query(`mutation { createSite(input: { code: "PF", name: "Partial" }) { id } }`, {}, people.admin)).createSite;
  itemId = ok(await work.query(`mutation($s: ID!) { createWorkItem(input: { type: MAINTENANCE, title: "Grease bearings", siteId: $s }) { id } }`, { s: site.id }, people.supervisor)).createWorkItem.id;
});
afterAll(() => work.stop());

const QUERY = `query($id: ID!) { workItem(id: $id) { title status permits { id } permitReadiness { ready } } }`;

test('a subgraph killed: the others still answer, its fields are null with an error', async () => {
  const permits = await startTestService(permitsService);
  const gateway = await startTestGateway({ work: work.url, permits: permits.url });
  try {
    const before = ok(await gateway.query(QUERY, { id: itemId }, people.operator)).workItem;
    expect(before).toMatchObject({ title: 'Grease bearings', permits: [] });
    await permits.stop();
    const started = Date.now();
    const after = await gateway.query(QUERY, { id: itemId }, people.operator);
    expect(Date.now() - started).toBeLessThan(5_000);
    expect(after.data?.workItem).toEqual({ title: 'Grease bearings', status: 'READY', permits: null, permitReadiness: null });
    expect(after.errors?.length).toBeGreaterThan(0);
    expect(after.errors).toContainEqual(expect.objectContaining({ message: expect.stringMatching(/permits service is unavailable/), extensions: expect.objectContaining({ code: 'UNAVAILABLE', service: 'permits' }) }));
  } finally {
    await gateway.stop();
  }
});

test('a subgraph that accepts but never answers costs its fields a timeout, not a hung request', async () => {
  const silent = http.createServer(() => undefined); // never responds
  await new Promise<void>((r) => silent.listen(0, '127.0.0.1', r));
  const saved = process.env.OPSGRAPH_SUBGRAPH_TIMEOUT_MS;
  process.env.OPSGRAPH_SUBGRAPH_TIMEOUT_MS = '1000';
  const gateway = await startTestGateway({ work: work.url, permits: `http://127.0.0.1:${(silent.address() as AddressInfo).port}/graphql` });
  try {
    const started = Date.now();
    const res = await gateway.query(QUERY, { id: itemId }, people.operator);
    expect(Date.now() - started).toBeLessThan(4_000);
    expect(res.data?.workItem).toMatchObject({ title: 'Grease bearings', permits: null });
    expect(res.errors).toContainEqual(expect.objectContaining({ message: expect.stringMatching(/permits service is unavailable \(timed out\)/) }));
  } finally {
    process.env.OPSGRAPH_SUBGRAPH_TIMEOUT_MS = saved;
    await gateway.stop();
    silent.closeAllConnections();
    silent.close();
  }
});
