import { expectError, ok, people, person, recordedEvents, startTestGateway, type TestGateway, type TestService } from '@opsgraph/testing';
import { seedPlant, startWork, type Plant } from './fixtures';

/**
 * An operator round through the real gateway: recorded checkpoint by checkpoint, each saved as it goes; a reading
 * outside its limits is recorded (the round goes on) and raises follow-up work on the checkpoint's asset with the
 * round as its source; a retried checkpoint, sent again or twice at once, changes nothing twice; other readings,
 * missing checks, unknown checkpoints and rounds not started are refused.
 */
let work: TestService;
let gateway: TestGateway;
let plant: Plant;

beforeAll(async () => {
  work = await startWork();
  gateway = await startTestGateway({ work: work.url });
  plant = await seedPlant(work, 'RND');
});
afterAll(async () => {
  await gateway?.stop();
  await work?.stop();
});

const ROUND = `id number status version history { from to note }
  details { ... on RoundDetails { recordedCount outOfLimitsCount route { checkpoint name
    recording { withinLimits recordedBy { id } readings { label value ok unit note withinLimits } followUp { id number type status priority asset { id } area { id } source { domain recordId reason } links { domain recordId relation } } } } } }`;

const route = () => [
  { name: 'Feed pump P-301', assetId: plant.assetId, checks: [{ label: 'Discharge pressure', kind: 'READING', unit: 'bar', min: 2, max: 6 }, { label: 'Seal dry', kind: 'CHECK' }] },
  { name: 'Utilities room', areaId: plant.otherAreaId, checks: [{ label: 'Room temperature', kind: 'READING', unit: '°C', max: 35 }] },
  { name: 'Packing hall', areaId: plant.areaId, checks: [{ label: 'Exits clear', kind: 'CHECK' }] },
];

async function startedRound(caller = people.operator) {
  const round = ok(await gateway.query(`mutation($i: CreateWorkItemInput!) { createWorkItem(input: $i) { id } }`, {
    i: { type: 'ROUND', title: 'Early shift utilities round', siteId: plant.siteId, shift: 'EARLY', details: { round: { route: route() } } },
  }, people.supervisor)).createWorkItem;
  ok(await gateway.query(`mutation($id: ID!) { startWork(id: $id) { id } }`, { id: round.id }, caller));
  return round.id as string;
}

const record = (id: string, checkpoint: number, readings: unknown[], caller = people.operator) =>
  gateway.query(`mutation($id: ID!, $c: Int!, $r: [RoundReadingInput!]!) { recordRoundCheckpoint(workItemId: $id, checkpoint: $c, readings: $r) { ${ROUND} } }`, { id, c: checkpoint, r: readings }, caller);

const followUpsOf = async (roundId: string) =>
  ok(await gateway.query(`query($r: ID!) { workItems(filter: { sourceDomain: WORK, sourceRecordId: $r }) { totalCount edges { node { id number } } } }`, { r: roundId }, people.admin)).workItems;

test('recorded checkpoint by checkpoint: a reading out of limits is recorded and raises follow-up work on the asset, sourced from the round', async () => {
  const id = await startedRound();
  const first = ok(await record(id, 1, [{ label: 'Discharge pressure', value: 7.4, unit: 'bar', note: 'gauge steady' }, { label: 'seal dry', ok: true }])).recordRoundCheckpoint;
  expect(first.status).toBe('IN_PROGRESS'); // the round goes on
  expect(first.details.recordedCount).toBe(1);
  expect(first.details.outOfLimitsCount).toBe(1);
  const recording = first.details.route[0].recording;
  expect(recording).toMatchObject({
    withinLimits: false,
    recordedBy: { id: people.operator.id },
    readings: [
      { label: 'Discharge pressure', value: 7.4, ok: null, unit: 'bar', note: 'gauge steady', withinLimits: false },
      { label: 'Seal dry', value: null, ok: true, unit: null, withinLimits: true },
    ],
  });
  const followUp = recording.followUp;
  expect(followUp).toMatchObject({
    type: 'MAINTENANCE',
    status: 'READY',
    priority: 'HIGH',
    asset: { id: plant.assetId },
    source: { domain: 'WORK', recordId: id },
    links: [{ domain: 'WORK', recordId: id, relation: 'round checkpoint 1' }],
  });
  expect(followUp.source.reason).toContain('checkpoint 1 (Feed pump P-301)');
  expect(followUp.source.reason).toContain('Discharge pressure 7.4 bar outside 2..6');
  expect(first.history.at(-1).note).toContain(`follow-up ${followUp.number}`);
  expect(first.details.route[1].recording).toBeNull();

  // Within limits: recorded, no follow-up.
  const second = ok(await record(id, 2, [{ label: 'Room temperature', value: 24, unit: '°C' }])).recordRoundCheckpoint;
  expect(second.details.route[1].recording).toMatchObject({ withinLimits: true, followUp: null });
  expect(second.details.recordedCount).toBe(2);
  // A check answered not ok on an area raises corrective action on the area.
  const third = ok(await record(id, 3, [{ label: 'Exits clear', ok: false, note: 'pallets at exit 4' }])).recordRoundCheckpoint;
  expect(third.details.route[2].recording.followUp).toMatchObject({ type: 'CORRECTIVE_ACTION', asset: null, area: { id: plant.areaId } });
  expect(third.details.route[2].recording.followUp.source.reason).toContain('Exits clear: not ok (pallets at exit 4)');

  expect((await followUpsOf(id)).totalCount).toBe(2);
  const events = await recordedEvents(work, id, 'work_item.round_checkpoint_recorded');
  expect(events.map((e) => [e.data.checkpoint, e.data.followUpWorkItemId])).toEqual([[1, followUp.id], [2, null], [3, third.details.route[2].recording.followUp.id]]);
  expect(events[0].data.outOfLimits).toEqual([{ label: 'Discharge pressure', value: 7.4, unit: 'bar', min: 2, max: 6 }]);
  const [created] = await recordedEvents(work, followUp.id, 'work_item.created');
  expect(created.data).toMatchObject({ sourceDomain: 'WORK', sourceRecordId: id, assetId: plant.assetId, workType: 'MAINTENANCE' });
});

test('a retried checkpoint changes nothing twice, sent again or twice at once; other readings are a CONFLICT', async () => {
  const id = await startedRound();
  const readings = [{ label: 'Discharge pressure', value: 9, unit: 'bar' }, { label: 'Seal dry', ok: false, note: 'drip' }];
  // Sent twice at once (the phone retried before the first answer came back).
  const [a, b] = await Promise.all([record(id, 1, readings), record(id, 1, readings)]);
  const once = ok(a).recordRoundCheckpoint;
  expect(ok(b).recordRoundCheckpoint.version).toBe(once.version);
  // And again later, readings in another order.
  const again = ok(await record(id, 1, [readings[1], readings[0]])).recordRoundCheckpoint;
  expect(again.version).toBe(once.version);
  expect(again.history).toEqual(once.history);
  expect(again.details.route[0].recording.followUp.id).toBe(once.details.route[0].recording.followUp.id);
  expect((await followUpsOf(id)).totalCount).toBe(1);
  expect(await recordedEvents(work, id, 'work_item.round_checkpoint_recorded')).toHaveLength(1);
  // Other readings for a recorded checkpoint are refused, and nothing changes.
  expectError(await record(id, 1, [{ label: 'Discharge pressure', value: 4, unit: 'bar' }, { label: 'Seal dry', ok: true }]), 'CONFLICT');
  expect(ok(await record(id, 1, readings)).recordRoundCheckpoint.version).toBe(once.version);
});

test('bad readings, unknown checkpoints, rounds not started, other items and other roles are refused and change nothing', async () => {
  const id = await startedRound();
  const field = async (res: Promise<unknown>) => expectError((await res) as never, 'BAD_USER_INPUT').extensions?.field;
  expect(await field(record(id, 1, [{ label: 'Discharge pressure', value: 3 }]))).toBe('readings'); // "Seal dry" missing
  expect(await field(record(id, 1, [{ label: 'Discharge pressure', value: 3 }, { label: 'Seal dry', value: 1 }]))).toBe('readings[1].ok');
  expect(await field(record(id, 1, [{ label: 'Discharge pressure', value: 3, unit: 'psi' }, { label: 'Seal dry', ok: true }]))).toBe('readings[0].unit');
  expect(await field(record(id, 1, [{ label: 'Flow', value: 3 }, { label: 'Seal dry', ok: true }]))).toBe('readings[0].label');
  expect(await field(record(id, 4, [{ label: 'Exits clear', ok: true }]))).toBe('checkpoint');
  expect(await field(record(id, 0, [{ label: 'Exits clear', ok: true }]))).toBe('checkpoint');
  const maintenance = ok(await gateway.query(`mutation($i: CreateWorkItemInput!) { createWorkItem(input: $i) { id } }`, { i: { type: 'MAINTENANCE', title: 'x', siteId: plant.siteId } }, people.supervisor)).createWorkItem.id;
  expect(await field(record(maintenance, 1, [{ label: 'x', ok: true }]))).toBe('workItemId');
  expectError(await record(id, 3, [{ label: 'Exits clear', ok: true }], people.verifier), 'FORBIDDEN');
  expectError(await record(id, 3, [{ label: 'Exits clear', ok: true }], person('0000000e-0000-4000-8000-0000000000aa', 'operator', ['00000000-0000-4000-8000-0000000000ee'])), 'NOT_FOUND');
  const notStarted = ok(await gateway.query(`mutation($i: CreateWorkItemInput!) { createWorkItem(input: $i) { id } }`, {
    i: { type: 'ROUND', title: 'Late round', siteId: plant.siteId, details: { round: { route: route() } } },
  }, people.supervisor)).createWorkItem.id;
  expectError(await record(notStarted, 3, [{ label: 'Exits clear', ok: true }]), 'ILLEGAL_TRANSITION');
  const state = ok(await gateway.query(`query($id: ID!) { workItem(id: $id) { ${ROUND} } }`, { id }, people.admin)).workItem;
  expect(state.details.recordedCount).toBe(0);
  expect(await recordedEvents(work, id, 'work_item.round_checkpoint_recorded')).toHaveLength(0);
});

test('a route recurring per shift: the schedule raises the next round once the current one\'s start has come, once', async () => {
  const first = new Date(Math.floor((Date.now() - 2 * 3600_000) / 60_000) * 60_000);
  const hhmm = (d: Date) => d.toISOString().slice(11, 16);
  const later = (hours: number) => new Date(first.getTime() + hours * 3600_000);
  const starts = [{ at: hhmm(first), shift: 'EARLY' }, { at: hhmm(later(8)), shift: 'LATE' }, { at: hhmm(later(16)), shift: 'NIGHT' }];
  const SCHEDULED = `id number status shift windowStart dueAt source { domain recordId reason }
    details { ... on RoundDetails { route { name } schedule { starts { at shift } allowedMinutes occurrence nextRound { id } } } }`;
  const round = ok(await gateway.query(`mutation($i: CreateWorkItemInput!) { createWorkItem(input: $i) { ${SCHEDULED} } }`, {
    i: { type: 'ROUND', title: 'Shift round utilities', siteId: plant.siteId, shift: 'EARLY', details: { round: { route: route(), schedule: { starts: [starts[2], starts[0], starts[1]], allowedMinutes: 90, firstAt: first.toISOString() } } } },
  }, people.supervisor)).createWorkItem;
  expect(round.details.schedule).toMatchObject({ allowedMinutes: 90, occurrence: first.toISOString(), nextRound: null });
  const run = async () => ok(await gateway.query(`mutation { runWorkSchedules { schedule changed } }`, {}, people.admin)).runWorkSchedules.find((r: { schedule: string }) => r.schedule === 'work.round-schedules');
  expectError(await gateway.query(`mutation { runWorkSchedules { schedule } }`, {}, people.supervisor), 'FORBIDDEN');
  expect((await run()).changed).toBeGreaterThanOrEqual(1);
  const before = ok(await gateway.query(`query($id: ID!) { workItem(id: $id) { ${SCHEDULED} history { note } } }`, { id: round.id }, people.admin)).workItem;
  const nextId = before.details.schedule.nextRound.id;
  const next = ok(await gateway.query(`query($id: ID!) { workItem(id: $id) { ${SCHEDULED} } }`, { id: nextId }, people.admin)).workItem;
  expect(next).toMatchObject({
    status: 'READY',
    shift: 'LATE',
    windowStart: later(8).toISOString(),
    dueAt: new Date(later(8).getTime() + 90 * 60_000).toISOString(),
    source: { domain: 'WORK', recordId: round.id },
    details: { route: route().map((c) => ({ name: c.name })), schedule: { allowedMinutes: 90, occurrence: later(8).toISOString(), nextRound: null } },
  });
  expect(before.history.at(-1).note).toBe(`next round ${next.number} raised for ${later(8).toISOString()}`);
  // Run again: the next round's start has not come, and the first raised its next once.
  expect((await run()).changed).toBe(0);
  expect((await followUpsOf(round.id)).totalCount).toBe(1);
});
