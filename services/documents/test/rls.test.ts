import { createHash, randomUUID } from 'node:crypto';
import { REQUEST_ROLE, applyWorkEvent, type Caller } from '@opsgraph/core';
import { asCaller, knowPlaces, people, person, testDatabase } from '@opsgraph/testing';
import type { DataSource } from 'typeorm';
import { acknowledgeRevision } from '../src/domain/acknowledgements';
import { registerDocument } from '../src/domain/documents';
import { getDocument, listDocuments } from '../src/domain/queries';
import { requestReview } from '../src/domain/reviews';
import { approveRevision, draftRevision, submitRevision } from '../src/domain/revisions';
import type { Document, DocumentRevision } from '../src/entities';
import { service } from '../src/service';

/**
 * Scope by construction in Documents' database: a request's statements run as `opsgraph_request` under
 * row-level security, so even a query with no `WHERE` at all returns only the documents held at or applying
 * to the caller's sites and what hangs off them, and nothing can be written for a document held elsewhere.
 * Rows are written as the owner (the system scope), read back through `asCaller` exactly as a request of
 * that caller would.
 */
let database: Awaited<ReturnType<typeof testDatabase>>;
let db: DataSource;

const GREEN = randomUUID();
const BLUE = randomUUID();
const greenControl = person('0000000f-0000-4000-8000-0000000000f1', ['supervisor', 'hse'], [GREEN]);
const blueControl = person('0000000f-0000-4000-8000-0000000000f2', ['supervisor', 'hse'], [BLUE]);
const blueApprover = person('0000000f-0000-4000-8000-0000000000f3', 'hse', [BLUE]);
const greenTech = person('0000000f-0000-4000-8000-0000000000f4', 'technician', [GREEN]);
const blueTech = person('0000000f-0000-4000-8000-0000000000f5', 'technician', [BLUE]);
const acme = person('0000000f-0000-4000-8000-0000000000f6', 'contractor', [GREEN], 'Acme');
const everywhere = person('0000000f-0000-4000-8000-0000000000f7', 'auditor', ['*']);
const nowhere = person('0000000f-0000-4000-8000-0000000000f8', 'supervisor', []);

/** The protected tables, each with how a row names its document (a reviewer through its review). */
const PROTECTED = ['document', 'document_revision', 'document_review', 'document_acknowledgement', 'document_blocked_work', 'document_reviewer'] as const;
type Table = (typeof PROTECTED)[number];

/** Held at green, applying there. */
let greenDoc: Document;
/** Held at blue, applying there. */
let blueDoc: Document;
/** Held at blue, applying at blue and green. */
let blueForGreen: Document;
const current = new Map<string, DocumentRevision>();
let serial = 0;

const checksum = (text: string) => `sha256:${createHash('sha256').update(text).digest('hex')}`;

async function newDocument(siteId: string, siteIds: string[], title: string) {
  serial += 1;
  return registerDocument(db.manager, people.supervisor, {
    number: `RLS-${Date.now().toString(36).toUpperCase()}-${serial}`,
    title,
    type: 'PROCEDURE',
    ownerId: people.supervisor.id,
    siteId,
    applicability: { siteIds },
  });
}

/** An approved revision A (by `approver`, through `manager`) and a pending draft B, as the owner unless told. */
async function revisions(document: Document, approve: (revisionId: string) => Promise<DocumentRevision> = (id) => approveRevision(db.manager, person(people.verifier.id, 'hse'), id)) {
  const a = await draftRevision(db.manager, people.supervisor, { documentId: document.id, label: 'A', contentRef: `dms://${document.number}/A.pdf`, checksum: checksum(`${document.id}A`) });
  await submitRevision(db.manager, people.supervisor, a.id);
  current.set(document.id, await approve(a.id));
  await draftRevision(db.manager, people.supervisor, { documentId: document.id, label: 'B', contentRef: `dms://${document.number}/B.pdf`, checksum: checksum(`${document.id}B`) });
}

const workCreated = (siteId: string, ownerId: string) =>
  db.transaction((m) => applyWorkEvent(m, 'opsgraph.work.work_item.created', { workItemId: randomUUID(), number: `WO-${serial++}`, workType: 'MAINTENANCE', status: 'OPEN', siteId, ownerId }, new Date()));

beforeAll(async () => {
  database = await testDatabase(service);
  db = database.db;
  // Both sites are known here (as Work's registry events would have told it).
  await knowPlaces(db, { siteId: GREEN }, { siteId: BLUE });
  // Open work at each site (the tracked view the consumer keeps, as the owner).
  await workCreated(GREEN, greenTech.id);
  await workCreated(BLUE, blueTech.id);
  greenDoc = await newDocument(GREEN, [GREEN], 'Green: pump seal replacement');
  blueDoc = await newDocument(BLUE, [BLUE], 'Blue secret: flare knockout drum entry');
  blueForGreen = await newDocument(BLUE, [BLUE, GREEN], 'Blue, in force at green too: hot work');
  await revisions(greenDoc);
  await revisions(blueDoc);
  // Approved by someone of the holding site only, as a request: the document applies at green too, so the
  // green technician's open work is blocked until they read it (the tracked view must show green's work).
  await revisions(blueForGreen, (id) => asCaller(db, blueApprover, (m) => approveRevision(m, blueApprover, id)));
  for (const document of [greenDoc, blueDoc, blueForGreen]) {
    await requestReview(db.manager, people.supervisor, { documentId: document.id, reviewerIds: [people.technician.id], dueAt: new Date(Date.now() + 7 * 86_400_000), reason: 'annual' });
  }
}, 60_000);
afterAll(() => database?.close());

/** The document each row of a table belongs to, as the owner sees it. */
async function documentOf(table: Table): Promise<Map<string, string>> {
  const sql: Record<Table, string> = {
    document: `SELECT id AS row, id AS document FROM document`,
    document_revision: `SELECT id AS row, document_id AS document FROM document_revision`,
    document_review: `SELECT id AS row, document_id AS document FROM document_review`,
    document_acknowledgement: `SELECT id AS row, document_id AS document FROM document_acknowledgement`,
    document_blocked_work: `SELECT id AS row, document_id AS document FROM document_blocked_work`,
    document_reviewer: `SELECT r.id AS row, v.document_id AS document FROM document_reviewer r JOIN document_review v ON v.id = r.review_id`,
  };
  const rows: { row: string; document: string }[] = await db.query(sql[table]);
  return new Map(rows.map((r) => [r.row, r.document]));
}

/** The documents of the rows a deliberately unscoped `SELECT *` returns to the caller. */
async function seen(caller: Caller, table: Table): Promise<string[]> {
  const owners = await documentOf(table);
  const rows: { id: string }[] = await asCaller(db, caller, (m) => m.query(`SELECT * FROM ${table}`));
  return [...new Set(rows.map((r) => owners.get(r.id)!))].sort();
}
const ids = (...documents: Document[]) => documents.map((d) => d.id).sort();
const count = async (sql: string, params: unknown[] = []) => (await db.query(`SELECT count(*)::int AS n FROM ${sql}`, params))[0].n as number;

describe('a request reads only the documents of its sites', () => {
  test.each(PROTECTED)('SELECT * FROM %s: held at or applying to the caller\'s sites only; every row for an all-sites caller', async (table) => {
    // Every document has rows in every table, so the owner's view holds all three.
    expect(new Set((await documentOf(table)).values()).size).toBe(3);
    expect(await seen(greenControl, table)).toEqual(ids(greenDoc, blueForGreen));
    expect(await seen(blueControl, table)).toEqual(ids(blueDoc, blueForGreen));
    expect(await seen(everywhere, table)).toEqual(ids(greenDoc, blueDoc, blueForGreen));
    expect(await seen(nowhere, table)).toEqual([]);
  });

  test('no contractor boundary on documents: a contractor reads the documents of their sites, as the domain has it', async () => {
    for (const table of PROTECTED) expect(await seen(acme, table)).toEqual(ids(greenDoc, blueForGreen));
    const listed = await asCaller(db, acme, (m) => listDocuments(m, acme, {}, 50));
    expect(listed.edges.map((e) => e.node.id).sort()).toEqual(ids(greenDoc, blueForGreen));
    await expect(asCaller(db, acme, (m) => getDocument(m, acme, blueDoc.id))).rejects.toMatchObject({ code: 'NOT_FOUND' });
  });

  test('a resolver that forgets its scope still gets nothing of another site', async () => {
    const listed = await asCaller(db, greenControl, (m) => m.query(`SELECT d.id FROM document d JOIN document_revision r ON r.document_id = d.id WHERE d.id = $1`, [blueDoc.id]));
    expect(listed).toEqual([]);
    expect(await asCaller(db, greenControl, (m) => m.query(`SELECT count(*)::int AS n FROM document WHERE title LIKE 'Blue secret%'`))).toEqual([{ n: 0 }]);
  });
});

describe('a request runs as the request role', () => {
  test('current_user is opsgraph_request: no superuser, no BYPASSRLS, owner of no table', async () => {
    const [who] = await asCaller(db, greenControl, (m) => m.query(`SELECT current_user AS name, current_setting('opsgraph.sites') AS sites`));
    expect(who).toEqual({ name: REQUEST_ROLE, sites: GREEN });
    const [role] = await db.query(`SELECT rolsuper, rolbypassrls FROM pg_roles WHERE rolname = $1`, [REQUEST_ROLE]);
    expect(role).toEqual({ rolsuper: false, rolbypassrls: false });
    expect(await db.query(`SELECT tablename FROM pg_tables WHERE tableowner = $1`, [REQUEST_ROLE])).toEqual([]);
  });
});

describe('a request writes only documents held at its sites', () => {
  const rlsError = /row-level security/;
  const insertDocument = (caller: Caller, number: string, siteId: string, siteIds: string[]) =>
    asCaller(db, caller, (m) => m.query(`INSERT INTO document (number, title, type, owner_id, site_id, site_ids, version) VALUES ($1, 'planted', 'PROCEDURE', $2, $3, $4, 1)`, [number, caller.id, siteId, siteIds]));

  test('inserting a document held at another site fails and writes nothing, even one that would apply at the caller\'s site', async () => {
    const before = await count('document');
    await expect(insertDocument(greenControl, 'PLANTED-1', BLUE, [BLUE])).rejects.toThrow(rlsError);
    await expect(insertDocument(greenControl, 'PLANTED-2', BLUE, [GREEN])).rejects.toThrow(rlsError);
    expect(await count('document')).toBe(before);
    expect(await count(`document WHERE number LIKE 'PLANTED-%'`)).toBe(0);
    // At its own site it may (the domain decides the rest).
    await insertDocument(greenControl, 'PLANTED-3', GREEN, [GREEN]);
    expect(await count(`document WHERE number = 'PLANTED-3'`)).toBe(1);
  });

  test("inserting rows under another site's document fails and writes nothing", async () => {
    const review = (await db.query(`SELECT id FROM document_review WHERE document_id = $1`, [blueDoc.id]))[0].id;
    const attempts = [
      [`document_revision`, `INSERT INTO document_revision (document_id, label, status, content_ref, checksum, author_id, version) VALUES ($1, 'Z', 'SUPERSEDED', 'dms://x', 'sha256:x', 'x', 1)`, [blueDoc.id]],
      [`document_review`, `INSERT INTO document_review (document_id, kind, due_at, status, requested_by_id) VALUES ($1, 'TRIGGERED', now(), 'CLOSED', 'x')`, [blueDoc.id]],
      [`document_acknowledgement`, `INSERT INTO document_acknowledgement (revision_id, document_id, person_id, state) VALUES ($1, $2, $3, 'ACKNOWLEDGED')`, [current.get(blueDoc.id)!.id, blueDoc.id, greenTech.id]],
      [`document_blocked_work`, `INSERT INTO document_blocked_work (revision_id, document_id, person_id, work_item_id, description, raised_at) VALUES ($1, $2, $3, gen_random_uuid(), 'planted', now())`, [current.get(blueDoc.id)!.id, blueDoc.id, greenTech.id]],
      [`document_reviewer`, `INSERT INTO document_reviewer (review_id, person_id, request_id) VALUES ($1, $2, 'planted')`, [review, greenTech.id]],
    ] as const;
    for (const [table, sql, params] of attempts) {
      const before = await count(table);
      await expect(asCaller(db, greenControl, (m) => m.query(sql, [...params]))).rejects.toThrow(rlsError);
      expect(await count(table)).toBe(before);
    }
  });

  test('a document applying at the caller\'s site but held elsewhere is read, never changed, moved or deleted', async () => {
    await expect(asCaller(db, greenControl, (m) => m.query(`UPDATE document SET title = 'changed' WHERE id = $1`, [blueForGreen.id]))).rejects.toThrow(rlsError);
    // Nor taken over by moving it to the caller's own site.
    await expect(asCaller(db, greenControl, (m) => m.query(`UPDATE document SET site_id = $1 WHERE id = $2`, [GREEN, blueForGreen.id]))).rejects.toThrow(/row-level security|stays with the site that holds it/);
    const [, deleted] = await asCaller(db, greenControl, (m) => m.query(`DELETE FROM document WHERE id = $1`, [blueForGreen.id]));
    expect(deleted).toBe(0);
    const [, hidden] = await asCaller(db, greenControl, (m) => m.query(`UPDATE document SET title = 'changed' WHERE id = $1`, [blueDoc.id]));
    expect(hidden).toBe(0);
    expect((await db.query(`SELECT title, site_id FROM document WHERE id = $1`, [blueForGreen.id]))[0]).toEqual({ title: 'Blue, in force at green too: hot work', site_id: BLUE });
    expect((await db.query(`SELECT title FROM document WHERE id = $1`, [blueDoc.id]))[0].title).toMatch(/^Blue secret/);
    // The domain refuses it before the database has to.
    await expect(asCaller(db, greenControl, (m) => draftRevision(m, greenControl, { documentId: blueForGreen.id, label: 'C', contentRef: 'dms://x/C.pdf', checksum: checksum('C') }))).rejects.toMatchObject({ code: 'NOT_FOUND' });
  });

  test('a person at a site the document applies at acknowledges it (the lock on the document passes the policy)', async () => {
    const revision = current.get(blueForGreen.id)!;
    const blocked = await db.query(`SELECT state, cardinality(work_item_ids) AS items FROM document_acknowledgement WHERE revision_id = $1 AND person_id = $2`, [revision.id, greenTech.id]);
    expect(blocked).toEqual([{ state: 'PENDING', items: 1 }]);
    const ack = await asCaller(db, greenTech, (m) => acknowledgeRevision(m, greenTech, revision.id));
    expect(ack.state).toBe('ACKNOWLEDGED');
    expect((await db.query(`SELECT state FROM document_acknowledgement WHERE id = $1`, [ack.id]))[0].state).toBe('ACKNOWLEDGED');
    // The record of the blocker it cleared is written under the same policy.
    expect(await db.query(`SELECT cleared_by, cleared_by_revision_id FROM document_blocked_work WHERE revision_id = $1 AND person_id = $2`, [revision.id, greenTech.id])).toEqual([{ cleared_by: 'ACKNOWLEDGED', cleared_by_revision_id: revision.id }]);
    // Not a document of another site only, though.
    await expect(asCaller(db, greenTech, (m) => acknowledgeRevision(m, greenTech, current.get(blueDoc.id)!.id))).rejects.toMatchObject({ code: 'NOT_FOUND' });
  });
});

describe('tracked_work_item is protected by site; a revision still blocks work beyond the approver\'s sites', () => {
  test("approving a revision blocks the open work at every site the document applies at, beyond the approver's own", async () => {
    // blueForGreen was approved (in beforeAll) by a blue-only approver through the request role: the green
    // technician's work got its blocker all the same.
    const raised: { person_id: string }[] = await db.query(`SELECT person_id FROM document_acknowledgement WHERE revision_id = $1 ORDER BY person_id`, [current.get(blueForGreen.id)!.id]);
    expect(raised.map((r) => r.person_id)).toEqual([greenTech.id, blueTech.id].sort());
    // The approver reads only their own site's tracked work; the blocker came from the system scope.
    expect(await asCaller(db, blueApprover, (m) => m.query(`SELECT count(*)::int AS n FROM tracked_work_item`))).toEqual([{ n: 1 }]);
  });
});
