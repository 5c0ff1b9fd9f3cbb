import { randomUUID } from 'node:crypto';
import { eventually, expectError, ok, people, type TestService, fakeWork, type FakeWorkItem } from '@opsgraph/testing';
import { raiseDueReviews } from '../src/domain/reviews';
import { approved, crew, knownPlaces, outbox, registerDocument, startDocuments, type Places } from './fixtures';

let documents: TestService;
let places: Places;
let work: ReturnType<typeof fakeWork>;

beforeAll(async () => {
  documents = await startDocuments();
  places = await knownPlaces(documents);
  work = fakeWork();
});
afterAll(async () => {
  await work.close();
  await documents.stop();
});

const DAY = 24 * 3600_000;

async function document(id: string) {
  return ok(await documents.query(`query($id: ID!) { document(id: $id) { lastReviewedAt nextReviewDue } }`, { id })).document;
}

describe('reviews', () => {
  test('periodic: a document falls due for review a year after approval and its owner gets review work; raised once', async () => {
    const doc = await registerDocument(documents, places, { reviewIntervalDays: 365, ownerId: crew.hse.id });
    const a = await approved(documents, doc.id, 'A');
    const due = new Date(new Date(a.approvedAt).getTime() + 365 * DAY);
    expect((await document(doc.id)).nextReviewDue).toBe(due.toISOString());

    expect((await raiseDueReviews(documents.db.manager, new Date(due.getTime() - 60 * DAY))).filter((r) => r.documentId === doc.id)).toEqual([]);
    const raised = (await raiseDueReviews(documents.db.manager, new Date(due.getTime() - 10 * DAY))).filter((r) => r.documentId === doc.id);
    expect(raised).toHaveLength(1);
    expect(raised[0]).toMatchObject({ kind: 'PERIODIC', status: 'OPEN', dueAt: due });
    expect((await raiseDueReviews(documents.db.manager, new Date(due.getTime() + DAY))).filter((r) => r.documentId === doc.id)).toEqual([]);

    const review = ok(await documents.query(`query($id: ID!) { documentReview(id: $id) { kind status dueAt requestedBy { id } reviewers { person { id } workStatus workItem { id } } } }`, { id: raised[0].id })).documentReview;
    expect(review).toEqual({ kind: 'PERIODIC', status: 'OPEN', dueAt: due.toISOString(), requestedBy: null, reviewers: [{ person: { id: crew.hse.id }, workStatus: 'REQUESTED', workItem: null }] });
    const requested = (await outbox(documents, doc.id)).filter((e) => e.type === 'work.requested');
    expect(requested).toHaveLength(1);
    expect(requested[0].data).toMatchObject({
      requestId: `document-review:${raised[0].id}:${crew.hse.id}`,
      type: 'DOCUMENT_REVIEW',
      ownerId: crew.hse.id,
      siteId: places.siteId,
      sourceRecordId: doc.id,
      dueAt: due.toISOString(),
    });

    const trigger = `mutation($i: RequestDocumentReviewInput!) { requestDocumentReview(input: $i) { id } }`;
    const input = { documentId: doc.id, reviewerIds: [people.supervisor.id], dueAt: new Date(Date.now() + 7 * DAY).toISOString(), reason: 'near miss during seal change' };
    expectError(await documents.query(trigger, { i: input }, people.supervisor), 'CONFLICT');
    const other = await registerDocument(documents, places);
    expectError(await documents.query(trigger, { i: { ...input, documentId: other.id, reviewerIds: [] } }, people.supervisor), 'BAD_USER_INPUT');
    expectError(await documents.query(trigger, { i: { ...input, documentId: other.id } }, people.operator), 'FORBIDDEN');
    const triggered = ok(await documents.query(trigger, { i: { ...input, documentId: other.id, reviewerIds: [people.supervisor.id, crew.hse.id] } }, people.supervisor)).requestDocumentReview;
    const work = (await outbox(documents, other.id)).filter((e) => e.type === 'work.requested').map((e) => e.data);
    expect(work.map((w) => [w.ownerId, w.requestId])).toEqual([
      [people.supervisor.id, `document-review:${triggered.id}:${people.supervisor.id}`],
      [crew.hse.id, `document-review:${triggered.id}:${crew.hse.id}`],
    ]);
    expect(work[0].reason).toMatch(/near miss/);
  });
});

describe('closing a review from Work\'s events', () => {
  const reviewQuery = `query($id: ID!) { documentReview(id: $id) { status closedAt reviewers { person { id } workStatus workItem { id } } } }`;
  const request = async (documentId: string, reviewerIds: string[]) =>
    ok(await documents.query(`mutation($i: RequestDocumentReviewInput!) { requestDocumentReview(input: $i) { id } }`, {
      i: { documentId, reviewerIds, dueAt: new Date(Date.now() + 7 * DAY).toISOString(), reason: 'supplier changed the seal design' },
    }, people.supervisor)).requestDocumentReview.id as string;
  const reviewWork = async (reviewId: string, documentId: string): Promise<FakeWorkItem[]> =>
    (await outbox(documents, documentId))
      .filter((e) => e.type === 'work.requested' && e.data.requestId.startsWith(`document-review:${reviewId}:`))
      .map((e) => ({ workItemId: randomUUID(), workType: 'DOCUMENT_REVIEW', siteId: e.data.siteId, ownerId: e.data.ownerId, sourceDomain: 'DOCUMENTS', sourceRecordId: documentId, workRequestId: e.data.requestId }));

  test('closed when every reviewer\'s work is verified done (cancelled work withdrawn); the document counts as reviewed', async () => {
    const doc = await registerDocument(documents, places, { reviewIntervalDays: 365 });
    await approved(documents, doc.id, 'A');
    const reviewId = await request(doc.id, [people.technician.id, people.technician2.id]);
    const [first, second] = await reviewWork(reviewId, doc.id);
    await work.created(first);
    await work.created(second);
    await eventually(async () => ok(await documents.query(reviewQuery, { id: reviewId })).documentReview.reviewers.every((r: any) => r.workStatus === 'OPEN'));

    await work.verified(first);
    await eventually(async () => ok(await documents.query(reviewQuery, { id: reviewId })).documentReview.reviewers.some((r: any) => r.workStatus === 'DONE'));
    expect(ok(await documents.query(reviewQuery, { id: reviewId })).documentReview.status).toBe('OPEN');
    const before = (await document(doc.id)).lastReviewedAt;

    await work.cancelled(second);
    const closed = await eventually(async () => {
      const r = ok(await documents.query(reviewQuery, { id: reviewId })).documentReview;
      return r.status === 'CLOSED' && r;
    });
    expect(closed.reviewers.map((r: any) => [r.person.id, r.workStatus, r.workItem.id]).sort()).toEqual(
      [[first.ownerId, 'DONE', first.workItemId], [second.ownerId, 'CANCELLED', second.workItemId]].sort(),
    );
    const after = await document(doc.id);
    expect(after.lastReviewedAt).toBe(closed.closedAt);
    expect(new Date(after.lastReviewedAt).getTime()).toBeGreaterThan(new Date(before).getTime());
    expect(new Date(after.nextReviewDue).getTime()).toBe(new Date(closed.closedAt).getTime() + 365 * DAY);
    expect((await outbox(documents, reviewId)).map((e) => [e.type, e.data.status])).toEqual([['review.requested', 'OPEN'], ['review.closed', 'CLOSED']]);

    // A new review may be asked for now; one whose work is all cancelled ends CANCELLED and counts for nothing.
    const next = await request(doc.id, [people.technician.id]);
    const [only] = await reviewWork(next, doc.id);
    await work.created(only);
    await work.cancelled(only);
    await work.redeliverLast();
    await eventually(async () => ok(await documents.query(reviewQuery, { id: next })).documentReview.status === 'CANCELLED');
    expect((await document(doc.id)).lastReviewedAt).toBe(after.lastReviewedAt);
    expect((await outbox(documents, next)).filter((e) => e.type === 'review.closed')).toHaveLength(1);
  });
});
