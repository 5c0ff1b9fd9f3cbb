import { expectError, ok, people, type TestService } from '@opsgraph/testing';
import { DOCUMENT_FIELDS, REVISION_FIELDS, act, approved, checksumOf, crew, draft, knownPlaces, outbox, registerDocument, startDocuments, type Places } from './fixtures';

let documents: TestService;
let places: Places;

beforeAll(async () => {
  documents = await startDocuments();
  places = await knownPlaces(documents);
});
afterAll(() => documents.stop());


async function revision(id: string) {
  return ok(await documents.query(`query($id: ID!) { documentRevision(id: $id) { ${REVISION_FIELDS} } }`, { id })).documentRevision;
}
async function document(id: string) {
  return ok(await documents.query(`query($id: ID!) { document(id: $id) { ${DOCUMENT_FIELDS} } }`, { id })).document;
}

describe('controlled documents', () => {
  test('register: a number, a type, an owner and at least one place; refused input changes nothing', async () => {
    const doc = await registerDocument(documents, places, { workTypes: undefined, applicability: { areaIds: [places.areaId], workTypes: ['MAINTENANCE', 'INSPECTION'] } });
    expect(doc).toMatchObject({ type: 'PROCEDURE', owner: { id: people.supervisor.id }, site: { id: places.siteId }, currentRevision: null, pendingRevision: null, revisions: [] });
    expect(doc.applicability).toEqual({ sites: [], areas: [{ id: places.areaId }], assets: [], workTypes: ['MAINTENANCE', 'INSPECTION'] });
    const mutation = `mutation($i: RegisterDocumentInput!) { registerDocument(input: $i) { id } }`;
    const base = { number: 'WI-PACK-001', title: 'Changeover', type: 'WORK_INSTRUCTION', ownerId: people.supervisor.id, siteId: places.siteId, applicability: { siteIds: [places.siteId] } };
    expectError(await documents.query(mutation, { i: { ...base, applicability: {} } }, people.supervisor), 'BAD_USER_INPUT');
    expectError(await documents.query(mutation, { i: { ...base, number: 'bad number!' } }, people.supervisor), 'BAD_USER_INPUT');
    expectError(await documents.query(mutation, { i: { ...base, reviewIntervalDays: 0 } }, people.supervisor), 'BAD_USER_INPUT');
    expectError(await documents.query(mutation, { i: base }, people.operator), 'FORBIDDEN');
    expectError(await documents.query(mutation, { i: base }, crew.elsewhere), 'NOT_FOUND');
    ok(await documents.query(mutation, { i: base }, people.supervisor));
    expect(expectError(await documents.query(mutation, { i: { ...base, number: 'wi-pack-001' } }, crew.hse), 'BAD_USER_INPUT').message).toMatch(/already exists/);
    const listed = ok(await documents.query(`query($f: DocumentFilter) { documents(filter: $f) { totalCount edges { node { number } } } }`, { f: { siteId: places.siteId, text: 'WI-PACK' } })).documents;
    expect(listed).toEqual({ totalCount: 1, edges: [{ node: { number: 'WI-PACK-001' } }] });
    const at = async (place: string) => ok(await documents.query(`query($f: DocumentFilter) { documents(filter: $f) { edges { node { id } } } }`, { f: { appliesAt: place } })).documents.edges.map((e: any) => e.node.id);
    expect(await at(places.areaId)).toEqual([doc.id]);
    expect(await at(places.assetId)).toEqual([]);
    expect(ok(await documents.query(`query($f: DocumentFilter) { documents(filter: $f) { totalCount } }`, { f: { siteId: places.siteId } }, crew.elsewhere)).documents.totalCount).toBe(0);
    expect((await outbox(documents, doc.id)).map((e) => e.type)).toEqual(['document.registered']);
  });

  test('revision lifecycle: draft → in review → returned → edited → in review → approved by someone other than the author', async () => {
    const doc = await registerDocument(documents, places);
    const a = await draft(documents, doc.id, 'A', { changeSummary: 'first issue' });
    expect(a).toMatchObject({ status: 'DRAFT', current: false, effectiveDate: null, author: { id: people.supervisor.id }, document: { id: doc.id } });
    expect((await document(doc.id)).pendingRevision).toEqual({ id: a.id, label: 'A', status: 'DRAFT' });

    const submitted = ok(await act(documents, 'submitDocumentRevision', { id: a.id })).submitDocumentRevision;
    expect(submitted.status).toBe('IN_REVIEW');
    expectError(await act(documents, 'returnDocumentRevision', { id: a.id, reason: ' ' }, crew.hse), 'BAD_USER_INPUT');
    const returned = ok(await act(documents, 'returnDocumentRevision', { id: a.id, reason: 'torque values missing' }, crew.hse)).returnDocumentRevision;
    expect(returned).toMatchObject({ status: 'DRAFT', returnedReason: 'torque values missing' });
    const checksum = checksumOf('A with torque values');
    const edited = ok(await act(documents, 'updateDocumentRevision', { id: a.id, input: { checksum: checksum.toUpperCase().replace('SHA256', 'sha256'), contentRef: 'dms://sop/a2.pdf' } })).updateDocumentRevision;
    expect(edited).toMatchObject({ checksum, contentRef: 'dms://sop/a2.pdf', status: 'DRAFT' });
    ok(await act(documents, 'submitDocumentRevision', { id: a.id }));

    const refused = expectError(await act(documents, 'approveDocumentRevision', { id: a.id }, people.supervisor), 'SEPARATION_OF_DUTIES');
    expect(refused.message).toMatch(/author/);
    expectError(await act(documents, 'approveDocumentRevision', { id: a.id }, people.technician), 'FORBIDDEN');
    expect((await revision(a.id)).status).toBe('IN_REVIEW');

    const approvedA = ok(await act(documents, 'approveDocumentRevision', { id: a.id }, crew.hse)).approveDocumentRevision;
    expect(approvedA).toMatchObject({ status: 'APPROVED', current: true, approvedBy: { id: crew.hse.id } });
    expect(approvedA.effectiveDate).toBe(approvedA.approvedAt); // none given: effective when approved
    const after = await document(doc.id);
    expect(after).toMatchObject({ currentRevision: { id: a.id, status: 'APPROVED' }, pendingRevision: null });
    expect(after.lastReviewedAt).toBe(approvedA.approvedAt);

    const events = await outbox(documents);
    expect(events.filter((e) => e.data.revisionId === a.id).map((e) => e.type)).toEqual([
      'revision.drafted', 'revision.submitted', 'revision.returned', 'revision.updated', 'revision.submitted', 'revision.approved',
    ]);
    expect(events.find((e) => e.type === 'revision.approved' && e.data.revisionId === a.id)!.data).toMatchObject({ from: 'IN_REVIEW', supersededRevisionId: null, acknowledgementsRequired: 0, checksum });
  });

  test('approving a new revision supersedes the current one: exactly one approved revision, one pending at a time', async () => {
    const doc = await registerDocument(documents, places);
    const a = await approved(documents, doc.id, 'A');
    const b = await draft(documents, doc.id, 'B', { effectiveDate: '2030-01-01T00:00:00.000Z' });
    const second = expectError(await documents.query(`mutation($i: DraftDocumentRevisionInput!) { draftDocumentRevision(input: $i) { id } }`, {
      i: { documentId: doc.id, label: 'C', contentRef: 'dms://c.pdf', checksum: checksumOf('c') },
    }, people.supervisor), 'CONFLICT');
    expect(second.message).toMatch(/pending revision B/);
    expectError(await documents.query(`mutation($i: DraftDocumentRevisionInput!) { draftDocumentRevision(input: $i) { id } }`, {
      i: { documentId: doc.id, label: 'D', contentRef: 'dms://d.pdf', checksum: 'md5:abc' },
    }, people.supervisor), 'BAD_USER_INPUT');

    ok(await act(documents, 'submitDocumentRevision', { id: b.id }));
    const approvedB = ok(await act(documents, 'approveDocumentRevision', { id: b.id }, crew.hse)).approveDocumentRevision;
    expect(approvedB).toMatchObject({ status: 'APPROVED', current: true, effectiveDate: '2030-01-01T00:00:00.000Z' });
    const oldA = await revision(a.id);
    expect(oldA).toMatchObject({ status: 'SUPERSEDED', current: false });
    expect(oldA.supersededAt).toBe(approvedB.approvedAt);
    const revisions = (await document(doc.id)).revisions.map((r: { label: string; status: string }) => [r.label, r.status]);
    expect(revisions).toEqual([['B', 'APPROVED'], ['A', 'SUPERSEDED']]);
    expect((await outbox(documents)).find((e) => e.type === 'revision.approved' && e.data.revisionId === b.id)!.data.supersededRevisionId).toBe(a.id);

    // The database itself refuses a second approved revision of a document.
    await expect(documents.db.query(`UPDATE document_revision SET status = 'APPROVED' WHERE id = $1`, [a.id])).rejects.toMatchObject({ code: '23505' });
    const duplicateLabel = await draft(documents, doc.id, 'C');
    expect(expectError(await act(documents, 'updateDocumentRevision', { id: duplicateLabel.id, input: { checksum: 'nope' } }), 'BAD_USER_INPUT').extensions!.field).toBe('checksum');
  });

  test('refused transitions leave the revision as it was', async () => {
    const doc = await registerDocument(documents, places);
    const a = await draft(documents, doc.id, 'A');
    expectError(await act(documents, 'approveDocumentRevision', { id: a.id }, crew.hse), 'ILLEGAL_TRANSITION');
    expectError(await act(documents, 'returnDocumentRevision', { id: a.id, reason: 'why' }, crew.hse), 'ILLEGAL_TRANSITION');
    expectError(await documents.query(`mutation($id: ID!) { acknowledgeDocumentRevision(revisionId: $id) { id } }`, { id: a.id }, people.technician), 'ILLEGAL_TRANSITION');
    ok(await act(documents, 'submitDocumentRevision', { id: a.id }));
    expectError(await act(documents, 'submitDocumentRevision', { id: a.id }), 'ILLEGAL_TRANSITION');
    expectError(await act(documents, 'updateDocumentRevision', { id: a.id, input: { contentRef: 'dms://x.pdf' } }), 'ILLEGAL_TRANSITION');
    ok(await act(documents, 'approveDocumentRevision', { id: a.id }, crew.hse));
    expectError(await act(documents, 'approveDocumentRevision', { id: a.id }, crew.hse), 'ILLEGAL_TRANSITION');
    expectError(await act(documents, 'submitDocumentRevision', { id: a.id }), 'ILLEGAL_TRANSITION');
    const b = await approved(documents, doc.id, 'B');
    expect(b.status).toBe('APPROVED');
    const superseded = expectError(await documents.query(`mutation($id: ID!) { acknowledgeDocumentRevision(revisionId: $id) { id } }`, { id: a.id }, people.technician), 'ILLEGAL_TRANSITION');
    expect(superseded.message).toMatch(/SUPERSEDED/);
    expect(await revision(a.id)).toMatchObject({ status: 'SUPERSEDED', contentRef: a.contentRef });
    expectError(await act(documents, 'approveDocumentRevision', { id: a.id }, crew.elsewhere), 'NOT_FOUND');
    expectError(await act(documents, 'approveDocumentRevision', { id: 'nope' }, crew.hse), 'BAD_USER_INPUT');
  });

  test('"read and understood" of the current revision, without work to unblock: recorded once', async () => {
    const doc = await registerDocument(documents, places);
    const a = await approved(documents, doc.id, 'A');
    const mutation = `mutation($id: ID!) { acknowledgeDocumentRevision(revisionId: $id) { id state acknowledgedAt person { id } revision { id } workItems { id } } }`;
    const ack = ok(await documents.query(mutation, { id: a.id }, people.operator)).acknowledgeDocumentRevision;
    expect(ack).toMatchObject({ state: 'ACKNOWLEDGED', person: { id: people.operator.id }, revision: { id: a.id }, workItems: [] });
    const again = ok(await documents.query(mutation, { id: a.id }, people.operator)).acknowledgeDocumentRevision;
    expect(again).toEqual(ack);
    const events = (await outbox(documents)).filter((e) => e.data.revisionId === a.id && e.type.startsWith('acknowledgement'));
    expect(events).toHaveLength(1);
    expect((await outbox(documents)).some((e) => e.type === 'prerequisite.satisfied' && e.data.sourceRecordId === `${a.id}:${people.operator.id}`)).toBe(false);
    const pending = ok(await documents.query(`{ pendingAcknowledgements { id } }`, {}, people.operator)).pendingAcknowledgements;
    expect(pending).toEqual([]);
    expectError(await documents.query(`query($p: ID) { pendingAcknowledgements(personId: $p) { id } }`, { p: people.supervisor.id }, people.operator), 'FORBIDDEN');
  });
});
