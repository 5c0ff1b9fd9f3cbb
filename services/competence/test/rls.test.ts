import { randomUUID } from 'node:crypto';
import { REQUEST_ROLE, type Caller } from '@opsgraph/core';
import { asCaller, knowPlaces, person, testDatabase } from '@opsgraph/testing';
import type { DataSource } from 'typeorm';
import { registerPerson } from '../src/domain/people';
import { qualifiedPeople } from '../src/domain/queries';
import { addRequirement, createQualification } from '../src/domain/qualifications';
import { grantCompetence, revokeCompetence } from '../src/domain/records';
import { service } from '../src/service';

/**
 * Scope by construction in Competence's database: a request's statements run as `opsgraph_request` under
 * row-level security, so even a query with no `WHERE` at all returns only the open work of the caller's sites
 * (for a contractor, of their company) and the competence records of the people the caller may see, and such
 * a row of anyone else cannot be written. People and the qualification catalogue stay readable by every
 * request (see the migration). Rows are written as the owner (the system scope, as the consumer of Work's and
 * Permits' facts does), read back through `asCaller` exactly as a request of that caller would.
 */
let database: Awaited<ReturnType<typeof testDatabase>>;
let db: DataSource;

const GREEN = randomUUID();
const BLUE = randomUUID();
const admin = person('0000000b-0000-4000-8000-0000000000c1', 'administrator', ['*']);
const greenHse = person('0000000b-0000-4000-8000-0000000000c2', ['hse', 'supervisor'], [GREEN]);
const blueHse = person('0000000b-0000-4000-8000-0000000000c3', ['hse', 'supervisor'], [BLUE]);
const everywhere = person('0000000b-0000-4000-8000-0000000000c4', 'read_only', ['*']);
const nowhere = person('0000000b-0000-4000-8000-0000000000c5', 'supervisor', []);

const who = {
  gina: { id: randomUUID(), name: 'Gina Green', company: 'Opsgraph Foods', roles: ['technician'], siteIds: [GREEN] },
  bert: { id: randomUUID(), name: 'Bert Blue', company: 'Opsgraph Foods', roles: ['technician'], siteIds: [BLUE] },
  bea: { id: randomUUID(), name: 'Bea Both', company: 'Opsgraph Foods', roles: ['technician'], siteIds: [GREEN, BLUE] },
  eve: { id: randomUUID(), name: 'Eve Everywhere', company: 'Opsgraph Foods', roles: ['technician'], siteIds: ['*'] },
  alf: { id: randomUUID(), name: 'Alf Acme', company: 'Acme', roles: ['contractor'], siteIds: [GREEN] },
  olga: { id: randomUUID(), name: 'Olga Other', company: 'Other Co', roles: ['contractor'], siteIds: [GREEN] },
};
type Who = keyof typeof who;
const acme = person(who.alf.id, 'contractor', [GREEN], 'Acme');

/** Open work as Work announces it: [site, contractor company, owner]. */
const JOBS = {
  green: [GREEN, null, 'gina'],
  acme: [GREEN, 'Acme', 'alf'],
  other: [GREEN, 'Other Co', 'olga'],
  blue: [BLUE, null, 'bert'],
  beaBlue: [BLUE, null, 'bea'],
} as const;
type Job = keyof typeof JOBS;
const jobIds = Object.fromEntries(Object.keys(JOBS).map((k) => [k, randomUUID()])) as Record<Job, string>;
const jobs = (...names: Job[]) => names.map((n) => jobIds[n]).sort();

const records: Partial<Record<Who, string>> = {};
const recordsOf = (...names: Who[]) => names.map((n) => records[n]!).sort();

const count = async (sql: string, params: unknown[] = []) => (await db.query(`SELECT count(*)::int AS n FROM ${sql}`, params))[0].n as number;
const seen = async (caller: Caller, table: string, key: string): Promise<string[]> =>
  (await asCaller(db, caller, (m) => m.query(`SELECT * FROM ${table}`))).map((r: Record<string, string>) => r[key]).sort();

beforeAll(async () => {
  database = await testDatabase(service);
  db = database.db;
  // Written as the owner (the system scope): people and records through the domain, open work and permit
  // covers as the consumer of Work's and Permits' facts writes them, both sites as Work's registry announced them.
  await knowPlaces(db, { siteId: GREEN }, { siteId: BLUE });
  for (const p of Object.values(who)) await registerPerson(db.manager, admin, p);
  await createQualification(db.manager, admin, { code: 'SCAFF', name: 'Scaffold erection', validityMonths: 24 });
  await createQualification(db.manager, admin, { code: 'HOT', name: 'Hot work', validityMonths: 12 });
  await addRequirement(db.manager, admin, { qualificationCode: 'SCAFF', assetClass: 'scaffold' });
  for (const name of Object.keys(who) as Who[]) {
    records[name] = (await grantCompetence(db.manager, admin, { personId: who[name].id, qualificationCode: 'SCAFF', achievedAt: new Date(Date.now() - 30 * 86_400_000) })).id;
  }
  for (const [name, [siteId, company, owner]] of Object.entries(JOBS) as [Job, (typeof JOBS)[Job]][]) {
    await db.query(`INSERT INTO open_work_item (work_item_id, number, site_id, work_type, asset_class, owner_id, contractor_company) VALUES ($1, $2, $3, 'CONTRACTOR_JOB', 'scaffold', $4, $5)`, [
      jobIds[name],
      `WO-${name}`,
      siteId,
      who[owner].id,
      company,
    ]);
    await db.query(`INSERT INTO work_permit_cover (work_item_id, permit_id, permit_type) VALUES ($1, $2, 'HOT_WORK')`, [jobIds[name], randomUUID()]);
  }
}, 60_000);
afterAll(() => database?.close());

describe('a request reads only its scope', () => {
  test.each([
    ['open_work_item', 'work_item_id'],
    ['work_permit_cover', 'work_item_id'],
  ])('SELECT * FROM %s: the open work of the caller\'s sites, and for a contractor of their company', async (table, key) => {
    expect(await count(table)).toBe(5);
    expect(await seen(greenHse, table, key)).toEqual(jobs('green', 'acme', 'other'));
    expect(await seen(blueHse, table, key)).toEqual(jobs('blue', 'beaBlue'));
    expect(await seen(everywhere, table, key)).toEqual(jobs('green', 'acme', 'other', 'blue', 'beaBlue'));
    expect(await seen(acme, table, key)).toEqual(jobs('acme'));
    expect(await seen(nowhere, table, key)).toEqual([]);
  });

  test('SELECT * FROM competence_record: the records of the people the caller may see (personVisible)', async () => {
    expect(await count('competence_record')).toBe(6);
    // People sharing a site with the caller, and people of every site.
    expect(await seen(greenHse, 'competence_record', 'id')).toEqual(recordsOf('gina', 'bea', 'eve', 'alf', 'olga'));
    expect(await seen(blueHse, 'competence_record', 'id')).toEqual(recordsOf('bert', 'bea', 'eve'));
    expect(await seen(everywhere, 'competence_record', 'id')).toEqual(recordsOf('gina', 'bert', 'bea', 'eve', 'alf', 'olga'));
    // A contractor: their own company's people only.
    expect(await seen(acme, 'competence_record', 'id')).toEqual(recordsOf('alf'));
    // Nobody's site: only the people of every site.
    expect(await seen(nowhere, 'competence_record', 'id')).toEqual(recordsOf('eve'));
  });

  test('people and the qualification catalogue stay readable whatever the scope (unprotected on purpose)', async () => {
    // References to people outside the caller's scope resolve to their id and name (personView).
    expect(await seen(blueHse, 'person', 'id')).toEqual(Object.values(who).map((p) => p.id).sort());
    expect(await seen(acme, 'qualification', 'code')).toEqual(['HOT', 'SCAFF']);
    expect((await seen(acme, 'qualification_requirement', 'value'))).toEqual(['scaffold']);
  });

  test('the request paths give the same answers as before: what the domain filtered, the database now holds back too', async () => {
    const names = async (caller: Caller, job: Job) => (await asCaller(db, caller, (m) => qualifiedPeople(m, caller, jobIds[job]))).map((p) => p.name);
    // Employees of the site (or of every site) holding SCAFF; contractors only for their own company's jobs.
    expect(await names(greenHse, 'green')).toEqual(['Bea Both', 'Eve Everywhere', 'Gina Green']);
    expect(await names(acme, 'acme')).toEqual(['Alf Acme']);
    await expect(names(acme, 'other')).rejects.toMatchObject({ code: 'NOT_FOUND' });
    await expect(names(greenHse, 'blue')).rejects.toMatchObject({ code: 'NOT_FOUND' });
  });
});

describe('a request runs as the request role', () => {
  test('current_user is opsgraph_request: no superuser, no BYPASSRLS, owner of no table', async () => {
    const [me] = await asCaller(db, acme, (m) => m.query(`SELECT current_user AS name, current_setting('opsgraph.sites') AS sites, current_setting('opsgraph.company') AS company`));
    expect(me).toEqual({ name: REQUEST_ROLE, sites: GREEN, company: 'Acme' });
    const [role] = await db.query(`SELECT rolsuper, rolbypassrls FROM pg_roles WHERE rolname = $1`, [REQUEST_ROLE]);
    expect(role).toEqual({ rolsuper: false, rolbypassrls: false });
    expect(await db.query(`SELECT tablename FROM pg_tables WHERE tableowner = $1`, [REQUEST_ROLE])).toEqual([]);
    const owners: { tableowner: string }[] = await db.query(`SELECT DISTINCT tableowner FROM pg_tables WHERE schemaname = 'public'`);
    expect(owners.map((o) => o.tableowner)).not.toContain(REQUEST_ROLE);
  });

  test('the protected tables have row-level security and their scope policy; people and the catalogue none', async () => {
    const rows: { table: string; rls: boolean; policies: string[] }[] = await db.query(
      `SELECT c.relname AS table, c.relrowsecurity AS rls,
              ARRAY(SELECT p.polname::text FROM pg_policy p WHERE p.polrelid = c.oid ORDER BY 1) AS policies
         FROM pg_class c JOIN pg_namespace n ON n.oid = c.relnamespace
        WHERE n.nspname = 'public' AND c.relname = ANY ($1) ORDER BY 1`,
      [['open_work_item', 'work_permit_cover', 'competence_record', 'person', 'qualification', 'qualification_requirement', 'known_location']],
    );
    expect(rows).toEqual([
      { table: 'competence_record', rls: true, policies: ['competence_record_scope'] },
      { table: 'known_location', rls: true, policies: ['known_location_scope'] },
      { table: 'open_work_item', rls: true, policies: ['open_work_item_scope'] },
      { table: 'person', rls: false, policies: [] },
      { table: 'qualification', rls: false, policies: [] },
      { table: 'qualification_requirement', rls: false, policies: [] },
      { table: 'work_permit_cover', rls: true, policies: ['work_permit_cover_scope'] },
    ]);
  });
});

describe('a request writes only its scope', () => {
  const rlsError = /row-level security/;

  test("inserting another site's or another company's open work, a cover of it, or a record of someone out of scope fails and writes nothing", async () => {
    const hot = (await db.query(`SELECT id FROM qualification WHERE code = 'HOT'`))[0].id;
    const attempts: [Caller, string, string, unknown[]][] = [
      [greenHse, 'open_work_item', `INSERT INTO open_work_item (work_item_id, number, site_id, work_type, owner_id) VALUES ($1, 'WO-PLANTED', $2, 'MAINTENANCE', $3)`, [randomUUID(), BLUE, who.gina.id]],
      [acme, 'open_work_item', `INSERT INTO open_work_item (work_item_id, number, site_id, work_type, owner_id, contractor_company) VALUES ($1, 'WO-PLANTED', $2, 'CONTRACTOR_JOB', $3, 'Other Co')`, [randomUUID(), GREEN, who.alf.id]],
      [greenHse, 'work_permit_cover', `INSERT INTO work_permit_cover (work_item_id, permit_id, permit_type) VALUES ($1, $2, 'HOT_WORK')`, [jobIds.blue, randomUUID()]],
      [acme, 'work_permit_cover', `INSERT INTO work_permit_cover (work_item_id, permit_id, permit_type) VALUES ($1, $2, 'HOT_WORK')`, [jobIds.other, randomUUID()]],
      [greenHse, 'competence_record', `INSERT INTO competence_record (person_id, qualification_id, achieved_at, granted_by_id, version) VALUES ($1, $2, now(), 'x', 1)`, [who.bert.id, hot]],
      [acme, 'competence_record', `INSERT INTO competence_record (person_id, qualification_id, achieved_at, granted_by_id, version) VALUES ($1, $2, now(), 'x', 1)`, [who.olga.id, hot]],
    ];
    for (const [caller, table, sql, params] of attempts) {
      const before = await count(table);
      await expect(asCaller(db, caller, (m) => m.query(sql, params))).rejects.toThrow(rlsError);
      expect(await count(table)).toBe(before);
    }
    expect(await count(`competence_record WHERE qualification_id = $1`, [hot])).toBe(0);
  });

  test("rows out of scope cannot be changed or deleted: the statements find nothing", async () => {
    const [, revoked] = await asCaller(db, greenHse, (m) => m.query(`UPDATE competence_record SET revoked_at = now() WHERE person_id = $1`, [who.bert.id]));
    expect(revoked).toBe(0);
    const [, deleted] = await asCaller(db, acme, (m) => m.query(`DELETE FROM open_work_item WHERE work_item_id = $1`, [jobIds.other]));
    expect(deleted).toBe(0);
    const [, uncovered] = await asCaller(db, greenHse, (m) => m.query(`DELETE FROM work_permit_cover WHERE work_item_id = $1`, [jobIds.blue]));
    expect(uncovered).toBe(0);
    expect(await count(`competence_record WHERE revoked_at IS NOT NULL`)).toBe(0);
    expect(await count('open_work_item')).toBe(5);
    expect(await count('work_permit_cover')).toBe(5);
    // Nor moved out of the caller's scope.
    await expect(asCaller(db, greenHse, (m) => m.query(`UPDATE open_work_item SET site_id = $1 WHERE work_item_id = $2`, [BLUE, jobIds.green]))).rejects.toThrow(rlsError);
    await expect(asCaller(db, greenHse, (m) => m.query(`UPDATE competence_record SET person_id = $1 WHERE id = $2`, [who.bert.id, records.gina]))).rejects.toThrow(rlsError);
  });

  test('the domain still writes within its scope through the request role', async () => {
    const granted = await asCaller(db, greenHse, (m) => grantCompetence(m, greenHse, { personId: who.gina.id, qualificationCode: 'HOT', achievedAt: new Date() }));
    expect(await count(`competence_record WHERE id = $1`, [granted.id])).toBe(1);
    // Another site's person is not found by the domain, and the database would refuse the record anyway.
    await expect(asCaller(db, greenHse, (m) => grantCompetence(m, greenHse, { personId: who.bert.id, qualificationCode: 'HOT', achievedAt: new Date() }))).rejects.toMatchObject({ code: 'NOT_FOUND' });
    await expect(asCaller(db, greenHse, (m) => revokeCompetence(m, greenHse, records.bert!, 'x'))).rejects.toMatchObject({ code: 'NOT_FOUND' });
    // Another site is "not found" when given to a person (as a random id is), before anything is written.
    const people = await count('person');
    await expect(asCaller(db, greenHse, (m) => registerPerson(m, greenHse, { id: randomUUID(), name: 'Newcomer', roles: ['operator'], siteIds: [BLUE] }))).rejects.toMatchObject({ code: 'NOT_FOUND' });
    await expect(asCaller(db, greenHse, (m) => registerPerson(m, greenHse, { id: randomUUID(), name: 'Newcomer', roles: ['operator'], siteIds: [GREEN] }))).resolves.toMatchObject({ siteIds: [GREEN] });
    expect(await count('person')).toBe(people + 1);
    expect(await count(`competence_record WHERE person_id = $1`, [who.bert.id])).toBe(1);
  });
});

/**
 * A request's own transaction keeps Work's prerequisites in line with a change of competence at EVERY site:
 * the holder's open work wherever it is (`holdingChanged` from grant/renew/revoke), every open item a new
 * requirement applies to (`reconcileMatching`). A caller of some sites reads only their sites' open work, so
 * these effects run in the system scope (`withSystemScope`), named, inside the request's transaction.
 */
describe("effects beyond the caller's sites run in the system scope", () => {
  type PrerequisiteData = { workItemIds?: string[]; workItemId?: string; siteId?: string };
  const events = async (type: string, since: number): Promise<PrerequisiteData[]> =>
    (await db.query(`SELECT data FROM outbox WHERE type LIKE $1 AND id > $2 ORDER BY id`, [`%.${type}`, since])).map((r: { data: PrerequisiteData }) => r.data);
  const lastEvent = async () => Number((await db.query(`SELECT coalesce(max(id), 0) AS id FROM outbox`))[0].id);

  let reopened: string[] = [];
  let required: (string | undefined)[] = [];

  test("a caller of one site revokes a record of someone of two sites: the work at the caller's site is settled", async () => {
    const since = await lastEvent();
    await asCaller(db, greenHse, (m) => revokeCompetence(m, greenHse, records.bea!, 'Failed the refresher'));
    expect(await count(`competence_record WHERE id = $1 AND revoked_at IS NOT NULL`, [records.bea])).toBe(1);
    reopened = (await events('prerequisite.reopened', since)).flatMap((d) => d.workItemIds ?? []);
    expect(reopened).not.toContain(jobIds.green);
  });

  test("revoking at one site re-opens the holder's prerequisites on their open work at every site", async () => {
    expect(reopened).toContain(jobIds.beaBlue);
  });

  test("a caller of one site adds a requirement: the open work at the caller's site gets it", async () => {
    const since = await lastEvent();
    await asCaller(db, greenHse, (m) => addRequirement(m, greenHse, { qualificationCode: 'HOT', assetClass: 'scaffold' }));
    const raised = await events('prerequisite.required', since);
    required = raised.map((d) => d.workItemId);
    expect(required).toEqual(expect.arrayContaining(jobs('green', 'acme', 'other')));
    // Each names its item's site: Work applies a blocker only to an item of that site.
    const siteOf = Object.fromEntries(Object.entries(JOBS).map(([job, [site]]) => [jobIds[job as Job], site]));
    expect(raised.map((d) => [d.workItemId, d.siteId])).toEqual(raised.map((d) => [d.workItemId, siteOf[d.workItemId!]]));
  });

  test('a requirement added by a caller of one site reaches the open work it applies to at every site', async () => {
    expect(required).toEqual(expect.arrayContaining([jobIds.blue, jobIds.beaBlue]));
  });
});
