import { randomUUID } from 'node:crypto';
import { createTransport, type Transport, type WorkHoldReleasedV1, type WorkHoldRequestedV1 } from '@opsgraph/events';
import { eventually, expectError, ok, people, startTestGateway, startTestProducer, testBrokers, type TestGateway, type TestProducer, type TestService } from '@opsgraph/testing';
import { seedPlant, startWork, type Plant } from './fixtures';

/**
 * Holds that hold (issue 27): a record's `work.hold_requested` (hazards, for a HIGH incident) keeps its asset held
 * until its `work.hold_released`. Meanwhile a technician cannot resume the work, a supervisor (the role the hold
 * names) only by overriding it with a reason, and new work on the asset starts held. Events come from a test
 * producer through the real transport; every request goes through the gateway.
 */
let work: TestService;
let gateway: TestGateway;
let plant: Plant;
let transport: Transport;
let hazards: TestProducer;

beforeAll(async () => {
  testBrokers();
  work = await startWork();
  gateway = await startTestGateway({ work: work.url });
  plant = await seedPlant(work);
  transport = createTransport();
  hazards = await startTestProducer('hazards', transport);
});
afterAll(async () => {
  await hazards?.close();
  await transport?.close();
  await gateway?.stop();
  await work?.stop();
});

const FIELDS = 'id status holdReason history { from to note actor { id } }';
const read = async (id: string) => ok(await gateway.query(`query($id: ID!) { workItem(id: $id) { ${FIELDS} } }`, { id }, people.supervisor)).workItem;
const create = async (title: string, assetId = plant.assetId) =>
  ok(await gateway.query(`mutation($i: CreateWorkItemInput!) { createWorkItem(input: $i) { ${FIELDS} } }`, { i: { type: 'MAINTENANCE', title, siteId: plant.siteId, assetId } }, people.technician)).createWorkItem;
const resume = (id: string, caller: typeof people.technician, note?: string, override?: boolean) =>
  gateway.query(`mutation($id: ID!, $note: String, $override: Boolean) { resumeWork(id: $id, note: $note, override: $override) { ${FIELDS} } }`, { id, note, override }, caller);

test('a HIGH incident holds the asset until released: resume by the named role only, override with a reason, new work held', async () => {
  const ready = await create('Replace seal on P-301');
  const underway = await create('Align P-301 coupling');
  ok(await gateway.query(`mutation($id: ID!) { startWork(id: $id) { id } }`, { id: underway.id }, people.technician));
  const elsewhere = await gateway.query(`mutation($i: CreateAssetInput!) { createAsset(input: $i) { id } }`, { i: { siteId: plant.siteId, lineId: plant.lineId, code: 'P-302', name: 'Spare pump', assetClass: 'pump' } }, people.admin);
  const otherAssetId = ok(elsewhere).createAsset.id;

  const incidentId = randomUUID();
  const reason = 'HIGH incident INC-000007 on P-301: work stopped until a supervisor resumes it';
  await hazards.record('work.hold_requested', incidentId, { assetId: plant.assetId, siteId: plant.siteId, reason, sourceRecordId: incidentId } satisfies WorkHoldRequestedV1);
  for (const id of [ready.id, underway.id]) await eventually(async () => (await read(id)).status === 'ON_HOLD');

  // A technician's resume is refused while the incident is open, and changes nothing.
  expectError(await resume(underway.id, people.technician), 'FORBIDDEN');
  expectError(await resume(underway.id, people.technician, 'looks fine', true), 'FORBIDDEN');
  // The supervisor the hold names: refused without an override, and an override needs its reason.
  const refused = expectError(await resume(ready.id, people.supervisor), 'ILLEGAL_TRANSITION');
  expect(refused.message).toContain(`hazards record ${incidentId} is active`);
  expectError(await resume(ready.id, people.supervisor, undefined, true), 'BAD_USER_INPUT');
  expect((await read(ready.id)).status).toBe('ON_HOLD');
  expect((await read(underway.id)).status).toBe('ON_HOLD');

  // New work on the held asset starts held with the hold's reason; work on another asset does not.
  const raisedWhileHeld = await create('Check P-301 baseplate');
  expect(raisedWhileHeld).toMatchObject({ status: 'ON_HOLD', holdReason: reason });
  expect((await create('Grease P-302', otherAssetId)).status).toBe('READY');

  // The supervisor overrides with a reason: resumed, and the history keeps who, that it was an override, and why.
  const overridden = ok(await resume(ready.id, people.supervisor, 'area made safe by HSE walk-down; isolation verified', true)).resumeWork;
  expect(overridden.status).toBe('READY');
  const entry = overridden.history.at(-2); // the resume (READY follows from settling)
  expect(entry).toMatchObject({ from: 'ON_HOLD', to: 'OPEN', actor: { id: people.supervisor.id } });
  expect(entry.note).toBe(`hold overridden (hazards record ${incidentId} still active): area made safe by HSE walk-down; isolation verified`);

  // The incident is closed: new work is no longer held, and the held work is resumed (by the role the hold named).
  await hazards.record('work.hold_released', incidentId, { sourceRecordId: incidentId, assetId: plant.assetId, siteId: plant.siteId, reason: 'incident closed' } satisfies WorkHoldReleasedV1);
  await eventually(async () => (await work.db.query(`SELECT released_at FROM asset_hold WHERE source_record_id = $1`, [incidentId]))[0]?.released_at);
  expect((await create('Replace P-301 guard')).status).toBe('READY');
  expectError(await resume(underway.id, people.technician), 'FORBIDDEN');
  expect(ok(await resume(underway.id, people.supervisor)).resumeWork.status).toBe('IN_PROGRESS');
  expect(ok(await resume(raisedWhileHeld.id, people.supervisor)).resumeWork.status).toBe('READY');
}, 60_000);

test('a hold naming the technician lets a technician resume, but only after its release', async () => {
  const assetId = ok(await gateway.query(`mutation($i: CreateAssetInput!) { createAsset(input: $i) { id } }`, { i: { siteId: plant.siteId, lineId: plant.lineId, code: 'P-303', name: 'Booster', assetClass: 'pump' } }, people.admin)).createAsset.id;
  const item = await create('Inspect P-303', assetId);
  const incidentId = randomUUID();
  await hazards.record('work.hold_requested', incidentId, { assetId, siteId: plant.siteId, reason: 'incident on P-303', sourceRecordId: incidentId, resumeRoles: ['technician'] } satisfies WorkHoldRequestedV1);
  await eventually(async () => (await read(item.id)).status === 'ON_HOLD');
  expectError(await resume(item.id, people.technician), 'ILLEGAL_TRANSITION'); // the role fits, the cause is open
  await hazards.record('work.hold_released', incidentId, { sourceRecordId: incidentId, reason: 'incident closed' } satisfies WorkHoldReleasedV1);
  await eventually(async () => (await work.db.query(`SELECT released_at FROM asset_hold WHERE source_record_id = $1`, [incidentId]))[0]?.released_at);
  expect(ok(await resume(item.id, people.technician)).resumeWork.status).toBe('READY');
}, 60_000);
