import { randomBytes, randomUUID } from 'node:crypto';
import { dropDatabase } from '@opsgraph/core';
import { createTransport, topicOf, type Transport } from '@opsgraph/events';
import { eventually, ok, readTopic, startTestProducer, type TestProducer, type TestService } from '@opsgraph/testing';
import { createItem, seedPlant, startWork, type Plant } from './fixtures';

/**
 * Work publishes its location registry (every supporting domain checks the locations people name against
 * its copy), and no supporting domain's record touches another site's work: a blocker or a hold that names
 * the wrong site is ignored. Found from outside: a permit of site A put a blocker on a new item of site B;
 * an incident reported at A on B's asset put B's work on hold.
 */
process.env.KAFKA_BROKERS = '';
process.env.OPSGRAPH_BUS_DATABASE = `test_bus_${randomBytes(4).toString('hex')}`;

let work: TestService;
let green: Plant;
let blue: Plant;
let transport: Transport;
let producer: TestProducer;

beforeAll(async () => {
  work = await startWork();
  green = await seedPlant(work, 'PGR');
  blue = await seedPlant(work, 'PBL');
  transport = createTransport();
  producer = await startTestProducer('hazards', transport);
});
afterAll(async () => {
  await producer?.close();
  await transport?.close();
  await work?.stop();
  await dropDatabase(process.env.OPSGRAPH_BUS_DATABASE!);
});

const item = async (id: string) => ok(await work.query(`query($id: ID!) { workItem(id: $id) { status blockers { sourceRecordId } } }`, { id })).workItem;

test('every site, area, line and asset registered is published with its place', async () => {
  const events = await readTopic(transport, topicOf('work'), (ms) => ms.filter((m) => m.headers.ce_type === 'opsgraph.work.location.registered').length >= 10);
  const registered = events.filter((m) => m.headers.ce_type === 'opsgraph.work.location.registered').map((m) => JSON.parse(String(m.value)));
  const byId = new Map(registered.map((d: { locationId: string }) => [d.locationId, d]));
  expect(byId.get(green.siteId)).toMatchObject({ kind: 'SITE', siteId: green.siteId, areaId: null, lineId: null, code: 'PGR' });
  expect(byId.get(green.areaId)).toMatchObject({ kind: 'AREA', siteId: green.siteId, code: 'PACK' });
  expect(byId.get(green.lineId)).toMatchObject({ kind: 'LINE', siteId: green.siteId, areaId: green.areaId, lineId: null });
  expect(byId.get(blue.assetId)).toMatchObject({ kind: 'ASSET', siteId: blue.siteId, areaId: blue.areaId, lineId: blue.lineId, assetClass: 'pump' });
});

test("a blocker from a record of another site is ignored; the item's own site's blocker applies", async () => {
  const blueItem = await createItem(work, blue);
  const wrong = randomUUID();
  const right = randomUUID();
  await producer.record('prerequisite.required', wrong, { workItemId: blueItem.id, siteId: green.siteId, kind: 'PERMIT_VALID', sourceRecordId: wrong, description: 'from a green permit' });
  await producer.record('prerequisite.required', right, { workItemId: blueItem.id, siteId: blue.siteId, kind: 'PERMIT_VALID', sourceRecordId: right, description: 'from a blue permit' });
  await eventually(async () => (await item(blueItem.id)).blockers.length > 0);
  expect((await item(blueItem.id)).blockers).toEqual([{ sourceRecordId: right }]);
});

test("a hold requested for an asset at another site holds nothing; at the asset's own site it holds its work", async () => {
  const blueItem = await createItem(work, blue);
  const incident = randomUUID();
  await producer.record('work.hold_requested', incident, { assetId: blue.assetId, siteId: green.siteId, reason: 'serious incident (green)', sourceRecordId: incident });
  const marker = await createItem(work, blue);
  const other = randomUUID();
  await producer.record('prerequisite.required', other, { workItemId: marker.id, siteId: blue.siteId, kind: 'PERMIT_VALID', sourceRecordId: other, description: 'marker' });
  // The marker's blocker comes after the hold on the same bus: once it is applied, the hold was handled.
  await eventually(async () => (await item(marker.id)).blockers.length > 0);
  expect((await item(blueItem.id)).status).not.toBe('ON_HOLD');
  const own = randomUUID();
  await producer.record('work.hold_requested', own, { assetId: blue.assetId, siteId: blue.siteId, reason: 'serious incident (blue)', sourceRecordId: own });
  await eventually(async () => (await item(blueItem.id)).status === 'ON_HOLD');
});
