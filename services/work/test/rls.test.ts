import { REQUEST_ROLE, isContractorOnly, type Caller } from '@opsgraph/core';
import { asCaller, expectError, ok, people, person, testDatabase, type TestService } from '@opsgraph/testing';
import type { DataSource } from 'typeorm';
import { clearStandingCondition, recordStandingCondition } from '../src/domain/handover';
import { createArea, createAsset, createLine, createSite } from '../src/domain/locations';
import { addShiftLogEntry } from '../src/domain/shift-log';
import { createWorkItem } from '../src/domain/work-items';
import { entities } from '../src/entities';
import { service } from '../src/service';
import { createItem, seedPlant, startWork, type Plant } from './fixtures';

/**
 * Scope by construction: whatever a request's query forgets, the database keeps it to the caller's sites and,
 * for a contractor, to their company's jobs, what hangs off them and the shift notes about them.
 */

/**
 * Every protected table, with how to read (as the owner) the site each row belongs to and, where the contractor
 * boundary applies, the companies it belongs to (a contractor sees the row when their company is one of them).
 */
const TABLES: Record<string, { key: string; owner: string }> = {
  site: { key: 'id', owner: `SELECT id::text AS key, id AS site, NULL::text[] AS companies FROM site` },
  area: { key: 'id', owner: `SELECT id::text AS key, site_id AS site, NULL::text[] AS companies FROM area` },
  line: { key: 'id', owner: `SELECT id::text AS key, site_id AS site, NULL::text[] AS companies FROM line` },
  asset: { key: 'id', owner: `SELECT id::text AS key, site_id AS site, NULL::text[] AS companies FROM asset` },
  // A hold on an asset is the site's: everyone there, contractors included, raises work on the asset held.
  asset_hold: { key: 'source_record_id', owner: `SELECT source_record_id AS key, site_id AS site, NULL::text[] AS companies FROM asset_hold` },
  work_item: { key: 'id', owner: `SELECT id::text AS key, site_id AS site, ARRAY[contractor_company] AS companies FROM work_item` },
  // A site's work templates: everyone there may raise work from them.
  work_template: { key: 'id', owner: `SELECT id::text AS key, site_id AS site, NULL::text[] AS companies FROM work_template` },
  ...Object.fromEntries(
    (['prerequisite', 'transition', 'evidence'] as const).map((t) => [
      t,
      { key: 'id', owner: `SELECT c.id::text AS key, w.site_id AS site, ARRAY[w.contractor_company] AS companies FROM ${t} c JOIN work_item w ON w.id = c.work_item_id` },
    ]),
  ),
  work_request: {
    key: 'request_id',
    owner: `SELECT c.request_id AS key, w.site_id AS site, ARRAY[w.contractor_company] AS companies FROM work_request c JOIN work_item w ON w.id = c.work_item_id`,
  },
  shift_log_entry: {
    key: 'id',
    owner: `SELECT s.id::text AS key, s.site_id AS site,
      ARRAY(SELECT w.contractor_company FROM work_item w WHERE w.id = ANY (s.work_item_ids) AND w.contractor_company IS NOT NULL) AS companies
      FROM shift_log_entry s`,
  },
  // A handover's picture holds every company's jobs: contractors read none.
  handover: { key: 'id', owner: `SELECT id::text AS key, site_id AS site, ARRAY[]::text[] AS companies FROM handover` },
  recorded_condition: {
    key: 'id',
    owner: `SELECT c.id::text AS key, c.site_id AS site,
      ARRAY(SELECT w.contractor_company FROM work_item w WHERE w.id = ANY (c.work_item_ids) AND w.contractor_company IS NOT NULL) AS companies
      FROM recorded_condition c`,
  },
  // A clearance goes with what it clears: a recorded condition or a flagged note.
  condition_clearance: {
    key: 'subject_id',
    owner: `SELECT k.subject_id::text AS key, k.site_id AS site,
      ARRAY(SELECT w.contractor_company FROM work_item w WHERE w.id = ANY (coalesce(c.work_item_ids, n.work_item_ids)) AND w.contractor_company IS NOT NULL) AS companies
      FROM condition_clearance k LEFT JOIN recorded_condition c ON c.id = k.subject_id LEFT JOIN shift_log_entry n ON n.id = k.subject_id`,
  },
};

/** Tables with a restrictive contractor policy besides the site one. */
const CONTRACTOR_POLICIES = ['shift_log_entry', 'handover', 'recorded_condition', 'condition_clearance'];

describe('row-level security on the Work database', () => {
  let db: DataSource;
  let close: () => Promise<void>;
  let A: string;
  let B: string;
  const jobs: Record<string, string> = {};
  const notes: Record<string, string> = {};

  const siteA = () => person('0000000a-0000-4000-8000-00000000000a', 'technician', [A]);
  const contractorX = () => person('0000000a-0000-4000-8000-0000000000c1', 'contractor', [A, B], 'X');
  const contractorY = () => person('0000000a-0000-4000-8000-0000000000c2', 'contractor', [A], 'Y');
  const everySite = () => person('0000000a-0000-4000-8000-0000000000ff', 'technician', ['*']);

  beforeAll(async () => {
    ({ db, close } = await testDatabase(service));
    const owner = db.manager;
    // Two sites with a place of each kind, inserted as the owner (as a seeder would).
    const plant = async (code: string) => {
      const site = await createSite(owner, people.admin, { code, name: `${code} plant` });
      const area = await createArea(owner, people.admin, { siteId: site.id, code: 'PACK', name: 'Packing' });
      const line = await createLine(owner, people.admin, { areaId: area.id, code: 'L1', name: 'Line 1' });
      const asset = await createAsset(owner, people.admin, { siteId: site.id, lineId: line.id, code: 'P-1', name: 'Pump' });
      await owner.query(`INSERT INTO asset_hold (source_domain, source_record_id, asset_id, site_id, reason, resume_roles, requested_at) VALUES ('HAZARDS', $1, $2, $3, 'incident', '{supervisor}', now())`, [
        `incident-${code}`,
        asset.id,
        site.id,
      ]);
      await owner.query(`INSERT INTO work_template (site_id, type, name, title, priority, required_outcome, created_by_id) VALUES ($1, 'CLEANING', 'CIP', 'CIP clean', 'MEDIUM', '{"acceptanceCriteria":"clean","evidence":[]}', 'x')`, [site.id]);
      return { siteId: site.id, areaId: area.id };
    };
    const a = await plant('AAA');
    const b = await plant('BBB');
    A = a.siteId;
    B = b.siteId;
    // At each site the site's own work and jobs of contractor companies X and Y, each with a prerequisite, its
    // history, a piece of evidence and the work request that raised it.
    const job = async (name: string, siteId: string, contractorCompany: string | null) => {
      const item = await createWorkItem(owner, people.supervisor, {
        type: contractorCompany ? 'CONTRACTOR_JOB' : 'MAINTENANCE',
        title: name,
        siteId,
        contractorCompany,
        prerequisites: [{ kind: 'MATERIAL', description: `parts for ${name}` }],
      });
      await owner.query(`INSERT INTO evidence (work_item_id, kind, label, text, submitted_by_id, submitted_at) VALUES ($1, 'NOTE', 'seen', $2, $3, now())`, [item.id, name, people.technician.id]);
      await owner.query(`INSERT INTO work_request (source_domain, request_id, work_item_id, event_id) VALUES ('HAZARDS', $1, $2, $3)`, [`request:${name}`, item.id, `event:${name}`]);
      jobs[name] = item.id;
    };
    await job('a-own', A, null);
    await job('a-x', A, 'X');
    await job('a-y', A, 'Y');
    await job('b-own', B, null);
    await job('b-x', B, 'X');
    await job('b-y', B, 'Y');
    // Shift notes: the area's general notes, notes about one company's job, and one about both companies' jobs.
    const note = async (name: string, siteId: string, workItemIds: string[]) => {
      notes[name] = (await addShiftLogEntry(owner, people.operator, { siteId, shift: 'A', text: name, workItemIds })).id;
    };
    await note('a-general', A, []);
    await note('a-about-own', A, [jobs['a-own']]);
    await note('a-about-x', A, [jobs['a-x']]);
    await note('a-about-y', A, [jobs['a-y']]);
    await note('a-about-x-and-y', A, [jobs['a-x'], jobs['a-y']]);
    await note('b-general', B, []);
    await note('b-about-x', B, [jobs['b-x']]);
    // At each site a handover awaiting acceptance and standing conditions: general, about X's job, about Y's job;
    // the general one and X's cleared, and at site A a flagged note about the site's own job cleared.
    for (const [site, code] of [[A, 'a'], [B, 'b']] as const) {
      await owner.query(`INSERT INTO handover (site_id, shift, status, window_from, at, started_by_id, picture, digest) VALUES ($1, 'A', 'AWAITING_ACCEPTANCE', now() - interval '8 hours', now(), 'x', '{}', 'd')`, [site]);
      const general = await recordStandingCondition(owner, people.supervisor, { siteId: site, kind: 'DEVIATION', description: `${code} general` });
      const aboutX = await recordStandingCondition(owner, people.supervisor, { siteId: site, kind: 'OPEN_PERMIT', description: `${code} about x`, workItemIds: [jobs[`${code}-x`]] });
      await recordStandingCondition(owner, people.supervisor, { siteId: site, kind: 'OTHER', description: `${code} about y`, workItemIds: [jobs[`${code}-y`]] });
      for (const condition of [general, aboutX]) await clearStandingCondition(owner, people.supervisor, condition.id, 'cleared');
    }
    const flagged = await addShiftLogEntry(owner, people.operator, { siteId: A, shift: 'A', text: 'a-flagged-own', attentionNextShift: true, workItemIds: [jobs['a-own']] });
    await clearStandingCondition(owner, people.supervisor, flagged.id, 'seen');
  });
  afterAll(() => close?.());

  /** What the owner says `caller` may see of `table`: the rows of their sites and, for a contractor, of their company. */
  async function expected(table: string, caller: Caller): Promise<string[]> {
    const rows: { key: string; site: string; companies: (string | null)[] | null }[] = await db.query(TABLES[table].owner);
    return rows
      .filter((r) => caller.sites.includes('*') || caller.sites.includes(r.site))
      .filter((r) => !isContractorOnly(caller) || r.companies === null || r.companies.includes(caller.company!))
      .map((r) => r.key)
      .sort();
  }

  /** A deliberately unscoped read of a whole table, as a request of `caller`. */
  async function seen(table: string, caller: Caller): Promise<string[]> {
    const rows: Record<string, unknown>[] = await asCaller(db, caller, (m) => m.query(`SELECT * FROM ${table}`));
    return rows.map((r) => String(r[TABLES[table].key])).sort();
  }

  const total = async (table: string) => (await db.query(`SELECT count(*)::int AS n FROM ${table}`))[0].n as number;

  test('a request runs as opsgraph_request: not a superuser, cannot bypass row-level security, owns no table', async () => {
    const [who] = await asCaller(db, siteA(), (m) => m.query(`SELECT current_user AS "user", r.rolsuper AS super, r.rolbypassrls AS bypass FROM pg_roles r WHERE r.rolname = current_user`));
    expect(who).toEqual({ user: REQUEST_ROLE, super: false, bypass: false });
    expect((await db.query(`SELECT tablename FROM pg_tables WHERE tableowner = $1`, [REQUEST_ROLE]))).toEqual([]);
    // The owner (background work) is not restricted: it sees every row.
    expect((await db.query('SELECT current_user AS "user"'))[0].user).not.toBe(REQUEST_ROLE);
  });

  test('every Work table with a site or a work item column is protected; the event tables are not', async () => {
    // Work's own tables (the shared ones of libs/core, e.g. the audit trail, are protected by the core migrations).
    const workTables = entities.map((entity) => db.getMetadata(entity).tableName);
    expect(workTables).toEqual(expect.arrayContaining(['outbox', 'outbox_pending', 'inbox']));
    const rows: { table: string; rls: boolean; policies: string[] }[] = await db.query(
      `SELECT c.relname AS table, c.relrowsecurity AS rls, ARRAY(SELECT p.policyname::text FROM pg_policies p WHERE p.tablename = c.relname ORDER BY 1) AS policies
       FROM pg_class c JOIN pg_namespace n ON n.oid = c.relnamespace
       WHERE n.nspname = 'public' AND c.relkind = 'r' AND c.relname = ANY($1)`,
      [workTables],
    );
    expect(rows).toHaveLength(workTables.length);
    const withSite: { table: string }[] = await db.query(
      `SELECT DISTINCT table_name AS table FROM information_schema.columns WHERE table_schema = 'public' AND column_name IN ('site_id', 'work_item_id') AND table_name = ANY($1)`,
      [workTables],
    );
    const protectedTables = rows.filter((r) => r.rls).map((r) => r.table).sort();
    expect(protectedTables).toEqual(Object.keys(TABLES).sort());
    expect(protectedTables).toEqual(expect.arrayContaining(withSite.map((r) => r.table)));
    for (const r of rows.filter((x) => x.rls)) {
      expect(r.policies).toEqual(CONTRACTOR_POLICIES.includes(r.table) ? [`${r.table}_contractor`, `${r.table}_scope`] : [`${r.table}_scope`]);
    }
  });

  test.each(Object.keys(TABLES))('SELECT * FROM %s as a site A caller returns only site A rows', async (table) => {
    const mine = await seen(table, siteA());
    expect(mine).toEqual(await expected(table, siteA()));
    // Both sites have rows of every table, so the policy really dropped some.
    expect(mine.length).toBeGreaterThan(0);
    expect(mine.length).toBeLessThan(await total(table));
  });

  test.each(Object.keys(TABLES))('SELECT * FROM %s as a contractor returns only their sites and their company\'s jobs', async (table) => {
    for (const caller of [contractorX(), contractorY()]) expect(await seen(table, caller)).toEqual(await expected(table, caller));
  });

  test.each(Object.keys(TABLES))('SELECT * FROM %s as an every-site caller returns every row', async (table) => {
    expect((await seen(table, everySite())).length).toBe(await total(table));
  });

  test('spelled out: contractor X sees X\'s jobs, their children and the notes about them, nothing of Y or the sites\' own work', async () => {
    const x = contractorX();
    expect(await seen('work_item', x)).toEqual([jobs['a-x'], jobs['b-x']].sort());
    const children: { id: string; work_item_id: string }[] = await asCaller(db, x, (m) => m.query(`SELECT id::text, work_item_id FROM prerequisite UNION ALL SELECT id::text, work_item_id FROM evidence UNION ALL SELECT id::text, work_item_id FROM transition`));
    expect(new Set(children.map((c) => c.work_item_id))).toEqual(new Set([jobs['a-x'], jobs['b-x']]));
    expect(await seen('work_request', x)).toEqual(['request:a-x', 'request:b-x']);
    expect(await seen('shift_log_entry', x)).toEqual([notes['a-about-x'], notes['a-about-x-and-y'], notes['b-about-x']].sort());
    // Contractor Y, at site A only.
    expect(await seen('work_item', contractorY())).toEqual([jobs['a-y']]);
    expect(await seen('shift_log_entry', contractorY())).toEqual([notes['a-about-y'], notes['a-about-x-and-y']].sort());
    // The places of their sites, as anyone of those sites sees them.
    expect(await seen('site', contractorY())).toEqual([A]);
  });

  test('writing a row of another site, or of another company, fails and writes nothing', async () => {
    const rls = /row-level security/;
    const counts = async () => Promise.all(['area', 'work_item', 'evidence', 'shift_log_entry'].map(total));
    const before = await counts();
    await expect(asCaller(db, siteA(), (m) => m.query(`INSERT INTO area (site_id, code, name) VALUES ($1, 'ZZ', 'foreign')`, [B]))).rejects.toThrow(rls);
    await expect(
      asCaller(db, siteA(), (m) =>
        m.query(`INSERT INTO work_item (number, type, title, status, site_id, source_domain, required_outcome, version) VALUES ('BBB-999999', 'OTHER', 'foreign', 'OPEN', $1, 'MANUAL', '{}', 1)`, [B]),
      ),
    ).rejects.toThrow(rls);
    await expect(asCaller(db, siteA(), (m) => m.query(`INSERT INTO evidence (work_item_id, kind, label, submitted_by_id, submitted_at) VALUES ($1, 'NOTE', 'foreign', 'x', now())`, [jobs['b-own']]))).rejects.toThrow(rls);
    await expect(asCaller(db, siteA(), (m) => m.query(`INSERT INTO shift_log_entry (site_id, shift, author_id, at, text) VALUES ($1, 'A', 'x', now(), 'foreign')`, [B]))).rejects.toThrow(rls);
    // A contractor cannot write another company's job, nor a general note of the area.
    await expect(
      asCaller(db, contractorX(), (m) =>
        m.query(`INSERT INTO work_item (number, type, title, status, site_id, contractor_company, source_domain, required_outcome, version) VALUES ('AAA-999999', 'OTHER', 'y job', 'OPEN', $1, 'Y', 'MANUAL', '{}', 1)`, [A]),
      ),
    ).rejects.toThrow(rls);
    await expect(asCaller(db, contractorX(), (m) => m.query(`INSERT INTO shift_log_entry (site_id, shift, author_id, at, text) VALUES ($1, 'A', 'x', now(), 'general')`, [A]))).rejects.toThrow(rls);
    // Updates and deletes of rows out of scope find nothing to change.
    await asCaller(db, siteA(), async (m) => {
      await m.query(`UPDATE work_item SET title = 'hijacked' WHERE site_id = $1`, [B]);
      await m.query(`DELETE FROM prerequisite WHERE work_item_id = $1`, [jobs['b-own']]);
      // Nor can a row of theirs be moved to another site.
      await expect(m.query(`UPDATE work_item SET site_id = $1 WHERE id = $2`, [B, jobs['a-own']])).rejects.toThrow(rls);
    });
    expect(await counts()).toEqual(before);
    expect((await db.query(`SELECT count(*)::int AS n FROM work_item WHERE title = 'hijacked' OR (id = $1 AND site_id <> $2)`, [jobs['a-own'], A]))[0].n).toBe(0);
    expect((await db.query(`SELECT count(*)::int AS n FROM prerequisite WHERE work_item_id = $1`, [jobs['b-own']]))[0].n).toBe(1);
  });
});

describe('a contractor\'s shift notes, through GraphQL', () => {
  // Found from outside: a contractor read every shift note of the area in the handover (the site's own notes
  // and other companies'). They now get only the notes about their own company's jobs.
  let work: TestService;
  let plant: Plant;
  let acmeJob: { id: string };
  let otherJob: { id: string };
  let siteJob: { id: string };
  const acme = () => person('0000000a-0000-4000-8000-00000000acee', 'contractor', [plant.siteId], 'Acme');
  const tech = () => person(people.technician.id, 'technician', [plant.siteId]);

  const ADD = `mutation($i: ShiftLogInput!) { addShiftLogEntry(input: $i) { id text workItems { id } } }`;
  const HANDOVER = `query($s: ID!, $from: DateTime!, $to: DateTime!) { handover(siteId: $s, shift: "N", from: $from, to: $to) { notes { text workItems { id } } } }`;
  const window = () => ({ s: plant.siteId, from: new Date(Date.now() - 3600_000).toISOString(), to: new Date(Date.now() + 3600_000).toISOString() });
  const note = async (text: string, workItemIds: string[], caller: Caller = people.operator) => ok(await work.query(ADD, { i: { siteId: plant.siteId, shift: 'N', text, workItemIds } }, caller)).addShiftLogEntry;

  beforeAll(async () => {
    work = await startWork();
    plant = await seedPlant(work, 'NTS');
    acmeJob = await createItem(work, plant, { type: 'CONTRACTOR_JOB', contractorCompany: 'Acme', title: 'Scaffold' });
    otherJob = await createItem(work, plant, { type: 'CONTRACTOR_JOB', contractorCompany: 'Other Co', title: 'Insulation' });
    siteJob = await createItem(work, plant, { title: 'Seal' });
    await note('Gate 4 closed, union meeting at 14:00', []);
    await note('Seal job: the pump stays isolated', [siteJob.id]);
    await note('Other Co insulation: asbestos found, area cordoned', [otherJob.id]);
    await note('Acme scaffold: tag it before the night shift', [acmeJob.id]);
    await note('Scaffold and insulation clash at bay 3', [acmeJob.id, otherJob.id]);
  });
  afterAll(() => work?.stop());

  test('a contractor\'s handover has only the notes about their company\'s jobs', async () => {
    const notes = ok(await work.query(HANDOVER, window(), acme())).handover.notes;
    expect(notes.map((n: any) => n.text).sort()).toEqual(['Acme scaffold: tag it before the night shift', 'Scaffold and insulation clash at bay 3']);
    // A note about several companies' jobs shows them only their own.
    expect(notes.flatMap((n: any) => n.workItems.map((w: any) => w.id))).toEqual([acmeJob.id, acmeJob.id]);
    // The site's people still read every note of the area.
    expect(ok(await work.query(HANDOVER, window(), tech())).handover.notes).toHaveLength(5);
  });

  test('a contractor writes notes about their own jobs only', async () => {
    expectError(await work.query(ADD, { i: { siteId: plant.siteId, shift: 'N', text: 'general', workItemIds: [] } }, acme()), 'BAD_USER_INPUT');
    expectError(await work.query(ADD, { i: { siteId: plant.siteId, shift: 'N', text: 'theirs', workItemIds: [otherJob.id] } }, acme()), 'BAD_USER_INPUT');
    const mine = await note('Acme: scaffold tagged', [acmeJob.id], acme());
    expect(mine.workItems).toEqual([{ id: acmeJob.id }]);
    const texts = ok(await work.query(HANDOVER, window(), acme())).handover.notes.map((n: any) => n.text);
    expect(texts).toContain('Acme: scaffold tagged');
    expect(texts).toHaveLength(3);
  });
});
