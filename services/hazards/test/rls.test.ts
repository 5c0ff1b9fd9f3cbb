import { randomUUID } from 'node:crypto';
import { REQUEST_ROLE } from '@opsgraph/core';
import { asCaller, people, person, testDatabase } from '@opsgraph/testing';
import type { DataSource, EntityManager } from 'typeorm';
import { service } from '../src/service';

/**
 * Scope by construction, in the database: rows of two sites written as the owner, then read with deliberately
 * unscoped statements through a request's own connection (`asCaller`). Whatever the query forgets, a caller
 * of site A gets site A's rows only, of every protected table; a caller of every site gets them all; a write
 * of a site-B row from site A is refused and leaves nothing behind.
 */
let database: Awaited<ReturnType<typeof testDatabase>>;
let db: DataSource;

interface Site {
  siteId: string;
  assetId: string;
  hazardId: string;
  workItemId: string;
  assessmentId: string;
  jobHazardId: string;
  incidentId: string;
}

/** Every protected table, and how a row `r` of it tells its site (its own column, or its parent's). */
const SITE_OF: Record<string, string> = {
  hazard: 'r.site_id',
  hazard_control: '(SELECT h.site_id FROM hazard h WHERE h.id = r.hazard_id)',
  job_risk_assessment: 'r.site_id',
  job_hazard: '(SELECT a.site_id FROM job_risk_assessment a WHERE a.id = r.assessment_id)',
  job_hazard_control: '(SELECT a.site_id FROM job_risk_assessment a WHERE a.id = r.assessment_id)',
  incident: 'r.site_id',
  incident_action: '(SELECT i.site_id FROM incident i WHERE i.id = r.incident_id)',
  incident_history_entry: 'r.site_id',
  tracked_work_item: 'r.site_id',
  work_performer: '(SELECT t.site_id FROM tracked_work_item t WHERE t.work_item_id = r.work_item_id)',
  known_location: 'r.site_id',
};
/** The column that tells rows apart, where it is not `id`. */
const KEY: Record<string, string> = { tracked_work_item: 'work_item_id', work_performer: 'work_item_id' };
const TABLES = Object.keys(SITE_OF);

/** One site's worth of rows in every protected table, written as the owner. */
async function seed(manager: EntityManager): Promise<Site> {
  const s: Site = { siteId: randomUUID(), assetId: randomUUID(), hazardId: randomUUID(), workItemId: randomUUID(), assessmentId: randomUUID(), jobHazardId: randomUUID(), incidentId: randomUUID() };
  const q = (sql: string, params: unknown[]) => manager.query(sql, params);
  await q(`INSERT INTO known_location (id, kind, site_id, code, name) VALUES ($1, 'SITE', $1, 'S', 'Site'), ($2, 'ASSET', $1, 'A', 'Asset')`, [s.siteId, s.assetId]);
  await q(`INSERT INTO hazard (id, site_id, asset_id, title, likelihood, severity, risk_rating, residual_likelihood, residual_severity, residual_rating, created_by_id, version)
           VALUES ($1, $2, $3, 'Steam', 3, 4, 12, 1, 4, 4, $4, 1)`, [s.hazardId, s.siteId, s.assetId, people.admin.id]);
  await q(`INSERT INTO hazard_control (hazard_id, kind, description, position) VALUES ($1, 'ISOLATION', 'isolate', 0)`, [s.hazardId]);
  await q(`INSERT INTO tracked_work_item (work_item_id, number, work_type, status, site_id, asset_id, last_event_at) VALUES ($1, 'TST-1', 'MAINTENANCE', 'OPEN', $2, $3, now())`, [s.workItemId, s.siteId, s.assetId]);
  await q(`INSERT INTO work_performer (work_item_id, person_id) VALUES ($1, $2)`, [s.workItemId, people.technician.id]);
  await q(`INSERT INTO job_risk_assessment (id, work_item_id, site_id, assessed_by_id) VALUES ($1, $2, $3, $4)`, [s.assessmentId, s.workItemId, s.siteId, people.supervisor.id]);
  await q(`INSERT INTO job_hazard (id, assessment_id, work_item_id, hazard_id, position) VALUES ($1, $2, $3, $4, 0)`, [s.jobHazardId, s.assessmentId, s.workItemId, s.hazardId]);
  await q(`INSERT INTO job_hazard_control (assessment_id, job_hazard_id, work_item_id, hazard_id, kind, description, position, state) VALUES ($1, $2, $3, $4, 'PPE', 'visor', 0, 'REQUIRED')`, [s.assessmentId, s.jobHazardId, s.workItemId, s.hazardId]);
  await q(`INSERT INTO incident (id, type, severity, status, occurred_at, site_id, title, description, reporter_id, version) VALUES ($1, 'SPILL', 'LOW', 'REPORTED', now(), $2, 'Spill', 'd', $3, 1)`, [s.incidentId, s.siteId, people.operator.id]);
  await q(`INSERT INTO incident_action (incident_id, number, kind, title, owner_id, request_id, created_by_id) VALUES ($1, 1, 'CORRECTIVE', 'Fix', $2, $3, $4)`, [s.incidentId, people.technician.id, `incident:${s.incidentId}:action:1`, people.supervisor.id]);
  await q(`INSERT INTO incident_history_entry (incident_id, site_id, action, to_status, actor_id) VALUES ($1, $2, 'REPORTED', 'REPORTED', $3)`, [s.incidentId, s.siteId, people.operator.id]);
  return s;
}

/** The sites of the rows of `table` the manager sees by an unscoped `SELECT *` (each row's site read as the owner). */
async function sitesSeen(manager: EntityManager, table: string): Promise<string[]> {
  const key = KEY[table] ?? 'id';
  const rows: Record<string, string>[] = await manager.query(`SELECT * FROM ${table}`);
  const sites: { key: string; site: string }[] = await db.query(`SELECT r.${key} AS key, ${SITE_OF[table]} AS site FROM ${table} r WHERE r.${key} = ANY($1)`, [rows.map((r) => r[key])]);
  return rows.map((row) => sites.find((s) => s.key === row[key])!.site);
}

let a: Site;
let b: Site;
const atA = () => person(people.supervisor.id, 'hse', [a.siteId]);

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
  expect(await asCaller(db, people.admin, async (m) => (await m.query(`SELECT * FROM ${table}`)).length)).toBe(count);
  expect(new Set(await asCaller(db, people.admin, (m) => sitesSeen(m, table)))).toEqual(new Set([a.siteId, b.siteId]));
  // A caller of no site sees nothing.
  expect(await asCaller(db, person(people.operator.id, 'operator', []), (m) => m.query(`SELECT * FROM ${table}`))).toEqual([]);
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
    [`INSERT INTO hazard (site_id, title, likelihood, severity, risk_rating, residual_likelihood, residual_severity, residual_rating, created_by_id, version) VALUES ($1, 'x', 1, 1, 1, 1, 1, 1, 'x', 1)`, [b.siteId]],
    [`INSERT INTO hazard_control (hazard_id, kind, description, position) VALUES ($1, 'PPE', 'x', 9)`, [b.hazardId]],
    [`INSERT INTO job_risk_assessment (work_item_id, site_id, assessed_by_id) VALUES ($1, $2, 'x')`, [randomUUID(), b.siteId]],
    [`INSERT INTO job_hazard (assessment_id, work_item_id, hazard_id, position) VALUES ($1, $2, $3, 9)`, [b.assessmentId, b.workItemId, b.hazardId]],
    [`INSERT INTO job_hazard_control (assessment_id, job_hazard_id, work_item_id, hazard_id, kind, description, position, state) VALUES ($1, $2, $3, $4, 'PPE', 'x', 9, 'REQUIRED')`, [b.assessmentId, b.jobHazardId, b.workItemId, b.hazardId]],
    [`INSERT INTO incident (type, severity, status, occurred_at, site_id, title, description, reporter_id, version) VALUES ('SPILL', 'LOW', 'REPORTED', now(), $1, 'x', 'x', 'x', 1)`, [b.siteId]],
    [`INSERT INTO incident_action (incident_id, number, kind, title, owner_id, request_id, created_by_id) VALUES ($1, 9, 'CORRECTIVE', 'x', $2, $3, 'x')`, [b.incidentId, people.technician.id, `x:${randomUUID()}`]],
    [`INSERT INTO tracked_work_item (work_item_id, number, work_type, status, site_id, last_event_at) VALUES ($1, 'x', 'MAINTENANCE', 'OPEN', $2, now())`, [randomUUID(), b.siteId]],
    [`INSERT INTO work_performer (work_item_id, person_id) VALUES ($1, 'x')`, [b.workItemId]],
    [`INSERT INTO known_location (id, kind, site_id, code, name) VALUES ($1, 'AREA', $2, 'x', 'x')`, [randomUUID(), b.siteId]],
    // Moving one's own row to the other site is a write of a site-B row too.
    [`UPDATE hazard SET site_id = $1 WHERE id = $2`, [b.siteId, a.hazardId]],
    [`UPDATE incident SET site_id = $1 WHERE id = $2`, [b.siteId, a.incidentId]],
  ];
  for (const [sql, params] of attempts) {
    await expect(asCaller(db, atA(), (m) => m.query(sql, params))).rejects.toThrow(/row-level security/);
  }
  // Updates and deletes of site-B rows find nothing to change.
  expect(await asCaller(db, atA(), (m) => m.query(`UPDATE hazard SET title = 'x' WHERE id = $1`, [b.hazardId]))).toEqual([[], 0]);
  expect(await asCaller(db, atA(), (m) => m.query(`DELETE FROM incident WHERE id = $1`, [b.incidentId]))).toEqual([[], 0]);
  expect(await counts()).toEqual(before);
  expect((await db.query(`SELECT site_id, title FROM hazard WHERE id = ANY($1) ORDER BY site_id = $2`, [[a.hazardId, b.hazardId], a.siteId])).map((h: { title: string }) => h.title)).toEqual(['Steam', 'Steam']);
});
