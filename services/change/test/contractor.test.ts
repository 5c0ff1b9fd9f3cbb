import { randomUUID } from 'node:crypto';
import { TrackedWorkItem, type Caller } from '@opsgraph/core';
import { eventually, expectError, fakeWork, knowPlaces, ok, person, startTestGateway, type TestGateway, type TestService } from '@opsgraph/testing';
import { WorkContractor } from '../src/entities';
import { approve, check, createChange, crew, newPlaces, startChange, type Places } from './fixtures';

/**
 * The contractor boundary, through the gateway. A contractor (role `contractor` only) used to read every
 * change of their site: why it is made, its risk assessment, who asked and who approved with what comment.
 * Now they see only the changes behind their company's jobs (work the change raised for their company, or
 * their company's work that waits for the change's approval), and of those what the job needs.
 */
let change: TestService;
let gateway: TestGateway;
let work: ReturnType<typeof fakeWork>;
const green: Places = newPlaces();
const acme = person('0000000a-0000-4000-8000-00000000acee', 'contractor', [green.siteId], 'Acme');
const bolt = person('0000000b-0000-4000-8000-00000000b017', 'contractor', [green.siteId], 'Bolt');
let rec: { served: string; gating: string; other: string; acmeTask: string; inHouseTask: string; acmeCheck: string };

/** What Work's `work_item.created` says of an item it created, with the contractor company doing it. */
function created(item: { workItemId: string; workType: string; siteId: string; assetId?: string; sourceDomain: string; sourceRecordId: string | null; workRequestId?: string }, contractorCompany: string | null) {
  return work.publish('work_item.created', {
    workItemId: item.workItemId,
    number: `TST-${item.workItemId.slice(0, 6)}`,
    workType: item.workType,
    status: 'OPEN',
    siteId: item.siteId,
    areaId: null,
    lineId: null,
    assetId: item.assetId ?? null,
    sourceDomain: item.sourceDomain,
    sourceRecordId: item.sourceRecordId,
    ownerId: null,
    priority: 'MEDIUM',
    dueAt: null,
    contractorCompany,
    assetClass: null,
    ...(item.workRequestId ? { workRequestId: item.workRequestId } : {}),
  });
}

const tracked = (ids: string[]) => eventually(async () => (await change.db.getRepository(TrackedWorkItem).countBy(ids.map((workItemId) => ({ workItemId })))) === ids.length);

beforeAll(async () => {
  change = await startChange();
  gateway = await startTestGateway({ change: change.url });
  work = fakeWork();
  await knowPlaces(change.db, green);
  // Served: implemented by two tasks, one Acme's job, one in-house, and reviewed by a check Acme does.
  const served = (await createChange(change, green, {
    title: 'Replace the filler infeed valve',
    reason: 'Two spills last quarter, cost claims pending with the insurer',
    riskAssessment: 'Line breaking on product line; isolate and drain first',
    riskRating: 'HIGH',
    tasks: [{ title: 'Fit the fail-closed valve', description: 'Flanged, DN50', workType: 'CONTRACTOR_JOB', assetId: green.assetId, ownerId: crew.supervisor.id }, { title: 'Update the P&ID' }],
    preStartupChecks: [check('Leak test the new valve')],
  })).id as string;
  await approve(change, served);
  ok(await change.query(`mutation($id: ID!) { startChangeImplementation(id: $id) { id } }`, { id: served }, crew.technician));
  const items = {
    acmeTask: { workItemId: randomUUID(), workType: 'CONTRACTOR_JOB', siteId: green.siteId, assetId: green.assetId, sourceDomain: 'CHANGE', sourceRecordId: served, workRequestId: `change:${served}:task:1` },
    inHouseTask: { workItemId: randomUUID(), workType: 'MAINTENANCE', siteId: green.siteId, sourceDomain: 'CHANGE', sourceRecordId: served, workRequestId: `change:${served}:task:2` },
  };
  await created(items.acmeTask, 'Acme');
  await created(items.inHouseTask, null);
  await tracked([items.acmeTask.workItemId, items.inHouseTask.workItemId]);
  await work.verified(items.acmeTask);
  await work.verified(items.inHouseTask);
  await eventually(async () => (await change.db.getRepository(TrackedWorkItem).countBy({ sourceRecordId: served, status: 'DONE' })) === 2);
  ok(await change.query(`mutation($id: ID!) { startPreStartupReview(id: $id) { id } }`, { id: served }, crew.technician));
  const acmeCheck = { workItemId: randomUUID(), workType: 'PRE_STARTUP_CHECK', siteId: green.siteId, sourceDomain: 'CHANGE', sourceRecordId: served, workRequestId: `change:${served}:check:1` };
  await created(acmeCheck, 'Acme');

  // Gating: submitted, on an asset where Acme's job (raised by hand in Work) now waits for its approval.
  const asset = randomUUID();
  await knowPlaces(change.db, { ...green, assetId: asset });
  const gating = (await createChange(change, { ...green, assetId: asset }, { title: 'Bypass the boiler feed pump' })).id as string;
  ok(await change.query(`mutation($id: ID!) { submitChangeRequest(id: $id) { id } }`, { id: gating }, crew.technician));
  const acmeJob = { workItemId: randomUUID(), workType: 'CONTRACTOR_JOB', siteId: green.siteId, assetId: asset, sourceDomain: 'MANUAL', sourceRecordId: null };
  await created(acmeJob, 'Acme');

  // Other: a change of the same site that has nothing to do with Acme.
  const other = (await createChange(change, green, { title: 'Move the canteen extractor', reason: 'Staff complaints about smell' })).id as string;

  await tracked([acmeCheck.workItemId, acmeJob.workItemId]);
  await eventually(async () => (await change.db.getRepository(WorkContractor).countBy({ contractorCompany: 'Acme' })) === 3);
  await eventually(async () => (await change.db.query(`SELECT 1 FROM change_gate WHERE change_id = $1`, [gating])).length === 1);
  const tasks = (await change.db.query(`SELECT id, seq FROM change_task WHERE change_id = $1 ORDER BY seq`, [served])) as { id: string }[];
  const [checkRow] = (await change.db.query(`SELECT id FROM pre_startup_check WHERE change_id = $1`, [served])) as { id: string }[];
  rec = { served, gating, other, acmeTask: tasks[0].id, inHouseTask: tasks[1].id, acmeCheck: checkRow.id };
});
afterAll(async () => {
  await work?.close();
  await gateway?.stop();
  await change?.stop();
});

const VIEW = `query($id: ID!) { changeRequest(id: $id) {
  id number title description type status reason riskAssessment riskRating endReason
  requester { id } owner { id } requiredApproverRoles pendingApproverRoles
  approvals { role approver { id } comment } history { to actor { id } note }
  tasks { id title description workStatus owner { id } }
  preStartupChecks { id title whatChanged confirmations owner { id } change { id } }
} }`;
const LIST = `{ changeRequests(first: 50) { totalCount edges { node { id } } } }`;
const read = (caller: Caller, query: string, variables: Record<string, unknown> = {}) => gateway.query(query, variables, caller);
const ids = (list: { edges: { node: { id: string } }[] }) => list.edges.map((e) => e.node.id).sort();

test('a contractor lists only the changes behind their company\'s jobs; the others are "not found"', async () => {
  const list = ok(await read(acme, LIST)).changeRequests;
  expect(ids(list)).toEqual([rec.served, rec.gating].sort());
  expect(list.totalCount).toBe(2);
  const error = expectError(await read(acme, VIEW, { id: rec.other }), 'NOT_FOUND');
  expect(error.message).not.toMatch(/canteen|smell/i);
  // Another company's contractor at the same site: none of them.
  expect(ok(await read(bolt, LIST)).changeRequests).toEqual({ totalCount: 0, edges: [] });
  expectError(await read(bolt, VIEW, { id: rec.served }), 'NOT_FOUND');
  // The people of the site see all three, as before.
  expect(ids(ok(await read(person(crew.supervisor.id, 'supervisor', [green.siteId]), LIST)).changeRequests)).toEqual([rec.served, rec.gating, rec.other].sort());
});

test('of such a change a contractor reads what the job needs, not why, the risk assessment, approvals or people', async () => {
  const seen = ok(await read(acme, VIEW, { id: rec.served })).changeRequest;
  expect(seen).toMatchObject({ id: rec.served, title: 'Replace the filler infeed valve', description: expect.any(String), status: 'PRE_STARTUP_REVIEW', pendingApproverRoles: [] });
  expect(seen).toMatchObject({ reason: null, riskAssessment: null, riskRating: null, endReason: null, requester: null, owner: null, approvals: [], history: [] });
  // Their company's task and check only, without their owners.
  expect(seen.tasks).toEqual([{ id: rec.acmeTask, title: 'Fit the fail-closed valve', description: 'Flanged, DN50', workStatus: 'DONE', owner: null }]);
  expect(seen.preStartupChecks).toEqual([expect.objectContaining({ id: rec.acmeCheck, title: 'Leak test the new valve', confirmations: expect.any(Array), owner: null, change: { id: rec.served } })]);
  expect(JSON.stringify(seen)).not.toMatch(/insurer|isolate and drain|isolation plan checked|P&ID/);
  // Why their job waits: the pending change and the roles still to approve it.
  expect(ok(await read(acme, VIEW, { id: rec.gating })).changeRequest).toMatchObject({ status: 'SUBMITTED', tasks: [], approvals: [], reason: null });

  // The people of the site still read it all.
  const supervisor = ok(await read(person(crew.supervisor2.id, 'supervisor', [green.siteId]), VIEW, { id: rec.served })).changeRequest;
  expect(supervisor).toMatchObject({ reason: 'Two spills last quarter, cost claims pending with the insurer', riskRating: 'HIGH', requester: { id: crew.technician.id } });
  expect(supervisor.approvals.map((a: { comment: string | null }) => a.comment)).toContain('isolation plan checked');
  expect(supervisor.tasks.map((t: { id: string }) => t.id)).toEqual([rec.acmeTask, rec.inHouseTask]);
});

test('a contractor gets no "may we restart?" answer, which would leave out the changes they do not see', async () => {
  const READINESS = `query($l: ID) { restartReadiness(lineId: $l) { mayRestart blockers { description } } }`;
  expectError(await read(acme, READINESS, { l: green.lineId }), 'FORBIDDEN');
  expect(ok(await read(person(crew.supervisor.id, 'supervisor', [green.siteId]), READINESS, { l: green.lineId })).restartReadiness.mayRestart).toBe(false);
});

test('federation references straight to the subgraph resolve for a contractor only to the changes behind their jobs', async () => {
  const REFS = `query($r: [_Any!]!) { _entities(representations: $r) { ... on ChangeRequest { id reason } ... on WorkItem { id change { id title riskAssessment } } } }`;
  const r = [
    { __typename: 'ChangeRequest', id: rec.other },
    { __typename: 'ChangeRequest', id: rec.served },
    { __typename: 'WorkItem', id: randomUUID(), source: { domain: 'CHANGE', recordId: rec.other } },
    { __typename: 'WorkItem', id: randomUUID(), source: { domain: 'CHANGE', recordId: rec.served } },
  ];
  const seen = ok(await change.query(REFS, { r }, acme))._entities;
  expect(seen[0]).toBeNull();
  expect(seen[1]).toEqual({ id: rec.served, reason: null });
  expect(seen[2].change).toBeNull();
  expect(seen[3].change).toEqual({ id: rec.served, title: 'Replace the filler infeed valve', riskAssessment: null });
});

test('a contractor changes nothing: every change mutation is FORBIDDEN before the change is looked up', async () => {
  const attempts: [string, string][] = [
    [`mutation($id: ID!) { submitChangeRequest(id: $id) { id } }`, rec.other],
    [`mutation($id: ID!) { startPreStartupReview(id: $id) { id } }`, rec.served],
    [`mutation($id: ID!) { closeChangeRequest(id: $id) { id } }`, rec.served],
    [`mutation($id: ID!) { cancelChangeRequest(id: $id, reason: "x") { id } }`, rec.gating],
    [`mutation($id: ID!) { addChangeTask(changeId: $id, input: { title: "x" }) { id } }`, rec.other],
    [`mutation($id: ID!) { reraisePreStartupCheck(id: $id, reason: "x") { id } }`, rec.acmeCheck],
    // The same refusal for an id that does not exist: it tells nothing.
    [`mutation($id: ID!) { closeChangeRequest(id: $id) { id } }`, randomUUID()],
  ];
  for (const [mutation, id] of attempts) expectError(await read(acme, mutation, { id }), 'FORBIDDEN');
  const statuses = await change.db.query(`SELECT id, status FROM change_request WHERE id = ANY($1)`, [[rec.served, rec.gating, rec.other]]);
  expect(Object.fromEntries(statuses.map((c: { id: string; status: string }) => [c.id, c.status]))).toEqual({ [rec.served]: 'PRE_STARTUP_REVIEW', [rec.gating]: 'SUBMITTED', [rec.other]: 'DRAFT' });
});
