import { randomUUID } from 'node:crypto';
import { REQUEST_ROLE, type Caller } from '@opsgraph/core';
import { asCaller, people, person, testDatabase } from '@opsgraph/testing';
import type { DataSource, EntityManager } from 'typeorm';
import { service } from '../src/service';

/**
 * Scope by construction, in the database: rows of two sites written as the owner, then read with deliberately
 * unscoped statements through a request's own connection (`asCaller`). Whatever the query forgets, a caller
 * of site A gets site A's rows only, of every protected table; a caller of every site gets them all; a
 * contractor only the changes behind their company's jobs and their company's work; a write of a site-B row
 * from site A is refused and leaves nothing behind.
 */
let database: Awaited<ReturnType<typeof testDatabase>>;
let db: DataSource;

interface Site {
  siteId: string;
  assetId: string;
  /** A change that Acme's job (raised by hand in Work) waits for. */
  changeId: string;
  /** A change with nothing of Acme's. */
  otherChangeId: string;
  taskWorkItemId: string;
  acmeWorkItemId: string;
}

/** Every protected table, and how a row `r` of it tells its site (a change's first site, for its parts). */
const OF_CHANGE = '(SELECT c.site_ids[1] FROM change_request c WHERE c.id = r.change_id)';
const SITE_OF: Record<string, string> = {
  change_request: 'r.site_ids[1]',
  change_approval: OF_CHANGE,
  change_transition: OF_CHANGE,
  change_gate: OF_CHANGE,
  change_task: OF_CHANGE,
  pre_startup_check: OF_CHANGE,
  startup_authorization: OF_CHANGE,
  tracked_work_item: 'r.site_id',
  work_contractor: 'r.site_id',
  permit_cover: 'r.site_id',
};
const KEY: Record<string, string> = { tracked_work_item: 'work_item_id', work_contractor: 'work_item_id' };
const TABLES = Object.keys(SITE_OF);

async function change(manager: EntityManager, siteIds: string[], assetId: string, status = 'SUBMITTED') {
  const [{ id }] = await manager.query(
    `INSERT INTO change_request (title, description, type, status, reason, site_ids, asset_ids, risk_assessment, risk_rating, requester_id, owner_id, required_approver_roles, version)
     VALUES ('Valve', 'Swap it', 'PERMANENT', $1, 'Spills', $2, $3, 'Isolate first', 'HIGH', $4, $4, '{SAFETY}', 1) RETURNING id`,
    [status, siteIds, [assetId], people.technician.id],
  );
  return id as string;
}

/** One site's worth of rows in every protected table, written as the owner. */
async function seed(manager: EntityManager): Promise<Site> {
  const s: Site = { siteId: randomUUID(), assetId: randomUUID(), changeId: '', otherChangeId: '', taskWorkItemId: randomUUID(), acmeWorkItemId: randomUUID() };
  const q = (sql: string, params: unknown[]) => manager.query(sql, params);
  s.changeId = await change(manager, [s.siteId], s.assetId);
  s.otherChangeId = await change(manager, [s.siteId], randomUUID(), 'DRAFT');
  for (const id of [s.changeId, s.otherChangeId]) {
    await q(`INSERT INTO change_transition (change_id, to_status, actor_id, at, note) VALUES ($1, 'DRAFT', $2, now(), 'created')`, [id, people.technician.id]);
    await q(`INSERT INTO change_approval (change_id, role, approver_id, decision, comment, at) VALUES ($1, 'SAFETY', $2, 'APPROVED', 'checked', now())`, [id, people.supervisor.id]);
    await q(`INSERT INTO change_task (change_id, seq, title, work_type, site_id, request_id, created_by_id, required_outcome) VALUES ($1, 1, 'Fit', 'MAINTENANCE', $2, $3, $4, '{"acceptanceCriteria": "Fit: done", "evidence": []}')`, [id, s.siteId, `change:${id}:task:1`, people.technician.id]);
    await q(`INSERT INTO pre_startup_check (change_id, seq, title, what_changed, permit_required, confirmations, site_id, created_by_id) VALUES ($1, 1, 'Inspect', 'valve', false, '{ok?}', $2, $3)`, [id, s.siteId, people.technician.id]);
  }
  // The change's task as Work created it (in-house), and Acme's job on its asset, which waits for the change.
  await q(`INSERT INTO tracked_work_item (work_item_id, number, work_type, status, site_id, asset_id, source_domain, source_record_id, request_id, last_event_at)
           VALUES ($1, 'TST-1', 'MAINTENANCE', 'OPEN', $2, $3, 'CHANGE', $4, $5, now())`, [s.taskWorkItemId, s.siteId, s.assetId, s.changeId, `change:${s.changeId}:task:1`]);
  await q(`INSERT INTO tracked_work_item (work_item_id, number, work_type, status, site_id, asset_id, source_domain, last_event_at)
           VALUES ($1, 'TST-2', 'CONTRACTOR_JOB', 'OPEN', $2, $3, 'MANUAL', now())`, [s.acmeWorkItemId, s.siteId, s.assetId]);
  await q(`INSERT INTO work_contractor (work_item_id, site_id, contractor_company) VALUES ($1, $2, 'Acme')`, [s.acmeWorkItemId, s.siteId]);
  await q(`INSERT INTO change_gate (change_id, work_item_id) VALUES ($1, $2)`, [s.changeId, s.acmeWorkItemId]);
  await q(`INSERT INTO startup_authorization (change_id, authorized_by_id, authorized_at, note, verified_checks) VALUES ($1, $2, now(), 'PSSR complete', '[]')`, [s.changeId, people.supervisor.id]);
  await q(`INSERT INTO permit_cover (work_item_id, permit_id, permit_number, site_id, issued_at) VALUES ($1, $2, 'PTW-X-0001', $3, now())`, [s.taskWorkItemId, randomUUID(), s.siteId]);
  return s;
}

/** The sites of the rows of `table` the manager sees by an unscoped `SELECT *` (each row's site read as the owner). */
async function sitesSeen(manager: EntityManager, table: string): Promise<string[]> {
  const key = KEY[table] ?? 'id';
  const rows: Record<string, string>[] = await manager.query(`SELECT * FROM ${table}`);
  const sites: { key: string; site: string }[] = await db.query(`SELECT r.${key}::text AS key, ${SITE_OF[table]} AS site FROM ${table} r WHERE r.${key}::text = ANY($1)`, [rows.map((r) => String(r[key]))]);
  return rows.map((row) => sites.find((s) => s.key === String(row[key]))!.site);
}

const all = (manager: EntityManager, table: string) => manager.query(`SELECT * FROM ${table}`) as Promise<Record<string, string>[]>;

let a: Site;
let b: Site;
const atA = () => person(people.supervisor.id, 'supervisor', [a.siteId]);
const contractorAtA = (company: string): Caller => person('0000000a-0000-4000-8000-00000000acee', 'contractor', [a.siteId], company);

beforeAll(async () => {
  database = await testDatabase(service);
  db = database.db;
  a = await seed(db.manager);
  b = await seed(db.manager);
});
afterAll(() => database?.close());

test.each(TABLES)('%s: an unscoped SELECT * as a caller of site A returns site A\'s rows only; a caller of every site gets both', async (table) => {
  const seen = await asCaller(db, atA(), (m) => sitesSeen(m, table));
  expect(seen.length).toBeGreaterThan(0);
  expect(new Set(seen)).toEqual(new Set([a.siteId]));
  const [{ count }] = await db.query(`SELECT count(*)::int AS count FROM ${table}`);
  expect(await asCaller(db, people.admin, async (m) => (await all(m, table)).length)).toBe(count);
  expect(new Set(await asCaller(db, people.admin, (m) => sitesSeen(m, table)))).toEqual(new Set([a.siteId, b.siteId]));
  expect(await asCaller(db, person(people.operator.id, 'operator', []), (m) => all(m, table))).toEqual([]);
});

test('a contractor reads only the changes behind their company\'s jobs, with their parts, and only their company\'s work', async () => {
  const acme = await asCaller(db, contractorAtA('Acme'), async (m) => ({
    changes: (await all(m, 'change_request')).map((c) => c.id),
    approvals: (await all(m, 'change_approval')).map((c) => c.change_id),
    tasks: (await all(m, 'change_task')).map((c) => c.change_id),
    gates: (await all(m, 'change_gate')).map((c) => c.change_id),
    work: (await all(m, 'tracked_work_item')).map((w) => w.work_item_id),
    companies: (await all(m, 'work_contractor')).map((w) => w.work_item_id),
    permitCovers: (await all(m, 'permit_cover')).length,
  }));
  expect(acme).toEqual({ changes: [a.changeId], approvals: [a.changeId], tasks: [a.changeId], gates: [a.changeId], work: [a.acmeWorkItemId], companies: [a.acmeWorkItemId], permitCovers: 0 });
  // Another company's contractor at the same site: nothing.
  for (const table of TABLES) expect(await asCaller(db, contractorAtA('Bolt'), (m) => all(m, table))).toEqual([]);
  // A contractor who also holds a wider role is not bounded by their company.
  const lead = { ...contractorAtA('Bolt'), roles: ['contractor', 'supervisor'] } as Caller;
  expect((await asCaller(db, lead, (m) => all(m, 'change_request'))).length).toBe(2);
});

test('a change at two sites is seen whole from either, with its work at the other site; not from a third', async () => {
  const both = await change(db.manager, [a.siteId, b.siteId], b.assetId);
  const workAtB = randomUUID();
  await db.query(`INSERT INTO change_task (change_id, seq, title, work_type, site_id, request_id, created_by_id, required_outcome) VALUES ($1, 1, 'Fit at B', 'MAINTENANCE', $2, $3, 'x', '{"acceptanceCriteria": "x", "evidence": []}')`, [both, b.siteId, `change:${both}:task:1`]);
  await db.query(`INSERT INTO tracked_work_item (work_item_id, number, work_type, status, site_id, source_domain, source_record_id, request_id, last_event_at)
                  VALUES ($1, 'TST-3', 'MAINTENANCE', 'DONE', $2, 'CHANGE', $3, $4, now())`, [workAtB, b.siteId, both, `change:${both}:task:1`]);
  try {
    const fromA = await asCaller(db, atA(), async (m) => ({
      change: (await m.query(`SELECT id FROM change_request WHERE id = $1`, [both])).length,
      tasks: (await m.query(`SELECT site_id FROM change_task WHERE change_id = $1`, [both])).map((t: { site_id: string }) => t.site_id),
      work: (await m.query(`SELECT status FROM tracked_work_item WHERE request_id = $1`, [`change:${both}:task:1`])).map((w: { status: string }) => w.status),
    }));
    expect(fromA).toEqual({ change: 1, tasks: [b.siteId], work: ['DONE'] });
    const third = person(people.supervisor.id, 'supervisor', [randomUUID()]);
    expect(await asCaller(db, third, (m) => m.query(`SELECT 1 FROM tracked_work_item WHERE work_item_id = $1 UNION ALL SELECT 1 FROM change_task WHERE change_id = $2`, [workAtB, both]))).toEqual([]);
  } finally {
    await db.query(`DELETE FROM tracked_work_item WHERE work_item_id = $1`, [workAtB]);
    await db.query(`DELETE FROM change_task WHERE change_id = $1`, [both]);
    await db.query(`DELETE FROM change_request WHERE id = $1`, [both]);
  }
});

test('known_location (the copy of Work\'s registry): a caller of site A reads and writes site A\'s locations only', async () => {
  const area = randomUUID();
  await db.query(`INSERT INTO known_location (id, kind, site_id, code, name) VALUES ($1, 'SITE', $1, 'A', 'Site A'), ($2, 'SITE', $2, 'B', 'Site B'), ($3, 'AREA', $2, 'B1', 'Area B1')`, [a.siteId, b.siteId, area]);
  try {
    expect(await asCaller(db, atA(), (m) => m.query(`SELECT id FROM known_location`))).toEqual([{ id: a.siteId }]);
    expect((await asCaller(db, people.admin, (m) => m.query(`SELECT id FROM known_location`))).length).toBe(3);
    await expect(asCaller(db, atA(), (m) => m.query(`INSERT INTO known_location (id, kind, site_id, code, name) VALUES ($1, 'AREA', $2, 'x', 'x')`, [randomUUID(), b.siteId]))).rejects.toThrow(/row-level security/);
    expect(await asCaller(db, atA(), (m) => m.query(`DELETE FROM known_location WHERE id = $1`, [area]))).toEqual([[], 0]);
    expect((await db.query(`SELECT count(*)::int AS n FROM known_location`))[0].n).toBe(3);
  } finally {
    await db.query(`DELETE FROM known_location WHERE id = ANY($1)`, [[a.siteId, b.siteId, area]]);
  }
});

test('requests run as the request role: not a superuser, owner of no table, not the owner', async () => {
  const [who] = await asCaller(db, atA(), (m) => m.query(`SELECT current_user AS role, (SELECT rolsuper FROM pg_roles WHERE rolname = current_user) AS superuser, (SELECT rolbypassrls FROM pg_roles WHERE rolname = current_user) AS bypass`));
  expect(who).toEqual({ role: REQUEST_ROLE, superuser: false, bypass: false });
  expect(await db.query(`SELECT tablename FROM pg_tables WHERE tableowner = $1`, [REQUEST_ROLE])).toEqual([]);
  const protectedTables = await db.query(`SELECT relname FROM pg_class WHERE relrowsecurity AND relnamespace = 'public'::regnamespace ORDER BY 1`);
  expect(protectedTables.map((t: { relname: string }) => t.relname)).toEqual(expect.arrayContaining(TABLES));
});

test('writing a site-B row as a caller of site A fails and writes nothing', async () => {
  const counts = async () => Object.fromEntries(await Promise.all(TABLES.map(async (t) => [t, (await db.query(`SELECT count(*)::int AS n FROM ${t}`))[0].n])));
  const before = await counts();
  const attempts: [string, unknown[]][] = [
    [`INSERT INTO change_request (title, description, type, status, reason, site_ids, risk_assessment, risk_rating, requester_id, owner_id, required_approver_roles, version)
      VALUES ('x', 'x', 'PERMANENT', 'DRAFT', 'x', $1, 'x', 'LOW', 'x', 'x', '{SAFETY}', 1)`, [[b.siteId]]],
    [`INSERT INTO change_approval (change_id, role, approver_id, decision, at) VALUES ($1, 'OPERATIONS', 'x', 'APPROVED', now())`, [b.changeId]],
    [`INSERT INTO change_transition (change_id, to_status, actor_id, at) VALUES ($1, 'CANCELLED', 'x', now())`, [b.changeId]],
    [`INSERT INTO change_gate (change_id, work_item_id) VALUES ($1, $2)`, [b.changeId, randomUUID()]],
    [`INSERT INTO change_task (change_id, seq, title, work_type, site_id, request_id, created_by_id, required_outcome) VALUES ($1, 9, 'x', 'MAINTENANCE', $2, $3, 'x', '{"acceptanceCriteria": "x", "evidence": []}')`, [b.changeId, b.siteId, `x:${randomUUID()}`]],
    [`INSERT INTO pre_startup_check (change_id, seq, title, what_changed, permit_required, confirmations, site_id, created_by_id) VALUES ($1, 9, 'x', 'x', false, '{x}', $2, 'x')`, [b.changeId, b.siteId]],
    [`INSERT INTO tracked_work_item (work_item_id, number, work_type, status, site_id, last_event_at) VALUES ($1, 'x', 'MAINTENANCE', 'OPEN', $2, now())`, [randomUUID(), b.siteId]],
    [`INSERT INTO work_contractor (work_item_id, site_id, contractor_company) VALUES ($1, $2, 'Acme')`, [randomUUID(), b.siteId]],
    [`INSERT INTO startup_authorization (change_id, authorized_by_id, authorized_at, note, verified_checks) VALUES ($1, 'x', now(), 'x', '[]')`, [b.otherChangeId]],
    [`INSERT INTO permit_cover (work_item_id, permit_id, permit_number, site_id, issued_at) VALUES ($1, $2, 'x', $3, now())`, [randomUUID(), randomUUID(), b.siteId]],
    // Moving one's own change to the other site only is a write of a site-B row too.
    [`UPDATE change_request SET site_ids = $1 WHERE id = $2`, [[b.siteId], a.changeId]],
    // A part of one's own change cannot be moved onto the other site's change.
    [`UPDATE change_task SET change_id = $1 WHERE change_id = $2`, [b.changeId, a.changeId]],
  ];
  for (const [sql, params] of attempts) {
    await expect(asCaller(db, atA(), (m) => m.query(sql, params))).rejects.toThrow(/row-level security/);
  }
  // A contractor writes no change, not even at their own site.
  await expect(asCaller(db, contractorAtA('Acme'), (m) => m.query(`INSERT INTO change_transition (change_id, to_status, actor_id, at) VALUES ($1, 'CANCELLED', 'x', now())`, [a.otherChangeId]))).rejects.toThrow(/row-level security/);
  // Updates and deletes of site-B rows find nothing to change.
  expect(await asCaller(db, atA(), (m) => m.query(`UPDATE change_request SET title = 'x' WHERE id = $1`, [b.changeId]))).toEqual([[], 0]);
  expect(await asCaller(db, atA(), (m) => m.query(`DELETE FROM change_approval WHERE change_id = $1`, [b.changeId]))).toEqual([[], 0]);
  expect(await counts()).toEqual(before);
  expect((await db.query(`SELECT site_ids FROM change_request WHERE id = $1`, [a.changeId]))[0].site_ids).toEqual([a.siteId]);
});

test('the contractor rule\'s function is the owner\'s, and only the request role may call it', async () => {
  const [fn] = await db.query(
    `SELECT p.prosecdef AS definer, has_function_privilege('public', p.oid, 'EXECUTE') AS public, has_function_privilege($1, p.oid, 'EXECUTE') AS request
       FROM pg_proc p WHERE p.proname = 'change_serves_company_work'`,
    [REQUEST_ROLE],
  );
  expect(fn).toEqual({ definer: true, public: false, request: true });
  // It answers for the caller's own company only (none: false).
  const serves = (caller: Caller, id: string) => asCaller(db, caller, async (m) => (await m.query(`SELECT change_serves_company_work($1) AS yes`, [id]))[0].yes);
  expect(await serves(contractorAtA('Acme'), a.changeId)).toBe(true);
  expect(await serves(contractorAtA('Acme'), a.otherChangeId)).toBe(false);
  expect(await serves(contractorAtA('Bolt'), a.changeId)).toBe(false);
  expect(await serves(atA(), a.changeId)).toBe(false);
});
