import { randomUUID } from 'node:crypto';
import { eventually, expectError, fakeWork, ok, people, person, startTestGateway, type FakeWorkItem, type TestGateway, type TestService } from '@opsgraph/testing';
import { DOCUMENT_FIELDS, REVISION_FIELDS, act, approved, checksumOf, draft, knownPlaces, registerDocument, startDocuments, type Places } from './fixtures';

/**
 * Scope escapes in Documents: another site's documents, revisions and reviews, references made straight
 * to the subgraph, nested acknowledgements and their work, changes to documents held elsewhere, and a
 * contractor's view of other people's reading. Each asserts that nothing leaked and nothing changed.
 * Work is stood in for by its events.
 */
let documents: TestService;
let gateway: TestGateway;
let work: ReturnType<typeof fakeWork>;
let green: Places;
let blue: Places;
/** Held at blue, applying only there. */
let blueDoc: any;
let blueRevision: any;
/** Held at green, applying at both sites. */
let sharedDoc: any;
let sharedRevision: any;
/** Held at blue, applying at green too. */
let blueForGreen: any;
let greenItem: FakeWorkItem;
let blueItem: FakeWorkItem;
let acmeItem: FakeWorkItem;

const greenSupervisor = () => person('0000000d-0000-4000-8000-0000000000f1', ['supervisor', 'hse'], [green.siteId]);
const greenTech = person('0000000d-0000-4000-8000-0000000000f2', 'technician');
const blueTech = person('0000000d-0000-4000-8000-0000000000f3', 'technician');
const acmeMan = person('0000000d-0000-4000-8000-0000000000f4', 'contractor');
const acme = () => person(acmeMan.id, 'contractor', [green.siteId], 'Acme');

const item = (places: Places, ownerId: string): FakeWorkItem => ({ workItemId: randomUUID(), workType: 'MAINTENANCE', siteId: places.siteId, assetId: places.assetId, ownerId, sourceDomain: 'MANUAL', sourceRecordId: null });

beforeAll(async () => {
  documents = await startDocuments();
  gateway = await startTestGateway({ documents: documents.url });
  work = fakeWork();
  green = await knownPlaces(documents);
  blue = await knownPlaces(documents);
  blueDoc = await registerDocument(documents, blue, { title: 'Blue secret: flare knockout drum entry' });
  blueRevision = await approved(documents, blueDoc.id, 'A');
  blueForGreen = await registerDocument(documents, blue, { applicability: { siteIds: [blue.siteId, green.siteId] } });
  greenItem = item(green, greenTech.id);
  blueItem = item(blue, blueTech.id);
  acmeItem = item(green, acmeMan.id);
  for (const w of [greenItem, blueItem, acmeItem]) await work.created(w);
  await eventually(async () => (await documents.db.query(`SELECT count(*)::int AS n FROM tracked_work_item`))[0].n === 3);
  sharedDoc = await registerDocument(documents, green, { applicability: { siteIds: [green.siteId, blue.siteId] } });
  sharedRevision = await approved(documents, sharedDoc.id, 'A');
}, 60_000);
afterAll(async () => {
  await gateway?.stop();
  await work?.close();
  await documents?.stop();
});

const admin = (query: string, variables: Record<string, unknown> = {}) => documents.query(query, variables, people.admin).then(ok);
const documentState = async (id: string) => (await admin(`query($id: ID!) { document(id: $id) { ${DOCUMENT_FIELDS} reviews { id } } }`, { id })).document;
const revisionState = async (id: string) => (await admin(`query($id: ID!) { documentRevision(id: $id) { ${REVISION_FIELDS} acknowledgements { person { id } state workItems { id } } } }`, { id })).documentRevision;
const SECRET = /Blue secret|flare|SOP-/;

describe('site scope', () => {
  test("another site's document, revision and review are not found, without a word about them", async () => {
    const review = ok(await documents.query(`mutation($i: RequestDocumentReviewInput!) { requestDocumentReview(input: $i) { id } }`, {
      i: { documentId: blueDoc.id, reviewerIds: [blueTech.id], dueAt: new Date(Date.now() + 86_400_000).toISOString(), reason: 'annual' },
    }, people.supervisor)).requestDocumentReview;
    for (const [query, variables] of [
      [`query($id: ID!) { document(id: $id) { id title } }`, { id: blueDoc.id }],
      [`query($id: ID!) { documentRevision(id: $id) { id label document { title } } }`, { id: blueRevision.id }],
      [`query($id: ID!) { documentReview(id: $id) { id document { title } } }`, { id: review.id }],
    ] as const) {
      const res = await gateway.query(query, variables, greenSupervisor());
      expectError(res, 'NOT_FOUND');
      expect(res.data ?? null).toBeNull();
      expect(JSON.stringify(res)).not.toMatch(SECRET);
    }
    expectError(await gateway.query(`query($n: String!) { documentByNumber(number: $n) { id title } }`, { n: blueDoc.number }, greenSupervisor()), 'NOT_FOUND');
    expect(ok(await gateway.query(`query($id: ID!) { document(id: $id) { id } }`, { id: sharedDoc.id }, greenSupervisor())).document.id).toBe(sharedDoc.id);
  });

  test('lists and counts hold only documents held at or applying to the caller\'s sites', async () => {
    const list = ok(await gateway.query(`{ documents(first: 200) { totalCount edges { node { id } } } }`, {}, greenSupervisor())).documents;
    expect(list.totalCount).toBe(list.edges.length);
    expect(list.edges.map((e: any) => e.node.id).sort()).toEqual([sharedDoc.id, blueForGreen.id].sort());
    for (const filter of [{ siteId: blue.siteId, text: 'secret' }, { appliesAt: blue.assetId }, { text: 'Blue secret' }]) {
      expect(ok(await gateway.query(`query($f: DocumentFilter) { documents(filter: $f) { totalCount edges { node { id } } } }`, { f: filter }, greenSupervisor())).documents).toEqual({ totalCount: 0, edges: [] });
    }
  });

  test('federation references made straight to the subgraph, signed for an out-of-scope caller, come back empty', async () => {
    const query = `query($r: [_Any!]!) { _entities(representations: $r) {
      ... on Document { id title }
      ... on DocumentRevision { id label }
      ... on Asset { documents { id } }
      ... on WorkItem { documents { id } }
    } }`;
    const r = [
      { __typename: 'Document', id: blueDoc.id },
      { __typename: 'DocumentRevision', id: blueRevision.id },
      { __typename: 'Asset', id: blue.assetId, site: { id: blue.siteId }, area: null },
      { __typename: 'WorkItem', id: blueItem.workItemId, type: 'MAINTENANCE', site: { id: blue.siteId }, area: null, asset: { id: blue.assetId } },
      { __typename: 'Document', id: sharedDoc.id },
    ];
    const seen = ok(await documents.query(query, { r }, greenSupervisor()))._entities;
    expect(seen).toEqual([null, null, { documents: [sharedDoc.id].map((id) => ({ id })) }, { documents: [{ id: sharedRevision.id }] }, { id: sharedDoc.id, title: sharedDoc.title }]);
    expect(JSON.stringify(seen)).not.toMatch(SECRET);
    // At blue, the same references show blue's document: the test can tell.
    const atBlue = ok(await documents.query(query, { r }, person(randomUUID(), 'supervisor', [blue.siteId])))._entities;
    expect(atBlue[0]).toEqual({ id: blueDoc.id, title: blueDoc.title });
    expect(atBlue[3].documents.map((d: { id: string }) => d.id).sort()).toEqual([blueRevision.id, sharedRevision.id].sort());
  });

  test("acknowledgements name only the work at the caller's sites", async () => {
    // Approval raised one per owner of open work where the document applies, at both sites.
    const acks = ok(await gateway.query(`query($id: ID!) { documentRevision(id: $id) { acknowledgements { person { id } state workItems { id } } } }`, { id: sharedRevision.id }, greenSupervisor())).documentRevision.acknowledgements;
    expect(acks).toEqual(
      [
        { person: { id: greenTech.id }, state: 'PENDING', workItems: [{ id: greenItem.workItemId }] },
        { person: { id: blueTech.id }, state: 'PENDING', workItems: [] },
        { person: { id: acmeMan.id }, state: 'PENDING', workItems: [{ id: acmeItem.workItemId }] },
      ].sort((a, b) => a.person.id.localeCompare(b.person.id)),
    );
    const pending = ok(await gateway.query(`query($p: ID) { pendingAcknowledgements(personId: $p) { revision { id } workItems { id } } }`, { p: blueTech.id }, greenSupervisor())).pendingAcknowledgements;
    expect(pending).toEqual([{ revision: { id: sharedRevision.id }, workItems: [] }]);
    // Someone at every site sees the blue work too.
    expect((await revisionState(sharedRevision.id)).acknowledgements.find((a: any) => a.person.id === blueTech.id).workItems).toEqual([{ id: blueItem.workItemId }]);
  });

  test("changes to a document held at another site are NOT_FOUND and change nothing, even where it applies at one's own", async () => {
    const pendingDraft = await draft(documents, blueForGreen.id, '1');
    const before = [await documentState(blueForGreen.id), await revisionState(pendingDraft.id), await documentState(blueDoc.id), await revisionState(blueRevision.id)];
    const calls: [string, Record<string, unknown>][] = [
      [`mutation($id: ID!) { updateDocument(id: $id, input: { title: "Hijacked" }) { id } }`, { id: blueForGreen.id }],
      [`mutation($i: DraftDocumentRevisionInput!) { draftDocumentRevision(input: $i) { id } }`, { i: { documentId: blueDoc.id, label: 'X', contentRef: 'dms://x', checksum: checksumOf('x') } }],
      [`mutation($id: ID!) { updateDocumentRevision(id: $id, input: { contentRef: "dms://hijack" }) { id } }`, { id: pendingDraft.id }],
      [`mutation($id: ID!) { submitDocumentRevision(id: $id) { id } }`, { id: pendingDraft.id }],
      [`mutation($id: ID!) { returnDocumentRevision(id: $id, reason: "x") { id } }`, { id: pendingDraft.id }],
      [`mutation($id: ID!) { approveDocumentRevision(id: $id) { id } }`, { id: pendingDraft.id }],
      [`mutation($i: RequestDocumentReviewInput!) { requestDocumentReview(input: $i) { id } }`, { i: { documentId: blueForGreen.id, reviewerIds: [greenTech.id], dueAt: new Date().toISOString(), reason: 'x' } }],
      [`mutation($id: ID!) { acknowledgeDocumentRevision(revisionId: $id) { id } }`, { id: blueRevision.id }],
    ];
    for (const [query, variables] of calls) {
      const res = await gateway.query(query, variables, greenSupervisor());
      expectError(res, 'NOT_FOUND');
      expect(JSON.stringify(res)).not.toMatch(SECRET);
    }
    expect([await documentState(blueForGreen.id), await revisionState(pendingDraft.id), await documentState(blueDoc.id), await revisionState(blueRevision.id)]).toEqual(before);
    // Where it applies, it is theirs to read and acknowledge.
    expect(ok(await gateway.query(`query($id: ID!) { document(id: $id) { id } }`, { id: blueForGreen.id }, greenSupervisor())).document.id).toBe(blueForGreen.id);
  });

  test('a document is made to apply only at the caller\'s own sites', async () => {
    const count = async () => (await admin(`{ documents(first: 1) { totalCount } }`)).documents.totalCount;
    const before = await count();
    const register = (siteIds: string[]) =>
      gateway.query(`mutation($i: RegisterDocumentInput!) { registerDocument(input: $i) { id } }`, {
        i: { number: `SOP-SCOPE-${randomUUID().slice(0, 8)}`, title: 'x', type: 'PROCEDURE', ownerId: greenTech.id, siteId: green.siteId, applicability: { siteIds } },
      }, greenSupervisor());
    expect(expectError(await register([green.siteId, blue.siteId]), 'NOT_FOUND').message).toBe(`site ${blue.siteId} not found`);
    expect(await count()).toBe(before);
    const own = ok(await register([green.siteId])).registerDocument;
    const update = (id: string, siteIds: string[]) => gateway.query(`mutation($id: ID!, $s: [ID!]) { updateDocument(id: $id, input: { applicability: { siteIds: $s } }) { id } }`, { id, s: siteIds }, greenSupervisor());
    const ownBefore = await documentState(own.id);
    expectError(await update(own.id, [green.siteId, blue.siteId]), 'NOT_FOUND'); // would add blue
    expect(await documentState(own.id)).toEqual(ownBefore);
    const sharedBefore = await documentState(sharedDoc.id);
    expectError(await update(sharedDoc.id, [green.siteId]), 'NOT_FOUND'); // would take blue away
    expect(await documentState(sharedDoc.id)).toEqual(sharedBefore);
    ok(await update(sharedDoc.id, [blue.siteId, green.siteId])); // the same places: theirs to keep
  });
});

describe('contractor boundary', () => {
  test("a contractor sees the documents of their sites, their own acknowledgements and work, nobody else's", async () => {
    const docs = ok(await gateway.query(`{ documents(first: 200) { totalCount } }`, {}, acme())).documents.totalCount;
    expect(docs).toBe(ok(await gateway.query(`{ documents(first: 200) { totalCount } }`, {}, greenSupervisor())).documents.totalCount);
    const acks = ok(await gateway.query(`query($id: ID!) { documentRevision(id: $id) { acknowledgements { person { id } workItems { id } } } }`, { id: sharedRevision.id }, acme())).documentRevision.acknowledgements;
    expect(acks).toEqual([{ person: { id: acmeMan.id }, workItems: [{ id: acmeItem.workItemId }] }]);
    expect(ok(await gateway.query(`{ pendingAcknowledgements { workItems { id } } }`, {}, acme())).pendingAcknowledgements).toEqual([{ workItems: [{ id: acmeItem.workItemId }] }]);
    for (const other of [greenTech.id, blueTech.id]) {
      const res = await gateway.query(`query($p: ID) { pendingAcknowledgements(personId: $p) { id } }`, { p: other }, acme());
      expectError(res, 'FORBIDDEN');
      expect(res.data ?? null).toBeNull();
      expectError(await documents.query(`query($r: [_Any!]!) { _entities(representations: $r) { ... on Person { pendingAcknowledgements { id } } } }`, { r: [{ __typename: 'Person', id: other }] }, acme()), 'FORBIDDEN');
    }
    // Review work is the host's: a contractor is not told which work item it is.
    const review = ok(await documents.query(`mutation($i: RequestDocumentReviewInput!) { requestDocumentReview(input: $i) { id } }`, {
      i: { documentId: sharedDoc.id, reviewerIds: [greenTech.id], dueAt: new Date(Date.now() + 86_400_000).toISOString(), reason: 'contractor feedback' },
    }, people.supervisor)).requestDocumentReview;
    await work.created({ ...item(green, greenTech.id), workType: 'DOCUMENT_REVIEW', sourceDomain: 'DOCUMENTS', sourceRecordId: sharedDoc.id, workRequestId: `document-review:${review.id}:${greenTech.id}` });
    const reviewers = (caller: any) => gateway.query(`query($id: ID!) { documentReview(id: $id) { reviewers { person { id } workItem { id } } } }`, { id: review.id }, caller);
    const hostView = await eventually(async () => ok(await reviewers(greenSupervisor())).documentReview.reviewers.find((r: any) => r.workItem));
    expect(hostView.workItem.id).toEqual(expect.any(String));
    expect(ok(await reviewers(acme())).documentReview.reviewers).toEqual([{ person: { id: greenTech.id }, workItem: null }]);
  });

  test("acknowledging is for oneself: a contractor's acknowledgement clears only their own", async () => {
    const before = await revisionState(sharedRevision.id);
    ok(await gateway.query(`mutation($id: ID!) { acknowledgeDocumentRevision(revisionId: $id) { state } }`, { id: sharedRevision.id }, acme()));
    const after = await revisionState(sharedRevision.id);
    const others = (state: any) => state.acknowledgements.filter((a: any) => a.person.id !== acmeMan.id);
    expect(others(after)).toEqual(others(before));
    expect(after.acknowledgements.find((a: any) => a.person.id === acmeMan.id).state).toBe('ACKNOWLEDGED');
  });
});

describe('separation of duties', () => {
  test("the author of a revision cannot approve it, administrators included", async () => {
    const document = await registerDocument(documents, green);
    const revision = await draft(documents, document.id, 'A', {}, people.admin);
    ok(await act(documents, 'submitDocumentRevision', { id: revision.id }, people.admin));
    const before = await revisionState(revision.id);
    expectError(await gateway.query(`mutation($id: ID!) { approveDocumentRevision(id: $id) { status } }`, { id: revision.id }, people.admin), 'SEPARATION_OF_DUTIES');
    expect(await revisionState(revision.id)).toEqual(before);
    expect(ok(await gateway.query(`mutation($id: ID!) { approveDocumentRevision(id: $id) { status } }`, { id: revision.id }, greenSupervisor())).approveDocumentRevision.status).toBe('APPROVED');
  });
});
