import { randomUUID } from 'node:crypto';
import { TrackedWorkItem, type Caller } from '@opsgraph/core';
import { OutboxEvent } from '@opsgraph/events';
import { eventually, expectError, fakeWork, ok, people, person, recordedEvents, startTestService, untilPlacesKnown, type GraphQLResult, type TestService, notFoundShape } from '@opsgraph/testing';
import { service as workService } from '../../work/src/service';
import { createItem, seedPlant, type Plant } from '../../work/test/fixtures';
import { ChangeRequest, ChangeTask, ChangeTransition, PreStartupCheck } from '../src/entities';
import { changeInput, check, crew, startChange } from './fixtures';

/**
 * Every place a change names (its sites, areas, lines and assets, and those of its tasks and pre-startup
 * checks) is checked against change's copy of Work's location registry, kept from Work's events. With Work
 * running: a place created in Work becomes usable once its event is applied; another site's area, line or
 * asset is "not found" exactly as a random id is, and nothing is written; a place not known yet is "not
 * found" with a message to retry shortly, and the same call succeeds once its event has arrived. A change
 * may span several sites: each place must be of one of them.
 */
let work: TestService;
let change: TestService;
let green: Plant;
let blue: Plant;
let fake: ReturnType<typeof fakeWork>;

const at = (who: Caller, plant: Plant) => person(who.id, who.roles, [plant.siteId]);
const call = (query: string, variables: Record<string, unknown>, caller: Caller = crew.technician) => change.query(query, variables, caller);
const CREATE = `mutation($i: CreateChangeRequestInput!) { createChangeRequest(input: $i) { id status scope { sites { id } areas { id } lines { id } assets { id } } tasks { id } preStartupChecks { id } } }`;
const ADD_TASK = `mutation($id: ID!, $i: ChangeTaskInput!) { addChangeTask(changeId: $id, input: $i) { id } }`;
const ADD_CHECK = `mutation($id: ID!, $i: PreStartupCheckInput!) { addPreStartupCheck(changeId: $id, input: $i) { id } }`;
const placesOf = (plant: Plant) => ({ siteId: plant.siteId, areaId: plant.areaId, lineId: plant.lineId, assetId: plant.assetId });
const create = (input: Record<string, unknown>, caller?: Caller) => call(CREATE, { i: changeInput(placesOf(green), { requiredApproverRoles: ['SAFETY'], ...input }) }, caller);

/** Rows of every table a refused call could write, and the outbox, read as the owner. */
const counts = async () => ({
  outbox: await change.db.getRepository(OutboxEvent).count(),
  changes: await change.db.getRepository(ChangeRequest).count(),
  transitions: await change.db.getRepository(ChangeTransition).count(),
  tasks: await change.db.getRepository(ChangeTask).count(),
  checks: await change.db.getRepository(PreStartupCheck).count(),
});

const shape = notFoundShape;

beforeAll(async () => {
  [work, change] = await Promise.all([startTestService(workService), startChange()]);
  fake = fakeWork();
  green = await seedPlant(work, 'GRN');
  blue = await seedPlant(work, 'BLU');
  await untilPlacesKnown(change.db, [...Object.values(green), ...Object.values(blue)]);
}, 60_000);
afterAll(async () => {
  await fake?.close();
  await Promise.all([change?.stop(), work?.stop()]);
});

test('places created in Work are usable here once their events are applied; a change at two sites names places of both', async () => {
  const admin = (query: string, i: Record<string, unknown>) => work.query(query, { i }, people.admin).then(ok);
  const areaId = (await admin(`mutation($i: CreateAreaInput!) { createArea(input: $i) { id } }`, { siteId: green.siteId, code: 'BOIL', name: 'Boiler house' })).createArea.id as string;
  const lineId = (await admin(`mutation($i: CreateLineInput!) { createLine(input: $i) { id } }`, { areaId, code: 'S1', name: 'Steam 1' })).createLine.id as string;
  const assetId = (await admin(`mutation($i: CreateAssetInput!) { createAsset(input: $i) { id } }`, { siteId: green.siteId, lineId, code: 'B-200', name: 'Steam boiler', assetClass: 'boiler' })).createAsset.id as string;
  await untilPlacesKnown(change.db, [areaId, lineId, assetId]);
  // Open work on the new asset (known here from Work's events) will wait for the change's approval.
  const job = (await createItem(work, green, { assetId, title: 'Descale B-200' })).id as string;
  await eventually(() => change.db.getRepository(TrackedWorkItem).existsBy({ workItemId: job }));

  const created = ok(await create({
    siteIds: [green.siteId, blue.siteId],
    areaIds: [areaId, blue.areaId],
    lineIds: [lineId, blue.lineId],
    assetIds: [assetId, blue.assetId],
    tasks: [{ title: 'Fit a new feed valve on B-200', siteId: green.siteId, assetId }, { title: 'Same at blue', siteId: blue.siteId, assetId: blue.assetId }],
    preStartupChecks: [check('Inspect steam 1 before restart', { lineId })],
  })).createChangeRequest;
  expect(created.scope).toEqual({
    sites: [{ id: green.siteId }, { id: blue.siteId }], areas: [{ id: areaId }, { id: blue.areaId }], lines: [{ id: lineId }, { id: blue.lineId }], assets: [{ id: assetId }, { id: blue.assetId }],
  });
  expect(created.tasks).toHaveLength(2);

  ok(await call(`mutation($id: ID!) { submitChangeRequest(id: $id) { id } }`, { id: created.id }));
  const gate = await eventually(async () => (await recordedEvents(change, created.id, 'prerequisite.required')).find((e) => e.data.workItemId === job));
  expect(gate.data.siteId).toBe(green.siteId); // the site of the gated work: Work applies the blocker only there
  await eventually(async () => ok(await work.query(`query($id: ID!) { workItem(id: $id) { blocked blockers { kind } } }`, { id: job }, people.admin)).workItem.blocked);
});

test('another site\'s site, area, line or asset is "not found" exactly as a random id is, and nothing is written', async () => {
  const draft = ok(await create({ assetIds: [], preStartupChecks: [] })).createChangeRequest.id as string;
  const greenTechnician = at(crew.technician, green);
  const before = await counts();
  const cases: [string, string, (id: string) => Promise<GraphQLResult>][] = [
    ['siteIds', blue.siteId, (id) => create({ siteIds: [green.siteId, id] }, greenTechnician)],
    ['areaIds', blue.areaId, (id) => create({ areaIds: [green.areaId, id] })],
    ['lineIds', blue.lineId, (id) => create({ lineIds: [id] })],
    ['assetIds', blue.assetId, (id) => create({ assetIds: [green.assetId, id] })],
    ['assetIds (someone at green only)', blue.assetId, (id) => create({ assetIds: [id] }, greenTechnician)],
    ['tasks[0].assetId', blue.assetId, (id) => create({ assetIds: [], tasks: [{ title: 'Fit it', assetId: id }] })],
    ['tasks[0].areaId', blue.areaId, (id) => create({ tasks: [{ title: 'Fit it', areaId: id }] })],
    ['preStartupChecks[0].lineId', blue.lineId, (id) => create({ preStartupChecks: [check('Inspect', { lineId: id })] })],
    ['addChangeTask input.areaId', blue.areaId, (id) => call(ADD_TASK, { id: draft, i: { title: 'Paint it', areaId: id } })],
    ['addPreStartupCheck input.lineId', blue.lineId, (id) => call(ADD_CHECK, { id: draft, i: check('Inspect', { lineId: id }) })],
    ['addPreStartupCheck input.assetId', blue.assetId, (id) => call(ADD_CHECK, { id: draft, i: check('Inspect', { assetId: id }) })],
  ];
  for (const [name, other, run] of cases) {
    const random = randomUUID();
    const refused = shape(await run(other), other);
    expect({ name, ...refused }).toEqual({ name, ...shape(await run(random), random) });
    expect(refused.message).toMatch(/not found \(.*retry shortly\)$/);
  }
  expect(await counts()).toEqual(before);
});

test('a place not known here yet is "not found" with a retry message, writes nothing, and the same call succeeds once it is known', async () => {
  const assetId = randomUUID(); // registered in Work a moment ago: its event is still on its way
  const input = { assetIds: [green.assetId, assetId], tasks: [{ title: 'Fit the new pump', assetId }] };
  const before = await counts();
  const error = expectError(await create(input), 'NOT_FOUND');
  expect(error.message).toBe(`asset ${assetId} not found (one registered in Work a moment ago may not be known here yet: retry shortly)`);
  expect(error.extensions).toMatchObject({ id: assetId, field: 'assetIds' });
  expect(await counts()).toEqual(before);

  // Work's event arrives (published as Work's relay does) and the copy applies it: the same call succeeds.
  await fake.publish('location.registered', {
    locationId: assetId, kind: 'ASSET', siteId: green.siteId, areaId: green.areaId, lineId: green.lineId, parentAssetId: null, code: 'P-302', name: 'Second feed pump', assetClass: 'pump',
  });
  await untilPlacesKnown(change.db, [assetId]);
  const created = ok(await create(input)).createChangeRequest;
  expect(created.scope.assets).toEqual([{ id: green.assetId }, { id: assetId }]);
  expect(created.tasks).toHaveLength(1);
});
