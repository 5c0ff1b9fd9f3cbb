import { randomUUID } from 'node:crypto';
import { TrackedWorkItem, type Caller } from '@opsgraph/core';
import { OutboxEvent } from '@opsgraph/events';
import { eventually, expectError, fakeWork, ok, people, person, startTestService, untilPlacesKnown, type GraphQLResult, type TestService, notFoundShape } from '@opsgraph/testing';
import { service as workService } from '../../work/src/service';
import { createItem, seedPlant, type Plant } from '../../work/test/fixtures';
import { Hazard, HazardControl, Incident, IncidentAction, JobHazardControl, JobRiskAssessment } from '../src/entities';
import { crew, outbox, startHazards } from './fixtures';

/**
 * Every place and work item a hazards mutation names is checked against what Work told hazards by events:
 * the copy of Work's location registry (`known_location`) and the tracked view of work items. With Work
 * running: a place created in Work becomes usable once its event is applied; another site's asset, area or
 * work item is "not found" exactly as a random id is, and nothing is written (so an incident at one site can
 * no longer put another site's work on hold); a place or work item not known yet is "not found" with a
 * message to retry shortly, and the same call succeeds once its event has arrived.
 */
let work: TestService;
let hazards: TestService;
let green: Plant;
let blue: Plant;
/** Work Work created on blue's asset, known to hazards. */
let blueWork: string;
let greenHazard: string;
let fake: ReturnType<typeof fakeWork>;

const at = (who: Caller, plant: Plant) => person(who.id, who.roles, [plant.siteId]);
const call = (query: string, variables: Record<string, unknown>, caller: Caller) => hazards.query(query, variables, caller);

const REGISTER = `mutation($i: RegisterHazardInput!) { registerHazard(input: $i) { id site { id } area { id } asset { id } } }`;
const REPORT = `mutation($i: ReportIncidentInput!) { reportIncident(input: $i) { id number holdRequestedAt } }`;
const ASSESS = `mutation($i: JobRiskAssessmentInput!) { assessJobRisk(input: $i) { id site { id } } }`;
const ADD_ACTION = `mutation($id: ID!, $i: IncidentActionInput!) { addIncidentAction(incidentId: $id, input: $i) { id } }`;

const hazardInput = (plant: Plant, extra: Record<string, unknown> = {}) => ({
  title: 'Stored pressure in the pump casing', siteId: plant.siteId, likelihood: 3, severity: 4, residualLikelihood: 1, residualSeverity: 4,
  controls: [{ kind: 'ISOLATION', description: 'Valves locked closed, casing vented' }], ...extra,
});
const incidentInput = (plant: Plant, extra: Record<string, unknown> = {}) => ({
  type: 'PROCESS_SAFETY_EVENT', severity: 'HIGH', occurredAt: new Date(Date.now() - 60_000).toISOString(), siteId: plant.siteId,
  title: 'Relief valve lifted', description: 'Lifted at 10.4 bar.', ...extra,
});

/** Rows of every table a refused call could write, and the outbox, read as the owner. */
const counts = async () => ({
  outbox: await hazards.db.getRepository(OutboxEvent).count(),
  hazards: await hazards.db.getRepository(Hazard).count(),
  controls: await hazards.db.getRepository(HazardControl).count(),
  incidents: await hazards.db.getRepository(Incident).count(),
  actions: await hazards.db.getRepository(IncidentAction).count(),
  assessments: await hazards.db.getRepository(JobRiskAssessment).count(),
  jobControls: await hazards.db.getRepository(JobHazardControl).count(),
});

const shape = notFoundShape;

const workStatus = async (id: string) => ok(await work.query(`query($id: ID!) { workItem(id: $id) { status } }`, { id }, people.admin)).workItem.status as string;
const tracked = (id: string) => eventually(() => hazards.db.getRepository(TrackedWorkItem).existsBy({ workItemId: id }));

beforeAll(async () => {
  [work, hazards] = await Promise.all([startTestService(workService), startHazards()]);
  fake = fakeWork();
  green = await seedPlant(work, 'GRN');
  blue = await seedPlant(work, 'BLU');
  await untilPlacesKnown(hazards.db, [...Object.values(green), ...Object.values(blue)]);
  blueWork = (await createItem(work, blue, { title: 'Replace seal on blue P-301' })).id;
  await tracked(blueWork);
  greenHazard = ok(await call(REGISTER, { i: hazardInput(green, { assetId: green.assetId }) }, crew.hse)).registerHazard.id;
}, 60_000);
afterAll(async () => {
  await fake?.close();
  await Promise.all([hazards?.stop(), work?.stop()]);
});

test('a place created in Work is usable here once its event is applied, and the work on it too', async () => {
  const areaId = ok(await work.query(`mutation($i: CreateAreaInput!) { createArea(input: $i) { id } }`, { i: { siteId: green.siteId, code: 'TANK', name: 'Tank farm' } }, people.admin)).createArea.id as string;
  const assetId = ok(await work.query(`mutation($i: CreateAssetInput!) { createAsset(input: $i) { id } }`, { i: { siteId: green.siteId, areaId, code: 'T-900', name: 'Caustic tank', assetClass: 'tank' } }, people.admin)).createAsset.id as string;
  await untilPlacesKnown(hazards.db, [areaId, assetId]);
  expect(await hazards.db.query(`SELECT id, kind, site_id AS "siteId", area_id AS "areaId", line_id AS "lineId", code FROM known_location WHERE id = ANY($1) ORDER BY kind`, [[areaId, assetId]])).toEqual([
    { id: areaId, kind: 'AREA', siteId: green.siteId, areaId: null, lineId: null, code: 'TANK' },
    { id: assetId, kind: 'ASSET', siteId: green.siteId, areaId, lineId: null, code: 'T-900' },
  ]);

  const greenHse = at(crew.hse, green);
  const hazard = ok(await call(REGISTER, { i: hazardInput(green, { title: 'Caustic burns at T-900', areaId, assetId }) }, greenHse)).registerHazard;
  expect(hazard).toMatchObject({ site: { id: green.siteId }, area: { id: areaId }, asset: { id: assetId } });

  // Work on the new asset, known once Work's event is applied: assessed from here, its blocker reaches Work.
  const job = (await createItem(work, green, { assetId, title: 'Clean T-900' })).id as string;
  await tracked(job);
  expect(ok(await call(ASSESS, { i: { workItemId: job, hazards: [{ hazardId: hazard.id }] } }, at(people.supervisor, green))).assessJobRisk.site.id).toBe(green.siteId);
  const required = (await outbox(hazards)).filter((e) => e.type === 'prerequisite.required' && e.data.workItemId === job);
  expect(required.map((e) => e.data.siteId)).toEqual([green.siteId]);
  await eventually(async () => ok(await work.query(`query($id: ID!) { workItem(id: $id) { blocked } }`, { id: job }, people.admin)).workItem.blocked);

  // A serious incident on it holds that work, at the incident's site only.
  const incident = ok(await call(REPORT, { i: incidentInput(green, { areaId, assetId }) }, at(people.operator, green))).reportIncident;
  expect(incident.holdRequestedAt).not.toBeNull();
  expect((await outbox(hazards, incident.id)).find((e) => e.type === 'work.hold_requested')!.data).toMatchObject({ assetId, siteId: green.siteId });
  await eventually(async () => (await workStatus(job)) === 'ON_HOLD');
  expect(await workStatus(blueWork)).not.toBe('ON_HOLD');
});

test('another site\'s site, area, asset and work item are "not found" exactly as a random id is, and nothing is written', async () => {
  const greenIncident = ok(await call(REPORT, { i: incidentInput(green, { severity: 'LOW', areaId: green.areaId }) }, people.operator)).reportIncident.id as string;
  const blueStatus = await workStatus(blueWork);
  const before = await counts();
  const cases: [string, string, (id: string) => Promise<GraphQLResult>][] = [
    ['registerHazard.siteId', blue.siteId, (id) => call(REGISTER, { i: hazardInput(green, { siteId: id }) }, at(crew.hse, green))],
    ['registerHazard.areaId', blue.areaId, (id) => call(REGISTER, { i: hazardInput(green, { areaId: id }) }, crew.hse)],
    ['registerHazard.assetId', blue.assetId, (id) => call(REGISTER, { i: hazardInput(green, { assetId: id }) }, crew.hse)],
    // The finding: an incident at green naming blue's asset put blue's work on hold.
    ['reportIncident.assetId', blue.assetId, (id) => call(REPORT, { i: incidentInput(green, { assetId: id }) }, people.operator)],
    ['reportIncident.areaId', blue.areaId, (id) => call(REPORT, { i: incidentInput(green, { areaId: id }) }, people.operator)],
    ['addIncidentAction.assetId', blue.assetId, (id) => call(ADD_ACTION, { id: greenIncident, i: { kind: 'CORRECTIVE', title: 'Fit a guard', ownerId: people.technician.id, assetId: id } }, crew.hse)],
    ['assessJobRisk.workItemId', blueWork, (id) => call(ASSESS, { i: { workItemId: id, hazards: [{ hazardId: greenHazard }] } }, at(people.supervisor, green))],
  ];
  for (const [name, other, run] of cases) {
    const random = randomUUID();
    const refused = shape(await run(other), other);
    expect({ name, ...refused }).toEqual({ name, ...shape(await run(random), random) });
    expect(refused.message).toMatch(/not found \(.*retry shortly\)$/);
  }
  // Also for someone at green only: blue's places are theirs to name no more than for someone at both sites.
  const greenOnly: [string, (id: string) => Promise<GraphQLResult>][] = [
    [blue.assetId, (id) => call(REPORT, { i: incidentInput(green, { assetId: id }) }, at(people.operator, green))],
    [blue.areaId, (id) => call(REGISTER, { i: hazardInput(green, { areaId: id }) }, at(crew.hse, green))],
  ];
  for (const [other, run] of greenOnly) {
    const random = randomUUID();
    expect(shape(await run(other), other)).toEqual(shape(await run(random), random));
  }
  expect(await counts()).toEqual(before);
  expect(await workStatus(blueWork)).toBe(blueStatus); // no hold was asked for blue's work
});

test('a place or work item not known here yet is "not found" with a retry message, writes nothing, and the same call succeeds once it is known', async () => {
  const greenHse = at(crew.hse, green);
  const assetId = randomUUID(); // registered in Work a moment ago: its event is still on its way
  const register = () => call(REGISTER, { i: hazardInput(green, { title: 'Noise at the new pump', assetId }) }, greenHse);
  const report = () => call(REPORT, { i: incidentInput(green, { assetId }) }, at(people.operator, green));
  const before = await counts();
  for (const run of [register, report]) {
    const error = expectError(await run(), 'NOT_FOUND');
    expect(error.message).toBe(`asset ${assetId} not found (one registered in Work a moment ago may not be known here yet: retry shortly)`);
    expect(error.extensions).toMatchObject({ id: assetId, field: 'assetId' });
  }
  expect(await counts()).toEqual(before);

  // Work's event arrives (published as Work's relay does) and the copy applies it: the same calls succeed.
  await fake.publish('location.registered', {
    locationId: assetId, kind: 'ASSET', siteId: green.siteId, areaId: green.areaId, lineId: green.lineId, parentAssetId: null, code: 'P-302', name: 'Second feed pump', assetClass: 'pump',
  });
  await untilPlacesKnown(hazards.db, [assetId]);
  expect(ok(await register()).registerHazard.asset).toEqual({ id: assetId });
  expect(ok(await report()).reportIncident.holdRequestedAt).not.toBeNull();

  // The same for a work item created in Work a moment ago.
  const workItemId = randomUUID();
  const assess = () => call(ASSESS, { i: { workItemId, hazards: [{ hazardId: greenHazard }] } }, at(people.supervisor, green));
  const beforeAssess = await counts();
  const error = expectError(await assess(), 'NOT_FOUND');
  expect(error.message).toBe(`work item ${workItemId} not found (one created in Work a moment ago may not be known here yet: retry shortly)`);
  expect(await counts()).toEqual(beforeAssess);
  await fake.created({ workItemId, workType: 'MAINTENANCE', siteId: green.siteId, assetId: green.assetId, sourceDomain: 'MANUAL', sourceRecordId: null });
  await tracked(workItemId);
  expect(ok(await assess()).assessJobRisk.site.id).toBe(green.siteId);
});
