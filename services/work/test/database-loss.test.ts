import { expectError, ok, people, startPrivatePostgres, startTestService, type TestService } from '@opsgraph/testing';
import { service } from '../src/service';
import { createItem, seedPlant } from './fixtures';

/**
 * The Work database goes away under writes and comes back: writes meanwhile fail with a clear
 * UNAVAILABLE error and leave nothing half-done; the service reconnects by itself.
 */
test('Postgres restarted under writes: clear errors meanwhile, nothing half-applied, reconnects by itself', async () => {
  const pg = await startPrivatePostgres(55_432);
  const saved = process.env.OPSGRAPH_PG_URL;
  process.env.OPSGRAPH_PG_URL = pg.url;
  let work: TestService | undefined;
  try {
    work = await startTestService(service);
    const plant = await seedPlant(work, 'DBL');
    const item = await createItem(work, plant);
    await pg.stop();
    const during = await work.query(`mutation($id: ID!) { holdWork(id: $id, reason: "db away") { id } }`, { id: item.id }, people.technician);
    expectError(during, 'UNAVAILABLE');
    await pg.start();
    let after;
    for (let i = 0; i < 20; i++) {
      after = await work.query(`query($id: ID!) { workItem(id: $id) { status history { to } } }`, { id: item.id });
      if (!after.errors) break;
      await new Promise((r) => setTimeout(r, 250));
    }
    expect(ok(after!).workItem).toEqual({ status: 'READY', history: [{ to: 'OPEN' }, { to: 'READY' }] });
    expect(ok(await work.query(`mutation($id: ID!) { holdWork(id: $id, reason: "db back") { status } }`, { id: item.id }, people.technician)).holdWork.status).toBe('ON_HOLD');
  } finally {
    await work?.stop().catch(() => undefined);
    process.env.OPSGRAPH_PG_URL = saved;
    await pg.destroy();
  }
});
