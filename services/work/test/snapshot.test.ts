import { ok, people, startTestGateway, type TestGateway, type TestService } from '@opsgraph/testing';
import { createItem, seedPlant, startWork, type Plant } from './fixtures';

/**
 * One read shows one moment: while an item's blockers are raised and cleared over and over, every answer about
 * it agrees with itself (its status and `blocked` with its own prerequisites). Each read runs in one snapshot
 * of the database (libs/core/src/scope.ts `requestManager`), whatever commits between its statements.
 */
let work: TestService;
let gateway: TestGateway;
let plant: Plant;
beforeAll(async () => {
  work = await startWork();
  gateway = await startTestGateway({ work: work.url });
  plant = await seedPlant(work, 'SNP');
});
afterAll(async () => {
  await gateway?.stop();
  await work?.stop();
});

const READ = `query($id: ID!) { workItem(id: $id) { status blocked prerequisites { id state } } }`;

test('an item read while its prerequisites change concurrently is never torn', async () => {
  const item = await createItem(work, plant, { title: 'snapshot probe' });
  let changing = true;
  const writer = (async () => {
    for (let i = 0; i < 25; i++) {
      const added = ok(await gateway.query(`mutation($id: ID!, $p: PrerequisiteInput!) { addPrerequisite(workItemId: $id, input: $p) { id } }`, { id: item.id, p: { kind: 'MATERIAL', description: `part ${i}` } }, people.supervisor)).addPrerequisite;
      ok(await gateway.query(`mutation($id: ID!) { satisfyPrerequisite(id: $id) { id } }`, { id: added.id }, people.supervisor));
    }
    changing = false;
  })();
  const torn: unknown[] = [];
  let reads = 0;
  const reader = async () => {
    while (changing) {
      const { workItem } = ok(await gateway.query(READ, { id: item.id }, people.technician));
      reads++;
      const open = workItem.prerequisites.some((p: { state: string }) => p.state === 'OPEN');
      if (workItem.blocked !== open || (workItem.status === 'READY') === open) torn.push(workItem);
    }
  };
  await Promise.all([writer, reader(), reader(), reader()]);
  expect(reads).toBeGreaterThan(50);
  expect(torn).toEqual([]);
}, 120_000);
