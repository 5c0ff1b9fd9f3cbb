import { eventually, expectError, ok, people, startTestGateway, startTestService, untilPlacesKnown, type TestGateway, type TestService } from '@opsgraph/testing';
import { service as workService } from '../../work/src/service';
import { checksumOf, crew, startDocuments } from './fixtures';

/**
 * End to end through the gateway, with Work and documents running their relays and consumers on Kafka:
 * approving a revision blocks the open work it applies to until each owner acknowledges it, and a review
 * is work for each reviewer that closes the review when verified.
 */
let work: TestService;
let documents: TestService;
let gateway: TestGateway;
let plant: { siteId: string; areaId: string; otherAreaId: string; assetId: string };

const q = async <T = any>(query: string, variables: Record<string, unknown> = {}, caller = people.admin): Promise<T> => ok(await gateway.query<T>(query, variables, caller));

beforeAll(async () => {
  [work, documents] = await Promise.all([startTestService(workService), startDocuments()]);
  gateway = await startTestGateway({ work: work.url, documents: documents.url });
  const site = (await q(`mutation { createSite(input: { code: "DOC", name: "Documents plant" }) { id } }`)).createSite.id;
  const area = async (code: string) => (await q(`mutation($s: ID!, $c: String!) { createArea(input: { siteId: $s, code: $c, name: $c }) { id } }`, { s: site, c: code })).createArea.id;
  const areaId = await area('PACK');
  const otherAreaId = await area('UTIL');
  const assetId = (await q(`mutation($s: ID!, $a: ID!) { createAsset(input: { siteId: $s, areaId: $a, code: "P-301", name: "Feed pump", assetClass: "pump" }) { id } }`, { s: site, a: areaId })).createAsset.id;
  plant = { siteId: site, areaId, otherAreaId, assetId };
  // Documents checks the places a document names against what Work's registry events told it.
  await untilPlacesKnown(documents.db, [site, areaId, otherAreaId, assetId]);
});
afterAll(async () => {
  await gateway?.stop();
  await Promise.all([documents?.stop(), work?.stop()]);
});

async function createWork(input: Record<string, unknown>) {
  return (await q(`mutation($i: CreateWorkItemInput!) { createWorkItem(input: $i) { id } }`, { i: { type: 'MAINTENANCE', title: 'Replace seal on P-301', siteId: plant.siteId, ...input } }, people.supervisor)).createWorkItem.id as string;
}

const ITEM = `id status blocked blockers { kind sourceDomain sourceRecordId description } documents { id label document { number } }`;
const item = async (id: string, caller = people.admin) => (await q(`query($id: ID!) { workItem(id: $id) { ${ITEM} } }`, { id }, caller)).workItem;
const acknowledgementBlockers = (w: { blockers: { kind: string; sourceRecordId: string }[] }) => w.blockers.filter((b) => b.kind === 'DOCUMENT_ACKNOWLEDGED').map((b) => b.sourceRecordId);

async function approvedRevision(documentId: string, label: string) {
  const revision = (await q(`mutation($i: DraftDocumentRevisionInput!) { draftDocumentRevision(input: $i) { id } }`, {
    i: { documentId, label, contentRef: `dms://sop/${label}.pdf`, checksum: checksumOf(label) },
  }, people.supervisor)).draftDocumentRevision;
  await q(`mutation($id: ID!) { submitDocumentRevision(id: $id) { id } }`, { id: revision.id }, people.supervisor);
  return (await q(`mutation($id: ID!) { approveDocumentRevision(id: $id) { id label status } }`, { id: revision.id }, crew.hse)).approveDocumentRevision;
}

const acknowledge = (revisionId: string, caller: typeof people.technician) =>
  q(`mutation($id: ID!) { acknowledgeDocumentRevision(revisionId: $id) { state workItems { id } } }`, { id: revisionId }, caller);

test('approving a revision blocks the applicable open work until its owner acknowledges it', async () => {
  const sealJob = await createWork({ assetId: plant.assetId, ownerId: people.technician.id });
  const otherOwner = await createWork({ assetId: plant.assetId, ownerId: people.technician2.id });
  const cleaning = await createWork({ type: 'CLEANING', title: 'Clean pump skid', assetId: plant.assetId, ownerId: people.technician.id });
  const elsewhere = await createWork({ areaId: plant.otherAreaId, assetId: null, ownerId: people.technician.id });
  const unowned = await createWork({ assetId: plant.assetId });

  const document = (await q(`mutation($i: RegisterDocumentInput!) { registerDocument(input: $i) { id number } }`, {
    i: { number: 'SOP-MECH-007', title: 'Mechanical seal replacement', type: 'PROCEDURE', ownerId: people.supervisor.id, siteId: plant.siteId, applicability: { assetIds: [plant.assetId], workTypes: ['MAINTENANCE'] } },
  }, people.supervisor)).registerDocument;
  // Whether documents has seen these work items yet or not, the blockers end up the same.
  const a = await approvedRevision(document.id, 'A');

  const source = (person: string) => `${a.id}:${person}`;
  const blocked = await eventually(async () => {
    const w = await item(sealJob);
    return w.blocked && w;
  });
  expect(blocked).toMatchObject({ status: 'OPEN', documents: [{ id: a.id, label: 'A', document: { number: 'SOP-MECH-007' } }] });
  expect(blocked.blockers).toEqual([{ kind: 'DOCUMENT_ACKNOWLEDGED', sourceDomain: 'DOCUMENTS', sourceRecordId: source(people.technician.id), description: 'Read and understood: SOP-MECH-007 rev A "Mechanical seal replacement"' }]);
  expect(acknowledgementBlockers(await eventually(async () => (await item(otherOwner)).blocked && item(otherOwner)))).toEqual([source(people.technician2.id)]);
  for (const id of [cleaning, elsewhere, unowned]) {
    const w = await item(id);
    expect([w.blocked, w.status]).toEqual([false, 'READY']);
  }
  expect((await item(cleaning)).documents).toEqual([]); // applies to maintenance only

  expectError(await gateway.query(`mutation($id: ID!) { startWork(id: $id) { id } }`, { id: sealJob }, people.technician), 'PREREQUISITES_OPEN');
  const pending = (await q(`{ pendingAcknowledgements { state revision { label document { number } } workItems { id } } }`, {}, people.technician)).pendingAcknowledgements;
  expect(pending).toEqual([{ state: 'PENDING', revision: { label: 'A', document: { number: 'SOP-MECH-007' } }, workItems: [{ id: sealJob }] }]);

  expect(await acknowledge(a.id, people.technician)).toEqual({ acknowledgeDocumentRevision: { state: 'ACKNOWLEDGED', workItems: [{ id: sealJob }] } });
  await eventually(async () => (await item(sealJob)).status === 'READY');
  expect((await item(otherOwner)).blocked).toBe(true); // someone else's acknowledgement does not count
  ok(await gateway.query(`mutation($id: ID!) { startWork(id: $id) { id } }`, { id: sealJob }, people.technician));

  // New work: blocked only for someone who has not acknowledged the current revision.
  const acknowledgedOwner = await createWork({ assetId: plant.assetId, ownerId: people.technician.id });
  const newOwner = await createWork({ assetId: plant.assetId, ownerId: people.operator.id });
  await eventually(async () => acknowledgementBlockers(await item(newOwner)).includes(source(people.operator.id)));
  expect((await item(acknowledgedOwner)).blocked).toBe(false);

  // Reassigned to someone who has acknowledged: the blocker of the previous owner goes.
  await q(`mutation($id: ID!, $o: ID!) { assignWorkItem(id: $id, ownerId: $o) { id } }`, { id: otherOwner, o: people.technician.id }, people.supervisor);
  await eventually(async () => (await item(otherOwner)).status === 'READY');
  // ... and to someone who has not: blocked for them.
  await q(`mutation($id: ID!, $o: ID!) { assignWorkItem(id: $id, ownerId: $o) { id } }`, { id: unowned, o: people.technician2.id }, people.supervisor);
  await eventually(async () => acknowledgementBlockers(await item(unowned)).includes(source(people.technician2.id)));

  // Revision B supersedes A: work in progress shows blocked again until B is acknowledged.
  const b = await approvedRevision(document.id, 'B');
  const again = await eventually(async () => {
    const w = await item(sealJob);
    return w.blocked && w;
  });
  expect(again).toMatchObject({ status: 'IN_PROGRESS', documents: [{ label: 'B' }] });
  expect(acknowledgementBlockers(again)).toEqual([`${b.id}:${people.technician.id}`]);
  // technician2 never acknowledged A: both blockers stay until they acknowledge B, which clears both.
  expect(acknowledgementBlockers(await eventually(async () => acknowledgementBlockers(await item(unowned)).length === 2 && item(unowned))).sort()).toEqual([source(people.technician2.id), `${b.id}:${people.technician2.id}`].sort());
  expectError(await gateway.query(`mutation($id: ID!) { acknowledgeDocumentRevision(revisionId: $id) { state } }`, { id: a.id }, people.technician2), 'ILLEGAL_TRANSITION');
  await acknowledge(b.id, people.technician2);
  await acknowledge(b.id, people.technician);
  await eventually(async () => !(await item(unowned)).blocked && !(await item(sealJob)).blocked);
  const acks = (await q(`query($id: ID!) { documentRevision(id: $id) { acknowledgements { person { id } state } } }`, { id: b.id })).documentRevision.acknowledgements;
  expect(acks).toEqual(expect.arrayContaining([{ person: { id: people.technician.id }, state: 'ACKNOWLEDGED' }, { person: { id: people.technician2.id }, state: 'ACKNOWLEDGED' }, { person: { id: people.operator.id }, state: 'PENDING' }]));

  const atAsset = (await q(`query($id: ID!) { asset(id: $id) { documents { number currentRevision { label } } } }`, { id: plant.assetId })).asset.documents;
  expect(atAsset).toEqual([{ number: 'SOP-MECH-007', currentRevision: { label: 'B' } }]);
});

test('a superseded revision\'s blocker names the current revision, clears with it, and its record is kept', async () => {
  const title = 'Coupling alignment';
  const document = (await q(`mutation($i: RegisterDocumentInput!) { registerDocument(input: $i) { id number } }`, {
    i: { number: 'SOP-MECH-021', title, type: 'PROCEDURE', ownerId: people.supervisor.id, siteId: plant.siteId, applicability: { assetIds: [plant.assetId], workTypes: ['MAINTENANCE'] } },
  }, people.supervisor)).registerDocument;
  const job = await createWork({ title: 'Align coupling on P-301', assetId: plant.assetId, ownerId: people.technician2.id });
  const blockersOf = async () => (await item(job)).blockers.filter((b: { kind: string }) => b.kind === 'DOCUMENT_ACKNOWLEDGED');

  const one = await approvedRevision(document.id, '1');
  const first = await eventually(async () => (await blockersOf()).length === 1 && blockersOf());
  expect(first).toEqual([{ kind: 'DOCUMENT_ACKNOWLEDGED', sourceDomain: 'DOCUMENTS', sourceRecordId: `${one.id}:${people.technician2.id}`, description: `Read and understood: SOP-MECH-021 rev 1 "${title}"` }]);

  // Revision 2 before technician2 read revision 1: revision 1's blocker stays (so the work cannot slip
  // through in between) but now names revision 2, the one they can act on.
  const two = await approvedRevision(document.id, '2');
  const replaced = `Read and understood: SOP-MECH-021 rev 2 (replaces rev 1) "${title}"`;
  const both = await eventually(async () => {
    const open = await blockersOf();
    return open.length === 2 && open.some((b: { description: string }) => b.description === replaced) && open;
  });
  expect(both.map((b: { sourceRecordId: string; description: string }) => [b.sourceRecordId, b.description]).sort()).toEqual(
    [
      [`${one.id}:${people.technician2.id}`, replaced],
      [`${two.id}:${people.technician2.id}`, `Read and understood: SOP-MECH-021 rev 2 "${title}"`],
    ].sort(),
  );
  expect(both.filter((b: { description: string }) => b.description.includes('rev 1 "'))).toEqual([]);

  // Revision 1 can no longer be acknowledged: refused, naming revision 2, and nothing changes.
  const refused = expectError(await gateway.query(`mutation($id: ID!) { acknowledgeDocumentRevision(revisionId: $id) { state } }`, { id: one.id }, people.technician2), 'ILLEGAL_TRANSITION');
  expect(refused.message).toBe('cannot acknowledge a document revision that is SUPERSEDED: SOP-MECH-021 rev 1 was replaced by rev 2; acknowledge rev 2, which clears this one\'s blockers too');
  const pending = (await q(`{ pendingAcknowledgements { revision { label document { number } } } }`, {}, people.technician2)).pendingAcknowledgements;
  expect(pending.filter((p: { revision: { document: { number: string } } }) => p.revision.document.number === 'SOP-MECH-021')).toEqual([{ revision: { label: '2', document: { number: 'SOP-MECH-021' } } }]);
  expect((await item(job)).blocked).toBe(true);

  await acknowledge(two.id, people.technician2);
  await eventually(async () => !(await item(job)).blocked);
  const cleared = (await q(`query($id: ID!) { workItem(id: $id) { number prerequisites { sourceRecordId state description } } }`, { id: job }, people.supervisor)).workItem;
  expect(cleared.prerequisites.filter((p: { sourceRecordId: string }) => p.sourceRecordId === `${one.id}:${people.technician2.id}`)).toEqual([{ sourceRecordId: `${one.id}:${people.technician2.id}`, state: 'SATISFIED', description: replaced }]);

  // Revision 1's record of the work it blocked is still there, and says how the blocker ended.
  const RECORD = `blockedWork { workItem { id } workItemNumber person { id } description raisedAt clearedAt clearedBy clearedByRevision { label } clearedReason }`;
  // The earlier test's work at the asset is blocked by this document too: only technician2's job is looked at.
  const record = async (revisionId: string, caller = people.supervisor) => {
    const revision = (await q(`query($id: ID!) { documentRevision(id: $id) { status acknowledgements { state person { id } ${RECORD} } ${RECORD} } }`, { id: revisionId }, caller)).documentRevision;
    const ours = (b: { workItem: { id: string } }) => b.workItem.id === job;
    return {
      status: revision.status,
      acknowledgements: revision.acknowledgements.filter((a: { person: { id: string } }) => a.person.id === people.technician2.id).map((a: { blockedWork: [] }) => ({ ...a, blockedWork: a.blockedWork.filter(ours) })),
      blockedWork: revision.blockedWork.filter(ours),
    };
  };
  const old = await record(one.id);
  const expected = {
    workItem: { id: job },
    workItemNumber: cleared.number,
    person: { id: people.technician2.id },
    description: replaced,
    raisedAt: expect.any(String),
    clearedAt: expect.any(String),
    clearedBy: 'ACKNOWLEDGED',
    clearedByRevision: { label: '2' },
    clearedReason: 'acknowledged SOP-MECH-021 rev 2, which replaced rev 1',
  };
  expect(old).toMatchObject({ status: 'SUPERSEDED', acknowledgements: [{ state: 'SUPERSEDED', person: { id: people.technician2.id }, blockedWork: [expected] }], blockedWork: [expected] });
  expect(new Date(old.blockedWork[0].clearedAt).getTime()).toBeGreaterThanOrEqual(new Date(old.blockedWork[0].raisedAt).getTime());
  expect((await record(two.id)).blockedWork).toEqual([
    { ...expected, description: `Read and understood: SOP-MECH-021 rev 2 "${title}"`, clearedReason: 'acknowledged SOP-MECH-021 rev 2' },
  ]);
  // Someone else's record is theirs and their supervisors' to read.
  const technicians = (await q(`query($id: ID!) { documentRevision(id: $id) { blockedWork { person { id } } } }`, { id: one.id }, people.technician)).documentRevision.blockedWork;
  expect(technicians.length).toBeGreaterThan(0);
  expect(technicians.filter((b: { person: { id: string } }) => b.person.id !== people.technician.id)).toEqual([]);
  expect((await record(one.id, people.technician2)).blockedWork).toEqual([expected]);
});

test('a review is work for each reviewer, and closes when that work is verified', async () => {
  const document = (await q(`mutation($i: RegisterDocumentInput!) { registerDocument(input: $i) { id } }`, {
    i: { number: 'WI-PACK-100', title: 'Filler changeover', type: 'WORK_INSTRUCTION', ownerId: people.supervisor.id, siteId: plant.siteId, applicability: { areaIds: [plant.otherAreaId] } },
  }, people.supervisor)).registerDocument;
  const review = (await q(`mutation($i: RequestDocumentReviewInput!) { requestDocumentReview(input: $i) { id status } }`, {
    i: { documentId: document.id, reviewerIds: [people.technician.id], dueAt: new Date(Date.now() + 7 * 86_400_000).toISOString(), reason: 'new filler model installed' },
  }, people.supervisor)).requestDocumentReview;
  const reviewWork = await eventually(async () => (await q(`query($id: ID!) { document(id: $id) { workItems { id type status owner { id } source { domain recordId reason } } } }`, { id: document.id })).document.workItems[0]);
  expect(reviewWork).toMatchObject({ type: 'DOCUMENT_REVIEW', owner: { id: people.technician.id }, source: { domain: 'DOCUMENTS', recordId: document.id, reason: 'Review requested: new filler model installed' } });
  const reviewer = async () => (await q(`query($id: ID!) { documentReview(id: $id) { status closedAt reviewers { workStatus workItem { id } } } }`, { id: review.id })).documentReview;
  await eventually(async () => (await reviewer()).reviewers[0].workItem?.id === reviewWork.id);

  // The review's proof is the reviewer's decision, answered on the work item, and their signature.
  const { requiredOutcome } = (await q(`query($id: ID!) { workItem(id: $id) { requiredOutcome { acceptanceCriteria evidence { kind label unit min max questions } } } }`, { id: reviewWork.id })).workItem;
  expect(requiredOutcome).toEqual({
    acceptanceCriteria: 'Document reviewed: confirmed as still correct, or a new revision drafted with the changes it needs',
    evidence: [
      { kind: 'CHECKLIST', label: 'Review decision', unit: null, min: null, max: null, questions: ['Still correct as issued? If not, which draft revision carries the changes?'] },
      { kind: 'SIGNATURE', label: 'Reviewed by', unit: null, min: null, max: null, questions: null },
    ],
  });
  const complete = (evidence: Record<string, unknown>[]) => gateway.query(`mutation($id: ID!, $e: [EvidenceInput!]!) { completeWork(id: $id, evidence: $e) { status } }`, { id: reviewWork.id, e: evidence }, people.technician);
  const signature = { kind: 'SIGNATURE', label: 'Reviewed by', text: 'Tom Technician' };
  ok(await gateway.query(`mutation($id: ID!) { startWork(id: $id) { id } }`, { id: reviewWork.id }, people.technician));
  expect(expectError(await complete([]), 'EVIDENCE_INCOMPLETE').message).toContain('checklist "Review decision": not submitted');
  expect(expectError(await complete([{ kind: 'CHECKLIST', label: 'Review decision', answers: [] }, signature]), 'EVIDENCE_INCOMPLETE').message).toContain('unanswered: Still correct as issued?');
  const decision = { kind: 'CHECKLIST', label: 'Review decision', answers: [{ question: requiredOutcome.evidence[0].questions[0], answer: 'Still correct; changeover times checked against the new model' }] };
  expect(ok(await complete([decision, signature])).completeWork.status).toBe('AWAITING_VERIFICATION');
  ok(await gateway.query(`mutation($id: ID!) { verifyWork(id: $id, accept: true) { id } }`, { id: reviewWork.id }, people.verifier));
  const closed = await eventually(async () => {
    const r = await reviewer();
    return r.status === 'CLOSED' && r;
  });
  expect(closed.reviewers).toEqual([{ workStatus: 'DONE', workItem: { id: reviewWork.id } }]);
  expect((await q(`query($id: ID!) { document(id: $id) { lastReviewedAt } }`, { id: document.id })).document.lastReviewedAt).toBe(closed.closedAt);
});

test('the documents of a list of work items are looked up in batches', async () => {
  const document = (await q(`mutation($i: RegisterDocumentInput!) { registerDocument(input: $i) { id } }`, {
    i: { number: 'SDS-CAUSTIC', title: 'Caustic soda 2%', type: 'SAFETY_DATA_SHEET', ownerId: people.supervisor.id, siteId: plant.siteId, applicability: { siteIds: [plant.siteId], workTypes: ['CLEANING'] } },
  }, people.supervisor)).registerDocument;
  await approvedRevision(document.id, '1');
  for (let i = 0; i < 8; i++) await createWork({ type: 'CLEANING', title: `CIP clean ${i}`, areaId: i % 2 ? plant.areaId : plant.otherAreaId, assetId: null });
  const query = (n: number) => `query($f: WorkItemFilter) { workItems(filter: $f, first: ${n}) { edges { node { id documents { label document { number } } } } } }`;
  const measure = async (n: number) => {
    const res = await gateway.query(query(n), { f: { siteId: plant.siteId, type: ['CLEANING'] } }, people.admin);
    const edges = ok(res).workItems.edges;
    expect(edges).toHaveLength(n);
    expect(edges.every((e: any) => e.node.documents.some((d: any) => d.document.number === 'SDS-CAUSTIC'))).toBe(true);
    return res.statements;
  };
  const few = await measure(2);
  expect(few).toBeGreaterThan(0);
  expect(await measure(8)).toBe(few);
});
