import { expectError, ok, people, person, recordedEvents, startTestGateway, type TestGateway, type TestService } from '@opsgraph/testing';
import { seedPlant, startWork, type Plant } from './fixtures';

/**
 * Work types with their own details, through the real gateway: each type's details set at creation and read back
 * through the union, validated per type with BAD_USER_INPUT at a stable field path (and nothing written), the
 * filters people sort by, logistics moves flagged when they need the same bay in overlapping slots (in the reader's
 * scope), the created event carrying the details, and a supervisor changing them before start with a history entry.
 */
let work: TestService;
let gateway: TestGateway;
let plant: Plant;
let other: Plant;

beforeAll(async () => {
  work = await startWork();
  gateway = await startTestGateway({ work: work.url });
  plant = await seedPlant(work, 'DET');
  other = await seedPlant(work, 'DOT');
});
afterAll(async () => {
  await gateway?.stop();
  await work?.stop();
});

const DETAILS = `details {
  __typename
  ... on LogisticsDetails { material quantity unit vehicle slotStart slotEnd from { area { id } bay dock } to { area { id } bay dock } bayConflicts { id number } }
  ... on PunchItemDetails { project system category milestone }
  ... on ProductionActionDetails { line { id } order batch product quantity unit customerCommitment { customer reference dueAt } }
  ... on RoundDetails { recordedCount outOfLimitsCount route { checkpoint name asset { id } area { id } checks { label kind unit min max } recording { withinLimits } } }
}`;
const ITEM = `id number type status version history { from to note } ${DETAILS}`;

const create = (input: Record<string, unknown>, caller = people.supervisor) =>
  gateway.query(`mutation($i: CreateWorkItemInput!) { createWorkItem(input: $i) { ${ITEM} } }`, { i: { siteId: plant.siteId, ...input } }, caller);

const at = (hour: number, minute = 0) => new Date(Date.UTC(2027, 0, 4, hour, minute)).toISOString();
const move = (bay: string, from: number, to: number, extra: Record<string, unknown> = {}) => ({
  type: 'LOGISTICS',
  title: `Move to bay ${bay} ${from}-${to}`,
  details: {
    logistics: {
      material: 'Film rolls',
      quantity: 12,
      unit: 'pallet',
      from: { areaId: plant.otherAreaId, dock: `D-${bay}` },
      to: { areaId: plant.areaId, bay },
      vehicle: 'FLT-07',
      slotStart: at(from),
      slotEnd: at(to),
      ...extra,
    },
  },
});
const punch = (category: 'A' | 'B') => ({
  type: 'PUNCH_ITEM',
  title: `Missing guard (${category})`,
  lineId: plant.lineId,
  details: { punchItem: { project: 'PRJ-L3-REVAMP', system: 'Conveyor C2', category, milestone: 'Mechanical completion' } },
});
const production = (order: string | null, batch: string | null) => ({
  type: 'PRODUCTION_ACTION',
  title: 'Run extra batch',
  lineId: plant.lineId,
  details: { productionAction: { order, batch, product: 'Oat drink 1 l', quantity: 24000, unit: 'pcs', customerCommitment: { customer: 'NordMart', reference: 'SO-4471', dueAt: at(18) } } },
});

const count = async () => ok(await gateway.query(`query($s: ID) { workItems(filter: { siteId: $s }) { totalCount } }`, { s: plant.siteId }, people.admin)).workItems.totalCount as number;
const list = async (filter: Record<string, unknown>) =>
  ok(await gateway.query(`query($f: WorkItemFilter) { workItems(filter: $f, first: 50) { totalCount edges { node { id } } } }`, { f: { siteId: plant.siteId, ...filter } }, people.admin)).workItems.edges.map((e: { node: { id: string } }) => e.node.id).sort();

test('each type with details of its own is created with them and reads them back through the union; the created event carries them', async () => {
  const m = ok(await create(move('b3', 8, 10))).createWorkItem;
  expect(m.details).toEqual({
    __typename: 'LogisticsDetails',
    material: 'Film rolls',
    quantity: 12,
    unit: 'pallet',
    vehicle: 'FLT-07',
    slotStart: at(8),
    slotEnd: at(10),
    from: { area: { id: plant.otherAreaId }, bay: null, dock: 'D-B3' },
    to: { area: { id: plant.areaId }, bay: 'B3', dock: null }, // bay codes are upper-cased
    bayConflicts: [],
  });
  const p = ok(await create(punch('A'))).createWorkItem;
  expect(p.details).toEqual({ __typename: 'PunchItemDetails', project: 'PRJ-L3-REVAMP', system: 'Conveyor C2', category: 'A', milestone: 'Mechanical completion' });
  const a = ok(await create(production('PO-9001', null))).createWorkItem;
  expect(a.details).toEqual({
    __typename: 'ProductionActionDetails',
    line: { id: plant.lineId },
    order: 'PO-9001',
    batch: null,
    product: 'Oat drink 1 l',
    quantity: 24000,
    unit: 'pcs',
    customerCommitment: { customer: 'NordMart', reference: 'SO-4471', dueAt: at(18) },
  });
  const r = ok(await create({
    type: 'ROUND',
    title: 'Utilities round',
    details: { round: { route: [
      { name: 'Feed pump', assetId: plant.assetId, checks: [{ label: 'Discharge pressure', kind: 'READING', unit: 'bar', min: 2, max: 6 }, { label: 'No leaks', kind: 'CHECK' }] },
      { name: 'Utilities room', areaId: plant.otherAreaId, checks: [{ label: 'Room temperature', kind: 'READING', unit: '°C', max: 35 }] },
    ] } },
  })).createWorkItem;
  expect(r.details).toEqual({
    __typename: 'RoundDetails',
    recordedCount: 0,
    outOfLimitsCount: 0,
    route: [
      { checkpoint: 1, name: 'Feed pump', asset: { id: plant.assetId }, area: null, recording: null, checks: [
        { label: 'Discharge pressure', kind: 'READING', unit: 'bar', min: 2, max: 6 },
        { label: 'No leaks', kind: 'CHECK', unit: null, min: null, max: null },
      ] },
      { checkpoint: 2, name: 'Utilities room', asset: null, area: { id: plant.otherAreaId }, recording: null, checks: [{ label: 'Room temperature', kind: 'READING', unit: '°C', min: null, max: 35 }] },
    ],
  });
  // Types without details of their own keep the common fields only.
  expect(ok(await create({ type: 'MAINTENANCE', title: 'Grease bearings' })).createWorkItem.details).toBeNull();

  const [created] = await recordedEvents(work, m.id, 'work_item.created');
  expect(created.data.details).toEqual({ logistics: expect.objectContaining({ material: 'Film rolls', to: { areaId: plant.areaId, bay: 'B3', dock: null }, slotStart: at(8) }) });
  expect((await recordedEvents(work, p.id, 'work_item.created'))[0].data.details).toEqual({ punchItem: expect.objectContaining({ category: 'A' }) });
  expect((await recordedEvents(work, r.id, 'work_item.created'))[0].data.details.round.route).toHaveLength(2);
});

test('details are validated per type: BAD_USER_INPUT at a stable field path, and nothing is written', async () => {
  const before = await count();
  const logistics = move('B1', 8, 9).details.logistics;
  const cases: [Record<string, unknown>, string][] = [
    [{ type: 'LOGISTICS', title: 'x', details: { round: { route: [] } } }, 'details.round'],
    [{ type: 'LOGISTICS', title: 'x', details: { logistics, punchItem: punch('A').details.punchItem } }, 'details.punchItem'],
    [{ type: 'MAINTENANCE', title: 'x', details: { logistics } }, 'details.logistics'],
    [{ type: 'LOGISTICS', title: 'x', details: {} }, 'details.logistics'],
    [{ type: 'LOGISTICS', title: 'x', details: { logistics: { ...logistics, slotEnd: at(7) } } }, 'details.logistics.slotEnd'],
    [{ type: 'LOGISTICS', title: 'x', details: { logistics: { ...logistics, quantity: 0 } } }, 'details.logistics.quantity'],
    [{ type: 'LOGISTICS', title: 'x', details: { logistics: { ...logistics, to: { areaId: plant.areaId, bay: 'B1', dock: 'D2' } } } }, 'details.logistics.to.bay'],
    // Another site's area is refused as a random id is.
    [{ type: 'LOGISTICS', title: 'x', details: { logistics: { ...logistics, from: { areaId: other.areaId, bay: 'B9' } } } }, 'details.logistics.from.areaId'],
    [{ type: 'PUNCH_ITEM', title: 'x', details: { punchItem: { ...punch('A').details.punchItem, milestone: ' ' } } }, 'details.punchItem.milestone'],
    [{ ...production('PO-1', null), lineId: undefined }, 'lineId'],
    [production(null, null), 'details.productionAction.order'],
    [{ type: 'ROUND', title: 'x', details: { round: { route: [] } } }, 'details.round.route'],
    [{ type: 'ROUND', title: 'x', details: { round: { route: [{ name: 'P', assetId: plant.assetId, checks: [{ label: 'Pressure', kind: 'READING', unit: 'bar' }] }] } } }, 'details.round.route[0].checks[0].min'],
    [{ type: 'ROUND', title: 'x', details: { round: { route: [{ name: 'P', checks: [{ label: 'Ok', kind: 'CHECK' }] }] } } }, 'details.round.route[0].assetId'],
    [{ type: 'ROUND', title: 'x', details: { round: { route: [{ name: 'P', assetId: plant.assetId, checks: [{ label: 'Ok', kind: 'CHECK' }] }, { name: 'Q', areaId: other.areaId, checks: [{ label: 'Ok', kind: 'CHECK' }] }] } } }, 'details.round.route[1].areaId'],
  ];
  for (const [input, field] of cases) {
    const error = expectError(await create(input), 'BAD_USER_INPUT');
    expect({ field: error.extensions?.field, input: input.title }).toEqual({ field, input: input.title });
  }
  expect(await count()).toBe(before);
});

test('filters: a bay (origin or destination, bay or dock), a time slot, a punch category, an order or batch', async () => {
  const early = ok(await create(move('F1', 6, 7))).createWorkItem.id;
  const late = ok(await create(move('F2', 20, 21))).createWorkItem.id;
  const catB = ok(await create(punch('B'))).createWorkItem.id;
  const byBatch = ok(await create(production(null, 'BATCH-FLT-1'))).createWorkItem.id;
  expect(await list({ bay: 'f1' })).toEqual([early]);
  expect(await list({ bay: 'F2', type: ['LOGISTICS'] })).toEqual([late]);
  // The dock a move starts from.
  expect(await list({ bay: 'd-f2' })).toEqual([late]);
  expect(await list({ slotFrom: at(19), slotTo: at(22) })).toEqual([late]);
  expect(await list({ slotFrom: at(6, 30), slotTo: at(6, 45) })).toEqual([early]);
  expect(await list({ punchCategory: 'B' })).toEqual([catB]);
  expect(await list({ punchCategory: 'A' })).not.toContain(catB);
  expect(await list({ orderOrBatch: 'BATCH-FLT-1' })).toEqual([byBatch]);
  expectError(await gateway.query(`{ workItems(filter: { slotFrom: "2027-01-04T10:00:00Z", slotTo: "2027-01-04T09:00:00Z" }) { totalCount } }`, {}, people.admin), 'BAD_USER_INPUT');
});

test('two open moves needing the same bay in overlapping slots are flagged, not refused; within the reader\'s scope', async () => {
  const a = ok(await create(move('C7', 9, 11))).createWorkItem;
  // Overlaps at the same destination bay: created all the same, and both are flagged.
  const b = ok(await create({ ...move('C7', 10, 12) })).createWorkItem;
  expect(b.details.bayConflicts).toEqual([{ id: a.id, number: a.number }]);
  // The same bay as origin of a move counts too; slots that only touch (a ends at 11:00, c starts then) do not overlap.
  const c = ok(await create({ ...move('X1', 11, 13), details: { logistics: { ...move('X1', 11, 13).details.logistics, from: { areaId: plant.areaId, bay: 'c7' } } } })).createWorkItem;
  const touching = ok(await create(move('C7', 12, 14))).createWorkItem;
  // Another bay, or the same bay code in another area, is no conflict.
  const elsewhere = ok(await create(move('C8', 9, 11))).createWorkItem;
  const otherArea = ok(await create({ ...move('C7', 9, 11), details: { logistics: { ...move('C7', 9, 11).details.logistics, from: { areaId: plant.areaId, dock: 'D1' }, to: { areaId: plant.otherAreaId, bay: 'C7' } } } })).createWorkItem;
  const conflicts = async (id: string, caller = people.admin) =>
    ok(await gateway.query(`query($id: ID!) { workItem(id: $id) { details { ... on LogisticsDetails { bayConflicts { id } } } } }`, { id }, caller)).workItem.details.bayConflicts.map((w: { id: string }) => w.id).sort();
  expect(await conflicts(a.id)).toEqual([b.id].sort());
  expect(await conflicts(b.id)).toEqual([a.id, c.id].sort());
  expect(await conflicts(c.id)).toEqual([b.id, touching.id].sort());
  expect(await conflicts(touching.id)).toEqual([c.id]);
  expect(await conflicts(elsewhere.id)).toEqual([]);
  expect(await conflicts(otherArea.id)).toEqual([]);
  // A contractor sees only conflicts with their own company's moves.
  const acme = ok(await create({ ...move('K1', 9, 11), contractorCompany: 'Acme' })).createWorkItem;
  const ours = ok(await create(move('K1', 9, 11))).createWorkItem;
  const contractor = person('0000000d-0000-4000-8000-0000000000c1', 'contractor', [plant.siteId], 'Acme');
  expect(await conflicts(acme.id, contractor)).toEqual([]);
  expect(await conflicts(acme.id)).toEqual([ours.id]);
  // A cancelled move no longer needs the bay.
  ok(await gateway.query(`mutation($id: ID!) { cancelWork(id: $id, reason: "slot moved") { id } }`, { id: b.id }, people.supervisor));
  expect(await conflicts(a.id)).toEqual([]);
  expect(await conflicts(b.id)).toEqual([]);
  expect(await conflicts(c.id)).toEqual([touching.id]);
});

test('a supervisor changes the details before start, with a history entry and an event; later, other roles and the wrong member are refused', async () => {
  const item = ok(await create(move('U1', 8, 9))).createWorkItem;
  const update = (details: unknown, caller = people.supervisor, expectedVersion: number | null = null, id = item.id) =>
    gateway.query(`mutation($id: ID!, $d: WorkItemDetailsInput!, $v: Int) { updateWorkItemDetails(id: $id, details: $d, reason: "dock D-U1 closed", expectedVersion: $v) { ${ITEM} } }`, { id, d: details, v: expectedVersion }, caller);
  const changed = { logistics: { ...move('U1', 8, 9).details.logistics, from: { areaId: plant.otherAreaId, dock: 'D2' }, slotStart: at(9), slotEnd: at(10) } };
  expectError(await update(changed, people.technician), 'FORBIDDEN');
  expectError(await update(changed, people.supervisor, item.version + 5), 'CONFLICT');
  expect(expectError(await update({ punchItem: punch('A').details.punchItem }), 'BAD_USER_INPUT').extensions?.field).toBe('details.punchItem');
  const after = ok(await update(changed, people.supervisor, item.version)).updateWorkItemDetails;
  expect(after.version).toBe(item.version + 1);
  expect(after.status).toBe(item.status);
  expect(after.details).toMatchObject({ from: { bay: null, dock: 'D2' }, slotStart: at(9), slotEnd: at(10) });
  const entry = after.history.at(-1);
  expect(entry).toMatchObject({ from: item.status, to: item.status });
  expect(entry.note).toContain('dock D-U1 closed');
  expect(entry.note).toContain('were 12 pallet Film rolls from dock D-U1');
  const [event] = await recordedEvents(work, item.id, 'work_item.details_changed');
  expect(event.data).toMatchObject({ actorId: people.supervisor.id, note: 'dock D-U1 closed', details: { logistics: { from: { dock: 'D2' } } } });
  // Not in the caller's scope: as a random id.
  expectError(await update(changed, person('0000000d-0000-4000-8000-0000000000aa', 'supervisor', [other.siteId])), 'NOT_FOUND');
  // Started work keeps its details.
  ok(await gateway.query(`mutation($id: ID!) { startWork(id: $id) { id } }`, { id: item.id }, people.technician));
  expectError(await update(changed), 'ILLEGAL_TRANSITION');
});
