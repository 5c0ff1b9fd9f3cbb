import { createHash, randomUUID } from 'node:crypto';
import { knowPlaces, ok, people, person, startTestService, type DataSource, type TestService, recordedEvents } from '@opsgraph/testing';
import { service } from '../src/service';

export const DOCUMENT_FIELDS = `
  id number title type version reviewIntervalDays lastReviewedAt nextReviewDue
  owner { id } site { id }
  applicability { sites { id } areas { id } assets { id } workTypes }
  currentRevision { id label status } pendingRevision { id label status }
  revisions { id label status }
`;

export const REVISION_FIELDS = `
  id label status current effectiveDate contentRef checksum changeSummary submittedAt returnedReason approvedAt supersededAt
  author { id } approvedBy { id } document { id number }
`;

export const crew = {
  ...people,
  hse: person('00000000-0000-4000-8000-0000000000d1', 'hse'),
  elsewhere: person('00000000-0000-4000-8000-0000000000d2', 'supervisor', ['4f4f4f4f-0000-4000-8000-000000000000']),
  reader: person('00000000-0000-4000-8000-0000000000d3', 'read_only'),
};

export const checksumOf = (content: string) => `sha256:${createHash('sha256').update(content).digest('hex')}`;

export interface Places {
  siteId: string;
  areaId: string;
  assetId: string;
}
export const newPlaces = (): Places => ({ siteId: randomUUID(), areaId: randomUUID(), assetId: randomUUID() });

/**
 * New places Documents knows, as Work's `location.registered` events would have told it (for tests that run
 * without Work): a site, an area of it and an asset in that area.
 */
export async function knownPlaces(service: { db: DataSource }): Promise<Places> {
  const places = newPlaces();
  await knowPlaces(service.db, places);
  return places;
}

export const startDocuments = () => startTestService(service);

let serial = 0;
export async function registerDocument(documents: TestService, places: Places, input: Record<string, unknown> = {}, caller = people.supervisor) {
  serial += 1;
  const res = await documents.query(`mutation($i: RegisterDocumentInput!) { registerDocument(input: $i) { ${DOCUMENT_FIELDS} } }`, {
    i: {
      number: `SOP-${Date.now().toString(36).toUpperCase()}-${serial}`,
      title: 'Mechanical seal replacement on centrifugal pumps',
      type: 'PROCEDURE',
      ownerId: people.supervisor.id,
      siteId: places.siteId,
      applicability: { assetIds: [places.assetId] },
      ...input,
    },
  }, caller);
  return ok(res).registerDocument;
}

export async function draft(documents: TestService, documentId: string, label: string, input: Record<string, unknown> = {}, caller = people.supervisor) {
  const res = await documents.query(`mutation($i: DraftDocumentRevisionInput!) { draftDocumentRevision(input: $i) { ${REVISION_FIELDS} } }`, {
    i: { documentId, label, contentRef: `dms://sop/${documentId}/${label}.pdf`, checksum: checksumOf(`${documentId}:${label}`), ...input },
  }, caller);
  return ok(res).draftDocumentRevision;
}

/** Calls a revision mutation by name with its arguments. */
export function act(documents: TestService, mutation: string, args: Record<string, unknown>, caller = people.supervisor, fields = REVISION_FIELDS) {
  const types: Record<string, string> = { id: 'ID!', reason: 'String!', input: 'UpdateDocumentRevisionInput!' };
  const params = Object.keys(args).map((k) => `${k}: $${k}`).join(', ');
  const decl = Object.keys(args).map((k) => `$${k}: ${types[k]}`).join(', ');
  return documents.query(`mutation(${decl}) { ${mutation}(${params}) { ${fields} } }`, args, caller);
}

/** Drafts, submits and approves (by HSE) a revision. */
export async function approved(documents: TestService, documentId: string, label: string) {
  const revision = await draft(documents, documentId, label);
  ok(await act(documents, 'submitDocumentRevision', { id: revision.id }));
  return ok(await act(documents, 'approveDocumentRevision', { id: revision.id }, crew.hse)).approveDocumentRevision;
}

/** The facts a service wrote to its outbox, oldest first. */
export const outbox = (service: TestService, subject?: string) => recordedEvents(service, subject);
