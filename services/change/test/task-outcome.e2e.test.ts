import { eventually, expectError, ok, recordedEvents, startTestGateway, startTestService, untilPlacesKnown, type TestGateway, type TestService } from '@opsgraph/testing';
import { service as workService } from '../../work/src/service';
import { seedPlant } from '../../work/test/fixtures';
import { service as changeService } from '../src/service';
import { changeInput, crew, type Places } from './fixtures';

/**
 * The proof an implementation task asks for travels with `work.requested` and Work enforces it: by default
 * the performer signs that it was implemented as approved; a task may name its own evidence; a bad one is
 * refused before anything is written. Through the gateway, with Work and change on real Kafka.
 */

let work: TestService;
let change: TestService;
let gateway: TestGateway;
let places: Places;

beforeAll(async () => {
  [work, change] = await Promise.all([startTestService(workService), startTestService(changeService)]);
  gateway = await startTestGateway({ work: work.url, change: change.url });
  const plant = await seedPlant(work, 'TOC');
  places = { siteId: plant.siteId, areaId: plant.areaId, lineId: plant.lineId, assetId: plant.assetId };
  await untilPlacesKnown(change.db, Object.values(places));
}, 60_000);
afterAll(async () => {
  await gateway?.stop();
  await Promise.all([change?.stop(), work?.stop()]);
});

const q = <T = any>(query: string, variables: Record<string, unknown> = {}, caller = crew.admin) => gateway.query<T>(query, variables, caller);

const OUTCOME = 'requiredOutcome { acceptanceCriteria evidence { kind label unit min max questions } }';

async function approvedChange(input: Record<string, unknown> = {}) {
  const created = ok(await q(`mutation($i: CreateChangeRequestInput!) { createChangeRequest(input: $i) { id number } }`, { i: changeInput(places, input) }, crew.technician)).createChangeRequest;
  ok(await q(`mutation($id: ID!) { submitChangeRequest(id: $id) { status } }`, { id: created.id }, crew.technician));
  ok(await q(`mutation($id: ID!) { startChangeReview(id: $id) { status } }`, { id: created.id }, crew.supervisor));
  for (const [role, who] of [['OPERATIONS', crew.supervisor], ['ENGINEERING', crew.engineer], ['SAFETY', crew.hse]] as const) {
    ok(await q(`mutation($id: ID!, $r: ChangeApproverRole!) { approveChangeRequest(id: $id, role: $r) { status } }`, { id: created.id, r: role }, who));
  }
  return created as { id: string; number: string };
}

/** The READY work item of the change's task number `seq` (1-based), as Work shows it. */
async function readyTaskItem(changeId: string, seq = 1) {
  return eventually(async () => {
    const tasks = ok(await q(`query($id: ID!) { changeRequest(id: $id) { tasks { title workItem { id status ${OUTCOME} } } } }`, { id: changeId })).changeRequest.tasks;
    const item = tasks[seq - 1]?.workItem;
    return item?.status === 'READY' && item;
  });
}

const start = async (id: string) => ok(await q(`mutation($id: ID!) { startWork(id: $id) { status } }`, { id }, crew.technician));
const complete = (id: string, evidence: Record<string, unknown>[]) =>
  q(`mutation($id: ID!, $e: [EvidenceInput!]!) { completeWork(id: $id, evidence: $e) { status } }`, { id, e: evidence }, crew.technician);

test('a task given no outcome asks for a signature that it was implemented as approved; nothing else closes it', async () => {
  const created = await approvedChange();
  const task = ok(await q(`mutation($id: ID!, $i: ChangeTaskInput!) { addChangeTask(changeId: $id, input: $i) { id title } }`, {
    id: created.id,
    i: { title: 'Fit fail-closed infeed valve', assetId: places.assetId, ownerId: crew.technician.id },
  }, crew.technician)).addChangeTask;
  const item = await readyTaskItem(created.id);
  expect(item.requiredOutcome).toEqual({
    acceptanceCriteria: 'Fit fail-closed infeed valve: implemented as the approved change describes',
    evidence: [{ kind: 'SIGNATURE', label: 'Implemented as approved', unit: null, min: null, max: null, questions: null }],
  });
  const [event] = await recordedEvents(change, created.id, 'work.requested');
  expect(event.data).toMatchObject({ title: task.title, requiredOutcome: { evidence: [{ kind: 'SIGNATURE', label: 'Implemented as approved' }] } });

  await start(item.id);
  expect(expectError(await complete(item.id, []), 'EVIDENCE_INCOMPLETE').message).toContain('signature "Implemented as approved": not submitted');
  // A photo is not the signature asked for, and a signature needs its signer.
  expectError(await complete(item.id, [{ kind: 'PHOTO', label: 'New valve fitted' }]), 'EVIDENCE_INCOMPLETE');
  expectError(await complete(item.id, [{ kind: 'SIGNATURE', label: 'Implemented as approved' }]), 'EVIDENCE_INCOMPLETE');
  expect(ok(await q(`query($id: ID!) { workItem(id: $id) { status } }`, { id: item.id })).workItem.status).toBe('IN_PROGRESS');
  const done = ok(await complete(item.id, [{ kind: 'SIGNATURE', label: 'Implemented as approved', text: 'Tom Technician' }])).completeWork;
  expect(done.status).toBe('AWAITING_VERIFICATION');
}, 90_000);

test('the outcome a task names arrives in Work as given, and Work holds the performer to it', async () => {
  const requiredOutcome = {
    acceptanceCriteria: 'Valve fitted to the P&ID, closes on loss of air within 2 s',
    evidence: [
      { kind: 'PHOTO', label: 'New valve fitted' },
      { kind: 'MEASUREMENT', label: 'Closing time on air loss', unit: 's', min: 0, max: 2 },
      { kind: 'CHECKLIST', label: 'Fitting checks', questions: ['Flanges torqued?', 'Air supply tagged?'] },
    ],
  };
  const created = await approvedChange({ tasks: [{ title: 'Fit fail-closed infeed valve', assetId: places.assetId, ownerId: crew.technician.id, requiredOutcome }] });
  const item = await readyTaskItem(created.id);
  expect(item.requiredOutcome).toEqual({
    acceptanceCriteria: requiredOutcome.acceptanceCriteria,
    evidence: [
      { kind: 'PHOTO', label: 'New valve fitted', unit: null, min: null, max: null, questions: null },
      { kind: 'MEASUREMENT', label: 'Closing time on air loss', unit: 's', min: 0, max: 2, questions: null },
      { kind: 'CHECKLIST', label: 'Fitting checks', unit: null, min: null, max: null, questions: ['Flanges torqued?', 'Air supply tagged?'] },
    ],
  });

  await start(item.id);
  const full = [
    { kind: 'PHOTO', label: 'New valve fitted', url: 'https://files.example.com/fl303-valve.jpg' },
    { kind: 'MEASUREMENT', label: 'Closing time on air loss', value: 1.4, unit: 's' },
    { kind: 'CHECKLIST', label: 'Fitting checks', answers: [{ question: 'Flanges torqued?', answer: 'yes' }, { question: 'Air supply tagged?', answer: 'yes' }] },
  ];
  // The photo without its file is refused; a closing time outside the limits is a result the verifier weighs.
  const noFile = expectError(await complete(item.id, [{ kind: 'PHOTO', label: 'New valve fitted' }, full[1], full[2]]), 'EVIDENCE_INCOMPLETE');
  expect(noFile.message).toContain('a url to the file is needed');
  expect(ok(await complete(item.id, [full[0], { ...full[1], value: 3.5 }, full[2]])).completeWork.status).toBe('AWAITING_VERIFICATION');
}, 90_000);

test('a bad outcome is refused before anything is written: no task, no change, no event', async () => {
  const created = await approvedChange();
  const bad: [string, Record<string, unknown>][] = [
    ['min above max', { acceptanceCriteria: 'Pressure held', evidence: [{ kind: 'MEASUREMENT', label: 'Pressure', unit: 'bar', min: 6, max: 2 }] }],
    ['duplicate labels', { acceptanceCriteria: 'Fitted', evidence: [{ kind: 'PHOTO', label: 'Valve' }, { kind: 'DOCUMENT', label: 'valve' }] }],
    ['a checklist without questions', { acceptanceCriteria: 'Checked', evidence: [{ kind: 'CHECKLIST', label: 'Checks' }] }],
    ['no evidence at all', { acceptanceCriteria: 'Done', evidence: [] }],
    ['blank acceptance criteria', { acceptanceCriteria: '  ', evidence: [{ kind: 'SIGNATURE', label: 'Done' }] }],
  ];
  const eventsBefore = (await recordedEvents(change)).length;
  for (const [why, requiredOutcome] of bad) {
    const added = await q(`mutation($id: ID!, $i: ChangeTaskInput!) { addChangeTask(changeId: $id, input: $i) { id } }`, { id: created.id, i: { title: `Task with ${why}`, requiredOutcome } }, crew.technician);
    expect({ why, field: expectError(added, 'BAD_USER_INPUT').extensions?.field }).toEqual({ why, field: expect.stringMatching(/^input\.requiredOutcome/) });
    const createdBad = await q(`mutation($i: CreateChangeRequestInput!) { createChangeRequest(input: $i) { id } }`, { i: changeInput(places, { title: `Change with ${why}`, tasks: [{ title: 'Fit valve' }, { title: 'Tag valve', requiredOutcome }] }) }, crew.technician);
    expect(expectError(createdBad, 'BAD_USER_INPUT').extensions?.field).toMatch(/^tasks\[1\]\.requiredOutcome/);
  }
  expect(ok(await q(`query($id: ID!) { changeRequest(id: $id) { tasks { id } } }`, { id: created.id })).changeRequest.tasks).toEqual([]);
  expect((await recordedEvents(change)).length).toBe(eventsBefore);
  const titles = ok(await q(`query { changeRequests(first: 50) { edges { node { title } } } }`)).changeRequests.edges.map((e: { node: { title: string } }) => e.node.title);
  expect(titles.filter((t: string) => t.startsWith('Change with'))).toEqual([]);
}, 90_000);
