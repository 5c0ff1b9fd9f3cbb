import { randomBytes } from 'node:crypto';
import { dropDatabase } from '@opsgraph/core';
import { ok, people, startLiveTestGateway, startTestService, type LiveTestGateway, type TestService } from '@opsgraph/testing';
import { service as workService } from '../../services/work/src/service';
import { seedPlant, type Plant } from '../../services/work/test/fixtures';

// No broker (the embedded default): the services publish to the Postgres bus and the gateway tails it.
process.env.KAFKA_BROKERS = '';
process.env.OPSGRAPH_BUS_DATABASE = `test_bus_${randomBytes(4).toString('hex')}`;

let work: TestService;
let gateway: LiveTestGateway;
let plant: Plant;

beforeAll(async () => {
  work = await startTestService(workService);
  plant = await seedPlant(work);
  gateway = await startLiveTestGateway({ work: work.url });
}, 60_000);
afterAll(async () => {
  await gateway?.stop();
  await work?.stop();
  await dropDatabase(process.env.OPSGRAPH_BUS_DATABASE!);
});

test('without Kafka a board subscription is fed by the Postgres bus', async () => {
  const sub = await gateway.subscribeWs(`subscription($s: ID!, $a: ID) { board(siteId: $s, areaId: $a) { items { id status } } }`, { s: plant.siteId, a: plant.areaId }, people.supervisor);
  try {
    expect((await sub.next()).data.board.items).toEqual([]);
    const created = ok(await gateway.query(`mutation($i: CreateWorkItemInput!) { createWorkItem(input: $i) { id } }`, { i: { type: 'MAINTENANCE', title: 'Replace seal on P-301', siteId: plant.siteId, assetId: plant.assetId } }, people.supervisor)).createWorkItem;
    const update = await sub.next((m) => m.data.board.items.some((i: { id: string }) => i.id === created.id));
    expect(update.extensions?.position).toBeDefined();
    // An item in another area changes nothing on this board: no message.
    const elsewhere = ok(await gateway.query(`mutation($i: CreateWorkItemInput!) { createWorkItem(input: $i) { id } }`, { i: { type: 'MAINTENANCE', title: 'Sweep the utilities area', siteId: plant.siteId, areaId: plant.otherAreaId } }, people.supervisor)).createWorkItem;
    await expect(sub.next((m) => m.data.board.items.some((i: { id: string }) => i.id === elsewhere.id), 1_500)).rejects.toThrow(/no matching message/);
  } finally {
    await sub.close();
  }
});
