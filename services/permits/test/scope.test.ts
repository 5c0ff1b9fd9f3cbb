import { randomUUID } from 'node:crypto';
import { In } from 'typeorm';
import { ROLES, type Caller } from '@opsgraph/core';
import { eventually, expectError, ok, people, person, startTestGateway, startTestService, untilPlacesKnown, type TestGateway, type TestService } from '@opsgraph/testing';
import { service as workService } from '../../work/src/service';
import { seedPlant, type Plant } from '../../work/test/fixtures';
import { KnownWorkItem } from '../src/entities';
import { ISOLATION_FIELDS, act, createPermit, crew, type Scope } from './fixtures';
import { service as permitsService } from '../src/service';

/**
 * Scope escapes, with Work and Permits on the real event backbone and behind the real gateway: another
 * site's permits, another contractor's, references made straight to the subgraph, nested fields and
 * counts, and covering work one may not see. Each asserts that nothing leaked and nothing changed.
 */
let work: TestService;
let permits: TestService;
let gateway: TestGateway;
let green: Plant;
let blue: Plant;
let greenScope: Scope;
let blueScope: Scope;
let greenPermit: any;
let bluePermit: any;
let greenItem: string;
let blueItem: string;
let acmeJob: string;
let otherJob: string;

/** Someone with every role that changes permits, at the green site only. */
const greenAll = () => person('0000000b-0000-4000-8000-0000000000f1', ['supervisor', 'permit_issuer', 'hse', 'technician'], [green.siteId]);
const acme = () => person('0000000b-0000-4000-8000-0000000000f2', 'contractor', [green.siteId], 'Acme');
const otherCo = () => person('0000000b-0000-4000-8000-0000000000f3', 'contractor', [green.siteId], 'Other Co');

/** A plant as the permit fixtures name it (this file isolates the pump only: its valve is the pump too). */
const asScope = (plant: Plant, code: string): Scope => ({ siteId: plant.siteId, siteCode: code, areaId: plant.areaId, pumpId: plant.assetId, valveId: plant.assetId });
/** What covering an item one may not see answers: exactly what a random id gets. */
const itemNotFound = (id: string) => `work item ${id} not found (one created in Work a moment ago may not be known here yet: retry shortly)`;
const createItem = async (plant: Plant, input: Record<string, unknown> = {}) =>
  ok(await work.query(`mutation($i: CreateWorkItemInput!) { createWorkItem(input: $i) { id } }`, { i: { type: 'MAINTENANCE', title: 'Weld bracket', siteId: plant.siteId, assetId: plant.assetId, ...input } }, people.supervisor)).createWorkItem.id as string;
const isolationOn = (s: Scope) => ({ assetId: s.pumpId, point: 'MCC-3 breaker 12', method: 'ELECTRICAL_LOCKOUT' });

beforeAll(async () => {
  [work, permits] = await Promise.all([startTestService(workService), startTestService(permitsService)]);
  gateway = await startTestGateway({ work: work.url, permits: permits.url });
  [green, blue] = await Promise.all([seedPlant(work, 'GRN'), seedPlant(work, 'BLU')]);
  greenScope = asScope(green, 'GRN');
  blueScope = asScope(blue, 'BLU');
  greenItem = await createItem(green);
  blueItem = await createItem(blue);
  acmeJob = await createItem(green, { type: 'CONTRACTOR_JOB', contractorCompany: 'Acme' });
  otherJob = await createItem(green, { type: 'CONTRACTOR_JOB', contractorCompany: 'Other Co' });
  // Permits has heard of both plants and every item (from Work's events): it knows their sites and companies.
  await untilPlacesKnown(permits.db, [green.siteId, green.areaId, green.assetId, blue.siteId, blue.areaId, blue.assetId]);
  await eventually(async () => (await permits.db.getRepository(KnownWorkItem).countBy({ workItemId: In([greenItem, blueItem, acmeJob, otherJob]) })) === 4);
  greenPermit = await createPermit(permits, greenScope, { workItemIds: [greenItem], isolations: [isolationOn(greenScope)] });
  // The blue permit is issued with its isolation in place, so the pump is locked out.
  bluePermit = await createPermit(permits, blueScope, { description: 'Blue secret: replace the flare knockout drum', workItemIds: [blueItem], isolations: [isolationOn(blueScope)] });
  ok(await act(permits, 'requestPermit', { id: bluePermit.id }));
  ok(await act(permits, 'approvePermit', { id: bluePermit.id }, crew.hse));
  ok(await act(permits, 'applyIsolation', { id: bluePermit.isolations[0].id }, people.technician, ISOLATION_FIELDS));
  ok(await act(permits, 'verifyIsolation', { id: bluePermit.isolations[0].id }, crew.issuer, ISOLATION_FIELDS));
  ok(await act(permits, 'issuePermit', { id: bluePermit.id, performingAuthorityId: people.technician.id }, crew.issuer));
}, 60_000);
afterAll(async () => {
  await gateway?.stop();
  await Promise.all([work?.stop(), permits?.stop()]);
});

const STATE = `status version statusReason coveredWorkItems { id } history { to } gasTests { id } isolations { id state }`;
const stateOf = async (id: string) => ok(await permits.query(`query($id: ID!) { permit(id: $id) { ${STATE} } }`, { id })).permit;
const permitCount = async () => ok(await permits.query(`{ permits(first: 1) { totalCount } }`)).permits.totalCount as number;
const validTo = () => new Date(Date.now() + 8 * 3600_000).toISOString();
const create = (caller: Caller, i: Record<string, unknown>) =>
  permits.query(`mutation($i: CreatePermitInput!) { createPermit(input: $i) { id } }`, { i: { type: 'COLD_WORK', description: 'x', validTo: validTo(), ...i } }, caller);

describe('site scope', () => {
  test("another site's permit is not found, by id, by number and through the gateway, without a word about it", async () => {
    for (const res of [
      await permits.query(`query($id: ID!) { permit(id: $id) { id description } }`, { id: bluePermit.id }, greenAll()),
      await permits.query(`query($n: String!) { permitByNumber(number: $n) { id } }`, { n: bluePermit.number }, greenAll()),
      await gateway.query(`query($id: ID!) { permit(id: $id) { id description isolations { point } } }`, { id: bluePermit.id }, greenAll()),
    ]) {
      expectError(res, 'NOT_FOUND');
      expect(res.data ?? null).toBeNull();
      // Nothing about it beyond what the caller asked with (the number, for permitByNumber).
      expect(JSON.stringify(res)).not.toMatch(/Blue secret|flare|MCC-3|HOT_WORK|ISSUED/);
    }
    expect(JSON.stringify(await permits.query(`query($id: ID!) { permit(id: $id) { id } }`, { id: bluePermit.id }, greenAll()))).not.toContain(bluePermit.number);
    // The same caller sees their own site's permit: the refusal is about scope, not the query.
    expect(ok(await gateway.query(`query($id: ID!) { permit(id: $id) { id } }`, { id: greenPermit.id }, greenAll())).permit.id).toBe(greenPermit.id);
  });

  const mutations: Record<string, () => Record<string, unknown>> = {
    requestPermit: () => ({}),
    approvePermit: () => ({}),
    issuePermit: () => ({}),
    suspendPermit: () => ({ reason: 'x' }),
    reinstatePermit: () => ({}),
    closePermit: () => ({}),
    cancelPermit: () => ({ reason: 'x' }),
    addPermitWorkItems: () => ({ workItemIds: [greenItem] }),
    addIsolation: () => ({ input: isolationOn(greenScope) }),
    recordGasTest: () => ({ input: { o2: 20.9, lel: 0, h2s: 0, co: 0 } }),
  };
  test.each(Object.keys(mutations))("%s on another site's permit is NOT_FOUND and changes nothing", async (mutation) => {
    const before = await stateOf(bluePermit.id);
    const key = mutation === 'addIsolation' || mutation === 'recordGasTest' ? 'permitId' : 'id';
    const res = await act(permits, mutation, { [key]: bluePermit.id, ...mutations[mutation]() }, greenAll(), 'id');
    expectError(res, 'NOT_FOUND');
    expect(JSON.stringify(res)).not.toContain(bluePermit.number);
    expect(await stateOf(bluePermit.id)).toEqual(before);
  });

  test.each(['applyIsolation', 'verifyIsolation', 'removeIsolation'])("%s on another site's isolation is NOT_FOUND and changes nothing", async (mutation) => {
    const before = await stateOf(bluePermit.id);
    expectError(await act(permits, mutation, { id: bluePermit.isolations[0].id }, greenAll(), ISOLATION_FIELDS), 'NOT_FOUND');
    expect(await stateOf(bluePermit.id)).toEqual(before);
  });

  test("drafting at another site, or covering another site's work, is NOT_FOUND and writes nothing", async () => {
    const before = await permitCount();
    expectError(await create(greenAll(), { siteId: blue.siteId }), 'NOT_FOUND');
    const covering = await create(greenAll(), { siteId: green.siteId, workItemIds: [greenItem, blueItem] });
    expect(expectError(covering, 'NOT_FOUND').message).toBe(itemNotFound(blueItem));
    expect(await permitCount()).toBe(before);
    const greenBefore = await stateOf(greenPermit.id);
    expectError(await act(permits, 'addPermitWorkItems', { id: greenPermit.id, workItemIds: [blueItem] }, greenAll(), 'id'), 'NOT_FOUND');
    expect(await stateOf(greenPermit.id)).toEqual(greenBefore);
    // Even for someone who sees both sites, a permit covers work at its own site only: another site's item is
    // not found there, exactly as a random id is.
    const random = randomUUID();
    expect(expectError(await create(people.admin, { siteId: green.siteId, workItemIds: [blueItem] }), 'NOT_FOUND')).toMatchObject({ message: itemNotFound(blueItem), extensions: { code: 'NOT_FOUND', id: blueItem, field: 'workItemIds' } });
    expect(expectError(await create(people.admin, { siteId: green.siteId, workItemIds: [random] }), 'NOT_FOUND')).toMatchObject({ message: itemNotFound(random), extensions: { code: 'NOT_FOUND', id: random, field: 'workItemIds' } });
    expect(await permitCount()).toBe(before);
    // Blue's item carries only its own permit's prerequisite.
    const prerequisites = ok(await work.query(`query($id: ID!) { workItem(id: $id) { prerequisites { kind sourceRecordId } } }`, { id: blueItem })).workItem.prerequisites;
    expect(prerequisites.filter((p: { kind: string }) => p.kind === 'PERMIT_VALID')).toEqual([{ kind: 'PERMIT_VALID', sourceRecordId: bluePermit.id }]);
  });

  test('lists and counts hold only what is in scope', async () => {
    const list = ok(await gateway.query(`{ permits(first: 200) { totalCount edges { node { id site { id } } } } }`, {}, greenAll())).permits;
    expect(list.edges.length).toBeGreaterThan(0);
    expect(list.edges.every((e: any) => e.node.site.id === green.siteId)).toBe(true);
    expect(list.totalCount).toBe(list.edges.length);
    for (const filter of [{ siteId: blue.siteId }, { workItemId: blueItem }, { assetId: blue.assetId }, { requesterId: people.supervisor.id, siteId: blue.siteId }]) {
      expect(ok(await gateway.query(`query($f: PermitFilter) { permits(filter: $f) { totalCount edges { node { id } } } }`, { f: filter }, greenAll())).permits).toEqual({ totalCount: 0, edges: [] });
    }
  });

  test('federation references made straight to the subgraph, signed for an out-of-scope caller, come back empty', async () => {
    const refs = [
      { __typename: 'Permit', id: bluePermit.id },
      { __typename: 'Permit', id: greenPermit.id },
      { __typename: 'WorkItem', id: blueItem },
      { __typename: 'Asset', id: blue.assetId },
    ];
    const query = `query($r: [_Any!]!) { _entities(representations: $r) {
      ... on Permit { id number description }
      ... on WorkItem { permits { id number } permitReadiness { required valid ready problems } }
      ... on Asset { activeIsolations { id point permit { number } } }
    } }`;
    const seen = ok(await permits.query(query, { r: refs }, greenAll()))._entities;
    expect(seen).toEqual([
      null,
      { id: greenPermit.id, number: greenPermit.number, description: greenPermit.description },
      { permits: [], permitReadiness: { required: false, valid: false, ready: true, problems: [] } },
      { activeIsolations: [] },
    ]);
    // In scope, the same references do show the blue permit and its lock-out.
    const blueSide = ok(await permits.query(query, { r: refs }, person(crew.issuer.id, 'permit_issuer', [blue.siteId])))._entities;
    expect(blueSide[0]).toMatchObject({ id: bluePermit.id });
    expect(blueSide[2].permits).toEqual([{ id: bluePermit.id, number: bluePermit.number }]);
    expect(blueSide[3].activeIsolations).toEqual([{ id: bluePermit.isolations[0].id, point: 'MCC-3 breaker 12', permit: { number: bluePermit.number } }]);
  });

  test("through the gateway, another site's work item shows no permit of it", async () => {
    const res = await gateway.query(`query($id: ID!) { workItem(id: $id) { id permits { number } permitReadiness { problems } } }`, { id: blueItem }, greenAll());
    expectError(res, 'NOT_FOUND');
    expect(JSON.stringify(res)).not.toContain(bluePermit.number);
  });
});

describe('contractor boundary', () => {
  let own: { id: string; number: string };
  let theirs: { id: string };
  beforeAll(async () => {
    own = ok(await create(acme(), { siteId: green.siteId, siteCode: 'GRN', workItemIds: [acmeJob] })).createPermit;
    theirs = ok(await create(otherCo(), { siteId: green.siteId, workItemIds: [otherJob] })).createPermit;
  });

  test("a contractor sees their own company's permits they have a part in, never another contractor's or the host's", async () => {
    const seen = ok(await gateway.query(`{ permits(first: 200) { totalCount edges { node { id } } } }`, {}, acme())).permits;
    expect(seen).toEqual({ totalCount: 1, edges: [{ node: { id: own.id } }] });
    for (const id of [theirs.id, greenPermit.id]) {
      expectError(await gateway.query(`query($id: ID!) { permit(id: $id) { id } }`, { id }, acme()), 'NOT_FOUND');
    }
    const refs = ok(await permits.query(`query($r: [_Any!]!) { _entities(representations: $r) { ... on Permit { id } ... on WorkItem { permits { id } } } }`, {
      r: [{ __typename: 'Permit', id: theirs.id }, { __typename: 'Permit', id: own.id }, { __typename: 'WorkItem', id: otherJob }, { __typename: 'WorkItem', id: acmeJob }],
    }, acme()))._entities;
    expect(refs).toEqual([null, { id: own.id }, { permits: [] }, { permits: [{ id: own.id }] }]);
  });

  test("a contractor's changes to another contractor's permit are NOT_FOUND and change nothing", async () => {
    const before = await stateOf(theirs.id);
    for (const [mutation, args] of [['requestPermit', {}], ['cancelPermit', { reason: 'x' }], ['addPermitWorkItems', { workItemIds: [acmeJob] }]] as const) {
      expectError(await act(permits, mutation, { id: theirs.id, ...args }, acme(), 'id'), 'NOT_FOUND');
    }
    expect(await stateOf(theirs.id)).toEqual(before);
  });

  test("a contractor cannot cover another company's job, nor the host's own work, and nothing is written", async () => {
    const before = await permitCount();
    for (const job of [otherJob, greenItem]) {
      const res = await create(acme(), { siteId: green.siteId, workItemIds: [job] });
      expect(expectError(res, 'NOT_FOUND').message).toBe(itemNotFound(job));
    }
    expect(await permitCount()).toBe(before);
    const ownBefore = await stateOf(own.id);
    expectError(await act(permits, 'addPermitWorkItems', { id: own.id, workItemIds: [otherJob] }, acme(), 'id'), 'NOT_FOUND');
    expect(await stateOf(own.id)).toEqual(ownBefore);
    // The other company's job carries only its own contractor's permit.
    const prerequisites = await eventually(async () => {
      const found = ok(await work.query(`query($id: ID!) { workItem(id: $id) { prerequisites { kind sourceRecordId } } }`, { id: otherJob })).workItem.prerequisites;
      return found.length ? found : null;
    });
    expect(prerequisites).toEqual([{ kind: 'PERMIT_VALID', sourceRecordId: theirs.id }]);
  });
});

describe('separation of duties', () => {
  const approvedPermit = async (requester: Caller) => {
    const permit = await createPermit(permits, greenScope, { isolations: [isolationOn(greenScope)] }, requester);
    ok(await act(permits, 'requestPermit', { id: permit.id }, requester));
    ok(await act(permits, 'approvePermit', { id: permit.id }, crew.hse));
    return permit;
  };

  test('whoever requested a permit can neither issue nor reinstate it, administrators included', async () => {
    for (const requester of [crew.supervisingIssuer, people.admin]) {
      const permit = await approvedPermit(requester);
      ok(await act(permits, 'applyIsolation', { id: permit.isolations[0].id }, people.technician, ISOLATION_FIELDS));
      ok(await act(permits, 'verifyIsolation', { id: permit.isolations[0].id }, crew.issuer, ISOLATION_FIELDS));
      const before = await stateOf(permit.id);
      expectError(await act(permits, 'issuePermit', { id: permit.id, performingAuthorityId: people.technician.id }, requester), 'SEPARATION_OF_DUTIES');
      expect(await stateOf(permit.id)).toEqual(before);
      ok(await act(permits, 'issuePermit', { id: permit.id, performingAuthorityId: people.technician.id }, crew.issuer));
      ok(await act(permits, 'suspendPermit', { id: permit.id, reason: 'gas alarm' }, crew.hse));
      const suspended = await stateOf(permit.id);
      expectError(await gateway.query(`mutation($id: ID!) { reinstatePermit(id: $id) { status } }`, { id: permit.id }, requester), 'SEPARATION_OF_DUTIES');
      expect(await stateOf(permit.id)).toEqual(suspended);
      expect(ok(await gateway.query(`mutation($id: ID!) { reinstatePermit(id: $id) { status } }`, { id: permit.id }, crew.issuer2)).reinstatePermit.status).toBe('ISSUED');
    }
  });

  test('whoever applied an isolation cannot verify it, whatever their roles', async () => {
    const applier = person('0000000b-0000-4000-8000-0000000000f4', ROLES.filter((r) => r !== 'contractor'));
    const permit = await approvedPermit(people.supervisor);
    const iso = permit.isolations[0].id;
    ok(await act(permits, 'applyIsolation', { id: iso }, applier, ISOLATION_FIELDS));
    const before = await stateOf(permit.id);
    expectError(await gateway.query(`mutation($id: ID!) { verifyIsolation(id: $id) { state } }`, { id: iso }, applier), 'SEPARATION_OF_DUTIES');
    expect(await stateOf(permit.id)).toEqual(before);
    expect(ok(await gateway.query(`mutation($id: ID!) { verifyIsolation(id: $id) { state verifiedBy { id } } }`, { id: iso }, crew.hse)).verifyIsolation).toEqual({ state: 'VERIFIED', verifiedBy: { id: crew.hse.id } });
  });

  test('refusals are on the audit trail with their reason', async () => {
    const trail = ok(await permits.query(`query($a: ID) { permitsAuditTrail(actorId: $a, first: 50) { operation outcome errorCode } }`, { a: greenAll().id })).permitsAuditTrail;
    expect(trail).toEqual(expect.arrayContaining([{ operation: 'approvePermit', outcome: 'refused', errorCode: 'NOT_FOUND' }]));
    expect(trail.every((e: { outcome: string }) => e.outcome === 'refused')).toBe(true);
  });
});

