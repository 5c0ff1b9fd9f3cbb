import { createClient as createWsClient } from 'graphql-ws';
import WebSocket from 'ws';
import { devToken } from '@opsgraph/core';
import {
  eventually,
  ok,
  people,
  person,
  sleep,
  startLiveTestGateway,
  startTestService,
  testBrokers,
  untilPlacesKnown,
  type LiveMessage,
  type LiveSubscription,
  type LiveTestGateway,
  type TestService,
} from '@opsgraph/testing';
import { service as competenceService } from '../../services/competence/src/service';
import { service as permitsService } from '../../services/permits/src/service';
import { untilWorkItemsKnown } from '../../services/permits/test/fixtures';
import { service as workService } from '../../services/work/src/service';
import { seedPlant, type Plant } from '../../services/work/test/fixtures';

/**
 * The live picture: Work, Permits and Competence on real Kafka behind two real gateway replicas. Board
 * subscriptions over graphql-ws and graphql-sse get each change as a new whole board, resolved through the
 * federated plan as the subscriber (fields of all three subgraphs in every message).
 */
let work: TestService;
let permits: TestService;
let competence: TestService;
let gateway: LiveTestGateway;
let replica: LiveTestGateway;
let plant: Plant;
const open: LiveSubscription[] = [];

const tom = people.technician;
const tina = people.technician2;
const issuer = person('00000000-0000-4000-8000-0000000000c1', 'permit_issuer');
const hse = person('00000000-0000-4000-8000-0000000000c2', 'hse');

const gql = async <T = any>(query: string, variables: Record<string, unknown> = {}, caller = people.supervisor) => ok(await gateway.query<T>(query, variables, caller));

const BOARD = `subscription($s: ID!, $a: ID) { board(siteId: $s, areaId: $a) {
  blockedCount awaitingVerificationCount
  items { id number status blocked contractorCompany owner { name } blockers { kind } permitReadiness { ready problems } ownerQualified { qualified missing { code } } }
} }`;

type Item = { id: string; number: string; status: string; blocked: boolean; owner: { name: string } | null; permitReadiness: { ready: boolean; problems: string[] }; ownerQualified: { qualified: boolean } | null; blockers: { kind: string }[]; contractorCompany: string | null };
const itemOf = (m: LiveMessage, id: string): Item | undefined => m.data?.board?.items.find((i: Item) => i.id === id);

beforeAll(async () => {
  testBrokers(); // real Kafka: the gateways tail the topics the services publish to
  process.env.OPSGRAPH_SUBSCRIPTIONS_PER_CONNECTION = '3';
  [work, permits, competence] = await Promise.all([startTestService(workService), startTestService(permitsService), startTestService(competenceService)]);
  const urls = { work: work.url, permits: permits.url, competence: competence.url };
  [gateway, replica] = await Promise.all([startLiveTestGateway(urls), startLiveTestGateway(urls)]);
  plant = await seedPlant(work);
  await untilPlacesKnown(competence.db, [plant.siteId]);
  for (const [p, name] of [[tom, 'Tom Technician'], [tina, 'Tina Technician']] as const) {
    await gql(`mutation($i: RegisterPersonInput!) { registerPerson(input: $i) { id } }`, { i: { id: p.id, name, roles: ['technician'], siteIds: [plant.siteId] } }, hse);
  }
  await gql(`mutation { createQualification(input: { code: "PUMP-MECH", name: "Pump mechanical seal fitting", validityMonths: 24 }) { id } }`, {}, hse);
  await gql(`mutation { addQualificationRequirement(input: { qualificationCode: "PUMP-MECH", assetClass: "pump" }) { id } }`, {}, hse);
  await gql(`mutation($p: ID!, $at: DateTime!) { grantCompetence(input: { personId: $p, qualificationCode: "PUMP-MECH", achievedAt: $at, evidence: "cert PM-77" }) { id } }`, { p: tom.id, at: new Date(Date.now() - 30 * 24 * 3600_000).toISOString() }, hse);
}, 90_000);
afterEach(async () => {
  for (const s of open.splice(0)) await s.close().catch(() => undefined);
});
afterAll(async () => {
  await Promise.all([gateway?.stop(), replica?.stop()]);
  await Promise.all([work?.stop(), permits?.stop(), competence?.stop()]);
});

const track = <T extends LiveSubscription>(s: T) => (open.push(s), s);

async function pumpJob(title: string, ownerId: string | null, extra: Record<string, unknown> = {}) {
  return (await gql(`mutation($i: CreateWorkItemInput!) { createWorkItem(input: $i) { id number } }`, { i: { type: 'MAINTENANCE', title, siteId: plant.siteId, assetId: plant.assetId, ownerId, ...extra } })).createWorkItem as { id: string; number: string };
}

async function issuedPermit(workItemIds: string[]) {
  await untilPlacesKnown(permits.db, [plant.siteId, plant.assetId]);
  await untilWorkItemsKnown(permits, workItemIds);
  const permit = (await gql(`mutation($i: CreatePermitInput!) { createPermit(input: $i) { id number isolations { id } } }`, {
    i: {
      type: 'HOT_WORK', description: 'Cut and weld P-301 discharge bracket', siteId: plant.siteId, siteCode: 'GRN', assetIds: [plant.assetId], workItemIds,
      validTo: new Date(Date.now() + 8 * 3600_000).toISOString(), precautions: ['Fire watch 30 min after'],
      isolations: [{ assetId: plant.assetId, point: 'MCC-3 breaker 12', method: 'ELECTRICAL_LOCKOUT' }],
    },
  })).createPermit;
  await gql(`mutation($id: ID!) { requestPermit(id: $id) { id } }`, { id: permit.id });
  await gql(`mutation($id: ID!) { approvePermit(id: $id) { id } }`, { id: permit.id }, hse);
  await gql(`mutation($id: ID!) { applyIsolation(id: $id, tag: "L-041") { id } }`, { id: permit.isolations[0].id }, tom);
  await gql(`mutation($id: ID!) { verifyIsolation(id: $id) { id } }`, { id: permit.isolations[0].id }, issuer);
  await gql(`mutation($id: ID!, $pa: ID!) { issuePermit(id: $id, performingAuthorityId: $pa) { status } }`, { id: permit.id, pa: tom.id }, issuer);
  return permit as { id: string; number: string };
}

const boardNow = async () => (await gql(`query($s: ID!, $a: ID) { board(siteId: $s, areaId: $a) { items { id status blocked } } }`, { s: plant.siteId, a: plant.areaId })).board;

/** Every field of the three subgraphs is in the message for the item: Work's state, Competence's people, Permits' readiness. */
function expectThreeSubgraphs(item: Item | undefined) {
  expect(item).toBeDefined();
  expect(typeof item!.status).toBe('string'); // work
  expect(item!.owner?.name).toMatch(/Technician/); // competence
  expect(item!.permitReadiness).toEqual({ ready: expect.any(Boolean), problems: expect.any(Array) }); // permits
}

test('a board over graphql-ws and over SSE: a permit suspension, a competence grant and a verification each arrive as updates', async () => {
  const jobA = await pumpJob('Weld bracket on P-301', tom.id);
  const jobB = await pumpJob('Replace P-301 mechanical seal', tina.id);
  const permit = await issuedPermit([jobA.id]);
  await eventually(async () => {
    const items = (await boardNow()).items;
    return items.find((i: { id: string; status: string }) => i.id === jobA.id)?.status === 'READY' && items.find((i: { id: string; blocked: boolean }) => i.id === jobB.id)?.blocked;
  });

  const vars = { s: plant.siteId, a: plant.areaId };
  const ws = track(await gateway.subscribeWs(BOARD, vars, people.supervisor));
  const sse = track(await gateway.subscribeSse(BOARD, vars, people.admin));
  for (const client of [ws, sse]) {
    const first = await client.next();
    expect(first.extensions?.position).toMatch(/^\d{13}\./);
    expect(itemOf(first, jobA.id)).toMatchObject({ status: 'READY', permitReadiness: { ready: true } });
    expect(itemOf(first, jobB.id)).toMatchObject({ blocked: true, ownerQualified: { qualified: false } });
  }

  // Permits: a suspension reaches the board through Permits' own event and Work's blocker.
  await gql(`mutation($id: ID!) { startWork(id: $id) { status } }`, { id: jobA.id }, tom);
  await gql(`mutation($id: ID!) { suspendPermit(id: $id, reason: "gas alarm in the pump house") { status } }`, { id: permit.id }, hse);
  for (const client of [ws, sse]) {
    const suspended = await client.next((m) => itemOf(m, jobA.id)?.permitReadiness.ready === false && itemOf(m, jobA.id)?.blocked);
    expectThreeSubgraphs(itemOf(suspended, jobA.id));
    expect(itemOf(suspended, jobA.id)).toMatchObject({ status: 'IN_PROGRESS', blockers: [{ kind: 'PERMIT_VALID' }], permitReadiness: { problems: [`${permit.number} suspended: gas alarm in the pump house`] } });
  }

  // Competence: granting Tina the qualification clears her item's blocker.
  await gql(`mutation($p: ID!, $at: DateTime!) { grantCompetence(input: { personId: $p, qualificationCode: "PUMP-MECH", achievedAt: $at, evidence: "cert PM-91" }) { id } }`, { p: tina.id, at: new Date().toISOString() }, hse);
  for (const client of [ws, sse]) {
    const granted = await client.next((m) => itemOf(m, jobB.id)?.ownerQualified?.qualified === true && !itemOf(m, jobB.id)?.blocked);
    expectThreeSubgraphs(itemOf(granted, jobB.id));
    expect(itemOf(granted, jobB.id)).toMatchObject({ owner: { name: 'Tina Technician' }, status: 'READY', blockers: [] });
  }

  // Work: completed and verified, the item leaves the open board (the next picture simply lacks it).
  await gql(`mutation($id: ID!) { reinstatePermit(id: $id) { status } }`, { id: permit.id }, issuer);
  await eventually(async () => !(await boardNow()).items.find((i: { id: string }) => i.id === jobA.id).blocked);
  await gql(`mutation($id: ID!) { completeWork(id: $id, evidence: []) { status } }`, { id: jobA.id }, tom);
  for (const client of [ws, sse]) {
    const awaiting = await client.next((m) => itemOf(m, jobA.id)?.status === 'AWAITING_VERIFICATION');
    expect(awaiting.data.board.awaitingVerificationCount).toBe(1);
    expectThreeSubgraphs(itemOf(awaiting, jobA.id));
  }
  await gql(`mutation($id: ID!) { verifyWork(id: $id, accept: true) { status } }`, { id: jobA.id }, people.verifier);
  for (const client of [ws, sse]) {
    const verified = await client.next((m) => m.data?.board && !itemOf(m, jobA.id));
    expect(verified.data.board.awaitingVerificationCount).toBe(0);
    expectThreeSubgraphs(itemOf(verified, jobB.id));
  }
  // Only changes are sent: positions differ message to message, and no two consecutive answers are equal.
  for (const client of [ws, sse]) {
    const answers = client.messages.map((m) => JSON.stringify(m.data));
    expect(answers.every((a, i) => i === 0 || a !== answers[i - 1])).toBe(true);
  }
});

test("a contractor's board never carries another company's items, before or after changes", async () => {
  const acme = person('00000000-0000-4000-8000-0000000000d1', 'contractor', [plant.siteId], 'Acme Mechanical');
  const ours = await pumpJob('Acme: align P-301 coupling', null, { contractorCompany: 'Acme Mechanical' });
  const theirs = await pumpJob('Borg: paint P-301 skid', null, { contractorCompany: 'Borg Coatings' });
  const query = `subscription($s: ID!, $a: ID) { board(siteId: $s, areaId: $a) { items { id contractorCompany status } } }`;
  const vars = { s: plant.siteId, a: plant.areaId };
  const contractor = track(await gateway.subscribeWs(query, vars, acme));
  const supervisor = track(await gateway.subscribeWs(query, vars, people.supervisor));
  const seen = (m: LiveMessage, id: string) => m.data?.board?.items.some((i: { id: string }) => i.id === id);
  await supervisor.next((m) => seen(m, ours.id) && seen(m, theirs.id));
  await contractor.next((m) => seen(m, ours.id));

  const theirsLater = await pumpJob('Borg: second coat on P-301 skid', null, { contractorCompany: 'Borg Coatings' });
  const oursLater = await pumpJob('Acme: check P-301 alignment', null, { contractorCompany: 'Acme Mechanical' });
  await supervisor.next((m) => seen(m, theirsLater.id) && seen(m, oursLater.id));
  await contractor.next((m) => seen(m, oursLater.id));
  const companies = contractor.messages.flatMap((m) => m.data.board.items.map((i: { contractorCompany: string }) => i.contractorCompany));
  expect(new Set(companies)).toEqual(new Set(['Acme Mechanical']));
  expect(contractor.messages.some((m) => seen(m, theirs.id) || seen(m, theirsLater.id))).toBe(false);
});

test('an expired token closes the WebSocket and ends the SSE stream', async () => {
  const short = await devToken(people.supervisor, { expiresIn: '3s' });
  const vars = { s: plant.siteId, a: plant.areaId };
  const ws = track(await gateway.subscribeWs(BOARD, vars, short));
  const sse = track(await gateway.subscribeSse(BOARD, vars, short));
  await ws.next();
  await sse.next();
  const [wsEnd] = await Promise.all([ws.ended, sse.next((m) => m.errors?.[0]?.extensions?.code === 'UNAUTHENTICATED', 10_000), sse.ended]);
  expect(wsEnd).toMatchObject({ code: 4401, reason: expect.stringContaining('expired') });

  // An expired token is refused at connection time.
  const expired = await devToken(people.supervisor, { expiresIn: '-1m' });
  const refused = await gateway.subscribeWs(BOARD, vars, expired);
  expect(await refused.ended).toMatchObject({ code: 4403 });
  const res = await fetch(gateway.url, { method: 'POST', headers: { accept: 'text/event-stream', 'content-type': 'application/json', authorization: `Bearer ${expired}` }, body: JSON.stringify({ query: BOARD, variables: vars }) });
  expect(res.status).toBe(401);
});

test('a client that reconnects with its position gets what changed since (catch-up), nothing when nothing did, a reset when it is too old', async () => {
  const vars = { s: plant.siteId, a: plant.areaId };
  const first = track(await gateway.subscribeWs(BOARD, vars, people.supervisor));
  const before = await first.next();
  await first.close();

  // While disconnected: a new job on the board.
  const job = await pumpJob('Check P-301 vibration', tom.id);
  await eventually(async () => (await boardNow()).items.some((i: { id: string; status: string }) => i.id === job.id && i.status === 'READY'));

  const again = track(await gateway.subscribeWs(BOARD, vars, people.supervisor, { position: before.extensions!.position }));
  const caughtUp = await again.next();
  expect(caughtUp.extensions).toMatchObject({ catchUp: true });
  expect(itemOf(caughtUp, job.id)).toBeDefined();
  expectThreeSubgraphs(itemOf(caughtUp, job.id));

  // Over SSE, on the other replica, with the latest position: nothing was missed, so nothing is sent …
  // Settled: READY in Work, and known to competence (whether its owner is qualified comes with competence's own event).
  const isSettled = (m: LiveMessage) => itemOf(m, job.id)?.status === 'READY' && !!itemOf(m, job.id)?.ownerQualified;
  const settled = isSettled(caughtUp) ? caughtUp : await again.next(isSettled);
  await sleep(500);
  const latest = again.messages[again.messages.length - 1];
  expect(latest).toBe(settled); // nothing changed since
  const current = track(await replica.subscribeSse(BOARD, vars, people.supervisor, { position: latest.extensions!.position }));
  await sleep(1_500);
  expect(current.messages).toHaveLength(0);
  // … until the board changes.
  await gql(`mutation($id: ID!) { holdWork(id: $id, reason: "waiting for vibration kit") { status } }`, { id: job.id });
  expect(itemOf(await current.next(), job.id)).toMatchObject({ status: 'ON_HOLD' });

  // A position older than the retention window: the whole picture, marked as a reset.
  const stale = track(await gateway.subscribeWs(BOARD, vars, people.supervisor, { position: `${Date.now() - 2 * 3600_000}.AAAAAAAAAAAAAAAA` }));
  expect((await stale.next()).extensions).toMatchObject({ reset: true });
});

test('two gateway replicas both deliver the update', async () => {
  const vars = { s: plant.siteId, a: plant.areaId };
  const onA = track(await gateway.subscribeWs(BOARD, vars, people.supervisor));
  const onB = track(await replica.subscribeWs(BOARD, vars, people.supervisor));
  await Promise.all([onA.next(), onB.next()]);
  const job = await pumpJob('Replace P-301 gland packing', tom.id);
  // Each replica may first send the item as created (OPEN), then as READY once Work's next event arrived, and
  // without whether its owner is qualified until competence has heard of the item (its own event, its own pace).
  const ready = (m: LiveMessage) => itemOf(m, job.id)?.status === 'READY' && !!itemOf(m, job.id)?.ownerQualified;
  const [a, b] = await Promise.all([onA.next(ready), onB.next(ready)]);
  expect(itemOf(a, job.id)).toEqual(itemOf(b, job.id));
  expectThreeSubgraphs(itemOf(a, job.id));
});

test('subscriptions are part of the one graph: introspection, validation, the limits of queries, metrics', async () => {
  const fields = (await gql(`{ __schema { subscriptionType { fields { name args { name } } } } }`)).__schema.subscriptionType.fields;
  expect(fields.map((f: { name: string }) => f.name)).toEqual(expect.arrayContaining(['board', 'workItemsChanged', 'restartReadiness', 'handover']));
  expect(fields.find((f: { name: string }) => f.name === 'board').args.map((a: { name: string }) => a.name)).toEqual(['siteId', 'areaId', 'first']);
  // Over plain HTTP a subscription is refused with where to send it.
  const http = await gateway.query(`subscription($s: ID!) { board(siteId: $s) { blockedCount } }`, { s: plant.siteId }, people.supervisor);
  expect(http.errors?.[0]).toMatchObject({ extensions: { code: 'BAD_REQUEST' } });

  // Unknown fields and too-deep selections are refused like queries.
  const unknown = await gateway.subscribeWs(`subscription { nothing }`, {}, people.supervisor);
  expect(JSON.stringify((await unknown.ended).error)).toContain('nothing');
  const deep = `subscription($s: ID!) { board(siteId: $s) { items { site { areas { lines { assets { site { areas { lines { assets { site { areas { id } } } } } } } } } } } } }`;
  const tooDeep = await gateway.subscribeWs(deep, { s: plant.siteId }, people.supervisor);
  expect(JSON.stringify((await tooDeep.ended).error)).toContain('QUERY_TOO_COMPLEX');

  // Per connection: three here (OPSGRAPH_SUBSCRIPTIONS_PER_CONNECTION); the fourth is refused.
  const token = await devToken(people.supervisor);
  const client = createWsClient({ url: gateway.wsUrl, webSocketImpl: WebSocket, connectionParams: { authorization: `Bearer ${token}` }, retryAttempts: 0 });
  const results: unknown[] = [];
  try {
    for (let i = 0; i < 4; i++) {
      client.subscribe({ query: BOARD, variables: { s: plant.siteId, a: i % 2 ? plant.areaId : plant.otherAreaId } }, { next: (v) => results.push(v), error: (e) => results.push({ error: e }), complete: () => undefined });
    }
    await eventually(() => results.some((r) => JSON.stringify(r).includes('TOO_MANY_SUBSCRIPTIONS')));
    await eventually(() => results.filter((r) => (r as LiveMessage).data?.board).length === 3);
  } finally {
    await client.dispose();
  }

  const metrics = await (await fetch(gateway.url.replace('/graphql', '/metrics'))).text();
  expect(metrics).toMatch(/opsgraph_live_connections\{transport="ws"\} \d+/);
  expect(metrics).toMatch(/opsgraph_live_messages_total\{kind="update"\} [1-9]/);
  expect(metrics).toMatch(/opsgraph_live_lag_seconds_count [1-9]/);
  expect(metrics).toMatch(/opsgraph_live_subscriptions \d+/);
});
