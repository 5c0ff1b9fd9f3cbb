import { randomUUID } from 'node:crypto';
import { REQUEST_ROLE, type Caller } from '@opsgraph/core';
import { asCaller, knowPlaces, person, testDatabase } from '@opsgraph/testing';
import type { DataSource } from 'typeorm';
import { recordGasTest } from '../src/domain/gas-tests';
import { createPermit, requestPermit } from '../src/domain/permits';
import { getPermit, listPermits } from '../src/domain/queries';
import type { Permit } from '../src/entities';
import { service } from '../src/service';

/**
 * Scope by construction in Permits' database: a request's statements run as `opsgraph_request` under
 * row-level security, so even a query with no `WHERE` at all returns only the caller's sites' permits and
 * what hangs off them, and a row of another site cannot be written. Rows are written as the owner (the
 * system scope), read back through `asCaller` exactly as a request of that caller would.
 */
let database: Awaited<ReturnType<typeof testDatabase>>;
let db: DataSource;

const GREEN = randomUUID();
const BLUE = randomUUID();
/** An asset of each site, known to Permits (as Work's registry events would have told it). */
const ASSET = { [GREEN]: randomUUID(), [BLUE]: randomUUID() };
const greenSupervisor = person('0000000e-0000-4000-8000-0000000000f1', ['supervisor', 'hse', 'technician'], [GREEN]);
const blueSupervisor = person('0000000e-0000-4000-8000-0000000000f2', ['supervisor', 'hse', 'technician'], [BLUE]);
const acme = person('0000000e-0000-4000-8000-0000000000f3', 'contractor', [GREEN], 'Acme');
const otherCo = person('0000000e-0000-4000-8000-0000000000f4', 'contractor', [GREEN], 'Other Co');
const everywhere = person('0000000e-0000-4000-8000-0000000000f5', 'auditor', ['*']);

/** The protected tables, each with how a row names its permit. */
const PROTECTED = { permit: 'id', permit_transition: 'permit_id', isolation: 'permit_id', gas_test: 'permit_id' } as const;

const validTo = () => new Date(Date.now() + 8 * 3600_000);
const newPermit = (caller: Caller, siteId: string, siteCode: string | null, description: string) =>
  createPermit(db.manager, caller, {
    type: 'CONFINED_SPACE',
    description,
    siteId,
    siteCode,
    validTo: validTo(),
    isolations: [{ assetId: ASSET[siteId], point: 'MCC-3 breaker 12', method: 'ELECTRICAL_LOCKOUT' }],
  });

let green: Permit;
let blue: Permit;
let acmePermit: Permit;
let otherCoPermit: Permit;
let greenItem: string;
let blueItem: string;
let acmeItem: string;
let otherCoItem: string;

beforeAll(async () => {
  database = await testDatabase(service);
  db = database.db;
  await knowPlaces(db, { siteId: GREEN, assetId: ASSET[GREEN] }, { siteId: BLUE, assetId: ASSET[BLUE] });
  // Written as the owner (the system scope), as consumers and schedulers do; the callers only name who did it.
  green = await newPermit(greenSupervisor, GREEN, 'RGR', 'Green: weld bracket');
  blue = await newPermit(blueSupervisor, BLUE, 'RBL', 'Blue secret: replace the flare knockout drum');
  acmePermit = await newPermit(acme, GREEN, null, 'Acme: scaffold');
  otherCoPermit = await newPermit(otherCo, GREEN, null, 'Other Co: paint');
  for (const [permit, caller] of [[green, greenSupervisor], [blue, blueSupervisor], [acmePermit, greenSupervisor], [otherCoPermit, greenSupervisor]] as const) {
    await recordGasTest(db.manager, caller, permit.id, { o2: 20.9, lel: 0, h2s: 0, co: 0 });
  }
  await requestPermit(db.manager, blueSupervisor, blue.id);
  // What Permits knows of Work's items (the consumer writes it, as the owner).
  [greenItem, blueItem, acmeItem, otherCoItem] = [randomUUID(), randomUUID(), randomUUID(), randomUUID()];
  await db.query(`INSERT INTO known_work_item (work_item_id, site_id, contractor_company) VALUES ($1, $4, NULL), ($2, $5, NULL), ($3, $4, 'Acme'), ($6, $4, 'Other Co')`, [
    greenItem, blueItem, acmeItem, GREEN, BLUE, otherCoItem,
  ]);
}, 60_000);
afterAll(() => database?.close());

/** The permit ids of the rows a deliberately unscoped `SELECT *` returns to the caller. */
async function seen(caller: Caller, table: keyof typeof PROTECTED): Promise<string[]> {
  const rows: Record<string, string>[] = await asCaller(db, caller, (m) => m.query(`SELECT * FROM ${table}`));
  return [...new Set(rows.map((r) => r[PROTECTED[table]]))].sort();
}
const ids = (...permits: Permit[]) => permits.map((p) => p.id).sort();
const count = async (sql: string, params: unknown[] = []) => (await db.query(`SELECT count(*)::int AS n FROM ${sql}`, params))[0].n as number;

describe('a request reads only its sites', () => {
  test.each(Object.keys(PROTECTED) as (keyof typeof PROTECTED)[])('SELECT * FROM %s: a green caller gets green rows only, an all-sites caller every row', async (table) => {
    // Every permit has rows in every table, so the owner's view holds all four.
    expect(await count(table === 'permit' ? 'permit' : `(SELECT DISTINCT permit_id FROM ${table}) t`)).toBe(4);
    expect(await seen(greenSupervisor, table)).toEqual(ids(green, acmePermit, otherCoPermit));
    expect(await seen(blueSupervisor, table)).toEqual(ids(blue));
    expect(await seen(everywhere, table)).toEqual(ids(green, blue, acmePermit, otherCoPermit));
    expect(await seen(person('0000000e-0000-4000-8000-0000000000f6', 'supervisor', []), table)).toEqual([]);
  });

  test("SELECT * FROM permit_site: each caller gets their own sites' numbering", async () => {
    const sites = async (caller: Caller) => (await asCaller(db, caller, (m) => m.query(`SELECT * FROM permit_site`))).map((r: { code: string }) => r.code).sort();
    expect(await sites(greenSupervisor)).toEqual(['RGR']);
    expect(await sites(blueSupervisor)).toEqual(['RBL']);
    expect(await sites(everywhere)).toEqual(['RBL', 'RGR']);
  });

  test('contractors: the database bounds their site; which permits of it are theirs (asked for or accepted) stays the domain rule', async () => {
    // The permits' contractor boundary is a person's (requester, performing authority), not a company's column:
    // the session carries no caller id, so at the database a contractor of green sees green's permits...
    expect(await seen(acme, 'permit')).toEqual(ids(green, acmePermit, otherCoPermit));
    expect(await seen(acme, 'gas_test')).not.toContain(blue.id);
    // ...and every request path still narrows it to their own, with the same statements a resolver sends.
    const listed = await asCaller(db, acme, (m) => listPermits(m, acme, {}, 50));
    expect(listed.edges.map((e) => e.node.id)).toEqual([acmePermit.id]);
    expect(listed.totalCount).toBe(1);
    await expect(asCaller(db, acme, (m) => getPermit(m, acme, otherCoPermit.id))).rejects.toMatchObject({ code: 'NOT_FOUND' });
    await expect(asCaller(db, otherCo, (m) => getPermit(m, otherCo, acmePermit.id))).rejects.toMatchObject({ code: 'NOT_FOUND' });
    expect((await asCaller(db, otherCo, (m) => getPermit(m, otherCo, otherCoPermit.id))).id).toBe(otherCoPermit.id);
    // Another site's permit is simply not there for a resolver, whatever its own check.
    expect(await asCaller(db, greenSupervisor, (m) => m.query(`SELECT id FROM permit WHERE id = $1`, [blue.id]))).toEqual([]);
  });
});

describe('a request runs as the request role', () => {
  test('current_user is opsgraph_request: no superuser, no BYPASSRLS, owner of no table', async () => {
    const [who] = await asCaller(db, greenSupervisor, (m) => m.query(`SELECT current_user AS name, current_setting('opsgraph.sites') AS sites`));
    expect(who).toEqual({ name: REQUEST_ROLE, sites: GREEN });
    const [role] = await db.query(`SELECT rolsuper, rolbypassrls FROM pg_roles WHERE rolname = $1`, [REQUEST_ROLE]);
    expect(role).toEqual({ rolsuper: false, rolbypassrls: false });
    expect(await db.query(`SELECT tablename FROM pg_tables WHERE tableowner = $1`, [REQUEST_ROLE])).toEqual([]);
    // The tables' owner is who the background work runs as: a different role.
    const owners: { tableowner: string }[] = await db.query(`SELECT DISTINCT tableowner FROM pg_tables WHERE schemaname = 'public'`);
    expect(owners.map((o) => o.tableowner)).not.toContain(REQUEST_ROLE);
  });
});

describe('a request writes only its sites', () => {
  const rlsError = /row-level security/;

  test("inserting a permit of another site fails and writes nothing", async () => {
    const before = await count('permit');
    await expect(
      asCaller(db, greenSupervisor, (m) =>
        m.query(`INSERT INTO permit (number, type, status, description, site_id, requester_id, valid_from, valid_to, version) VALUES ('PTW-RBL-9999', 'HOT_WORK', 'DRAFT', 'planted', $1, $2, now(), now() + interval '1 hour', 1)`, [BLUE, greenSupervisor.id]),
      ),
    ).rejects.toThrow(rlsError);
    expect(await count('permit')).toBe(before);
    expect(await count(`permit WHERE number = 'PTW-RBL-9999'`)).toBe(0);
  });

  test("inserting under another site's permit (history, isolation, gas test) or its numbering fails and writes nothing", async () => {
    const attempts = [
      [`permit_transition`, `INSERT INTO permit_transition (permit_id, from_status, to_status, actor_id, at) VALUES ($1, 'REQUESTED', 'CANCELLED', 'x', now())`, [blue.id]],
      [`isolation`, `INSERT INTO isolation (permit_id, asset_id, point, method) VALUES ($1, $2, 'planted', 'ELECTRICAL_LOCKOUT')`, [blue.id, randomUUID()]],
      [`gas_test`, `INSERT INTO gas_test (permit_id, o2, lel, h2s, co, limits, within_limits, tested_by_id, tested_at, expires_at) VALUES ($1, 20.9, 0, 0, 0, '{}', true, 'x', now(), now() + interval '1 hour')`, [blue.id]],
      [`permit_site`, `INSERT INTO permit_site (site_id, code, last_number) VALUES ($1, 'PLANT', 0)`, [randomUUID()]],
    ] as const;
    for (const [table, sql, params] of attempts) {
      const before = await count(table);
      await expect(asCaller(db, greenSupervisor, (m) => m.query(sql, [...params]))).rejects.toThrow(rlsError);
      expect(await count(table)).toBe(before);
    }
  });

  test("another site's rows cannot be changed or deleted: the statements find nothing", async () => {
    const [, updated] = await asCaller(db, greenSupervisor, (m) => m.query(`UPDATE permit SET description = 'changed' WHERE id = $1`, [blue.id]));
    expect(updated).toBe(0);
    const [, deleted] = await asCaller(db, greenSupervisor, (m) => m.query(`DELETE FROM gas_test WHERE permit_id = $1`, [blue.id]));
    expect(deleted).toBe(0);
    const [, numberings] = await asCaller(db, greenSupervisor, (m) => m.query(`UPDATE permit_site SET last_number = last_number`));
    expect(numberings).toBe(1); // its own site's only
    const [, blueNumbering] = await asCaller(db, greenSupervisor, (m) => m.query(`UPDATE permit_site SET last_number = 0 WHERE code = 'RBL'`));
    expect(blueNumbering).toBe(0);
    expect((await db.query(`SELECT last_number FROM permit_site WHERE code = 'RBL'`))[0].last_number).toBe(1);
    expect((await db.query(`SELECT description FROM permit WHERE id = $1`, [blue.id]))[0].description).toMatch(/^Blue secret/);
    expect(await count('gas_test WHERE permit_id = $1', [blue.id])).toBe(1);
  });

  test('a permit cannot be moved to another site', async () => {
    await expect(asCaller(db, greenSupervisor, (m) => m.query(`UPDATE permit SET site_id = $1 WHERE id = $2`, [BLUE, green.id]))).rejects.toThrow(rlsError);
    expect((await db.query(`SELECT site_id FROM permit WHERE id = $1`, [green.id]))[0].site_id).toBe(GREEN);
  });

  test('the domain still writes at its own site through the request role', async () => {
    const created = await asCaller(db, greenSupervisor, (m) => createPermit(m, greenSupervisor, { type: 'COLD_WORK', description: 'Green: a request of its own', siteId: GREEN, validTo: validTo(), isolations: [{ assetId: ASSET[GREEN], point: 'XV-301', method: 'VALVE_LOCKED_CLOSED' }] }));
    expect(created.number).toMatch(/^PTW-RGR-/);
    expect(await count('isolation WHERE permit_id = $1', [created.id])).toBe(1);
    expect(await count('permit_transition WHERE permit_id = $1', [created.id])).toBe(1);
    // Another site is refused before any statement (not found), and the database would refuse it anyway.
    await expect(asCaller(db, greenSupervisor, (m) => createPermit(m, greenSupervisor, { type: 'COLD_WORK', description: 'x', siteId: BLUE, validTo: validTo() }))).rejects.toMatchObject({ code: 'NOT_FOUND' });
  });
});

describe('known_work_item is protected by site and, for a contractor, by company', () => {
  const items = async (caller: Caller) => (await asCaller(db, caller, (m) => m.query(`SELECT work_item_id FROM known_work_item`))).map((r: { work_item_id: string }) => r.work_item_id).sort();

  test("SELECT * FROM known_work_item: a caller gets their sites' items; a contractor only their company's jobs", async () => {
    expect(await items(greenSupervisor)).toEqual([greenItem, acmeItem, otherCoItem].sort());
    expect(await items(blueSupervisor)).toEqual([blueItem]);
    expect(await items(acme)).toEqual([acmeItem]); // neither another company's job nor the host's own work
    expect(await items(otherCo)).toEqual([otherCoItem]);
    expect(await items(everywhere)).toEqual([greenItem, blueItem, acmeItem, otherCoItem].sort());
  });

  test("covering another site's or another company's item is NOT_FOUND exactly as a random id, and writes nothing", async () => {
    const greenEverywhere = person('0000000e-0000-4000-8000-0000000000f7', 'supervisor', ['*']);
    const cover = (caller: Caller, workItemIds: string[]) =>
      asCaller(db, caller, (m) => createPermit(m, caller, { type: 'COLD_WORK', description: 'cover', siteId: GREEN, validTo: validTo(), workItemIds }));
    /** The refusal with the id taken out, to compare with a random id's. */
    const refusal = async (caller: Caller, id: string) => {
      const err = await cover(caller, [id]).then(
        () => null,
        (e: { code: string; message: string; details: Record<string, unknown> }) => e,
      );
      if (!err) throw new Error(`covering ${id} as ${caller.id} was accepted`);
      expect(err.details.id).toBe(id);
      return { code: err.code, message: err.message.replace(id, '<id>'), details: { ...err.details, id: '<id>' } };
    };
    const before = { permits: await count('permit'), outbox: await count('outbox'), numbering: await db.query(`SELECT * FROM permit_site ORDER BY code`) };
    const random = await refusal(greenSupervisor, randomUUID());
    expect(random).toEqual({ code: 'NOT_FOUND', message: 'work item <id> not found (one created in Work a moment ago may not be known here yet: retry shortly)', details: { id: '<id>', field: 'workItemIds' } });
    for (const [caller, id] of [
      [greenSupervisor, blueItem], // another site's
      [greenEverywhere, blueItem], // another site's, for someone who sees both: a permit covers its own site's work only
      [acme, otherCoItem], // another company's job
      [acme, greenItem], // the host's own work
      [acme, randomUUID()],
    ] as const) {
      expect(await refusal(caller, id)).toEqual(random);
    }
    expect({ permits: await count('permit'), outbox: await count('outbox'), numbering: await db.query(`SELECT * FROM permit_site ORDER BY code`) }).toEqual(before);
    // What the caller may see is covered.
    expect((await cover(acme, [acmeItem])).workItemIds).toEqual([acmeItem]);
    expect((await cover(greenSupervisor, [greenItem, otherCoItem])).workItemIds).toEqual([greenItem, otherCoItem]);
    expect(await count(`permit WHERE $1 = ANY(work_item_ids)`, [blueItem])).toBe(0);
  });
});
