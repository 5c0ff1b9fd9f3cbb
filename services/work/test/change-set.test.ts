import { SYSTEM_CALLER, selectRows } from '@opsgraph/core';
import type { TestService } from '@opsgraph/testing';
import { ChangeSet } from '../src/domain/change-set';
import { createWorkItemIn, inTransaction } from '../src/domain/work-items';
import { WorkItem } from '../src/entities';
import { seedPlant, startWork } from './fixtures';

/**
 * The change set writes back only the columns its items changed (a consumer's group mostly changes a
 * status and a count): every change must still land, whatever mix of fields the items of one flush change.
 */
let work: TestService;
const ids: string[] = [];
beforeAll(async () => {
  work = await startWork();
  const plant = await seedPlant(work);
  await work.db.transaction((m) =>
    inTransaction(m, SYSTEM_CALLER, undefined, async (ctx) => {
      for (let i = 0; i < 5; i++) ids.push((await createWorkItemIn(ctx, { type: 'MAINTENANCE', title: `Item ${i}`, siteId: plant.siteId, assetId: plant.assetId })).id);
    }),
  );
});
afterAll(() => work.stop());

const read = async () => new Map((await selectRows(work.db, WorkItem, 'id', ids)).map((row) => [row.id, row]));

test('one flush writes each item’s own changes, and only the columns some item changed', async () => {
  const before = await read();
  const due = new Date('2027-03-01T06:00:00.000Z');
  const statements: string[] = [];
  await work.db.transaction(async (manager) => {
    const query = manager.query.bind(manager);
    jest.spyOn(manager, 'query').mockImplementation((sql: string, params?: unknown) => {
      statements.push(sql);
      return query(sql, params as unknown[]);
    });
    const changes = new ChangeSet(manager);
    await changes.load(ids);
    const [a, b, c, d] = ids.map((id) => changes.loadedItems().find((item) => item.id === id)!);
    a.status = 'ON_HOLD';
    b.dueAt = due;
    c.links.push({ domain: 'DOCUMENTS', recordId: 'SOP-7', relation: 'procedure' }); // changed in place
    for (const item of [a, b, c, d]) changes.itemChanged(item); // d: marked, nothing changed
    await changes.flush();
  });
  const update = statements.find((sql) => sql.startsWith('UPDATE'))!;
  expect(update.slice(0, update.indexOf(' FROM ')).replace(/"/g, '')).toBe('UPDATE work_item AS t SET status = r.status, due_at = r.due_at, links = r.links, version = t.version + 1, updated_at = now()');

  const after = await read();
  const [a, b, c, d, e] = ids.map((id) => [before.get(id)!, after.get(id)!]);
  expect(a[1]).toMatchObject({ status: 'ON_HOLD', dueAt: a[0].dueAt, links: a[0].links, version: a[0].version + 1 });
  expect(b[1]).toMatchObject({ status: b[0].status, dueAt: due, links: b[0].links, version: b[0].version + 1 });
  expect(c[1]).toMatchObject({ status: c[0].status, dueAt: c[0].dueAt, links: [{ domain: 'DOCUMENTS', recordId: 'SOP-7', relation: 'procedure' }], version: c[0].version + 1 });
  expect(d[1]).toMatchObject({ status: d[0].status, version: d[0].version + 1 }); // marked changed: its version moves, as before
  expect(e[1]).toEqual(e[0]); // not marked: untouched
  for (const [old, now] of [a, b, c, d]) expect(now.updatedAt.getTime()).toBeGreaterThanOrEqual(old.updatedAt.getTime());
});

test('a second flush in the same transaction compares with what the first one wrote', async () => {
  const before = await read();
  await work.db.transaction(async (manager) => {
    const changes = new ChangeSet(manager);
    const item = await changes.lock(ids[4]);
    item.title = 'Renamed: "stop" \\ line 3\n— ünïcødé\t✓'; // JSON escapes survive the row helper's writer
    changes.itemChanged(item);
    await changes.flush();
    const [{ title }] = await manager.query('SELECT title FROM work_item WHERE id = $1', [item.id]);
    expect(title).toBe(item.title);
    item.title = 'Item 4'; // back to the stored value: a real change again after the first flush
    item.dueAt = null;
    changes.itemChanged(item);
    await changes.flush();
  });
  const after = (await read()).get(ids[4])!;
  expect(after).toMatchObject({ title: 'Item 4', version: before.get(ids[4])!.version + 2 });
});
