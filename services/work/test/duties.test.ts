import { expectError, ok, people, person, recordedEvents, startTestGateway, type TestGateway, type TestService } from '@opsgraph/testing';
import type { Caller } from '@opsgraph/core';
import { createWorkItem } from '../src/domain/work-items';
import { Evidence } from '../src/entities';
import { seedPlant, startWork, type Plant } from './fixtures';

/**
 * Separation of duties by every participant, and the evidence a completion stores, through the real
 * gateway: whoever started, resumed, completed or gave evidence for an item, in any round, cannot verify it;
 * evidence links are https only; every submitted entry is checked; dates are strict.
 */
let work: TestService;
let gateway: TestGateway;
let plant: Plant;

beforeAll(async () => {
  work = await startWork();
  gateway = await startTestGateway({ work: work.url });
  plant = await seedPlant(work, 'DUT');
});
afterAll(async () => {
  await gateway?.stop();
  await work?.stop();
});

/** A supervisor who also holds the verifier role: may perform and verify, never both on one item. */
const boss = person('00000000-0000-4000-8000-000000000010', ['supervisor', 'verifier']);
const hse = person('00000000-0000-4000-8000-000000000011', 'hse');

const outcome = {
  acceptanceCriteria: 'Seal replaced, no leak at operating pressure',
  evidence: [
    { kind: 'PHOTO', label: 'Seal fitted' },
    { kind: 'MEASUREMENT', label: 'Discharge pressure', unit: 'bar', min: 4, max: 6 },
  ],
};
const photo = { kind: 'PHOTO', label: 'Seal fitted', url: 'https://files.example/seal.jpg' };
const pressure = (value: number, unit = 'bar') => ({ kind: 'MEASUREMENT', label: 'Discharge pressure', value, unit });

const ITEM = `id status version performer { id } verifiedBy { id }
  evidence { kind label value unit withinLimits url submittedBy { id } }
  history { from to actor { id } note }`;

const create = async (input: Record<string, unknown> = {}) =>
  ok(await gateway.query(`mutation($i: CreateWorkItemInput!) { createWorkItem(input: $i) { ${ITEM} } }`, {
    i: { type: 'MAINTENANCE', title: 'Replace seal on P-301', siteId: plant.siteId, assetId: plant.assetId, ...input },
  }, people.supervisor)).createWorkItem;

const ARG_TYPES: Record<string, string> = { id: 'ID!', note: 'String', reason: 'String!', accept: 'Boolean!', evidence: '[EvidenceInput!]!' };
/** A work item mutation through the gateway as `caller`. */
const act = (mutation: string, args: Record<string, unknown>, caller: Caller) => {
  const decl = Object.keys(args).map((k) => `$${k}: ${ARG_TYPES[k]}`).join(', ');
  const params = Object.keys(args).map((k) => `${k}: $${k}`).join(', ');
  return gateway.query(`mutation(${decl}) { ${mutation}(${params}) { ${ITEM} } }`, args, caller);
};
const read = async (id: string) => ok(await gateway.query(`query($id: ID!) { workItem(id: $id) { ${ITEM} } }`, { id }, people.admin)).workItem;
const verify = (id: string, caller: Caller, accept = true) => act('verifyWork', accept ? { id, accept } : { id, accept, note: 'leak still visible' }, caller);

/** Every attempt by `caller` to verify (accept or reject) is SEPARATION_OF_DUTIES and changes nothing. */
async function expectCannotVerify(id: string, caller: Caller) {
  const before = await read(id);
  expect(before.status).toBe('AWAITING_VERIFICATION');
  for (const accept of [true, false]) expectError(await verify(id, caller, accept), 'SEPARATION_OF_DUTIES');
  expect(await read(id)).toEqual(before);
}

describe('no one who took part in the work may verify it', () => {
  test('a supervisor-verifier who completed with evidence work a technician started cannot verify it', async () => {
    const item = await create({ requiredOutcome: outcome });
    ok(await act('startWork', { id: item.id }, people.technician));
    ok(await act('completeWork', { id: item.id, evidence: [photo, pressure(5)] }, boss));
    await expectCannotVerify(item.id, boss);
    expect((await read(item.id)).status).toBe('AWAITING_VERIFICATION');
    expect((await read(item.id)).verifiedBy).toBeNull();
  });

  test('the completer of round 1 stays excluded after a reject and a round 2 completed by someone else; the rejecting verifier may verify again', async () => {
    const item = await create(); // nothing required: the supervisor completes round 1 without giving evidence
    ok(await act('startWork', { id: item.id }, people.technician));
    ok(await act('completeWork', { id: item.id, evidence: [] }, people.supervisor));
    expect(ok(await verify(item.id, people.verifier, false)).verifyWork.status).toBe('IN_PROGRESS');
    ok(await act('completeWork', { id: item.id, evidence: [] }, people.technician2));
    await expectCannotVerify(item.id, people.supervisor);
    // Rejecting is verifying, not performing: the verifier of round 1 accepts round 2.
    const done = ok(await verify(item.id, people.verifier)).verifyWork;
    expect(done).toMatchObject({ status: 'DONE', verifiedBy: { id: people.verifier.id } });
  });

  test('whoever submitted evidence for the item cannot verify it', async () => {
    const item = await create();
    ok(await act('startWork', { id: item.id }, people.technician));
    // Evidence arrives only with a completion today, so a submitter who did not complete is written here,
    // as evidence recorded by another way in would be: the rule reads the evidence rows, not only the history.
    await work.db.getRepository(Evidence).insert({ workItemId: item.id, kind: 'PHOTO', label: 'Guard refitted', url: 'https://files.example/guard.jpg', submittedById: hse.id, submittedAt: new Date() });
    ok(await act('completeWork', { id: item.id, evidence: [] }, people.technician));
    await expectCannotVerify(item.id, hse);
    expect(ok(await verify(item.id, people.verifier)).verifyWork.status).toBe('DONE');
  });

  test('whoever resumed work held in progress cannot verify it', async () => {
    const item = await create();
    ok(await act('startWork', { id: item.id }, people.technician));
    ok(await act('holdWork', { id: item.id, reason: 'waiting for spare seal' }, people.technician));
    ok(await act('resumeWork', { id: item.id }, boss));
    ok(await act('completeWork', { id: item.id, evidence: [] }, people.technician));
    await expectCannotVerify(item.id, boss);
  });

  test('an independent verifier accepts, and every reading is stored with its own withinLimits', async () => {
    const item = await create({ requiredOutcome: outcome });
    ok(await act('startWork', { id: item.id }, people.technician));
    const completed = ok(await act('completeWork', { id: item.id, evidence: [photo, pressure(5), pressure(5.5)] }, people.technician2)).completeWork;
    expect(completed.status).toBe('AWAITING_VERIFICATION');
    expect(completed.evidence.filter((e: { kind: string }) => e.kind === 'MEASUREMENT').map((e: { value: number; withinLimits: boolean }) => [e.value, e.withinLimits]).sort()).toEqual([
      [5, true],
      [5.5, true],
    ]);
    const done = ok(await verify(item.id, people.verifier)).verifyWork;
    expect(done).toMatchObject({ status: 'DONE', verifiedBy: { id: people.verifier.id } });
    expect(done.history.at(-1)).toMatchObject({ from: 'AWAITING_VERIFICATION', to: 'DONE', actor: { id: people.verifier.id } });
  });
});

describe('evidence', () => {
  const evidenceRows = (workItemId: string) => work.db.getRepository(Evidence).countBy({ workItemId });

  test('a link that is not https is refused and nothing is stored', async () => {
    const item = await create({ requiredOutcome: outcome });
    ok(await act('startWork', { id: item.id }, people.technician));
    for (const url of ['javascript:alert(1)', 'data:text/html,<script>alert(1)</script>', 'file:///etc/passwd', '/files/seal.jpg', 'http://files.example/seal.jpg']) {
      const err = expectError(await act('completeWork', { id: item.id, evidence: [{ ...photo, url }, pressure(5)] }, people.technician), 'BAD_USER_INPUT');
      expect(err.extensions!.field).toBe('evidence[0].url');
    }
    // The same link on evidence no requirement asks for is refused too.
    expectError(await act('completeWork', { id: item.id, evidence: [photo, pressure(5), { kind: 'DOCUMENT', label: 'Extra', url: 'javascript:alert(1)' }] }, people.technician), 'BAD_USER_INPUT');
    expect(await read(item.id)).toMatchObject({ status: 'IN_PROGRESS', evidence: [] });
    expect(await evidenceRows(item.id)).toBe(0);
  });

  test('every entry for a measurement is checked: a second reading in the wrong unit is EVIDENCE_INCOMPLETE; 5 bar and 99 bar is a result, the 99 marked outside its limits', async () => {
    const item = await create({ requiredOutcome: outcome });
    ok(await act('startWork', { id: item.id }, people.technician));
    const unit = expectError(await act('completeWork', { id: item.id, evidence: [photo, pressure(5), pressure(5, 'psi')] }, people.technician), 'EVIDENCE_INCOMPLETE');
    expect(unit.message).toMatch(/evidence\[2\]\): the unit must be bar/);
    expect(await read(item.id)).toMatchObject({ status: 'IN_PROGRESS', evidence: [] });
    expect(await evidenceRows(item.id)).toBe(0);
    // A reading outside its limits is not bad input: it is what the work found (a failed inspection), kept and
    // marked, told to whoever raised the work, and weighed by the verifier.
    ok(await act('completeWork', { id: item.id, evidence: [photo, pressure(5), pressure(99)] }, people.technician));
    const rows = await work.db.getRepository(Evidence).findBy({ workItemId: item.id, kind: 'MEASUREMENT' });
    expect(rows.map((r) => [r.value, r.withinLimits]).sort()).toEqual([[5, true], [99, false]]);
    const [completed] = await recordedEvents(work, item.id, 'work_item.completed');
    expect(completed.data.outOfLimits).toEqual([{ label: 'Discharge pressure', value: 99, unit: 'bar', min: 4, max: 6 }]);
  });
});

describe('dates', () => {
  const count = async () => ok(await gateway.query(`query($s: ID!) { workItems(filter: { siteId: $s }, first: 1) { totalCount } }`, { s: plant.siteId }, people.admin)).workItems.totalCount as number;

  test('an impossible or empty dueAt is BAD_USER_INPUT and creates nothing', async () => {
    await create(); // at least one item, so the count is of something
    const before = await count();
    for (const dueAt of ['2024-02-30T00:00:00Z', '']) {
      const res = await gateway.query(`mutation($i: CreateWorkItemInput!) { createWorkItem(input: $i) { id } }`, {
        i: { type: 'MAINTENANCE', title: 'Replace seal on P-301', siteId: plant.siteId, dueAt },
      }, people.supervisor);
      expectError(res, 'BAD_USER_INPUT');
    }
    // The domain refuses them too, for callers that do not come through GraphQL (the event consumer).
    for (const dueAt of ['2024-02-30T00:00:00Z', '']) {
      await expect(createWorkItem(work.db.manager, people.supervisor, { type: 'MAINTENANCE', title: 'x', siteId: plant.siteId, dueAt })).rejects.toMatchObject({ code: 'BAD_USER_INPUT' });
    }
    expect(await count()).toBe(before);
  });
});
