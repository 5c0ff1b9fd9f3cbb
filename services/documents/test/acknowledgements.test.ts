import { randomUUID } from 'node:crypto';
import { eventually, expectError, ok, people, type TestService, fakeWork, type FakeWorkItem } from '@opsgraph/testing';
import { approved, knownPlaces, outbox, registerDocument, startDocuments, type Places } from './fixtures';

/**
 * Acknowledgement blockers follow the work as Work reports it (events published as Work would): they are
 * raised for the owner of applicable open work, moved when the owner changes, released when the document
 * stops applying, and left alone once the work is finished.
 */
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

const blockerEvents = async (revisionId: string) =>
  (await outbox(documents))
    .filter((e) => e.type.startsWith('prerequisite.') && String(e.data.sourceRecordId).startsWith(revisionId))
    .map((e) => ({ type: e.type, person: String(e.data.sourceRecordId).split(':')[1], workItemIds: e.data.workItemId ? [e.data.workItemId] : (e.data.workItemIds ?? 'all') }));

const item = (input: Partial<FakeWorkItem>): FakeWorkItem => ({ workItemId: randomUUID(), workType: 'MAINTENANCE', siteId: places.siteId, sourceDomain: 'MANUAL', sourceRecordId: null, ...input });

test('blockers follow owners, applicability and the end of the work', async () => {
  const doc = await registerDocument(documents, places, { applicability: { assetIds: [places.assetId] } });
  const rev = await approved(documents, doc.id, 'A');
  const atAsset = item({ assetId: places.assetId, areaId: places.areaId, ownerId: people.technician.id });
  const inArea = item({ areaId: places.areaId, ownerId: people.technician2.id });
  const finishedLater = item({ assetId: places.assetId, ownerId: people.operator.id });
  for (const w of [atAsset, inArea, finishedLater]) await work.created(w);
  // Documents knows all three items (each on a partition of its own) before the applicability changes below.
  const ids = [atAsset, inArea, finishedLater].map((w) => w.workItemId);
  await eventually(async () => (await documents.db.query(`SELECT count(*)::int AS n FROM tracked_work_item WHERE work_item_id = ANY($1)`, [ids]))[0].n === 3);
  await eventually(async () => (await blockerEvents(rev.id)).length === 2);
  // Items are keys of their own (other partitions): their blockers may come in either order.
  expect(await blockerEvents(rev.id)).toEqual(
    expect.arrayContaining([
      { type: 'prerequisite.required', person: people.technician.id, workItemIds: [atAsset.workItemId] },
      { type: 'prerequisite.required', person: people.operator.id, workItemIds: [finishedLater.workItemId] },
    ]),
  );

  // The document now applies to the whole area too: technician2's work there gets a blocker.
  const update = `mutation($id: ID!, $i: UpdateDocumentInput!) { updateDocument(id: $id, input: $i) { applicability { areas { id } } } }`;
  ok(await documents.query(update, { id: doc.id, i: { applicability: { assetIds: [places.assetId], areaIds: [places.areaId] } } }, people.supervisor));
  expect((await blockerEvents(rev.id)).slice(2)).toEqual([{ type: 'prerequisite.required', person: people.technician2.id, workItemIds: [inArea.workItemId] }]);
  // ... and no longer: released again, for that item only.
  ok(await documents.query(update, { id: doc.id, i: { applicability: { assetIds: [places.assetId] } } }, people.supervisor));
  expect((await blockerEvents(rev.id)).slice(3)).toEqual([{ type: 'prerequisite.satisfied', person: people.technician2.id, workItemIds: [inArea.workItemId] }]);

  // Finished work keeps no claim on its owner, and needs no release in Work.
  await work.cancelled(finishedLater);
  await eventually(async () => (await documents.db.query(`SELECT count(*)::int AS n FROM document_acknowledgement WHERE person_id = $1`, [people.operator.id]))[0].n === 0);
  expect(await blockerEvents(rev.id)).toHaveLength(4);

  // Reassigned: the old owner's blocker is released on that item, the new owner gets one.
  await work.publish('work_item.assigned', {
    workItemId: atAsset.workItemId, number: 'TST-000099', workType: 'MAINTENANCE', status: 'READY', siteId: places.siteId, areaId: places.areaId, lineId: null, assetId: places.assetId,
    sourceDomain: 'MANUAL', sourceRecordId: null, ownerId: people.operator.id, previousOwnerId: people.technician.id, actorId: people.supervisor.id, assetClass: null,
  });
  await eventually(async () => (await blockerEvents(rev.id)).length === 6);
  expect((await blockerEvents(rev.id)).slice(4)).toEqual([
    { type: 'prerequisite.required', person: people.operator.id, workItemIds: [atAsset.workItemId] },
    { type: 'prerequisite.satisfied', person: people.technician.id, workItemIds: [atAsset.workItemId] },
  ].sort((a, b) => a.person.localeCompare(b.person)));
  // The released blocker stays on record, and says why it ended.
  const record = ok(await documents.query(`query($id: ID!) { documentRevision(id: $id) { blockedWork { workItem { id } person { id } clearedAt clearedBy clearedByRevision { id } clearedReason } } }`, { id: rev.id }, people.supervisor)).documentRevision.blockedWork;
  expect(record.filter((b: { workItem: { id: string } }) => b.workItem.id === atAsset.workItemId)).toEqual([
    { workItem: { id: atAsset.workItemId }, person: { id: people.technician.id }, clearedAt: expect.any(String), clearedBy: 'RELEASED', clearedByRevision: null, clearedReason: expect.stringMatching(/^not needed any more/) },
    { workItem: { id: atAsset.workItemId }, person: { id: people.operator.id }, clearedAt: null, clearedBy: null, clearedByRevision: null, clearedReason: null },
  ]);
  const pending = async (caller: typeof people.operator) => ok(await documents.query(`{ pendingAcknowledgements { revision { id } workItems { id } } }`, {}, caller)).pendingAcknowledgements;
  expect(await pending(people.technician)).toEqual([]);
  expect(await pending(people.operator)).toEqual([{ revision: { id: rev.id }, workItems: [{ id: atAsset.workItemId }] }]);
  const person = `query($r: [_Any!]!) { _entities(representations: $r) { ... on Person { pendingAcknowledgements { revision { label } } } } }`;
  const operator = { __typename: 'Person', id: people.operator.id };
  expect(ok(await documents.query(person, { r: [operator] }, people.supervisor))._entities).toEqual([{ pendingAcknowledgements: [{ revision: { label: 'A' } }] }]);
  expectError(await documents.query(person, { r: [operator] }, people.technician), 'FORBIDDEN');
});
