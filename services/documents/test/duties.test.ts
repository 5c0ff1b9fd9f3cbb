import { OutboxEvent } from '@opsgraph/events';
import { expectError, ok, people, person, startTestGateway, type TestGateway, type TestService } from '@opsgraph/testing';
import type { Caller } from '@opsgraph/core';
import { REVISION_FIELDS, checksumOf, draft, knownPlaces, registerDocument, startDocuments, type Places } from './fixtures';

/**
 * Separation of duties on a revision, through the real gateway: approving is a review by someone else, so
 * its author and anyone who edited or submitted it are refused (SEPARATION_OF_DUTIES), and the refusal
 * changes nothing; someone who only returned it for rework may still approve it.
 */
let documents: TestService;
let gateway: TestGateway;
let places: Places;

const control = {
  author: person('00000000-0000-4000-8000-0000000000d1', 'supervisor'),
  editor: person('00000000-0000-4000-8000-0000000000d2', 'hse'),
  submitter: person('00000000-0000-4000-8000-0000000000d3', 'supervisor'),
  reviewer: person('00000000-0000-4000-8000-0000000000d4', 'hse'),
};

beforeAll(async () => {
  documents = await startDocuments();
  gateway = await startTestGateway({ documents: documents.url });
  places = await knownPlaces(documents);
});
afterAll(async () => {
  await gateway?.stop();
  await documents?.stop();
});

const gql = (caller: Caller, query: string, variables: Record<string, unknown> = {}) => gateway.query(query, variables, caller);
const step = (caller: Caller, mutation: string, id: string, args = '') => gql(caller, `mutation($id: ID!) { ${mutation}(id: $id${args}) { id status } }`, { id });
/** Everything a refused approval could have changed: the revision, its document's revisions, and the event count. */
const snapshot = async (revisionId: string, documentId: string) => [
  ok(await gql(people.admin, `query($id: ID!) { documentRevision(id: $id) { ${REVISION_FIELDS} } }`, { id: revisionId })).documentRevision,
  ok(await gql(people.admin, `query($id: ID!) { document(id: $id) { lastReviewedAt currentRevision { id } revisions { id status } } }`, { id: documentId })).document,
  await documents.db.getRepository(OutboxEvent).count(),
];

test('a revision is never approved by its author, nor by anyone who edited or submitted it', async () => {
  const document = await registerDocument(documents, places, {}, control.author);
  const revision = await draft(documents, document.id, 'A', {}, control.author);
  ok(await gql(control.editor, `mutation($id: ID!, $i: UpdateDocumentRevisionInput!) { updateDocumentRevision(id: $id, input: $i) { id } }`, {
    id: revision.id, i: { contentRef: `dms://sop/${document.id}/A2.pdf`, checksum: checksumOf('A2') },
  }));
  ok(await step(control.submitter, 'submitDocumentRevision', revision.id));
  // Returned for rework and submitted again: the reviewer who returned it did not shape its content.
  ok(await step(control.reviewer, 'returnDocumentRevision', revision.id, ', reason: "torque table missing"'));
  ok(await step(control.submitter, 'submitDocumentRevision', revision.id));

  for (const [caller, part] of [[control.author, 'AUTHOR'], [control.editor, 'EDITOR'], [control.submitter, 'EDITOR']] as const) {
    const before = await snapshot(revision.id, document.id);
    const err = expectError(await step(caller, 'approveDocumentRevision', revision.id), 'SEPARATION_OF_DUTIES');
    expect(err.extensions?.part).toBe(part);
    expect(await snapshot(revision.id, document.id)).toEqual(before);
  }
  const approved = ok(await gql(control.reviewer, `mutation($id: ID!) { approveDocumentRevision(id: $id) { status approvedBy { id } } }`, { id: revision.id })).approveDocumentRevision;
  expect(approved).toEqual({ status: 'APPROVED', approvedBy: { id: control.reviewer.id } });
});
