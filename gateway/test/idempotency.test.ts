import { randomUUID } from 'node:crypto';
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import { COUNT_STATEMENTS_HEADER, IDEMPOTENCY_KEY_HEADER, deleteExpiredIdempotencyKeys, devToken, type Caller } from '@opsgraph/core';
import { eventually, expectError, ok, people, startTestGateway, startTestService, type GraphQLResult, type TestGateway, type TestService } from '@opsgraph/testing';
import { seedPlant, type Plant } from '../../services/work/test/fixtures';
import { service as workService } from '../../services/work/src/service';
import { service as permitsService } from '../../services/permits/src/service';

/**
 * Retry-safe writes through the real gateway and real subgraphs: a mutation sent with `Idempotency-Key`
 * and retried (because its answer never arrived) is carried out once and the retry gets the first answer.
 */
let work: TestService;
let permits: TestService;
let gateway: TestGateway;
/** A second gateway that reaches Work through a proxy able to cut a mutation's answer after the commit. */
let cutGateway: TestGateway;
let proxy: http.Server;
let cutNextKeyedAnswer = false;
let plant: Plant;

const CREATE = `mutation($i: CreateWorkItemInput!) { createWorkItem(input: $i) { id number title } }`;
const itemInput = (title: string, extra: Record<string, unknown> = {}) => ({ type: 'MAINTENANCE', title, siteId: plant.siteId, assetId: plant.assetId, ...extra });
const keyed = (key: string) => ({ 'idempotency-key': key });
const uniqueTitle = (what: string) => `${what} ${randomUUID().slice(0, 8)}`;

/** The work items whose title is exactly `title`, read back through the gateway. */
async function itemsTitled(title: string): Promise<{ id: string; number: string }[]> {
  const res = ok(await gateway.query(`query($f: WorkItemFilter) { workItems(first: 200, filter: $f) { edges { node { id number title } } } }`, { f: { siteId: plant.siteId, text: title } }, people.supervisor));
  return res.workItems.edges.map((e: { node: { id: string; number: string; title: string } }) => e.node).filter((n: { title: string }) => n.title === title);
}

/** Sends a request with a key until it is no longer IDEMPOTENCY_KEY_IN_PROGRESS (what a client does). */
async function retryWhileInProgress(send: () => Promise<GraphQLResult>): Promise<GraphQLResult> {
  return eventually(async () => {
    const res = await send();
    return res.errors?.some((e) => e.extensions?.code === 'IDEMPOTENCY_KEY_IN_PROGRESS') ? null : res;
  }, 20_000, 100);
}

/** Posts to the gateway over a raw connection and closes it as soon as the request is sent, before any answer. */
async function sendAndHangUp(url: string, query: string, variables: Record<string, unknown>, caller: Caller, headers: Record<string, string>): Promise<void> {
  const body = JSON.stringify({ query, variables });
  const target = new URL(url);
  const token = await devToken(caller);
  await new Promise<void>((resolve, reject) => {
    const req = http.request({
      host: target.hostname, port: target.port, path: target.pathname, method: 'POST',
      headers: { 'content-type': 'application/json', 'content-length': String(Buffer.byteLength(body)), authorization: `Bearer ${token}`, ...headers },
    });
    req.on('response', () => reject(new Error('the answer arrived before the connection was cut')));
    req.on('error', () => undefined); // the destroyed request's own error
    req.end(body, () => {
      req.destroy();
      resolve();
    });
  });
}

async function keyRows(like: string): Promise<{ actor_id: string; key: string; response: unknown }[]> {
  return work.db.query(`SELECT actor_id, key, response FROM idempotency_key WHERE key LIKE $1 ORDER BY key`, [like]);
}

beforeAll(async () => {
  [work, permits] = await Promise.all([startTestService(workService), startTestService(permitsService)]);
  gateway = await startTestGateway({ work: work.url, permits: permits.url });
  const target = new URL(work.url);
  proxy = http.createServer((req, res) => {
    const chunks: Buffer[] = [];
    req.on('data', (c: Buffer) => chunks.push(c));
    req.on('end', () => {
      const cut = cutNextKeyedAnswer && req.headers[IDEMPOTENCY_KEY_HEADER] !== undefined;
      if (cut) cutNextKeyedAnswer = false;
      const forward = http.request({ host: target.hostname, port: target.port, path: target.pathname, method: 'POST', headers: req.headers }, (answer) => {
        if (cut) {
          // The subgraph has committed and answered; the gateway never gets the answer.
          answer.resume();
          res.socket?.destroy();
          return;
        }
        res.writeHead(answer.statusCode ?? 502, answer.headers);
        answer.pipe(res);
      });
      forward.end(Buffer.concat(chunks));
    });
  });
  await new Promise<void>((resolve) => proxy.listen(0, '127.0.0.1', resolve));
  cutGateway = await startTestGateway({ work: `http://127.0.0.1:${(proxy.address() as AddressInfo).port}/graphql`, permits: permits.url });
  plant = await seedPlant(work);
}, 60_000);

afterAll(async () => {
  await cutGateway?.stop();
  await gateway?.stop();
  proxy?.closeAllConnections();
  await new Promise((resolve) => proxy?.close(resolve));
  await Promise.all([work?.stop(), permits?.stop()]);
});

test('createWorkItem sent twice with one key creates one item; the retry gets the first answer', async () => {
  const title = uniqueTitle('Replace seal');
  const key = `create-${randomUUID()}`;
  const first = ok(await gateway.query(CREATE, { i: itemInput(title) }, people.supervisor, keyed(key))).createWorkItem;
  const second = ok(await gateway.query(CREATE, { i: itemInput(title) }, people.supervisor, keyed(key))).createWorkItem;
  const third = ok(await gateway.query(CREATE, { i: itemInput(title) }, people.supervisor, keyed(key))).createWorkItem;
  expect(second).toEqual(first);
  expect(third).toEqual(first);
  expect(await itemsTitled(title)).toEqual([{ id: first.id, number: first.number, title }]);
  // The key is the caller's, per mutation fetch (`#1`), with the answer stored.
  expect(await keyRows(`${key}#%`)).toEqual([{ actor_id: people.supervisor.id, key: `${key}#1`, response: { data: { createWorkItem: first } } }]);
});

test('the same key with other input or another mutation is refused with IDEMPOTENCY_KEY_REUSED and changes nothing', async () => {
  const title = uniqueTitle('Inspect guard');
  const other = uniqueTitle('Inspect another guard');
  const key = `reuse-${randomUUID()}`;
  const first = ok(await gateway.query(CREATE, { i: itemInput(title) }, people.supervisor, keyed(key))).createWorkItem;
  const reused = await gateway.query(CREATE, { i: itemInput(other) }, people.supervisor, keyed(key));
  expect(reused.data?.createWorkItem ?? null).toBeNull();
  expect(expectError(reused, 'IDEMPOTENCY_KEY_REUSED').message).toMatch(/already used for another request/);
  const anotherMutation = await gateway.query(`mutation($i: ShiftLogInput!) { addShiftLogEntry(input: $i) { id } }`, { i: { siteId: plant.siteId, shift: 'A', text: 'pump noisy' } }, people.supervisor, keyed(key));
  expectError(anotherMutation, 'IDEMPOTENCY_KEY_REUSED');
  expect(await itemsTitled(other)).toEqual([]);
  expect(await itemsTitled(title)).toEqual([{ id: first.id, number: first.number, title }]);
  // The audit trail records the refusal as a refusal.
  const [audit] = await work.db.query(`SELECT outcome, error_code FROM audit_entry WHERE operation = 'addShiftLogEntry' ORDER BY id DESC LIMIT 1`);
  expect(audit).toEqual({ outcome: 'refused', error_code: 'IDEMPOTENCY_KEY_REUSED' });
  // Keys are per caller: another person may use the same key for their own request.
  const theirs = ok(await gateway.query(CREATE, { i: itemInput(other) }, people.technician, keyed(key))).createWorkItem;
  expect(await itemsTitled(other)).toEqual([{ id: theirs.id, number: theirs.number, title: other }]);
});

test('a client whose connection is cut after the commit retries with its key and gets the first answer; one item exists', async () => {
  const title = uniqueTitle('Check coupling');
  const key = `hangup-${randomUUID()}`;
  await sendAndHangUp(gateway.url, CREATE, { i: itemInput(title) }, people.supervisor, keyed(key));
  const [created] = await eventually(async () => {
    const items = await itemsTitled(title);
    return items.length ? items : null;
  });
  const retry = await retryWhileInProgress(() => gateway.query(CREATE, { i: itemInput(title) }, people.supervisor, keyed(key)));
  expect(ok(retry).createWorkItem).toEqual({ id: created.id, number: created.number, title });
  expect(await itemsTitled(title)).toHaveLength(1);
});

test('a transport error between gateway and subgraph after the commit: the retry with the key gets the first answer', async () => {
  const title = uniqueTitle('Grease bearing');
  const key = `cut-${randomUUID()}`;
  cutNextKeyedAnswer = true;
  const lost = await cutGateway.query(CREATE, { i: itemInput(title) }, people.supervisor, keyed(key));
  expectError(lost, 'UNAVAILABLE'); // what the client saw: the write happened anyway
  const [created] = await itemsTitled(title);
  expect(created).toBeDefined();
  const retry = await retryWhileInProgress(() => cutGateway.query(CREATE, { i: itemInput(title) }, people.supervisor, keyed(key)));
  expect(ok(retry).createWorkItem).toEqual({ id: created.id, number: created.number, title });
  expect(await itemsTitled(title)).toHaveLength(1);
});

test('createPermit retried with its key creates one permit', async () => {
  const key = `permit-${randomUUID()}`;
  const description = uniqueTitle('Hot work on P-301 bracket');
  const validTo = new Date(Date.now() + 8 * 3600_000).toISOString(); // the same input both times
  const create = () =>
    gateway.query(`mutation($i: CreatePermitInput!) { createPermit(input: $i) { id number status } }`, {
      i: { type: 'HOT_WORK', description, siteId: plant.siteId, siteCode: 'GRN', assetIds: [plant.assetId], validTo },
    }, people.supervisor, keyed(key));
  const first = ok(await create()).createPermit;
  const second = ok(await create()).createPermit;
  expect(second).toEqual(first);
  const listed = ok(await gateway.query(`query($s: ID!) { permits(filter: { siteId: $s }, first: 200) { edges { node { id description } } } }`, { s: plant.siteId }, people.supervisor));
  expect(listed.permits.edges.filter((e: { node: { description: string } }) => e.node.description === description)).toEqual([{ node: { id: first.id, description } }]);
  const [row] = await permits.db.query(`SELECT key FROM idempotency_key WHERE actor_id = $1 AND key LIKE $2`, [people.supervisor.id, `${key}#%`]);
  expect(row).toEqual({ key: `${key}#1` });
});

test('without a key a mutation behaves as before: each call creates; reads with a key are unaffected', async () => {
  const title = uniqueTitle('Clean strainer');
  const a = ok(await gateway.query(CREATE, { i: itemInput(title) }, people.supervisor)).createWorkItem;
  const b = ok(await gateway.query(CREATE, { i: itemInput(title) }, people.supervisor)).createWorkItem;
  expect(a.id).not.toBe(b.id);
  expect(await itemsTitled(title)).toHaveLength(2);
  const key = `read-${randomUUID()}`;
  const read = ok(await gateway.query(`query($id: ID!) { workItem(id: $id) { id } }`, { id: a.id }, people.supervisor, keyed(key)));
  expect(read.workItem.id).toBe(a.id);
  expect(await keyRows(`${key}%`)).toEqual([]);
});

test('concurrent duplicates with one key create one item; each gets the first answer or IDEMPOTENCY_KEY_IN_PROGRESS', async () => {
  const title = uniqueTitle('Align motor');
  const key = `race-${randomUUID()}`;
  const send = () => gateway.query(CREATE, { i: itemInput(title) }, people.supervisor, keyed(key));
  const answers = await Promise.all(Array.from({ length: 8 }, send));
  for (const answer of answers) {
    if (answer.errors?.length) expectError(answer, 'IDEMPOTENCY_KEY_IN_PROGRESS');
  }
  const items = await itemsTitled(title);
  expect(items).toHaveLength(1);
  const expected = { id: items[0].id, number: items[0].number, title };
  const answered = answers.filter((answer) => !answer.errors?.length);
  expect(answered.length).toBeGreaterThanOrEqual(1);
  for (const answer of answered) expect(answer.data.createWorkItem).toEqual(expected);
  // Those told to retry get the same answer when they do.
  expect(ok(await retryWhileInProgress(send)).createWorkItem).toEqual(expected);
  expect(await itemsTitled(title)).toHaveLength(1);
});

test('concurrent duplicates of a state change: one start, and no duplicate is told ILLEGAL_TRANSITION', async () => {
  const item = ok(await gateway.query(CREATE, { i: itemInput(uniqueTitle('Start once')) }, people.supervisor)).createWorkItem;
  await eventually(async () => ok(await gateway.query(`query($id: ID!) { workItem(id: $id) { status } }`, { id: item.id }, people.supervisor)).workItem.status === 'READY');
  const key = `race-start-${randomUUID()}`;
  const start = () => gateway.query(`mutation($id: ID!) { startWork(id: $id) { id status version } }`, { id: item.id }, people.technician, keyed(key));
  const answers = await Promise.all(Array.from({ length: 6 }, start));
  for (const answer of answers) if (answer.errors?.length) expectError(answer, 'IDEMPOTENCY_KEY_IN_PROGRESS');
  const started = ok(await retryWhileInProgress(start)).startWork;
  expect(started.status).toBe('IN_PROGRESS');
  for (const answer of answers) if (!answer.errors?.length) expect(answer.data.startWork).toEqual(started);
  const history = ok(await gateway.query(`query($id: ID!) { workItem(id: $id) { history { to } } }`, { id: item.id }, people.supervisor)).workItem.history;
  expect(history.filter((h: { to: string }) => h.to === 'IN_PROGRESS')).toHaveLength(1);
});

test('a refused mutation is not remembered: its retry with the same key runs again', async () => {
  const title = uniqueTitle('Replace impeller');
  const item = ok(await gateway.query(`mutation($i: CreateWorkItemInput!) { createWorkItem(input: $i) { id prerequisites { id } } }`, {
    i: itemInput(title, { prerequisites: [{ kind: 'MATERIAL', description: 'impeller from stores' }] }),
  }, people.supervisor)).createWorkItem;
  const key = `start-${randomUUID()}`;
  const start = () => gateway.query(`mutation($id: ID!) { startWork(id: $id) { id status } }`, { id: item.id }, people.technician, keyed(key));
  expectError(await start(), 'PREREQUISITES_OPEN');
  expect(await keyRows(`${key}%`)).toEqual([]);
  ok(await gateway.query(`mutation($id: ID!) { satisfyPrerequisite(id: $id) { id } }`, { id: item.prerequisites[0].id }, people.supervisor));
  const started = ok(await start()).startWork;
  expect(started).toEqual({ id: item.id, status: 'IN_PROGRESS' });
  // Sent once more (no ILLEGAL_TRANSITION from starting twice): the stored answer.
  expect(ok(await start()).startWork).toEqual(started);
});

test('several mutations in one request: each mutation fetch has its own key and the retry replays them all', async () => {
  const [ta, tb] = [uniqueTitle('First of two'), uniqueTitle('Second of two')];
  const description = uniqueTitle('Cold work between the two');
  const validTo = new Date(Date.now() + 8 * 3600_000).toISOString();
  const key = `several-${randomUUID()}`;
  // Work, then Permits, then Work again: three fetches, the mutations run one after another.
  const all = () =>
    gateway.query(
      `mutation($a: CreateWorkItemInput!, $p: CreatePermitInput!, $b: CreateWorkItemInput!) {
         a: createWorkItem(input: $a) { id } p: createPermit(input: $p) { id } b: createWorkItem(input: $b) { id } }`,
      { a: itemInput(ta), p: { type: 'COLD_WORK', description, siteId: plant.siteId, siteCode: 'GRN', validTo }, b: itemInput(tb) },
      people.supervisor,
      keyed(key),
    );
  const first = ok(await all());
  expect(ok(await all())).toEqual(first);
  expect((await itemsTitled(ta)).map((i) => i.id)).toEqual([first.a.id]);
  expect((await itemsTitled(tb)).map((i) => i.id)).toEqual([first.b.id]);
  expect((await keyRows(`${key}#%`)).map((r) => r.key)).toEqual([`${key}#1`, `${key}#2`]);
  expect(await permits.db.query(`SELECT key FROM idempotency_key WHERE key LIKE $1`, [`${key}#%`])).toEqual([{ key: `${key}#1` }]);
  const [{ count }] = await permits.db.query(`SELECT count(*)::int AS count FROM permit WHERE description = $1`, [description]);
  expect(count).toBe(1);
});

test('an answer not stored yet is IDEMPOTENCY_KEY_IN_PROGRESS, and after a minute IDEMPOTENCY_RESULT_LOST; nothing runs again', async () => {
  const title = uniqueTitle('Tighten flange');
  const key = `lost-${randomUUID()}`;
  // As if the service had stopped between its commit and storing the answer: storing it fails.
  await work.db.query(`CREATE FUNCTION refuse_answer() RETURNS trigger LANGUAGE plpgsql AS $$ BEGIN RAISE EXCEPTION 'answer lost'; END $$`);
  await work.db.query(`CREATE TRIGGER refuse_answer BEFORE UPDATE ON idempotency_key FOR EACH ROW EXECUTE FUNCTION refuse_answer()`);
  try {
    ok(await gateway.query(CREATE, { i: itemInput(title) }, people.supervisor, keyed(key)));
  } finally {
    await work.db.query(`DROP TRIGGER refuse_answer ON idempotency_key; DROP FUNCTION refuse_answer()`);
  }
  // The key was committed with the write itself (no answer yet), not after it.
  expect(await keyRows(`${key}#%`)).toEqual([{ actor_id: people.supervisor.id, key: `${key}#1`, response: null }]);
  expectError(await gateway.query(CREATE, { i: itemInput(title) }, people.supervisor, keyed(key)), 'IDEMPOTENCY_KEY_IN_PROGRESS');
  await work.db.query(`UPDATE idempotency_key SET created_at = created_at - interval '2 minutes' WHERE key = $1`, [`${key}#1`]);
  expectError(await gateway.query(CREATE, { i: itemInput(title) }, people.supervisor, keyed(key)), 'IDEMPOTENCY_RESULT_LOST');
  expect(await itemsTitled(title)).toHaveLength(1);
});

test('keys are kept OPSGRAPH_IDEMPOTENCY_TTL_HOURS (24): an older key is forgotten, and the cleanup deletes expired ones', async () => {
  const title = uniqueTitle('Replace belt');
  const key = `ttl-${randomUUID()}`;
  const first = ok(await gateway.query(CREATE, { i: itemInput(title) }, people.supervisor, keyed(key))).createWorkItem;
  await work.db.query(`UPDATE idempotency_key SET created_at = created_at - interval '25 hours' WHERE key = $1`, [`${key}#1`]);
  const again = ok(await gateway.query(CREATE, { i: itemInput(title) }, people.supervisor, keyed(key))).createWorkItem;
  expect(again.id).not.toBe(first.id);
  expect(await itemsTitled(title)).toHaveLength(2);

  const expired = `expired-${randomUUID()}`;
  await work.db.query(`INSERT INTO idempotency_key (actor_id, key, request_hash, response, created_at) VALUES ($1, $2, 'h', '{}', now() - interval '25 hours')`, [people.operator.id, `${expired}#1`]);
  expect(await deleteExpiredIdempotencyKeys(work.db)).toBeGreaterThanOrEqual(1);
  expect(await keyRows(`${expired}%`)).toEqual([]);
  expect(await keyRows(`${key}%`)).toHaveLength(1); // the fresh one stays
});

test('a malformed key is refused with 400 BAD_USER_INPUT before anything runs', async () => {
  const title = uniqueTitle('Never created');
  for (const bad of ['x'.repeat(201), '']) {
    const res = await gateway.query(CREATE, { i: itemInput(title) }, people.supervisor, keyed(bad));
    expect(res.status).toBe(400);
    expectError(res, 'BAD_USER_INPUT');
  }
  expect(await itemsTitled(title)).toEqual([]);
  // The header is only read with the client's key; COUNT_STATEMENTS_HEADER and the others still work with one.
  const counted = await gateway.query(`{ sites { id } }`, {}, people.supervisor, { ...keyed('fine'), [COUNT_STATEMENTS_HEADER]: '1' });
  expect(counted.statements).toBeGreaterThan(0);
});
