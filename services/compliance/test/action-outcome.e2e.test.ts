import { eventually, expectError, ok, recordedEvents, startTestGateway, startTestService, untilPlacesKnown, type TestGateway, type TestService } from '@opsgraph/testing';
import { service as workService } from '../../work/src/service';
import { seedPlant, type Plant } from '../../work/test/fixtures';
import { raiseDueObligations } from '../src/domain/obligations';
import { service as complianceService } from '../src/service';
import { DAY, crew, vesselInspection } from './fixtures';

/**
 * The proof the work compliance raises asks for travels with `work.requested` and Work enforces it: a
 * finding's corrective action asks by default for a record of the action and a signature, or for the
 * evidence it names; an inspection asks for its requirement's evidence, or the inspector's signature when
 * the requirement names none. Bad outcomes are refused before anything is written. Through the gateway,
 * with Work and compliance on real Kafka.
 */

let work: TestService;
let compliance: TestService;
let gateway: TestGateway;
let plant: Plant;

beforeAll(async () => {
  [work, compliance] = await Promise.all([startTestService(workService), startTestService(complianceService)]);
  gateway = await startTestGateway({ work: work.url, compliance: compliance.url });
  plant = await seedPlant(work, 'CPO');
  await untilPlacesKnown(compliance.db, Object.values(plant));
}, 60_000);
afterAll(async () => {
  await gateway?.stop();
  await Promise.all([compliance?.stop(), work?.stop()]);
});

const q = <T = any>(query: string, variables: Record<string, unknown> = {}, caller = crew.admin) => gateway.query<T>(query, variables, caller);

const OUTCOME = 'requiredOutcome { acceptanceCriteria evidence { kind label unit min max questions } }';
const none = { unit: null, min: null, max: null, questions: null };

const start = async (id: string) => ok(await q(`mutation($id: ID!) { startWork(id: $id) { status } }`, { id }, crew.technician));
const complete = (id: string, evidence: Record<string, unknown>[]) =>
  q(`mutation($id: ID!, $e: [EvidenceInput!]!) { completeWork(id: $id, evidence: $e) { status } }`, { id, e: evidence }, crew.technician);

async function audit() {
  return ok(await q(`mutation($i: RecordAuditInput!) { recordAudit(input: $i) { id number } }`, {
    i: { title: 'Guarding audit', siteId: plant.siteId, areaIds: [plant.areaId], scope: 'Machine guarding', auditDate: new Date().toISOString() },
  }, crew.auditor)).recordAudit as { id: string; number: string };
}

const recordFinding = (auditId: string, correctiveActions: Record<string, unknown>[]) =>
  q(`mutation($i: RecordAuditFindingInput!) { recordAuditFinding(input: $i) { id number } }`, {
    i: { auditId, severity: 'MAJOR', areaId: plant.areaId, description: 'Guard missing on line 3 outfeed', correctiveActions },
  }, crew.auditor);

/** The READY work items of a finding's corrective actions, in action order. */
const actionItems = (findingId: string, n: number) =>
  eventually(async () => {
    const actions = ok(await q(`query($id: ID!) { auditFinding(id: $id) { correctiveActions { title workItem { id status ${OUTCOME} } } } }`, { id: findingId })).auditFinding.correctiveActions;
    return actions.length === n && actions.every((a: { workItem: { status: string } | null }) => a.workItem?.status === 'READY') && actions.map((a: { workItem: unknown }) => a.workItem);
  });

test("a finding's corrective actions ask for their default proof, or the outcome given, and Work holds the performer to it", async () => {
  const given = { acceptanceCriteria: 'Guard refitted and interlocked', evidence: [{ kind: 'PHOTO', label: 'Guard in place' }, { kind: 'CHECKLIST', label: 'Interlock test', questions: ['Line stops when the guard opens?'] }] };
  const finding = ok(await recordFinding((await audit()).id, [{ title: 'Add guard check to the daily round' }, { title: 'Refit the outfeed guard', ownerId: crew.technician.id, requiredOutcome: given }])).recordAuditFinding;
  const [byDefault, named] = await actionItems(finding.id, 2);
  expect(byDefault.requiredOutcome).toEqual({
    acceptanceCriteria: 'Add guard check to the daily round: done, and it corrects the finding',
    evidence: [{ kind: 'DOCUMENT', label: 'Record of the action taken', ...none }, { kind: 'SIGNATURE', label: 'Done and effective', ...none }],
  });
  expect(named.requiredOutcome).toEqual({
    acceptanceCriteria: given.acceptanceCriteria,
    evidence: [{ kind: 'PHOTO', label: 'Guard in place', ...none }, { kind: 'CHECKLIST', label: 'Interlock test', ...none, questions: ['Line stops when the guard opens?'] }],
  });

  await start(byDefault.id);
  expect(expectError(await complete(byDefault.id, []), 'EVIDENCE_INCOMPLETE').message).toContain('signature "Done and effective": not submitted');
  expect(ok(await complete(byDefault.id, [
    { kind: 'DOCUMENT', label: 'Record of the action taken', url: 'https://files.example.com/daily-round-rev4.pdf' },
    { kind: 'SIGNATURE', label: 'Done and effective', text: 'Tom Technician' },
  ])).completeWork.status).toBe('AWAITING_VERIFICATION');

  await start(named.id);
  const answered = { kind: 'CHECKLIST', label: 'Interlock test', answers: [{ question: 'Line stops when the guard opens?', answer: 'yes' }] };
  expect(expectError(await complete(named.id, [{ kind: 'PHOTO', label: 'Guard in place' }, answered]), 'EVIDENCE_INCOMPLETE').message).toContain('a url to the file is needed');
  expect(ok(await complete(named.id, [{ kind: 'PHOTO', label: 'Guard in place', url: 'https://files.example.com/guard.jpg' }, answered])).completeWork.status).toBe('AWAITING_VERIFICATION');
}, 90_000);

test('a bad outcome on a corrective action is refused before anything is written: no finding, no action, no event', async () => {
  const { id: auditId } = await audit();
  const bad: [string, Record<string, unknown>][] = [
    ['min above max', { acceptanceCriteria: 'Gap within limits', evidence: [{ kind: 'MEASUREMENT', label: 'Guard gap', unit: 'mm', min: 8, max: 4 }] }],
    ['duplicate labels', { acceptanceCriteria: 'Refitted', evidence: [{ kind: 'PHOTO', label: 'Guard' }, { kind: 'DOCUMENT', label: 'guard' }] }],
    ['no evidence at all', { acceptanceCriteria: 'Done', evidence: [] }],
  ];
  const before = (await recordedEvents(compliance)).length;
  for (const [why, requiredOutcome] of bad) {
    const field = expectError(await recordFinding(auditId, [{ title: 'Refit guard' }, { title: `Action with ${why}`, requiredOutcome }]), 'BAD_USER_INPUT').extensions?.field;
    expect({ why, field }).toEqual({ why, field: expect.stringMatching(/^correctiveActions\[1\]\.requiredOutcome\.evidence/) });
  }
  expect(ok(await q(`query($id: ID!) { audit(id: $id) { findings { id } } }`, { id: auditId })).audit.findings).toEqual([]);

  // On a finding that exists, adding such an action writes nothing either.
  const finding = ok(await recordFinding(auditId, [])).recordAuditFinding;
  const withFinding = (await recordedEvents(compliance)).length;
  expect(withFinding).toBe(before + 1); // the finding's own fact, nothing of the refused ones
  const added = await q(`mutation($id: ID!, $i: ComplianceActionInput!) { addFindingAction(findingId: $id, input: $i) { id } }`, { id: finding.id, i: { title: 'Refit guard', requiredOutcome: bad[0][1] } }, crew.auditor);
  expect(expectError(added, 'BAD_USER_INPUT').extensions?.field).toMatch(/^input\.requiredOutcome\.evidence\[0\]/);
  expect(ok(await q(`query($id: ID!) { auditFinding(id: $id) { correctiveActions { id } } }`, { id: finding.id })).auditFinding.correctiveActions).toEqual([]);
  expect((await recordedEvents(compliance)).length).toBe(withFinding);
}, 60_000);

test("an inspection asks for its requirement's evidence, or the inspector's signature when the requirement names none", async () => {
  const vessel = async (code: string) => {
    const id = ok(await q(`mutation($i: CreateAssetInput!) { createAsset(input: $i) { id } }`, { i: { siteId: plant.siteId, areaId: plant.otherAreaId, code, name: code, assetClass: 'pressure_vessel' } })).createAsset.id as string;
    await untilPlacesKnown(compliance.db, [id]);
    return id;
  };
  const [withEvidence, without] = [await vessel('V-201'), await vessel('V-202')];
  const create = (assetId: string, input: Record<string, unknown>) =>
    q(`mutation($i: CreateRequirementInput!) { createRequirement(input: $i) { id ${OUTCOME} } }`, { i: vesselInspection(plant.siteId, [assetId], { assetClasses: [], firstDueAt: new Date(Date.now() + 10 * DAY).toISOString(), ...input }) }, crew.hse);
  const measured = ok(await create(withEvidence, {})).createRequirement;
  const bare = ok(await create(without, { reference: 'Site rule 12', evidence: [] })).createRequirement;
  // The requirement shows the proof its inspections will ask for.
  expect(bare.requiredOutcome).toEqual({ acceptanceCriteria: 'No corrosion, safety valve set pressure within limits', evidence: [{ kind: 'SIGNATURE', label: 'Inspected by', ...none }] });
  await raiseDueObligations(compliance.db.manager, new Date());

  const inspectionOf = (requirementId: string) =>
    eventually(async () => {
      const o = ok(await q(`query($id: ID!) { requirement(id: $id) { obligations { workItem { id status ${OUTCOME} } } } }`, { id: requirementId })).requirement.obligations[0];
      return o?.workItem?.status === 'READY' && o.workItem;
    });
  const first = await inspectionOf(measured.id);
  expect(first.requiredOutcome).toEqual({
    acceptanceCriteria: 'No corrosion, safety valve set pressure within limits',
    evidence: [{ kind: 'MEASUREMENT', label: 'Safety valve set pressure', unit: 'bar', min: 9.5, max: 10.5, questions: null }, { kind: 'DOCUMENT', label: 'Inspection report', ...none }],
  });
  await start(first.id);
  const reading = { kind: 'MEASUREMENT', label: 'Safety valve set pressure', value: 10.1, unit: 'bar' };
  expect(expectError(await complete(first.id, [reading, { kind: 'DOCUMENT', label: 'Inspection report' }]), 'EVIDENCE_INCOMPLETE').message).toContain('a url to the file is needed');

  const second = await inspectionOf(bare.id);
  expect(second.requiredOutcome).toEqual(bare.requiredOutcome);
  await start(second.id);
  expectError(await complete(second.id, []), 'EVIDENCE_INCOMPLETE');
  expect(ok(await complete(second.id, [{ kind: 'SIGNATURE', label: 'Inspected by', text: 'Tom Technician' }])).completeWork.status).toBe('AWAITING_VERIFICATION');
}, 90_000);
