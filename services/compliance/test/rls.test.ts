import { randomUUID } from 'node:crypto';
import { REQUEST_ROLE, requirePlace, type Caller } from '@opsgraph/core';
import { asCaller, knowPlaces, person, testDatabase } from '@opsgraph/testing';
import type { DataSource } from 'typeorm';
import { closeAuditFinding, recordAudit, recordAuditFinding } from '../src/domain/audits';
import { complianceStatus } from '../src/domain/status';
import { confirmComplianceCheck, createRequirement, listRequirements, type CreateRequirementInput } from '../src/domain/requirements';
import { service } from '../src/service';
import { vesselInspection } from './fixtures';

/**
 * Scope by construction in Compliance's database: a request's statements run as `opsgraph_request` under
 * row-level security, so even a query with no `WHERE` at all returns only the caller's sites' rows, and a row
 * of another site cannot be written. Rows are written as the owner (the system scope, as the consumer and
 * the obligations rule do), read back through `asCaller` exactly as a request of that caller would.
 */
let database: Awaited<ReturnType<typeof testDatabase>>;
let db: DataSource;

const GREEN = randomUUID();
const BLUE = randomUUID();
const central = person('0000000d-0000-4000-8000-0000000000a1', ['hse', 'auditor'], ['*']);
const greenHse = person('0000000d-0000-4000-8000-0000000000a2', ['hse', 'auditor', 'verifier'], [GREEN]);
const blueHse = person('0000000d-0000-4000-8000-0000000000a3', ['hse', 'auditor', 'verifier'], [BLUE]);
const everywhere = person('0000000d-0000-4000-8000-0000000000a4', 'read_only', ['*']);
const nowhere = person('0000000d-0000-4000-8000-0000000000a5', 'hse', []);

/**
 * Every protected table, with how its rows are told apart and which site each belongs to, as the owner
 * sees them: what a caller should get back is exactly the rows of its sites.
 */
const PROTECTED: Record<string, { key: (row: Record<string, unknown>) => string; sites: string }> = {
  tracked_work_item: { key: (r) => String(r.work_item_id), sites: `SELECT work_item_id::text AS key, ARRAY[site_id] AS sites FROM tracked_work_item` },
  work_performer: {
    key: (r) => `${r.work_item_id}/${r.person_id}`,
    sites: `SELECT wp.work_item_id || '/' || wp.person_id AS key, ARRAY[t.site_id] AS sites FROM work_performer wp JOIN tracked_work_item t USING (work_item_id)`,
  },
  compliance_audit: { key: (r) => String(r.id), sites: `SELECT id::text AS key, ARRAY[site_id] AS sites FROM compliance_audit` },
  audit_finding: { key: (r) => String(r.id), sites: `SELECT id::text AS key, ARRAY[site_id] AS sites FROM audit_finding` },
  compliance_finding_action: {
    key: (r) => String(r.id),
    sites: `SELECT a.id::text AS key, ARRAY[f.site_id] AS sites FROM compliance_finding_action a JOIN audit_finding f ON f.id = a.finding_id`,
  },
  finding_history_entry: { key: (r) => String(r.id), sites: `SELECT id::text AS key, ARRAY[site_id] AS sites FROM finding_history_entry` },
  requirement: { key: (r) => String(r.id), sites: `SELECT id::text AS key, site_ids AS sites FROM requirement` },
  compliance_obligation: { key: (r) => String(r.id), sites: `SELECT id::text AS key, ARRAY[site_id] AS sites FROM compliance_obligation` },
  compliance_check: { key: (r) => String(r.id), sites: `SELECT id::text AS key, ARRAY[site_id] AS sites FROM compliance_check` },
  known_location: { key: (r) => String(r.id), sites: `SELECT id::text AS key, ARRAY[site_id] AS sites FROM known_location` },
};
const TABLES = Object.keys(PROTECTED);

const count = async (sql: string, params: unknown[] = []) => (await db.query(`SELECT count(*)::int AS n FROM ${sql}`, params))[0].n as number;

/** What a deliberately unscoped `SELECT *` returns to the caller, by key. */
async function seen(caller: Caller, table: string): Promise<string[]> {
  const rows: Record<string, unknown>[] = await asCaller(db, caller, (m) => m.query(`SELECT * FROM ${table}`));
  return rows.map(PROTECTED[table].key).sort();
}

/** The rows of the table that belong to one of these sites (all of them for `*`), as the owner sees them. */
async function expected(table: string, sites: string[]): Promise<string[]> {
  const rows: { key: string; sites: string[] }[] = await db.query(PROTECTED[table].sites);
  return rows.filter((r) => sites.includes('*') || r.sites.some((s) => sites.includes(s))).map((r) => r.key).sort();
}

let greenWork: string;
let blueWork: string;
let greenOnly: string;
let blueOnly: string;
let shared: string;
let greenAudit: string;
let blueAudit: string;
let greenFinding: string;
let blueFinding: string;

/** The fixtures' yearly inspection as the domain function takes it. */
const inspection = (siteId: string, input: Record<string, unknown>) => vesselInspection(siteId, [], input) as CreateRequirementInput;

const tracked = (workItemId: string, siteId: string) =>
  db.query(`INSERT INTO tracked_work_item (work_item_id, number, work_type, status, site_id, asset_class, owner_id, last_event_at) VALUES ($1, $2, 'MAINTENANCE', 'OPEN', $3, 'pressure_vessel', $4, now())`, [
    workItemId,
    `WO-${workItemId.slice(0, 6)}`,
    siteId,
    randomUUID(),
  ]);

beforeAll(async () => {
  database = await testDatabase(service);
  db = database.db;
  // Both sites as Work's registry announced them: the domain checks every site it is given against it.
  await knowPlaces(db, { siteId: GREEN }, { siteId: BLUE });
  // Written as the owner (the system scope), as the consumer of Work's events and the obligations rule do.
  [greenWork, blueWork] = [randomUUID(), randomUUID()];
  await tracked(greenWork, GREEN);
  await tracked(blueWork, BLUE);
  await db.query(`INSERT INTO work_performer (work_item_id, person_id) VALUES ($1, 'green-fitter'), ($2, 'blue-fitter')`, [greenWork, blueWork]);
  const requirement = async (title: string, siteIds: string[]) =>
    (await createRequirement(db.manager, central, inspection(siteIds[0], { title, siteIds, assetClasses: [], workCheck: `${title}: certificate in date` }))).id;
  // Each raises an occurrence per site and a check on the open work at its sites.
  greenOnly = await requirement('Green boiler', [GREEN]);
  blueOnly = await requirement('Blue boiler', [BLUE]);
  shared = await requirement('Fire risk review', [GREEN, BLUE]);
  const audit = async (siteId: string) => (await recordAudit(db.manager, central, { title: 'Audit', siteId, scope: 'Pressure systems', auditDate: new Date() })).id;
  [greenAudit, blueAudit] = [await audit(GREEN), await audit(BLUE)];
  const finding = async (auditId: string, requirementId: string) =>
    (await recordAuditFinding(db.manager, central, { auditId, severity: 'MAJOR', requirementId, description: 'Valve past its test date', correctiveActions: [{ title: 'Test the valve' }] })).id;
  greenFinding = await finding(greenAudit, greenOnly);
  blueFinding = await finding(blueAudit, blueOnly);
}, 60_000);
afterAll(() => database?.close());

describe('a request reads only its sites', () => {
  test.each(TABLES)('SELECT * FROM %s: a green caller gets green rows only, an all-sites caller every row', async (table) => {
    // The owner's view holds rows of both sites in every table, so the checks below can tell.
    const all = await expected(table, ['*']);
    expect((await expected(table, [GREEN])).length).toBeGreaterThan(0);
    expect((await expected(table, [BLUE])).length).toBeGreaterThan(0);
    expect(await seen(greenHse, table)).toEqual(await expected(table, [GREEN]));
    expect(await seen(blueHse, table)).toEqual(await expected(table, [BLUE]));
    expect(await seen(everywhere, table)).toEqual(all);
    expect(await seen(central, table)).toEqual(all);
    expect(await seen(nowhere, table)).toEqual([]);
    expect(await seen(greenHse, table)).not.toEqual(all);
  });

  test('a requirement of two sites is visible at both; its occurrences and checks only at their own site', async () => {
    for (const [caller, site, other] of [[greenHse, GREEN, BLUE], [blueHse, BLUE, GREEN]] as const) {
      expect(await seen(caller, 'requirement')).toContain(shared);
      const rows: { site_id: string }[] = await asCaller(db, caller, (m) => m.query(`SELECT site_id FROM compliance_obligation WHERE requirement_id = $1 UNION ALL SELECT site_id FROM compliance_check WHERE requirement_id = $1`, [shared]));
      expect(rows.length).toBe(2);
      expect(rows.every((r) => r.site_id === site)).toBe(true);
      expect(rows.some((r) => r.site_id === other)).toBe(false);
    }
    expect(await count(`compliance_obligation WHERE requirement_id = $1`, [shared])).toBe(2);
    expect(await count(`compliance_check WHERE requirement_id = $1`, [shared])).toBe(2);
  });

  test('the request paths give the same answers as before: what the domain filtered, the database now holds back too', async () => {
    const listed = await asCaller(db, greenHse, (m) => listRequirements(m, greenHse));
    expect(listed.map((r) => r.id).sort()).toEqual([greenOnly, shared].sort());
    const status = await asCaller(db, greenHse, (m) => complianceStatus(m, greenHse, GREEN));
    expect(status.requirements.map((r) => r.requirement.id).sort()).toEqual([greenOnly, shared].sort());
    expect(status.requirements.flatMap((r) => r.obligations.map((o) => o.siteId))).toEqual([GREEN, GREEN]);
    // Another site's finding is simply not there for a resolver, whatever its own check.
    expect(await asCaller(db, greenHse, (m) => m.query(`SELECT id FROM audit_finding WHERE id = $1`, [blueFinding]))).toEqual([]);
  });
});

describe('a request runs as the request role', () => {
  test('current_user is opsgraph_request: no superuser, no BYPASSRLS, owner of no table', async () => {
    const [who] = await asCaller(db, greenHse, (m) => m.query(`SELECT current_user AS name, current_setting('opsgraph.sites') AS sites, current_setting('opsgraph.company') AS company`));
    expect(who).toEqual({ name: REQUEST_ROLE, sites: GREEN, company: '' });
    const [role] = await db.query(`SELECT rolsuper, rolbypassrls FROM pg_roles WHERE rolname = $1`, [REQUEST_ROLE]);
    expect(role).toEqual({ rolsuper: false, rolbypassrls: false });
    expect(await db.query(`SELECT tablename FROM pg_tables WHERE tableowner = $1`, [REQUEST_ROLE])).toEqual([]);
    const owners: { tableowner: string }[] = await db.query(`SELECT DISTINCT tableowner FROM pg_tables WHERE schemaname = 'public'`);
    expect(owners.map((o) => o.tableowner)).not.toContain(REQUEST_ROLE);
  });

  test('every protected table has row-level security and its scope policy for the request role', async () => {
    const rows: { table: string; rls: boolean; policy: string | null }[] = await db.query(
      `SELECT c.relname AS table, c.relrowsecurity AS rls,
              (SELECT p.polname FROM pg_policy p WHERE p.polrelid = c.oid AND (SELECT oid FROM pg_roles WHERE rolname = $1) = ANY (p.polroles)) AS policy
         FROM pg_class c JOIN pg_namespace n ON n.oid = c.relnamespace WHERE n.nspname = 'public' AND c.relname = ANY ($2) ORDER BY 1`,
      [REQUEST_ROLE, TABLES],
    );
    expect(rows).toEqual([...TABLES].sort().map((table) => ({ table, rls: true, policy: `${table}_scope` })));
  });
});

describe('a request writes only its sites', () => {
  const rlsError = /row-level security/;

  test('inserting a row of another site, or under another site\'s row, fails and writes nothing', async () => {
    const attempts: [string, string, unknown[]][] = [
      ['tracked_work_item', `INSERT INTO tracked_work_item (work_item_id, number, work_type, status, site_id, last_event_at) VALUES ($1, 'WO-PLANTED', 'MAINTENANCE', 'OPEN', $2, now())`, [randomUUID(), BLUE]],
      ['work_performer', `INSERT INTO work_performer (work_item_id, person_id) VALUES ($1, 'planted')`, [blueWork]],
      ['compliance_audit', `INSERT INTO compliance_audit (title, site_id, scope, audit_date, auditor_id, created_by_id) VALUES ('planted', $1, 'x', now(), 'x', 'x')`, [BLUE]],
      ['audit_finding', `INSERT INTO audit_finding (audit_id, seq, severity, site_id, description, status, created_by_id) VALUES ($1, 99, 'MINOR', $2, 'planted', 'OPEN', 'x')`, [blueAudit, BLUE]],
      ['compliance_finding_action', `INSERT INTO compliance_finding_action (finding_id, seq, title, request_id, created_by_id) VALUES ($1, 99, 'planted', 'planted', 'x')`, [blueFinding]],
      ['requirement', `INSERT INTO requirement (reference, title, text, source, site_ids, acceptance_criteria, created_by_id) VALUES ('planted', 'planted', 'x', 'INTERNAL', $1, 'x', 'x')`, [[BLUE]]],
      // A requirement of the caller's site and another: all its sites must be the caller's, as the domain asks.
      ['requirement', `INSERT INTO requirement (reference, title, text, source, site_ids, acceptance_criteria, created_by_id) VALUES ('planted', 'planted', 'x', 'INTERNAL', $1, 'x', 'x')`, [[GREEN, BLUE]]],
      ['compliance_obligation', `INSERT INTO compliance_obligation (requirement_id, target_kind, site_id, due_at, status) VALUES ($1, 'SITE', $2, now(), 'OPEN')`, [shared, BLUE]],
      ['compliance_check', `INSERT INTO compliance_check (requirement_id, work_item_id, site_id, status) VALUES ($1, $2, $3, 'OPEN')`, [shared, randomUUID(), BLUE]],
      ['known_location', `INSERT INTO known_location (id, kind, site_id, code, name) VALUES ($1, 'AREA', $2, 'X', 'planted')`, [randomUUID(), BLUE]],
    ];
    for (const [table, sql, params] of attempts) {
      const before = await count(table);
      await expect(asCaller(db, greenHse, (m) => m.query(sql, params))).rejects.toThrow(rlsError);
      expect(await count(table)).toBe(before);
    }
    expect(await count(`requirement WHERE reference = 'planted'`)).toBe(0);
  });

  test("another site's rows cannot be changed or deleted: the statements find nothing", async () => {
    for (const [table, key, id] of [['requirement', 'id', blueOnly], ['audit_finding', 'id', blueFinding], ['tracked_work_item', 'work_item_id', blueWork]] as const) {
      const [, deleted] = await asCaller(db, greenHse, (m) => m.query(`DELETE FROM ${table} WHERE ${key} = $1`, [id]));
      expect(deleted).toBe(0);
      expect(await count(`${table} WHERE ${key} = $1`, [id])).toBe(1);
    }
    // An unscoped UPDATE touches the caller's rows only: green's occurrences of the green and the shared requirement.
    const [, updated] = await asCaller(db, greenHse, (m) => m.query(`UPDATE compliance_obligation SET attempt = attempt`));
    expect(updated).toBe(await count(`compliance_obligation WHERE site_id = $1`, [GREEN]));
    expect(updated).toBe(2);
    const [, actions] = await asCaller(db, greenHse, (m) => m.query(`UPDATE compliance_finding_action SET title = title`));
    expect(actions).toBe(1);
    expect(await count('compliance_finding_action')).toBe(2);
  });

  test('a row cannot be moved to another site', async () => {
    for (const [table, key, id] of [['compliance_audit', 'id', greenAudit], ['compliance_check', 'requirement_id', greenOnly]] as const) {
      await expect(asCaller(db, greenHse, (m) => m.query(`UPDATE ${table} SET site_id = $1 WHERE ${key} = $2`, [BLUE, id]))).rejects.toThrow(rlsError);
      expect(await count(`${table} WHERE ${key} = $1 AND site_id = $2`, [id, GREEN])).toBe(1);
    }
    await expect(asCaller(db, greenHse, (m) => m.query(`UPDATE requirement SET site_ids = $1 WHERE id = $2`, [[GREEN, BLUE], greenOnly]))).rejects.toThrow(rlsError);
  });

  test('the domain still writes at its own site through the request role', async () => {
    const requirement = await asCaller(db, greenHse, (m) =>
      createRequirement(m, greenHse, inspection(GREEN, { title: 'Green compressor', assetClasses: [], workCheck: 'Compressor certificate' })),
    );
    expect(await count(`compliance_obligation WHERE requirement_id = $1 AND site_id = $2`, [requirement.id, GREEN])).toBe(1);
    expect(await count(`compliance_check WHERE requirement_id = $1 AND work_item_id = $2`, [requirement.id, greenWork])).toBe(1);
    // Confirming reads the work's owner and performers (separation of duties) through the same policies.
    const check = await asCaller(db, greenHse, (m) => confirmComplianceCheck(m, greenHse, requirement.id, greenWork, 'Certificate seen'));
    expect(check.status).toBe('CONFIRMED');
    await expect(asCaller(db, greenHse, (m) => confirmComplianceCheck(m, greenHse, blueOnly, blueWork))).rejects.toMatchObject({ code: 'NOT_FOUND' });
    // Closing reads the finding's actions and their work: still refused for its open action, not for scope.
    await expect(asCaller(db, greenHse, (m) => closeAuditFinding(m, greenHse, greenFinding))).rejects.toMatchObject({ code: 'PREREQUISITES_OPEN' });
    await expect(asCaller(db, greenHse, (m) => closeAuditFinding(m, greenHse, blueFinding))).rejects.toMatchObject({ code: 'NOT_FOUND' });
    // Another site is "not found" (as a random id) by the domain before any statement, and the registry's
    // policy would hide it anyway.
    await expect(asCaller(db, greenHse, (m) => recordAudit(m, greenHse, { title: 'x', siteId: BLUE, scope: 'x', auditDate: new Date() }))).rejects.toMatchObject({ code: 'NOT_FOUND' });
    await expect(asCaller(db, central, (m) => requirePlace(m, { siteId: BLUE }))).resolves.toMatchObject({ siteId: BLUE });
    await expect(asCaller(db, greenHse, (m) => requirePlace(m, { siteId: BLUE }))).rejects.toMatchObject({ code: 'NOT_FOUND' });
  });
});
