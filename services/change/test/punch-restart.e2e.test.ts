import { eventually, ok, startTestGateway, startTestService, untilPlacesKnown, type TestGateway, type TestService } from '@opsgraph/testing';
import { service as workService } from '../../work/src/service';
import { seedPlant, type Plant } from '../../work/test/fixtures';
import { service as changeService } from '../src/service';
import { crew } from './fixtures';

/**
 * Punch items in "may we restart?", through the gateway with Work and change on real Kafka: a category A punch
 * item on the line holds up the restart (OPEN_PUNCH_ITEM_A, no change needed) until it is verified done; a
 * category B one does not, nor one on another area; a category changed to A before start is taken from Work's
 * details_changed event.
 */
let work: TestService;
let change: TestService;
let gateway: TestGateway;
let plant: Plant;

beforeAll(async () => {
  [work, change] = await Promise.all([startTestService(workService), startTestService(changeService)]);
  gateway = await startTestGateway({ work: work.url, change: change.url });
  plant = await seedPlant(work, 'PUN');
  await untilPlacesKnown(change.db, [plant.siteId, plant.areaId, plant.lineId, plant.assetId]);
}, 60_000);
afterAll(async () => {
  await gateway?.stop();
  await Promise.all([change?.stop(), work?.stop()]);
});

const q = (query: string, variables: Record<string, unknown> = {}, caller = crew.admin) => gateway.query(query, variables, caller);

const READINESS = `query($line: ID, $area: ID) { restartReadiness(lineId: $line, areaId: $area) {
  mayRestart answer blockers { kind description change { id } workStatus workItem { id number status type } } } }`;
/** `eventually` polls until its check returns something truthy: expectations return true once they hold. */
const until = (assertion: () => Promise<void>) => eventually(async () => (await assertion(), true));
const readiness = async (where: { line?: string; area?: string }) => ok(await q(READINESS, where)).restartReadiness;

const punch = async (category: 'A' | 'B', place: Record<string, unknown>, title = `Guard missing on conveyor (${category})`) =>
  ok(await q(`mutation($i: CreateWorkItemInput!) { createWorkItem(input: $i) { id number version } }`, {
    i: { type: 'PUNCH_ITEM', title, siteId: plant.siteId, ...place, details: { punchItem: { project: 'L3 revamp', system: 'Conveyor C2', category, milestone: 'Start-up' } } },
  }, crew.supervisor)).createWorkItem;

test('a category A punch item on the line blocks "may we restart?" until verified; B and other areas do not', async () => {
  expect((await readiness({ line: plant.lineId })).mayRestart).toBe(true);
  const b = await punch('B', { lineId: plant.lineId });
  const elsewhere = await punch('A', { areaId: plant.otherAreaId });
  const a = await punch('A', { lineId: plant.lineId });
  const blocked = await eventually(async () => {
    const r = await readiness({ line: plant.lineId });
    expect(r.mayRestart).toBe(false);
    return r;
  });
  expect(blocked.blockers).toEqual([
    {
      kind: 'OPEN_PUNCH_ITEM_A',
      description: expect.stringContaining(`Category A punch item ${a.number} (L3 revamp, Conveyor C2, milestone Start-up) is not verified done`),
      change: null,
      workStatus: 'READY',
      workItem: { id: a.id, number: a.number, status: 'READY', type: 'PUNCH_ITEM' },
    },
  ]);
  expect(blocked.answer).toContain(a.number);
  // The other area has its own: asked about it, that one stands in the way.
  expect((await readiness({ area: plant.otherAreaId })).blockers.map((x: { workItem: { id: string } }) => x.workItem.id)).toEqual([elsewhere.id]);
  expect(blocked.blockers.map((x: { workItem: { id: string } }) => x.workItem.id)).not.toContain(b.id);

  // Done but not verified still blocks; verified done clears it.
  ok(await q(`mutation($id: ID!) { startWork(id: $id) { id } }`, { id: a.id }, crew.technician));
  ok(await q(`mutation($id: ID!) { completeWork(id: $id, evidence: []) { id } }`, { id: a.id }, crew.technician));
  await until(async () => expect((await readiness({ line: plant.lineId })).blockers[0]?.workStatus).toBe('AWAITING_VERIFICATION'));
  ok(await q(`mutation($id: ID!) { verifyWork(id: $id, accept: true) { id } }`, { id: a.id }, crew.verifier));
  await until(async () => expect(await readiness({ line: plant.lineId })).toMatchObject({ mayRestart: true, blockers: [] }));
});

test('a punch item changed from B to A before start holds up the restart, from the details_changed event', async () => {
  const item = await punch('B', { lineId: plant.lineId }, 'Label missing on valve');
  // Wait until change knows the item as B (it does not block), so the A comes from the change event.
  await until(async () => expect((await change.db.query(`SELECT category FROM tracked_punch_item WHERE work_item_id = $1`, [item.id]))[0]?.category).toBe('B'));
  expect((await readiness({ line: plant.lineId })).mayRestart).toBe(true);
  ok(await q(`mutation($id: ID!) { updateWorkItemDetails(id: $id, details: { punchItem: { project: "L3 revamp", system: "Valves", category: A, milestone: "Start-up" } }, reason: "safety relevant") { id } }`, { id: item.id }, crew.supervisor));
  await until(async () => expect((await readiness({ line: plant.lineId })).blockers.map((x: { kind: string; workItem: { id: string } }) => [x.kind, x.workItem.id])).toEqual([['OPEN_PUNCH_ITEM_A', item.id]]));
  ok(await q(`mutation($id: ID!) { cancelWork(id: $id, reason: "duplicate") { id } }`, { id: item.id }, crew.supervisor));
  await until(async () => expect((await readiness({ line: plant.lineId })).mayRestart).toBe(true));
});
