import { explainingSource, people, testDatabase } from '@opsgraph/testing';
import { createLoaders } from '../src/loaders';
import { service } from '../src/service';

/**
 * The permits of a board's work items are read through the GIN index on `work_item_ids`, not by scanning
 * every permit: Postgres prices an overlap with a given array of fifty ids, even on fresh statistics, as a
 * quarter of the table (the plant: 14 ms per board over 14,000 permits, 2 ms by the index).
 */
let database: Awaited<ReturnType<typeof testDatabase>>;
beforeAll(async () => {
  database = await testDatabase(service);
});
afterAll(() => database.close());

test('the permits of fifty work items are looked up by index on a table of 15,000, analysed', async () => {
  const { db } = database;
  await db.query(
    `INSERT INTO permit (number, type, status, description, site_id, work_item_ids, requester_id, valid_from, valid_to, version)
     SELECT 'P-' || g, 'HOT_WORK', 'ACTIVE', 'Permit ' || g || ': ' || repeat('cut and weld the discharge bracket ', 6), '00000000-0000-4000-8000-0000000000aa', ARRAY[gen_random_uuid(), gen_random_uuid()],
            'requester', now(), now() + interval '8 hours', 1
     FROM generate_series(1, 15000) AS g`,
  );
  await db.query('ANALYZE permit');
  const workItemIds: string[] = (await db.query(`SELECT work_item_ids[1] AS id FROM permit ORDER BY number LIMIT 50`)).map((r: { id: string }) => r.id);

  // The loader's very statement, explained with its parameters instead of run.
  const { manager, plans } = explainingSource(db);
  await createLoaders(manager, people.admin).permitsByWorkItem.loadMany(workItemIds);
  expect(plans).toHaveLength(1);
  expect(plans[0]).toMatch(/Bitmap Index Scan on permit_work_item_ids/);
  expect(plans[0]).not.toMatch(/Seq Scan on permit/);

  // And the real read finds each item's permit.
  const found = await createLoaders(db.manager, people.admin).permitsByWorkItem.loadMany(workItemIds);
  expect(found.map((permits) => (permits as { workItemIds: string[] }[]).map((p) => p.workItemIds[0]))).toEqual(workItemIds.map((id) => [id]));
});
