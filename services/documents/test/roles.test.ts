import path from 'node:path';
import { ROLES, type Role } from '@opsgraph/core';
import { OutboxEvent } from '@opsgraph/events';
import { describeRoleMatrix, expectError, ok, people, permitted, person, startTestGateway, type MatrixCase, type MatrixFixture, type TestGateway, type TestService } from '@opsgraph/testing';
import { DOCUMENT_PERMISSIONS } from '../src/domain/permissions';
import { DOCUMENT_FIELDS, REVISION_FIELDS, act, approved, checksumOf, draft, knownPlaces, registerDocument, startDocuments, type Places } from './fixtures';

/**
 * The role matrix, through the real gateway: every role against every Documents mutation. Allowed calls
 * succeed; the others fail with FORBIDDEN (UNAUTHENTICATED without a token), are on the audit trail as
 * refused, and change nothing. Fixture revisions are written by someone who is never the caller.
 */
let documents: TestService;
let gateway: TestGateway;
let places: Places;
/** A revision the operator acknowledged: whose acknowledgements each role may see. */
let acknowledged: { id: string };

const idOf = (role: Role) => `0000${ROLES.indexOf(role).toString().padStart(4, '0')}-0000-4000-8000-0000000000d0`;
const callerOf = (role: Role) => person(idOf(role), role, ['*'], role === 'contractor' ? 'Acme' : undefined);

beforeAll(async () => {
  documents = await startDocuments();
  gateway = await startTestGateway({ documents: documents.url });
  places = await knownPlaces(documents);
  const document = await registerDocument(documents, places);
  acknowledged = await approved(documents, document.id, 'A');
  ok(await documents.query(`mutation($id: ID!) { acknowledgeDocumentRevision(revisionId: $id) { id } }`, { id: acknowledged.id }, people.operator));
});
afterAll(async () => {
  await gateway?.stop();
  await documents?.stop();
});

const read = async (query: string, variables: Record<string, unknown> = {}) => ok(await documents.query(query, variables, people.admin));
const documentState = (id: string) => read(`query($id: ID!) { document(id: $id) { ${DOCUMENT_FIELDS} reviews { id status reviewers { person { id } } } } }`, { id });
const revisionState = (id: string) => read(`query($id: ID!) { documentRevision(id: $id) { ${REVISION_FIELDS} acknowledgements { person { id } state } } }`, { id });
let n = 0;
const newDocument = async () => (await registerDocument(documents, places)).id as string;
const drafted = async () => draft(documents, await newDocument(), `D${n++}`);
const inReview = async () => {
  const revision = await drafted();
  ok(await act(documents, 'submitDocumentRevision', { id: revision.id }));
  return revision;
};

type Case = MatrixCase<keyof typeof DOCUMENT_PERMISSIONS>;
const onRevision = (stage: () => Promise<{ id: string }>) => async (): Promise<MatrixFixture> => {
  const revision = await stage();
  return { variables: { id: revision.id }, read: () => revisionState(revision.id) };
};
const inAMonth = () => new Date(Date.now() + 30 * 24 * 3600_000).toISOString();

const cases: Record<string, Case> = {
  registerDocument: {
    permission: 'controlDocuments',
    setup: async () => ({
      variables: { i: { number: `WI-ROLE-${n++}`, title: 'Lockout of conveyors', type: 'WORK_INSTRUCTION', ownerId: people.supervisor.id, siteId: places.siteId, applicability: { siteIds: [places.siteId] } } },
      read: () => read(`query($s: ID) { documents(filter: { siteId: $s }) { totalCount } }`, { s: places.siteId }),
    }),
    mutation: `mutation($i: RegisterDocumentInput!) { m: registerDocument(input: $i) { id } }`,
  },
  updateDocument: {
    permission: 'controlDocuments',
    setup: async () => {
      const id = await newDocument();
      return { variables: { id, i: { title: 'Renamed', reviewIntervalDays: 365 } }, read: () => documentState(id) };
    },
    mutation: `mutation($id: ID!, $i: UpdateDocumentInput!) { m: updateDocument(id: $id, input: $i) { id } }`,
  },
  draftDocumentRevision: {
    permission: 'controlDocuments',
    setup: async () => {
      const id = await newDocument();
      return { variables: { i: { documentId: id, label: '1', contentRef: 'dms://x/1.pdf', checksum: checksumOf('1') } }, read: () => documentState(id) };
    },
    mutation: `mutation($i: DraftDocumentRevisionInput!) { m: draftDocumentRevision(input: $i) { id } }`,
  },
  updateDocumentRevision: {
    permission: 'controlDocuments',
    setup: async () => {
      const revision = await drafted();
      return { variables: { id: revision.id, i: { contentRef: 'dms://x/2.pdf', checksum: checksumOf('2') } }, read: () => revisionState(revision.id) };
    },
    mutation: `mutation($id: ID!, $i: UpdateDocumentRevisionInput!) { m: updateDocumentRevision(id: $id, input: $i) { id } }`,
  },
  submitDocumentRevision: { permission: 'controlDocuments', setup: onRevision(drafted), mutation: `mutation($id: ID!) { m: submitDocumentRevision(id: $id) { id } }` },
  returnDocumentRevision: { permission: 'controlDocuments', setup: onRevision(inReview), mutation: `mutation($id: ID!) { m: returnDocumentRevision(id: $id, reason: "step 4 unclear") { id } }` },
  approveDocumentRevision: { permission: 'controlDocuments', setup: onRevision(inReview), mutation: `mutation($id: ID!) { m: approveDocumentRevision(id: $id) { id } }` },
  requestDocumentReview: {
    permission: 'controlDocuments',
    setup: async () => {
      const id = await newDocument();
      return { variables: { i: { documentId: id, reviewerIds: [people.technician.id], dueAt: inAMonth(), reason: 'near miss' } }, read: () => documentState(id) };
    },
    mutation: `mutation($i: RequestDocumentReviewInput!) { m: requestDocumentReview(input: $i) { id } }`,
  },
  acknowledgeDocumentRevision: {
    permission: 'acknowledge',
    setup: async () => onRevision(async () => approved(documents, await newDocument(), 'A'))(),
    mutation: `mutation($id: ID!) { m: acknowledgeDocumentRevision(revisionId: $id) { id } }`,
  },
};

describeRoleMatrix({
  gateway: () => gateway,
  permissions: DOCUMENT_PERMISSIONS,
  cases,
  schema: path.join(__dirname, '../src/schema.graphql'),
  callerOf,
  auditTrail: 'documentsAuditTrail',
  query: `{ documents { totalCount } }`,
  events: () => documents.db.getRepository(OutboxEvent).count(),
  shareRefusedFixtures: true,
  expectData: (data) => expect(data.m.id).toEqual(expect.any(String)),
  perRole: (role, caller) => {
    test("reads: documents of one's sites for all; other people's acknowledgements for supervisors, HSE and auditors; the audit trail for auditors", async () => {
      const seesOthers = permitted(DOCUMENT_PERMISSIONS, role, 'seeAcknowledgementsOfOthers');
      const list = ok(await gateway.query(`query($s: ID) { documents(filter: { siteId: $s }, first: 200) { totalCount edges { node { id } } } }`, { s: places.siteId }, caller)).documents;
      expect(list.totalCount).toBe(list.edges.length);
      expect(list.totalCount).toBeGreaterThan(0);
      const acks = ok(await gateway.query(`query($id: ID!) { documentRevision(id: $id) { acknowledgements { person { id } state } } }`, { id: acknowledged.id }, caller)).documentRevision.acknowledgements;
      expect(acks).toEqual(seesOthers ? [{ person: { id: people.operator.id }, state: 'ACKNOWLEDGED' }] : []);
      const pending = await gateway.query(`query($p: ID) { pendingAcknowledgements(personId: $p) { id } }`, { p: people.operator.id }, caller);
      if (seesOthers) expect(ok(pending).pendingAcknowledgements).toEqual([]);
      else expectError(pending, 'FORBIDDEN');
      expect(ok(await gateway.query(`{ pendingAcknowledgements { id } }`, {}, caller)).pendingAcknowledgements).toEqual([]);
      const trail = await gateway.query(`{ documentsAuditTrail(first: 1) { operation } }`, {}, caller);
      if (role === 'auditor' || role === 'administrator') expect(ok(trail).documentsAuditTrail).toHaveLength(1);
      else expectError(trail, 'FORBIDDEN');
    });
  },
});
