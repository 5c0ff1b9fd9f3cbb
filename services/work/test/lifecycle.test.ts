import { expectError, ok, people, type TestService } from '@opsgraph/testing';
import { act, createItem, seedPlant, startWork, type Plant } from './fixtures';

let work: TestService;
let plant: Plant;

beforeAll(async () => {
  work = await startWork();
  plant = await seedPlant(work);
});
afterAll(() => work.stop());

const outcome = {
  acceptanceCriteria: 'Seal replaced, no leak at operating pressure',
  evidence: [
    { kind: 'PHOTO', label: 'Seal fitted' },
    { kind: 'MEASUREMENT', label: 'Discharge pressure', unit: 'bar', min: 4, max: 6 },
    { kind: 'CHECKLIST', label: 'Restart checks', questions: ['Guards refitted?', 'Area clean?'] },
  ],
};
const goodEvidence = [
  { kind: 'PHOTO', label: 'Seal fitted', url: 'https://files.example/seal.jpg' },
  { kind: 'MEASUREMENT', label: 'Discharge pressure', value: 5.1, unit: 'bar' },
  { kind: 'CHECKLIST', label: 'Restart checks', answers: [{ question: 'Guards refitted?', answer: 'yes' }, { question: 'Area clean?', answer: 'yes' }] },
];

async function statusOf(id: string) {
  return ok(await work.query(`query($id: ID!) { workItem(id: $id) { status version history { to } } }`, { id })).workItem;
}

describe('work item lifecycle', () => {
  test('create gives a per-site number, READY when nothing blocks, and a history entry', async () => {
    const item = await createItem(work, plant, { requiredOutcome: outcome });
    expect(item.number).toMatch(/^GRN-\d{6}$/);
    expect(item.status).toBe('READY');
    expect(item.site.id).toBe(plant.siteId);
    expect(item.line.id).toBe(plant.lineId);
    expect(item.area.id).toBe(plant.areaId); // implied by the asset's line
    expect(item.history.map((h: { to: string }) => h.to)).toEqual(['OPEN', 'READY']);
    const second = await createItem(work, plant);
    expect(Number(second.number.slice(4))).toBe(Number(item.number.slice(4)) + 1);
  });

  test('full path: start → complete with evidence → verify by someone else → DONE', async () => {
    const item = await createItem(work, plant, { requiredOutcome: outcome });
    const started = ok(await act(work, 'startWork', { id: item.id }, people.technician)).startWork;
    expect(started.status).toBe('IN_PROGRESS');
    expect(started.performer.id).toBe(people.technician.id);
    const completed = ok(await act(work, 'completeWork', { id: item.id, evidence: goodEvidence }, people.technician)).completeWork;
    expect(completed.status).toBe('AWAITING_VERIFICATION');
    expect(completed.evidence).toHaveLength(3);
    expect(completed.evidence.find((e: { kind: string }) => e.kind === 'MEASUREMENT').withinLimits).toBe(true);
    const done = ok(await act(work, 'verifyWork', { id: item.id, accept: true }, people.verifier)).verifyWork;
    expect(done.status).toBe('DONE');
    expect(done.verifiedBy.id).toBe(people.verifier.id);
    expect(done.history.map((h: { to: string }) => h.to)).toEqual(['OPEN', 'READY', 'IN_PROGRESS', 'AWAITING_VERIFICATION', 'DONE']);
    expect(done.history.at(-1).actor.id).toBe(people.verifier.id);
  });

  test('the performer cannot verify their own work, and nothing changes', async () => {
    const verifierTech = { ...people.technician, roles: ['technician', 'verifier'] as never };
    const item = await createItem(work, plant);
    ok(await act(work, 'startWork', { id: item.id }, verifierTech));
    ok(await act(work, 'completeWork', { id: item.id, evidence: [] }, verifierTech));
    const before = await statusOf(item.id);
    expectError(await act(work, 'verifyWork', { id: item.id, accept: true }, verifierTech), 'SEPARATION_OF_DUTIES');
    expect(await statusOf(item.id)).toEqual(before);
  });

  test('rejection needs a reason and sends the work back to IN_PROGRESS', async () => {
    const item = await createItem(work, plant);
    ok(await act(work, 'startWork', { id: item.id }));
    ok(await act(work, 'completeWork', { id: item.id, evidence: [] }));
    expectError(await act(work, 'verifyWork', { id: item.id, accept: false }, people.verifier), 'BAD_USER_INPUT');
    const rejected = ok(await act(work, 'verifyWork', { id: item.id, accept: false, note: 'leak still visible' }, people.verifier)).verifyWork;
    expect(rejected.status).toBe('IN_PROGRESS');
    expect(rejected.history.at(-1)).toMatchObject({ from: 'AWAITING_VERIFICATION', to: 'IN_PROGRESS', note: 'leak still visible' });
  });

  test('evidence must cover the required outcome', async () => {
    const item = await createItem(work, plant, { requiredOutcome: outcome });
    ok(await act(work, 'startWork', { id: item.id }));
    const cases: [unknown[], RegExp][] = [
      [[], /Seal fitted/],
      [[goodEvidence[0], goodEvidence[2]], /Discharge pressure/],
      [[goodEvidence[0], { ...goodEvidence[1], unit: 'psi' }, goodEvidence[2]], /unit must be bar/],
      [[goodEvidence[0], goodEvidence[1], { ...goodEvidence[2], answers: [{ question: 'Guards refitted?', answer: 'yes' }] }], /Area clean/],
      [[{ kind: 'PHOTO', label: 'Seal fitted' }, goodEvidence[1], goodEvidence[2]], /url/],
    ];
    for (const [evidence, message] of cases) {
      const err = expectError(await act(work, 'completeWork', { id: item.id, evidence }), 'EVIDENCE_INCOMPLETE');
      expect(err.message).toMatch(message);
    }
    const after = ok(await work.query(`query($id: ID!) { workItem(id: $id) { status evidence { label } } }`, { id: item.id })).workItem;
    expect(after).toEqual({ status: 'IN_PROGRESS', evidence: [] });
  });

  test('hold and resume return the item to where it was', async () => {
    const item = await createItem(work, plant);
    ok(await act(work, 'startWork', { id: item.id }));
    expectError(await act(work, 'holdWork', { id: item.id, reason: '' }), 'BAD_USER_INPUT');
    const held = ok(await act(work, 'holdWork', { id: item.id, reason: 'waiting for spare seal' })).holdWork;
    expect(held.status).toBe('ON_HOLD');
    const resumed = ok(await act(work, 'resumeWork', { id: item.id })).resumeWork;
    expect(resumed.status).toBe('IN_PROGRESS');
    const ready = await createItem(work, plant);
    ok(await act(work, 'holdWork', { id: ready.id, reason: 'line running' }));
    expect(ok(await act(work, 'resumeWork', { id: ready.id })).resumeWork.status).toBe('READY');
  });

  test('every illegal transition is refused with ILLEGAL_TRANSITION and changes nothing', async () => {
    const ready = await createItem(work, plant);
    const inProgress = await createItem(work, plant);
    ok(await act(work, 'startWork', { id: inProgress.id }));
    const awaiting = await createItem(work, plant);
    ok(await act(work, 'startWork', { id: awaiting.id }));
    ok(await act(work, 'completeWork', { id: awaiting.id, evidence: [] }));
    const done = await createItem(work, plant);
    ok(await act(work, 'startWork', { id: done.id }));
    ok(await act(work, 'completeWork', { id: done.id, evidence: [] }));
    ok(await act(work, 'verifyWork', { id: done.id, accept: true }, people.verifier));
    const cancelled = await createItem(work, plant);
    ok(await act(work, 'cancelWork', { id: cancelled.id, reason: 'duplicate' }, people.supervisor));
    const onHold = await createItem(work, plant);
    ok(await act(work, 'holdWork', { id: onHold.id, reason: 'no access' }));

    const refused: [string, string, Record<string, unknown>, typeof people.technician][] = [
      [ready.id, 'completeWork', { evidence: [] }, people.technician],
      [ready.id, 'verifyWork', { accept: true }, people.verifier],
      [ready.id, 'resumeWork', {}, people.technician],
      [inProgress.id, 'startWork', {}, people.technician],
      [inProgress.id, 'verifyWork', { accept: true }, people.verifier],
      [inProgress.id, 'resumeWork', {}, people.technician],
      [awaiting.id, 'startWork', {}, people.technician],
      [awaiting.id, 'completeWork', { evidence: [] }, people.technician],
      [awaiting.id, 'holdWork', { reason: 'x' }, people.technician],
      [onHold.id, 'startWork', {}, people.technician],
      [onHold.id, 'completeWork', { evidence: [] }, people.technician],
      [onHold.id, 'holdWork', { reason: 'x' }, people.technician],
      ...['startWork', 'completeWork', 'verifyWork', 'holdWork', 'resumeWork', 'cancelWork'].flatMap((m) =>
        [done.id, cancelled.id].map((id) => [id, m, m === 'completeWork' ? { evidence: [] } : m === 'verifyWork' ? { accept: true } : m === 'holdWork' || m === 'cancelWork' ? { reason: 'x' } : {}, people.supervisor] as [string, string, Record<string, unknown>, typeof people.technician]),
      ),
    ];
    for (const [id, mutation, args, caller] of refused) {
      const before = await statusOf(id);
      const res = await act(work, mutation, { id, ...args }, caller);
      expectError(res, 'ILLEGAL_TRANSITION');
      expect(await statusOf(id)).toEqual(before);
    }
  });
});

describe('prerequisites', () => {
  test('an open prerequisite keeps the item OPEN and refuses start with the list of blockers', async () => {
    const item = await createItem(work, plant, {
      prerequisites: [
        { kind: 'MATERIAL', description: 'Seal kit SK-12 on site' },
        { kind: 'OTHER', description: 'Crane booked' },
      ],
    });
    expect(item.status).toBe('OPEN');
    expect(item.blocked).toBe(true);
    const err = expectError(await act(work, 'startWork', { id: item.id }), 'PREREQUISITES_OPEN');
    expect(err.extensions!.blockers.map((b: { description: string }) => b.description)).toEqual(['Seal kit SK-12 on site', 'Crane booked']);
    expect((await statusOf(item.id)).status).toBe('OPEN');

    const [material, crane] = item.prerequisites;
    const satisfied = ok(await work.query(`mutation($id: ID!) { satisfyPrerequisite(id: $id) { state workItem { status } } }`, { id: material.id }, people.technician));
    expect(satisfied.satisfyPrerequisite).toEqual({ state: 'SATISFIED', workItem: { status: 'OPEN' } });
    expectError(await work.query(`mutation($id: ID!) { waivePrerequisite(id: $id, reason: "not needed") { state } }`, { id: crane.id }, people.technician), 'FORBIDDEN');
    const waived = ok(await work.query(`mutation($id: ID!) { waivePrerequisite(id: $id, reason: "mobile crane already on site") { state waivedReason waivedBy { id } workItem { status blocked } } }`, { id: crane.id }, people.supervisor));
    expect(waived.waivePrerequisite).toEqual({ state: 'WAIVED', waivedReason: 'mobile crane already on site', waivedBy: { id: people.supervisor.id }, workItem: { status: 'READY', blocked: false } });
    expectError(await work.query(`mutation($id: ID!) { satisfyPrerequisite(id: $id) { state } }`, { id: crane.id }, people.technician), 'ILLEGAL_TRANSITION');
  });

  test('a blocker added to work in progress shows it blocked and refuses completion', async () => {
    const item = await createItem(work, plant);
    ok(await act(work, 'startWork', { id: item.id }));
    const added = ok(await work.query(`mutation($w: ID!, $i: PrerequisiteInput!) { addPrerequisite(workItemId: $w, input: $i) { id workItem { status blocked blockers { description } } } }`, {
      w: item.id,
      i: { kind: 'OTHER', description: 'Gas test due again' },
    }));
    expect(added.addPrerequisite.workItem).toEqual({ status: 'IN_PROGRESS', blocked: true, blockers: [{ description: 'Gas test due again' }] });
    expectError(await act(work, 'completeWork', { id: item.id, evidence: [] }), 'PREREQUISITES_OPEN');
  });
});
