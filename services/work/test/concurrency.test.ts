import { expectError, ok, people, type TestService } from '@opsgraph/testing';
import { act, createItem, seedPlant, startWork, type Plant } from './fixtures';

let work: TestService;
let plant: Plant;
beforeAll(async () => {
  work = await startWork();
  plant = await seedPlant(work, 'CON');
});
afterAll(() => work.stop());

test('two people starting the same item at once: exactly one wins, the other gets a clear error', async () => {
  const item = await createItem(work, plant);
  const results = await Promise.all([act(work, 'startWork', { id: item.id }, people.technician), act(work, 'startWork', { id: item.id }, people.technician2)]);
  const winners = results.filter((r) => !r.errors);
  expect(winners).toHaveLength(1);
  expectError(results.find((r) => r.errors)!, 'ILLEGAL_TRANSITION');
  const history = ok(await work.query(`query($id: ID!) { workItem(id: $id) { performer { id } history { to } } }`, { id: item.id })).workItem;
  expect(history.history.filter((h: { to: string }) => h.to === 'IN_PROGRESS')).toHaveLength(1);
  expect(history.performer.id).toBe(winners[0].data.startWork.performer.id);
});

test('a change based on a stale version is refused with CONFLICT and changes nothing', async () => {
  const item = await createItem(work, plant);
  const seen = item.version;
  const [a, b] = await Promise.all([
    work.query(`mutation($id: ID!, $v: Int) { holdWork(id: $id, reason: "crane not available", expectedVersion: $v) { version holdReason } }`, { id: item.id, v: seen }, people.technician),
    work.query(`mutation($id: ID!, $v: Int) { assignWorkItem(id: $id, ownerId: "${people.technician2.id}", expectedVersion: $v) { version owner { id } } }`, { id: item.id, v: seen }, people.supervisor),
  ]);
  const loser = [a, b].find((r) => r.errors)!;
  expect([a, b].filter((r) => !r.errors)).toHaveLength(1);
  const err = expectError(loser, 'CONFLICT');
  expect(err.extensions!.expectedVersion).toBe(seen);
  const now = ok(await work.query(`query($id: ID!) { workItem(id: $id) { status owner { id } } }`, { id: item.id })).workItem;
  // Only the winner's change is there.
  expect(now.status === 'ON_HOLD' ? a.errors : b.errors).toBeUndefined();
  expect(now.status === 'ON_HOLD' ? now.owner : now.owner?.id).toEqual(now.status === 'ON_HOLD' ? null : people.technician2.id);
});
