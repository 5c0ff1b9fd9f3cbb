import { eventually, expectError, ok, people, recordedEvents, startTestGateway, startTestService, untilPlacesKnown, type TestGateway, type TestService } from '@opsgraph/testing';
import { service as workService } from '../../work/src/service';
import { crew, startHazards } from './fixtures';

/**
 * The proof an incident action asks for travels with `work.requested` and Work enforces it: by default a
 * record of the action and a signature that it is done and effective; an action may name its own evidence;
 * a bad one is refused before anything is written. Through the gateway, with Work and hazards on real Kafka.
 */
let work: TestService;
let hazards: TestService;
let gateway: TestGateway;
let plant: { siteId: string; areaId: string; assetId: string };

const q = <T = any>(query: string, variables: Record<string, unknown> = {}, caller = people.admin) => gateway.query<T>(query, variables, caller);

beforeAll(async () => {
  [work, hazards] = await Promise.all([startTestService(workService), startHazards()]);
  gateway = await startTestGateway({ work: work.url, hazards: hazards.url });
  const siteId = ok(await q(`mutation { createSite(input: { code: "HZO", name: "Outcome plant" }) { id } }`)).createSite.id;
  const areaId = ok(await q(`mutation($s: ID!) { createArea(input: { siteId: $s, code: "PACK", name: "Packaging" }) { id } }`, { s: siteId })).createArea.id;
  const assetId = ok(await q(`mutation($s: ID!, $a: ID!) { createAsset(input: { siteId: $s, areaId: $a, code: "FL-303", name: "Filler" }) { id } }`, { s: siteId, a: areaId })).createAsset.id;
  plant = { siteId, areaId, assetId };
  await untilPlacesKnown(hazards.db, Object.values(plant));
}, 60_000);
afterAll(async () => {
  await gateway?.stop();
  await Promise.all([hazards?.stop(), work?.stop()]);
});

const OUTCOME = 'requiredOutcome { acceptanceCriteria evidence { kind label unit min max questions } }';

async function incidentUnderInvestigation() {
  const incident = ok(await q(`mutation($i: ReportIncidentInput!) { reportIncident(input: $i) { id number } }`, {
    i: { type: 'SPILL', severity: 'MEDIUM', occurredAt: new Date(Date.now() - 3600_000).toISOString(), siteId: plant.siteId, areaId: plant.areaId, assetId: plant.assetId, title: 'Caustic spill at the CIP return', description: 'Hose coupling parted.' },
  }, people.operator)).reportIncident;
  ok(await q(`mutation($id: ID!, $p: ID!) { startIncidentInvestigation(id: $id, investigatorId: $p) { id } }`, { id: incident.id, p: crew.investigator.id }, crew.hse));
  return incident as { id: string; number: string };
}

const addAction = (incidentId: string, input: Record<string, unknown>) =>
  q(`mutation($id: ID!, $i: IncidentActionInput!) { addIncidentAction(incidentId: $id, input: $i) { id number } }`, { id: incidentId, i: { kind: 'CORRECTIVE', ownerId: people.technician.id, ...input } }, crew.hse);

/** The READY work item of the incident's action number `n`. */
async function actionItem(incidentId: string, n: number) {
  return eventually(async () => {
    const actions = ok(await q(`query($id: ID!) { incident(id: $id) { correctiveActions { number workItem { id status ${OUTCOME} } } } }`, { id: incidentId })).incident.correctiveActions;
    const item = actions.find((a: { number: number }) => a.number === n)?.workItem;
    return item?.status === 'READY' && item;
  });
}

const start = async (id: string) => ok(await q(`mutation($id: ID!) { startWork(id: $id) { status } }`, { id }, people.technician));
const complete = (id: string, evidence: Record<string, unknown>[]) =>
  q(`mutation($id: ID!, $e: [EvidenceInput!]!) { completeWork(id: $id, evidence: $e) { status } }`, { id, e: evidence }, people.technician);

test('an action given no outcome asks for a record of the action and a signature; nothing less completes it', async () => {
  const incident = await incidentUnderInvestigation();
  ok(await addAction(incident.id, { title: 'Replace the CIP return hose coupling with a locking type' }));
  const item = await actionItem(incident.id, 1);
  expect(item.requiredOutcome).toEqual({
    acceptanceCriteria: `Replace the CIP return hose coupling with a locking type: done, and it removes or controls the cause found in ${incident.number}`,
    evidence: [
      { kind: 'DOCUMENT', label: 'Record of the action taken', unit: null, min: null, max: null, questions: null },
      { kind: 'SIGNATURE', label: 'Done and effective', unit: null, min: null, max: null, questions: null },
    ],
  });
  await start(item.id);
  const refused = expectError(await complete(item.id, []), 'EVIDENCE_INCOMPLETE');
  expect(refused.message).toContain('document "Record of the action taken": not submitted');
  // The record without its file is no record.
  expectError(await complete(item.id, [{ kind: 'DOCUMENT', label: 'Record of the action taken' }, { kind: 'SIGNATURE', label: 'Done and effective', text: 'Tom Technician' }]), 'EVIDENCE_INCOMPLETE');
  const done = ok(await complete(item.id, [
    { kind: 'DOCUMENT', label: 'Record of the action taken', url: 'https://files.example.com/locking-coupling.jpg' },
    { kind: 'SIGNATURE', label: 'Done and effective', text: 'Tom Technician' },
  ])).completeWork;
  expect(done.status).toBe('AWAITING_VERIFICATION');
}, 60_000);

test('the outcome an action names arrives in Work as given; a photo without its file is refused', async () => {
  const incident = await incidentUnderInvestigation();
  const requiredOutcome = {
    acceptanceCriteria: 'Locking coupling fitted and holds at CIP pressure',
    evidence: [
      { kind: 'PHOTO', label: 'Locking coupling fitted' },
      { kind: 'MEASUREMENT', label: 'Hold pressure', unit: 'bar', min: 3, max: 6 },
    ],
  };
  ok(await addAction(incident.id, { title: 'Fit a locking coupling', requiredOutcome }));
  const item = await actionItem(incident.id, 1);
  expect(item.requiredOutcome).toEqual({
    acceptanceCriteria: requiredOutcome.acceptanceCriteria,
    evidence: [
      { kind: 'PHOTO', label: 'Locking coupling fitted', unit: null, min: null, max: null, questions: null },
      { kind: 'MEASUREMENT', label: 'Hold pressure', unit: 'bar', min: 3, max: 6, questions: null },
    ],
  });
  const [event] = await recordedEvents(hazards, incident.id, 'work.requested');
  expect(event.data.requiredOutcome).toEqual({ acceptanceCriteria: requiredOutcome.acceptanceCriteria, evidence: [expect.objectContaining({ kind: 'PHOTO' }), expect.objectContaining({ kind: 'MEASUREMENT', min: 3, max: 6 })] });

  await start(item.id);
  const reading = { kind: 'MEASUREMENT', label: 'Hold pressure', value: 4.5, unit: 'bar' };
  expect(expectError(await complete(item.id, [{ kind: 'PHOTO', label: 'Locking coupling fitted' }, reading]), 'EVIDENCE_INCOMPLETE').message).toContain('a url to the file is needed');
  expect(ok(await complete(item.id, [{ kind: 'PHOTO', label: 'Locking coupling fitted', url: 'https://files.example.com/coupling.jpg' }, reading])).completeWork.status).toBe('AWAITING_VERIFICATION');
}, 60_000);

test('a bad outcome is refused before anything is written: no action, no event', async () => {
  const incident = await incidentUnderInvestigation();
  const before = (await recordedEvents(hazards, incident.id)).length;
  const bad: [string, Record<string, unknown>][] = [
    ['min above max', { acceptanceCriteria: 'Holds', evidence: [{ kind: 'MEASUREMENT', label: 'Pressure', unit: 'bar', min: 6, max: 3 }] }],
    ['duplicate labels', { acceptanceCriteria: 'Fitted', evidence: [{ kind: 'PHOTO', label: 'Coupling' }, { kind: 'DOCUMENT', label: 'COUPLING' }] }],
    ['no evidence at all', { acceptanceCriteria: 'Done', evidence: [] }],
  ];
  for (const [why, requiredOutcome] of bad) {
    const field = expectError(await addAction(incident.id, { title: `Action with ${why}`, requiredOutcome }), 'BAD_USER_INPUT').extensions?.field;
    expect({ why, field }).toEqual({ why, field: expect.stringMatching(/^requiredOutcome\.evidence/) });
  }
  expect(ok(await q(`query($id: ID!) { incident(id: $id) { correctiveActions { id } } }`, { id: incident.id })).incident.correctiveActions).toEqual([]);
  expect((await recordedEvents(hazards, incident.id)).length).toBe(before);
}, 60_000);
