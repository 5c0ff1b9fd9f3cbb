import { randomUUID } from 'node:crypto';
import { TrackedWorkItem, type Caller } from '@opsgraph/core';
import { OutboxEvent } from '@opsgraph/events';
import { eventually, expectAlikeNotFound, expectError, fakeWork, knowPlaces, ok, person, recordedEvents, startTestGateway, type TestGateway, type TestService } from '@opsgraph/testing';
import { changeInput, check, crew, newPlaces, startChange, type Places } from './fixtures';

/**
 * Scope escapes, each asserting nothing leaked and nothing changed: another site's change by id, list,
 * count and "may we restart?"; federation references straight to the subgraph, signed for an out-of-scope
 * caller; mutations on another site's change; a change naming another site's asset; and the separation of
 * duties of approvals, through the gateway.
 */
let change: TestService;
let gateway: TestGateway;
let work: ReturnType<typeof fakeWork>;
const green: Places = newPlaces();
const blue: Places = newPlaces();
let rec: { greenChange: string; blueDraft: string; blueInReview: string; blueApproved: string; blueImplementing: string; blueReview: string; blueCheck: string };

const at = (who: Caller, places: Places) => person(who.id, who.roles, [places.siteId]);
const greenSupervisor = () => at(crew.supervisor, green);
const greenHse = () => at(crew.hse, green);
const greenTechnician = () => at(crew.technician, green);

const q = (query: string, variables: Record<string, unknown> = {}, caller?: Caller) => change.query(query, variables, caller).then(ok);
const events = () => change.db.getRepository(OutboxEvent).count();
const step = (mutation: string, id: string, caller: Caller) => q(`mutation($id: ID!) { ${mutation} { id } }`, { id }, caller);
const create = async (places: Places, input: Record<string, unknown> = {}, caller: Caller = crew.technician) =>
  (await q(`mutation($i: CreateChangeRequestInput!) { createChangeRequest(input: $i) { id } }`, {
    i: changeInput(places, { title: places === blue ? 'Blue boiler bypass' : 'Green filler valve', requiredApproverRoles: ['SAFETY'], preStartupChecks: [check('Inspect before restart', { lineId: places.lineId })], ...input }),
  }, caller)).createChangeRequest.id as string;

async function advance(id: string, to: 'IN_REVIEW' | 'APPROVED' | 'IMPLEMENTING' | 'PRE_STARTUP_REVIEW') {
  const order = ['IN_REVIEW', 'APPROVED', 'IMPLEMENTING', 'PRE_STARTUP_REVIEW'];
  await step('submitChangeRequest(id: $id)', id, crew.technician);
  await step('startChangeReview(id: $id)', id, crew.supervisor);
  if (order.indexOf(to) >= 1) await step('approveChangeRequest(id: $id, role: SAFETY)', id, crew.hse);
  if (order.indexOf(to) >= 2) await step('startChangeImplementation(id: $id)', id, crew.technician);
  if (order.indexOf(to) >= 3) await step('startPreStartupReview(id: $id)', id, crew.technician);
  return id;
}

beforeAll(async () => {
  change = await startChange();
  gateway = await startTestGateway({ change: change.url });
  work = fakeWork();
  await knowPlaces(change.db, green, blue);
  const greenChange = await advance(await create(green), 'IMPLEMENTING');
  const blueDraft = await create(blue);
  const blueInReview = await advance(await create(blue), 'IN_REVIEW');
  const blueApproved = await advance(await create(blue), 'APPROVED');
  const blueImplementing = await advance(await create(blue), 'IMPLEMENTING');
  const blueReview = await advance(await create(blue), 'PRE_STARTUP_REVIEW');
  // Its check's work item was cancelled in Work: the check could be raised again, by someone at blue.
  const item = { workItemId: randomUUID(), workType: 'PRE_STARTUP_CHECK', siteId: blue.siteId, sourceDomain: 'CHANGE', sourceRecordId: blueReview, workRequestId: `change:${blueReview}:check:1` };
  await work.created(item);
  await work.cancelled(item);
  await eventually(async () => (await change.db.getRepository(TrackedWorkItem).findOneBy({ workItemId: item.workItemId }))?.status === 'CANCELLED');
  const blueCheck = (await q(`query($id: ID!) { changeRequest(id: $id) { preStartupChecks { id } } }`, { id: blueReview })).changeRequest.preStartupChecks[0].id;
  rec = { greenChange, blueDraft, blueInReview, blueApproved, blueImplementing, blueReview, blueCheck };
});
afterAll(async () => {
  await work?.close();
  await gateway?.stop();
  await change?.stop();
});

describe('site scope', () => {
  test('another site\'s change is "not found" by id, absent from lists and counts, and the message names nothing', async () => {
    const g = (query: string, variables: Record<string, unknown> = {}) => gateway.query(query, variables, greenSupervisor());
    expect(ok(await g(`query($id: ID!) { changeRequest(id: $id) { id } }`, { id: rec.greenChange })).changeRequest.id).toBe(rec.greenChange);
    const error = expectError(await g(`query($id: ID!) { changeRequest(id: $id) { id title } }`, { id: rec.blueImplementing }), 'NOT_FOUND');
    expect(error.message).not.toMatch(/Blue|boiler|MOC-/);
    const list = ok(await g(`{ changeRequests(first: 200) { totalCount edges { node { id } } } }`)).changeRequests;
    expect(list).toEqual({ totalCount: 1, edges: [{ node: { id: rec.greenChange } }] });
    expect(ok(await g(`query($s: ID) { changeRequests(filter: { siteId: $s }) { totalCount edges { node { id } } } }`, { s: blue.siteId })).changeRequests).toEqual({ totalCount: 0, edges: [] });
    expect(ok(await g(`query($a: ID) { changeRequests(filter: { assetId: $a }) { totalCount } }`, { a: blue.assetId })).changeRequests.totalCount).toBe(0);
  });

  test('"may we restart?" does not name another site\'s change, which someone at that site does see', async () => {
    const READINESS = `query($l: ID) { restartReadiness(lineId: $l) { mayRestart blockers { kind description change { id } } } }`;
    const seenAtBlue = ok(await gateway.query(READINESS, { l: blue.lineId }, at(crew.supervisor, blue))).restartReadiness;
    expect(seenAtBlue.mayRestart).toBe(false);
    expect(seenAtBlue.blockers.map((b: any) => b.change.id)).toContain(rec.blueImplementing);
    // Asked from green, blue's line is not found, exactly as a random one (so nothing tells it exists), by id
    // and by code within blue's site.
    await expectAlikeNotFound((id) => gateway.query(READINESS, { l: id }, greenSupervisor()), blue.lineId, events);
    const BY_CODE = `query($s: ID, $c: String) { restartReadiness(siteId: $s, lineCode: $c) { mayRestart } }`;
    await expectAlikeNotFound((id) => gateway.query(BY_CODE, { s: id, c: 'LINE' }, greenSupervisor()), blue.siteId, events);
    expect(ok(await gateway.query(BY_CODE, { s: blue.siteId, c: 'LINE' }, at(crew.supervisor, blue))).restartReadiness.mayRestart).toBe(false);
  });

  test('federation references straight to the subgraph, signed for an out-of-scope caller, resolve to null', async () => {
    const REFS = `query($r: [_Any!]!) { _entities(representations: $r) { ... on ChangeRequest { id title } ... on WorkItem { id change { id title } } } }`;
    const r = [
      { __typename: 'ChangeRequest', id: rec.blueImplementing },
      { __typename: 'ChangeRequest', id: rec.greenChange },
      { __typename: 'WorkItem', id: randomUUID(), source: { domain: 'CHANGE', recordId: rec.blueImplementing } },
      { __typename: 'WorkItem', id: randomUUID(), source: { domain: 'CHANGE', recordId: rec.greenChange } },
    ];
    const seen = ok(await change.query(REFS, { r }, greenSupervisor()))._entities;
    expect(seen[0]).toBeNull();
    expect(seen[1]).toMatchObject({ id: rec.greenChange });
    expect(seen[2]).toEqual({ id: r[2].id, change: null });
    expect(seen[3].change).toMatchObject({ id: rec.greenChange });
    // A contractor at green sees the change behind their company's job (Work gave green's change's work to
    // Acme), not blue's; a contractor of another company sees neither.
    const acmeJob = randomUUID();
    await work.publish('work_item.created', {
      workItemId: acmeJob, number: 'TST-ACME01', workType: 'CONTRACTOR_JOB', status: 'OPEN', siteId: green.siteId, areaId: null, lineId: null, assetId: null,
      sourceDomain: 'CHANGE', sourceRecordId: rec.greenChange, ownerId: null, priority: 'MEDIUM', dueAt: null, contractorCompany: 'Acme', assetClass: null,
    });
    await eventually(async () => (await change.db.query(`SELECT 1 FROM work_contractor WHERE work_item_id = $1`, [acmeJob])).length === 1);
    const contractorOf = async (company: string) =>
      ok(await change.query(REFS, { r: r.slice(2) }, person('0000000a-0000-4000-8000-00000000acee', 'contractor', [green.siteId], company)))._entities.map((w: any) => w.change?.id ?? null);
    expect(await contractorOf('Acme')).toEqual([null, rec.greenChange]);
    expect(await contractorOf('Bolt')).toEqual([null, null]);
  });

  test('mutations on another site\'s change are NOT_FOUND and change nothing', async () => {
    const blueIds = [rec.blueDraft, rec.blueInReview, rec.blueApproved, rec.blueImplementing, rec.blueReview];
    const snapshot = async () => ({
      events: await events(),
      changes: await Promise.all(blueIds.map((id) => q(`query($id: ID!) { changeRequest(id: $id) { status updatedAt approvals { role } history { to } tasks { id } preStartupChecks { id raisedAt } } }`, { id }))),
    });
    const before = await snapshot();
    const attempts: [string, Record<string, unknown>, Caller][] = [
      [`mutation($id: ID!) { submitChangeRequest(id: $id) { id } }`, { id: rec.blueDraft }, at(crew.technician, green)],
      [`mutation($id: ID!) { addChangeTask(changeId: $id, input: { title: "x" }) { id } }`, { id: rec.blueDraft }, greenSupervisor()],
      [`mutation($id: ID!) { addPreStartupCheck(changeId: $id, input: { title: "x", whatChanged: "x", permitRequired: false, confirmations: ["x?"] }) { id } }`, { id: rec.blueDraft }, greenSupervisor()],
      [`mutation($id: ID!) { cancelChangeRequest(id: $id, reason: "x") { id } }`, { id: rec.blueInReview }, greenSupervisor()],
      [`mutation($id: ID!) { startChangeReview(id: $id) { id } }`, { id: rec.blueDraft }, greenHse()],
      [`mutation($id: ID!) { approveChangeRequest(id: $id, role: SAFETY) { id } }`, { id: rec.blueInReview }, greenHse()],
      [`mutation($id: ID!) { rejectChangeRequest(id: $id, role: SAFETY, comment: "x") { id } }`, { id: rec.blueInReview }, greenHse()],
      [`mutation($id: ID!) { startChangeImplementation(id: $id) { id } }`, { id: rec.blueApproved }, greenSupervisor()],
      [`mutation($id: ID!) { startPreStartupReview(id: $id) { id } }`, { id: rec.blueImplementing }, greenSupervisor()],
      [`mutation($id: ID!) { closeChangeRequest(id: $id) { id } }`, { id: rec.blueReview }, greenSupervisor()],
      [`mutation($id: ID!) { authorizeStartup(id: $id, note: "x") { id } }`, { id: rec.blueReview }, greenSupervisor()],
      [`mutation($id: ID!) { reraisePreStartupCheck(id: $id, reason: "x") { id } }`, { id: rec.blueCheck }, greenSupervisor()],
    ];
    for (const [mutation, variables, caller] of attempts) {
      const error = expectError(await gateway.query(mutation, variables, caller), 'NOT_FOUND');
      expect(error.message).not.toMatch(/Blue|boiler|MOC-/);
      for (const id of blueIds.filter((id) => !Object.values(variables).includes(id))) expect(error.message).not.toContain(id); // e.g. the change behind a check
    }
    expect(await snapshot()).toEqual(before);
  });
});

describe('a change naming another site\'s asset', () => {
  test('is refused as a random asset is, and the change gates open and new work on its own assets only', async () => {
    const item = (places: Places) => ({ workItemId: randomUUID(), workType: 'MAINTENANCE', siteId: places.siteId, assetId: places.assetId, sourceDomain: 'MANUAL', sourceRecordId: null });
    const tracked = (ids: string[]) => eventually(async () => (await change.db.getRepository(TrackedWorkItem).countBy(ids.map((workItemId) => ({ workItemId })))) === ids.length);
    const gatedBy = async (changeId: string) => (await recordedEvents(change, changeId, 'prerequisite.required')).map((e) => e.data.workItemId as string);

    const [greenOpen, blueOpen] = [item(green), item(blue)];
    await work.created(greenOpen);
    await work.created(blueOpen);
    await tracked([greenOpen.workItemId, blueOpen.workItemId]);
    // Someone at green names blue's asset (by mistake or on purpose) in a green change: "not found", even for
    // someone who works at both sites (it is no asset of the change's site), and nothing is stored.
    const before = await events();
    const CREATE = `mutation($i: CreateChangeRequestInput!) { createChangeRequest(input: $i) { id } }`;
    for (const caller of [greenTechnician(), crew.technician]) {
      const error = expectError(await gateway.query(CREATE, { i: changeInput(green, { assetIds: [green.assetId, blue.assetId], requiredApproverRoles: ['SAFETY'] }) }, caller), 'NOT_FOUND');
      expect(error.message).toMatch(new RegExp(`^asset ${blue.assetId} not found`));
    }
    expect(await events()).toBe(before);
    const id = await create(green, { assetIds: [green.assetId], preStartupChecks: [] }, greenTechnician());
    ok(await gateway.query(`mutation($id: ID!) { submitChangeRequest(id: $id) { status } }`, { id }, greenTechnician()));
    expect(await gatedBy(id)).toEqual([greenOpen.workItemId]);
    expect((await recordedEvents(change, id, 'prerequisite.required')).map((e) => e.data.siteId)).toEqual([green.siteId]);

    // Work created afterwards: on green's asset it waits for the approval; on blue's, named in no change, it does not.
    const [greenNew, blueNew] = [item(green), item(blue)];
    await work.created(blueNew);
    await work.created(greenNew);
    await tracked([greenNew.workItemId, blueNew.workItemId]);
    await eventually(async () => (await gatedBy(id)).includes(greenNew.workItemId));
    expect((await gatedBy(id)).sort()).toEqual([greenOpen.workItemId, greenNew.workItemId].sort());
  });
});

describe('a change at two sites, submitted by its owner who works at one of them', () => {
  test('holds the open work on its assets at both sites, though the owner does not see the other site\'s', async () => {
    const ownerAtGreen = person('0000000c-0000-4000-8000-00000000c0de', 'technician', [green.siteId]);
    const item = (places: Places) => ({ workItemId: randomUUID(), workType: 'MAINTENANCE', siteId: places.siteId, assetId: places.assetId, sourceDomain: 'MANUAL', sourceRecordId: null });
    const [greenOpen, blueOpen] = [item(green), item(blue)];
    await work.created(greenOpen);
    await work.created(blueOpen);
    await eventually(async () => (await change.db.getRepository(TrackedWorkItem).countBy([{ workItemId: greenOpen.workItemId }, { workItemId: blueOpen.workItemId }])) === 2);
    const id = await create(green, { siteIds: [green.siteId, blue.siteId], assetIds: [green.assetId, blue.assetId], ownerId: ownerAtGreen.id, preStartupChecks: [] });
    ok(await gateway.query(`mutation($id: ID!) { submitChangeRequest(id: $id) { status } }`, { id }, ownerAtGreen));
    const gated = (await recordedEvents(change, id, 'prerequisite.required')).map((e) => [e.data.workItemId, e.data.siteId]);
    // Each blocker names the site of the work it gates (one of the change's): Work applies it only there.
    expect(gated).toEqual(expect.arrayContaining([[greenOpen.workItemId, green.siteId], [blueOpen.workItemId, blue.siteId]]));
  });
});

describe('separation of duties, through the gateway', () => {
  test('a change\'s requester cannot be its only approver, and one person approves for one role only; refusals change nothing', async () => {
    const engineer = at(crew.supervisor2, green); // a supervisor may approve OPERATIONS or ENGINEERING
    const requester = greenSupervisor();
    const approve = (id: string, role: string, caller: Caller) => gateway.query(`mutation($id: ID!) { approveChangeRequest(id: $id, role: ${role}) { status pendingApproverRoles } }`, { id, role }, caller);
    const view = (id: string) => q(`query($id: ID!) { changeRequest(id: $id) { status approvals { role approver { id } } history { to } } }`, { id });

    // Only OPERATIONS required and the requester is a supervisor: they cannot approve alone.
    const alone = await create(green, { requiredApproverRoles: ['OPERATIONS'] }, requester);
    await step('submitChangeRequest(id: $id)', alone, requester);
    await step('startChangeReview(id: $id)', alone, greenHse());
    const before = [await view(alone), await events()];
    expectError(await approve(alone, 'OPERATIONS', requester), 'SEPARATION_OF_DUTIES');
    expect([await view(alone), await events()]).toEqual(before);
    expect(ok(await approve(alone, 'OPERATIONS', engineer)).approveChangeRequest.status).toBe('APPROVED');

    // Two roles: the requester may approve one of them, not both; the other needs someone else.
    const two = await create(green, { requiredApproverRoles: ['OPERATIONS', 'ENGINEERING'] }, requester);
    await step('submitChangeRequest(id: $id)', two, requester);
    await step('startChangeReview(id: $id)', two, greenHse());
    expect(ok(await approve(two, 'OPERATIONS', requester)).approveChangeRequest).toEqual({ status: 'IN_REVIEW', pendingApproverRoles: ['ENGINEERING'] });
    const half = [await view(two), await events()];
    expectError(await approve(two, 'ENGINEERING', requester), 'SEPARATION_OF_DUTIES');
    expect([await view(two), await events()]).toEqual(half);
    expect(ok(await approve(two, 'ENGINEERING', engineer)).approveChangeRequest.status).toBe('APPROVED');
  });
});
