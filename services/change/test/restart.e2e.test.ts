import { eventually, ok, startTestGateway, startTestService, untilPlacesKnown, type TestGateway, type TestService } from '@opsgraph/testing';
import { service as workService } from '../../work/src/service';
import { seedPlant, type Plant } from '../../work/test/fixtures';
import { service as changeService } from '../src/service';
import { changeInput, check, crew, type Places } from './fixtures';

/**
 * The whole loop through the gateway, with Work and change each running their relay and consumer on real
 * Kafka: a change gates work on its asset until approved, its implementation task and pre-startup checks
 * become work items, "may we restart?" lists what stands in the way, and verifying the checks in Work leaves
 * only the start-up authorization, after which the answer turns to yes and the change may close.
 * (A check that needs a permit, and the authorization's rules: startup-authorization.e2e.test.ts.)
 */

let work: TestService;
let change: TestService;
let gateway: TestGateway;
let plant: Plant;
let places: Places;

beforeAll(async () => {
  [work, change] = await Promise.all([startTestService(workService), startTestService(changeService)]);
  gateway = await startTestGateway({ work: work.url, change: change.url });
  plant = await seedPlant(work, 'MOC');
  places = { siteId: plant.siteId, areaId: plant.areaId, lineId: plant.lineId, assetId: plant.assetId };
  await untilPlacesKnown(change.db, Object.values(places)); // Work's registry reaches change by events
}, 60_000);
afterAll(async () => {
  await gateway?.stop();
  await Promise.all([change?.stop(), work?.stop()]);
});

const q = <T = any>(query: string, variables: Record<string, unknown> = {}, caller = crew.admin) => gateway.query<T>(query, variables, caller);

const READINESS = `query($line: ID, $area: ID) { restartReadiness(lineId: $line, areaId: $area) {
  mayRestart line { id } blockers { kind description change { number status } check { title } workStatus workItem { id number status type } } } }`;

const CHANGE_VIEW = `query($id: ID!) { changeRequest(id: $id) {
  id number status
  tasks { title workStatus workItem { id status } }
  preStartupChecks { id title workStatus done workItem { id number status type source { domain recordId } } }
  workItems { id type status }
} }`;

async function workItemsOf(changeId: string, type?: string) {
  const data = ok(await q(`query($f: WorkItemFilter) { workItems(filter: $f, first: 20) { edges { node { id number type status blocked blockers { kind description } source { recordId } } } } }`, {
    f: { sourceDomain: 'CHANGE', sourceRecordId: changeId, ...(type ? { type: [type] } : {}) },
  }));
  return data.workItems.edges.map((e: { node: any }) => e.node);
}

/** Starts, completes with the evidence the check asks for, and verifies a work item through Work's mutations. */
async function carryOut(workItemId: string, evidence: Record<string, unknown>[]) {
  ok(await q(`mutation($id: ID!) { startWork(id: $id) { id } }`, { id: workItemId }, crew.technician));
  ok(await q(`mutation($id: ID!, $e: [EvidenceInput!]!) { completeWork(id: $id, evidence: $e) { id } }`, { id: workItemId, e: evidence }, crew.technician));
  ok(await q(`mutation($id: ID!) { verifyWork(id: $id, accept: true) { id status } }`, { id: workItemId }, crew.verifier));
}

const checkEvidence = [
  { kind: 'CHECKLIST', label: 'Pre-startup confirmations', answers: [{ question: 'Guards refitted?', answer: 'yes' }, { question: 'Valve fails closed on air loss?', answer: 'yes, tested twice' }] },
  { kind: 'SIGNATURE', label: 'Released for restart', text: 'Olga Operator' },
];

test('approved change with three pre-startup checks: three work items, the restart answer lists them, verified → close → yes', async () => {
  // A submitted change gates work on its asset: work created there now waits for the approval.
  const created = ok(await q(`mutation($i: CreateChangeRequestInput!) { createChangeRequest(input: $i) { id number } }`, {
    i: changeInput(places, {
      tasks: [{ title: 'Fit fail-closed infeed valve', assetId: places.assetId, ownerId: crew.technician.id }],
      preStartupChecks: [
        check('Inspect line 3 before restart', { lineId: places.lineId }),
        check('Leak test the new valve', { assetId: places.assetId }),
        check('Confirm operators briefed', { lineId: places.lineId, confirmations: ['Briefing signed by shift A and B?'] }),
      ],
    }),
  }, crew.technician)).createChangeRequest;
  ok(await q(`mutation($id: ID!) { submitChangeRequest(id: $id) { status } }`, { id: created.id }, crew.technician));
  const unrelated = ok(await q(`mutation($i: CreateWorkItemInput!) { createWorkItem(input: $i) { id } }`, { i: { type: 'MAINTENANCE', title: 'Lubricate P-301 bearings', siteId: plant.siteId, assetId: plant.assetId } }, crew.supervisor)).createWorkItem;
  const gated = await eventually(async () => {
    const item = ok(await q(`query($id: ID!) { workItem(id: $id) { status blocked blockers { kind description sourceRecordId } } }`, { id: unrelated.id })).workItem;
    // Blockers and the item's own row are read by separate statements: wait until both show the commit.
    return item.blocked && item.blockers.some((b: { kind: string }) => b.kind === 'CHANGE_APPROVED') && item;
  });
  expect(gated).toMatchObject({ status: 'OPEN', blocked: true, blockers: [expect.objectContaining({ kind: 'CHANGE_APPROVED', sourceRecordId: created.id })] });
  const [task] = await eventually(async () => (await workItemsOf(created.id, 'MAINTENANCE')).filter((t: { blocked: boolean }) => t.blocked));
  expect(task.blockers[0].description).toContain(created.number);

  // Approval by every role clears both blockers.
  ok(await q(`mutation($id: ID!) { startChangeReview(id: $id) { status } }`, { id: created.id }, crew.supervisor));
  for (const [role, who] of [['OPERATIONS', crew.supervisor], ['ENGINEERING', crew.engineer], ['SAFETY', crew.hse]] as const) {
    ok(await q(`mutation($id: ID!, $r: ChangeApproverRole!) { approveChangeRequest(id: $id, role: $r) { status } }`, { id: created.id, r: role }, who));
  }
  await eventually(async () => {
    const items = await Promise.all([unrelated.id, task.id].map(async (id) => ok(await q(`query($id: ID!) { workItem(id: $id) { status } }`, { id })).workItem.status));
    return items.every((s) => s === 'READY');
  });

  // Implementation: the task is done and verified in Work, then the pre-startup review raises the checks.
  ok(await q(`mutation($id: ID!) { startChangeImplementation(id: $id) { status } }`, { id: created.id }, crew.technician));
  await carryOut(task.id, [{ kind: 'SIGNATURE', label: 'Implemented as approved', text: 'Tom Technician' }]);
  await eventually(async () => ok(await q(CHANGE_VIEW, { id: created.id })).changeRequest.tasks[0].workStatus === 'DONE');
  ok(await q(`mutation($id: ID!) { startPreStartupReview(id: $id) { status } }`, { id: created.id }, crew.technician));
  const checks = await eventually(async () => {
    const view = ok(await q(CHANGE_VIEW, { id: created.id })).changeRequest;
    return view.preStartupChecks.every((c: { workItem: unknown }) => c.workItem) && view.preStartupChecks;
  });
  expect(checks).toHaveLength(3);
  for (const c of checks) expect(c.workItem).toMatchObject({ type: 'PRE_STARTUP_CHECK', status: 'READY', source: { domain: 'CHANGE', recordId: created.id } });
  const checkItems = await workItemsOf(created.id, 'PRE_STARTUP_CHECK');
  expect(checkItems).toHaveLength(3);

  // "May we restart line 3?" No: the change is in its review and three checks are open.
  const before = ok(await q(READINESS, { line: places.lineId })).restartReadiness;
  expect(before.mayRestart).toBe(false);
  expect(before.blockers.map((b: { kind: string }) => b.kind).sort()).toEqual(['CHANGE_IN_PROGRESS', 'PRE_STARTUP_CHECK_OPEN', 'PRE_STARTUP_CHECK_OPEN', 'PRE_STARTUP_CHECK_OPEN']);
  const listed = before.blockers.filter((b: { workItem: unknown }) => b.workItem).map((b: { workItem: { id: string; status: string } }) => b.workItem);
  expect(listed.map((w: { id: string }) => w.id).sort()).toEqual(checkItems.map((w: { id: string }) => w.id).sort());
  expect(listed.every((w: { status: string }) => w.status === 'READY')).toBe(true);
  expect(ok(await q(READINESS, { area: places.areaId })).restartReadiness.mayRestart).toBe(false);
  expect(ok(await q(READINESS, { area: plant.otherAreaId })).restartReadiness).toMatchObject({ mayRestart: true, blockers: [] });

  // Closing is refused while any check is not verified done.
  const refused = await q(`mutation($id: ID!) { closeChangeRequest(id: $id) { status } }`, { id: created.id }, crew.technician);
  expect(refused.errors?.[0].extensions?.code).toBe('PREREQUISITES_OPEN');

  // The check work item tells why it exists: the change behind it.
  const behind = ok(await q(`query($id: ID!) { workItem(id: $id) { description change { number status reason scope { lines { id } assets { id } } } } }`, { id: checkItems[0].id })).workItem;
  expect(behind.change).toMatchObject({ number: created.number, status: 'PRE_STARTUP_REVIEW', reason: expect.stringContaining('spills'), scope: { lines: [{ id: places.lineId }], assets: [{ id: places.assetId }] } });
  expect(behind.description).toContain('Confirm before production resumes');

  // Verify all three through Work; the change learns it from Work's events.
  for (const item of checkItems) {
    const needs = ok(await q(`query($id: ID!) { workItem(id: $id) { requiredOutcome { evidence { label questions } } } }`, { id: item.id })).workItem.requiredOutcome.evidence;
    const questions: string[] = needs.find((e: { label: string }) => e.label === 'Pre-startup confirmations').questions;
    await carryOut(item.id, [{ ...checkEvidence[0], answers: questions.map((question) => ({ question, answer: 'yes' })) }, checkEvidence[1]]);
  }
  const onlyChange = await eventually(async () => {
    const r = ok(await q(READINESS, { line: places.lineId })).restartReadiness;
    return r.blockers.length === 1 && r;
  });
  // What remains is said exactly: the start-up authorization, and who may give it.
  expect(onlyChange.blockers[0]).toMatchObject({
    kind: 'AWAITING_STARTUP_AUTHORIZATION',
    description: `${created.number} "Replace filler infeed valve on line 3": all 3 pre-startup check(s) verified; awaiting start-up authorization by an engineering or operations lead (a supervisor or verifier), not the change's requester or owner`,
    change: { number: created.number, status: 'PRE_STARTUP_REVIEW' },
  });
  const early = await q(`mutation($id: ID!) { closeChangeRequest(id: $id, note: "PSSR complete") { status } }`, { id: created.id }, crew.technician);
  expect(early.errors?.[0].extensions?.code).toBe('ILLEGAL_TRANSITION');

  ok(await q(`mutation($id: ID!) { authorizeStartup(id: $id, note: "PSSR complete, release line 3") { status } }`, { id: created.id }, crew.supervisor));
  expect(ok(await q(READINESS, { line: places.lineId })).restartReadiness).toEqual({ mayRestart: true, line: { id: places.lineId }, blockers: [] });
  const closed = ok(await q(`mutation($id: ID!) { closeChangeRequest(id: $id, note: "drawings updated") { status closedAt } }`, { id: created.id }, crew.technician)).closeChangeRequest;
  expect(closed.status).toBe('CLOSED');

  // ChangeRequest.workItems (resolved by Work) shows the live status of everything the change raised.
  const final = ok(await q(CHANGE_VIEW, { id: created.id })).changeRequest;
  expect(final.workItems.map((w: { type: string; status: string }) => `${w.type}:${w.status}`).sort()).toEqual(['MAINTENANCE:DONE', 'PRE_STARTUP_CHECK:DONE', 'PRE_STARTUP_CHECK:DONE', 'PRE_STARTUP_CHECK:DONE']);
  expect(final.preStartupChecks.every((c: { done: boolean }) => c.done)).toBe(true);
}, 90_000);

test('statements per request do not grow with the number of work items', async () => {
  // Two approved changes in review on the line: one with one check, one with four.
  const inReview = async (checks: number) => {
    const created = ok(await q(`mutation($i: CreateChangeRequestInput!) { createChangeRequest(input: $i) { id } }`, {
      i: changeInput(places, { preStartupChecks: Array.from({ length: checks }, (_, i) => check(`Check ${i + 1}`, { lineId: places.lineId })) }),
    }, crew.technician)).createChangeRequest;
    ok(await q(`mutation($id: ID!) { submitChangeRequest(id: $id) { status } }`, { id: created.id }, crew.technician));
    ok(await q(`mutation($id: ID!) { startChangeReview(id: $id) { status } }`, { id: created.id }, crew.supervisor));
    for (const [role, who] of [['OPERATIONS', crew.supervisor], ['ENGINEERING', crew.engineer], ['SAFETY', crew.hse]] as const) {
      ok(await q(`mutation($id: ID!, $r: ChangeApproverRole!) { approveChangeRequest(id: $id, role: $r) { status } }`, { id: created.id, r: role }, who));
    }
    ok(await q(`mutation($id: ID!) { startChangeImplementation(id: $id) { status } }`, { id: created.id }, crew.technician));
    ok(await q(`mutation($id: ID!) { startPreStartupReview(id: $id) { status } }`, { id: created.id }, crew.technician));
    await eventually(async () => (await workItemsOf(created.id)).length === checks);
    await eventually(async () => ok(await q(CHANGE_VIEW, { id: created.id })).changeRequest.preStartupChecks.every((c: { workItem: unknown }) => c.workItem));
    return created.id;
  };
  const CHANGES = `query { changeRequests(filter: { status: [PRE_STARTUP_REVIEW] }, first: 5) { edges { node { number workItems { id status change { number } } preStartupChecks { workStatus workItem { number status } } } } } }`;
  const LIST = `query($f: WorkItemFilter) { workItems(filter: $f, first: 20) { edges { node { id status change { number status reason preStartupChecks { title workStatus workItem { id status } } } } } } }`;
  const measure = async () => ({
    readiness: await q(READINESS, { line: places.lineId }),
    changes: await q(CHANGES),
    list: await q(LIST, { f: { sourceDomain: 'CHANGE', type: ['PRE_STARTUP_CHECK'], status: ['READY'] } }),
  });
  await inReview(1);
  const one = await measure();
  expect(ok(one.readiness).restartReadiness.blockers.filter((b: { kind: string }) => b.kind === 'PRE_STARTUP_CHECK_OPEN')).toHaveLength(1);
  expect(ok(one.list).workItems.edges).toHaveLength(1);
  await inReview(4);
  const five = await measure();
  expect(ok(five.readiness).restartReadiness.blockers.filter((b: { kind: string }) => b.kind === 'PRE_STARTUP_CHECK_OPEN')).toHaveLength(5);
  expect(ok(five.changes).changeRequests.edges).toHaveLength(2);
  expect(ok(five.list).workItems.edges).toHaveLength(5);
  expect(five.readiness.statements).toBe(one.readiness.statements);
  expect(five.changes.statements).toBe(one.changes.statements);
  expect(five.list.statements).toBe(one.list.statements);
}, 90_000);

test('a rejected change releases other work on its asset, and keeps its own task blocked with the reason', async () => {
  const created = ok(await q(`mutation($i: CreateChangeRequestInput!) { createChangeRequest(input: $i) { id number } }`, {
    i: changeInput(places, { requiredApproverRoles: ['SAFETY'], tasks: [{ title: 'Remove bypass line', assetId: places.assetId }] }),
  }, crew.technician)).createChangeRequest;
  ok(await q(`mutation($id: ID!) { submitChangeRequest(id: $id) { status } }`, { id: created.id }, crew.technician));
  const other = ok(await q(`mutation($i: CreateWorkItemInput!) { createWorkItem(input: $i) { id } }`, { i: { type: 'CLEANING', title: 'Clean P-301 skid', siteId: plant.siteId, assetId: plant.assetId } }, crew.supervisor)).createWorkItem;
  const blockerOf = async (id: string) => (ok(await q(`query($id: ID!) { workItem(id: $id) { status prerequisites { kind state reason sourceRecordId } } }`, { id })).workItem);
  await eventually(async () => (await blockerOf(other.id)).prerequisites.some((p: { sourceRecordId: string }) => p.sourceRecordId === created.id));
  const [task] = await eventually(async () => {
    const items = await workItemsOf(created.id, 'MAINTENANCE');
    return items.length === 1 && items;
  });
  ok(await q(`mutation($id: ID!) { startChangeReview(id: $id) { status } }`, { id: created.id }, crew.supervisor));
  ok(await q(`mutation($id: ID!) { rejectChangeRequest(id: $id, role: SAFETY, comment: "No isolation plan") { status } }`, { id: created.id }, crew.hse));
  const released = await eventually(async () => {
    const item = await blockerOf(other.id);
    return item.prerequisites.find((p: { sourceRecordId: string; state: string }) => p.sourceRecordId === created.id && p.state === 'SATISFIED') && item;
  });
  expect(released.prerequisites.find((p: { sourceRecordId: string }) => p.sourceRecordId === created.id).reason).toContain('rejected');
  const stillBlocked = await eventually(async () => {
    const item = await blockerOf(task.id);
    const p = item.prerequisites.find((x: { kind: string }) => x.kind === 'CHANGE_APPROVED');
    return p?.reason?.includes('must not go ahead') && item;
  });
  expect(stillBlocked.status).toBe('OPEN');
  expect(stillBlocked.prerequisites).toEqual([expect.objectContaining({ kind: 'CHANGE_APPROVED', state: 'OPEN' })]);
}, 60_000);
