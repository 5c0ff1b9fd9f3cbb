import { TrackedWorkItem, addMonths } from '@opsgraph/core';
import { eventually, ok, startTestGateway, startTestService, untilPlacesKnown, type TestGateway, type TestService } from '@opsgraph/testing';
import { service as workService } from '../../work/src/service';
import { seedPlant, type Plant } from '../../work/test/fixtures';
import { raiseDueObligations } from '../src/domain/obligations';
import { service as complianceService } from '../src/service';
import { DAY, FINDING_FIELDS, REQUIREMENT_FIELDS, crew, vesselInspection } from './fixtures';

/**
 * Through the gateway, with Work and compliance each running their relay and consumer on real Kafka: an
 * obligation comes due → an inspection work item → verified in Work with its evidence → the requirement
 * shows it met, with the evidence; a requirement with a work check gates matching work; a finding's
 * actions are work items and the finding closes once they are verified.
 */

let work: TestService;
let compliance: TestService;
let gateway: TestGateway;
let plant: Plant;

beforeAll(async () => {
  [work, compliance] = await Promise.all([startTestService(workService), startTestService(complianceService)]);
  gateway = await startTestGateway({ work: work.url, compliance: compliance.url });
  plant = await seedPlant(work, 'CMP');
  // Compliance checks every place it is given against its copy of Work's registry, kept from Work's events.
  await untilPlacesKnown(compliance.db, Object.values(plant));
}, 60_000);
afterAll(async () => {
  await gateway?.stop();
  await Promise.all([compliance?.stop(), work?.stop()]);
});

const q = <T = any>(query: string, variables: Record<string, unknown> = {}, caller = crew.admin) => gateway.query<T>(query, variables, caller);

async function addAsset(code: string, assetClass: string) {
  const id = ok(await q(`mutation($i: CreateAssetInput!) { createAsset(input: $i) { id } }`, { i: { siteId: plant.siteId, areaId: plant.otherAreaId, code, name: code, assetClass } })).createAsset.id as string;
  await untilPlacesKnown(compliance.db, [id]);
  return id;
}

async function carryOut(workItemId: string, evidence: Record<string, unknown>[]) {
  ok(await q(`mutation($id: ID!) { startWork(id: $id) { id } }`, { id: workItemId }, crew.technician));
  ok(await q(`mutation($id: ID!, $e: [EvidenceInput!]!) { completeWork(id: $id, evidence: $e) { id } }`, { id: workItemId, e: evidence }, crew.technician));
  ok(await q(`mutation($id: ID!) { verifyWork(id: $id, accept: true) { id status } }`, { id: workItemId }, crew.verifier));
}

const WORK = `id number type status blocked blockers { kind description sourceRecordId } source { domain recordId }
  requiredOutcome { acceptanceCriteria evidence { kind label unit min max } }`;

test('an obligation comes due → an inspection work item → verified with evidence → the requirement is met, with the evidence', async () => {
  const vessel = await addAsset('V-101', 'pressure_vessel');
  const firstDue = new Date(Date.now() + 60 * DAY);
  const requirement = ok(await q(`mutation($i: CreateRequirementInput!) { createRequirement(input: $i) { ${REQUIREMENT_FIELDS} } }`, {
    i: vesselInspection(plant.siteId, [vessel], { firstDueAt: firstDue.toISOString() }),
  }, crew.hse)).createRequirement;

  expect(requirement.obligations).toEqual([expect.objectContaining({ status: 'SCHEDULED', raisedAt: null })]);
  // The rule, run 35 days from now, finds the occurrence inside its 30-day lead time and asks Work for the inspection.
  expect((await raiseDueObligations(compliance.db.manager, new Date(Date.now() + 20 * DAY))).raised).toEqual([]);
  const { raised } = await raiseDueObligations(compliance.db.manager, new Date(Date.now() + 35 * DAY));
  expect(raised.map((o) => o.requirementId)).toEqual([requirement.id]);
  const inspection = await eventually(async () => {
    const edges = ok(await q(`query($f: WorkItemFilter) { workItems(filter: $f, first: 10) { edges { node { ${WORK} dueAt asset { id } } } } }`, { f: { sourceDomain: 'COMPLIANCE', sourceRecordId: requirement.id } })).workItems.edges;
    return edges[0]?.node;
  });
  expect(inspection).toMatchObject({
    type: 'INSPECTION',
    asset: { id: vessel },
    source: { domain: 'COMPLIANCE', recordId: requirement.id },
    requiredOutcome: { acceptanceCriteria: 'No corrosion, safety valve set pressure within limits', evidence: [expect.objectContaining({ kind: 'MEASUREMENT', unit: 'bar', min: 9.5, max: 10.5 }), expect.objectContaining({ kind: 'DOCUMENT' })] },
  });
  expect(new Date(inspection.dueAt).getTime()).toBe(firstDue.getTime());

  const STATUS = `query($s: ID!) { complianceStatus(siteId: $s) { met due overdue requirements { status requirement { id reference } obligations { status workStatus workItem { id number status } } lastEvidence { number verifiedAt workItem { id status } } } } }`;
  const due = await eventually(async () => {
    const row = ok(await q(STATUS, { s: plant.siteId })).complianceStatus.requirements.find((r: { requirement: { id: string } }) => r.requirement.id === requirement.id);
    return row?.obligations[0]?.workItem && row;
  });
  expect(due).toMatchObject({ status: 'DUE', obligations: [{ status: 'DUE', workItem: { id: inspection.id, number: inspection.number, status: 'READY' } }], lastEvidence: null });

  // The inspection is done and verified in Work, with the evidence it asks for.
  await carryOut(inspection.id, [
    { kind: 'MEASUREMENT', label: 'Safety valve set pressure', value: 10.1, unit: 'bar' },
    { kind: 'DOCUMENT', label: 'Inspection report', url: 'https://files.example/v101-2026.pdf' },
  ]);
  const met = await eventually(async () => {
    const r = ok(await q(`query($id: ID!) { requirement(id: $id) { ${REQUIREMENT_FIELDS} workItems { id status evidence { label value url } } } }`, { id: requirement.id })).requirement;
    return r.status === 'MET' && r;
  });
  expect(met.evidence).toEqual([expect.objectContaining({ workItem: { id: inspection.id }, number: inspection.number, verifiedBy: { id: crew.verifier.id }, dueAt: firstDue.toISOString() })]);
  // The next occurrence is due a year after this one's due date (not after the verification, which may be
  // early or late: the schedule keeps its dates); the met one keeps its work as proof.
  const [next, done] = met.obligations;
  expect(done).toMatchObject({ status: 'MET', workStatus: 'DONE', workItem: { id: inspection.id } });
  expect(next).toMatchObject({ status: 'SCHEDULED', raisedAt: null, workItem: null });
  expect(new Date(next.dueAt).toISOString()).toBe(addMonths(firstDue, 12).toISOString());
  // Work resolves the requirement's work with its evidence.
  expect(met.workItems).toEqual([expect.objectContaining({ id: inspection.id, status: 'DONE', evidence: expect.arrayContaining([expect.objectContaining({ label: 'Safety valve set pressure', value: 10.1 })]) })]);
  const status = ok(await q(STATUS, { s: plant.siteId })).complianceStatus.requirements.find((r: { requirement: { id: string } }) => r.requirement.id === requirement.id);
  expect(status).toMatchObject({ status: 'MET', lastEvidence: { number: inspection.number, workItem: { id: inspection.id, status: 'DONE' } } });
  // The inspection knows which requirement it proves.
  const why = ok(await q(`query($id: ID!) { workItem(id: $id) { complianceRequirements { id reference } } }`, { id: inspection.id })).workItem;
  expect(why.complianceRequirements).toEqual([{ id: requirement.id, reference: 'Pressure Equipment Directive 2014/68/EU' }]);
}, 90_000);

test('a late inspection keeps the schedule: the next one is due a recurrence after the due date, not after the inspection', async () => {
  const vessel = await addAsset('V-105', 'pressure_vessel');
  const due = new Date(Date.now() - 20 * DAY); // 20 days late already
  const requirement = ok(await q(`mutation($i: CreateRequirementInput!) { createRequirement(input: $i) { id status } }`, {
    i: vesselInspection(plant.siteId, [vessel], { firstDueAt: due.toISOString() }),
  }, crew.hse)).createRequirement;
  expect(requirement.status).toBe('OVERDUE');
  const inspection = await eventually(async () => {
    const o = ok(await q(`query($id: ID!) { requirement(id: $id) { obligations { workItem { id status } } } }`, { id: requirement.id })).requirement.obligations[0];
    return o.workItem?.status === 'READY' && o.workItem;
  });
  await carryOut(inspection.id, [
    { kind: 'MEASUREMENT', label: 'Safety valve set pressure', value: 10.0, unit: 'bar' },
    { kind: 'DOCUMENT', label: 'Inspection report', url: 'https://files.example/v105.pdf' },
  ]);
  const met = await eventually(async () => {
    const r = ok(await q(`query($id: ID!) { requirement(id: $id) { status obligations { status dueAt } evidence { verifiedAt } } }`, { id: requirement.id })).requirement;
    return r.status === 'MET' && r;
  });
  expect(met.obligations.map((o: { status: string }) => o.status)).toEqual(['SCHEDULED', 'MET']);
  expect(new Date(met.obligations[0].dueAt).toISOString()).toBe(addMonths(due, 12).toISOString());
  expect(new Date(met.obligations[0].dueAt).getTime()).toBeLessThan(addMonths(new Date(met.evidence[0].verifiedAt), 12).getTime());
}, 60_000);

test('a requirement with a work check gates matching work until the check is confirmed', async () => {
  // Work that exists before the requirement is recorded is gated too, once compliance has seen it.
  const earlier = ok(await q(`mutation($i: CreateWorkItemInput!) { createWorkItem(input: $i) { id } }`, { i: { type: 'MAINTENANCE', title: 'Align P-301 coupling', siteId: plant.siteId, assetId: plant.assetId } }, crew.supervisor)).createWorkItem;
  await eventually(() => compliance.db.getRepository(TrackedWorkItem).existsBy({ workItemId: earlier.id }));
  const requirement = ok(await q(`mutation($i: CreateRequirementInput!) { createRequirement(input: $i) { id } }`, {
    i: {
      reference: 'BetrSichV',
      clause: '§ 15',
      title: 'Test before return to service after repair',
      text: 'Pumps in hazardous service are tested by a qualified person after repair, before handover.',
      source: 'REGULATION',
      siteIds: [plant.siteId],
      assetClasses: ['pump'],
      workTypes: ['MAINTENANCE'],
      workCheck: 'Pressure and leak test by a qualified person before handover',
      acceptanceCriteria: 'Test passed',
    },
  }, crew.hse)).createRequirement;
  const repair = ok(await q(`mutation($i: CreateWorkItemInput!) { createWorkItem(input: $i) { id } }`, { i: { type: 'MAINTENANCE', title: 'Repair P-301 seal', siteId: plant.siteId, assetId: plant.assetId } }, crew.supervisor)).createWorkItem;
  const round = ok(await q(`mutation($i: CreateWorkItemInput!) { createWorkItem(input: $i) { id } }`, { i: { type: 'ROUND', title: 'Round at P-301', siteId: plant.siteId, assetId: plant.assetId } }, crew.supervisor)).createWorkItem;
  const gated = await eventually(async () => {
    const item = ok(await q(`query($id: ID!) { workItem(id: $id) { ${WORK} complianceRequirements { id } complianceChecks { status requirement { id } } } }`, { id: repair.id })).workItem;
    return item.blocked && item;
  });
  expect(gated.blockers).toEqual([expect.objectContaining({ kind: 'COMPLIANCE_CHECK', sourceRecordId: requirement.id, description: 'BetrSichV § 15: Pressure and leak test by a qualified person before handover' })]);
  expect(gated.complianceRequirements).toEqual([{ id: requirement.id }]);
  expect(gated.complianceChecks).toEqual([{ status: 'OPEN', requirement: { id: requirement.id } }]);
  const before = await eventually(async () => {
    const item = ok(await q(`query($id: ID!) { workItem(id: $id) { blockers { kind sourceRecordId } } }`, { id: earlier.id })).workItem;
    return item.blockers.length && item;
  });
  expect(before.blockers).toEqual([{ kind: 'COMPLIANCE_CHECK', sourceRecordId: requirement.id }]);
  // A round on the same pump is not the work the requirement names.
  const other = ok(await q(`query($id: ID!) { workItem(id: $id) { status blocked complianceRequirements { id } } }`, { id: round.id })).workItem;
  expect(other).toMatchObject({ blocked: false, complianceRequirements: [] });

  const confirmed = ok(await q(`mutation($r: ID!, $w: ID!) { confirmComplianceCheck(requirementId: $r, workItemId: $w, note: "Test cert TC-2291") { status confirmedBy { id } } }`, { r: requirement.id, w: repair.id }, crew.hse)).confirmComplianceCheck;
  expect(confirmed).toEqual({ status: 'CONFIRMED', confirmedBy: { id: crew.hse.id } });
  await eventually(async () => ok(await q(`query($id: ID!) { workItem(id: $id) { status } }`, { id: repair.id })).workItem.status === 'READY');
  // Cancelled work hands nothing over: its check is dropped, not left open.
  ok(await q(`mutation($id: ID!) { cancelWork(id: $id, reason: "Duplicate of the seal repair") { id } }`, { id: earlier.id }, crew.supervisor));
  await eventually(async () => ok(await q(`query($id: ID!) { workItem(id: $id) { complianceChecks { status } } }`, { id: earlier.id })).workItem.complianceChecks[0].status === 'CANCELLED');
}, 60_000);

test('an audit finding raises corrective actions, and closes only when they are verified', async () => {
  const audit = ok(await q(`mutation($i: RecordAuditInput!) { recordAudit(input: $i) { id number } }`, {
    i: { title: 'Packaging hall audit', siteId: plant.siteId, areaIds: [plant.areaId], scope: 'Machine guarding', auditDate: new Date().toISOString() },
  }, crew.auditor)).recordAudit;
  const finding = ok(await q(`mutation($i: RecordAuditFindingInput!) { recordAuditFinding(input: $i) { ${FINDING_FIELDS} } }`, {
    i: { auditId: audit.id, severity: 'MAJOR', areaId: plant.areaId, description: 'Guard missing on line 3 outfeed', correctiveActions: [{ title: 'Refit guard', ownerId: crew.technician.id }, { title: 'Add guard check to the daily round' }] },
  }, crew.auditor)).recordAuditFinding;
  const actions = await eventually(async () => {
    const f = ok(await q(`query($id: ID!) { auditFinding(id: $id) { closable actions { id type status source { recordId } } correctiveActions { workStatus workItem { id } } } }`, { id: finding.id })).auditFinding;
    return f.actions.length === 2 && f.correctiveActions.every((a: { workItem: unknown }) => a.workItem) && f;
  });
  expect(actions.actions.every((a: { type: string; source: { recordId: string } }) => a.type === 'CORRECTIVE_ACTION' && a.source.recordId === finding.id)).toBe(true);
  // Closed by HSE: whoever recorded a finding does not close it (test/duties.test.ts).
  const close = () => q(`mutation($id: ID!) { closeAuditFinding(id: $id) { status closedAt } }`, { id: finding.id }, crew.hse);
  expect((await close()).errors?.[0].extensions?.code).toBe('PREREQUISITES_OPEN');
  // Each action asks for its default proof (test/action-outcome.e2e.test.ts): a record of it and a signature.
  const proof = [{ kind: 'DOCUMENT', label: 'Record of the action taken', url: 'https://files.example.com/guard.jpg' }, { kind: 'SIGNATURE', label: 'Done and effective', text: 'Tom Technician' }];
  await carryOut(actions.actions[0].id, proof);
  await carryOut(actions.actions[1].id, proof);
  await eventually(async () => ok(await q(`query($id: ID!) { auditFinding(id: $id) { closable } }`, { id: finding.id })).auditFinding.closable);
  expect(ok(await close()).closeAuditFinding.status).toBe('CLOSED');
}, 60_000);

test('statements per request do not grow with the number of work items', async () => {
  const LIST = `query($f: WorkItemFilter) { workItems(filter: $f, first: 10) { edges { node { id complianceRequirements { reference status } complianceChecks { status } } } } }`;
  // Maintenance on the pump: each item has the "test before return to service" requirement and its check.
  const filter = { f: { siteId: plant.siteId, text: 'skid overhaul' } };
  const create = () => q(`mutation($i: CreateWorkItemInput!) { createWorkItem(input: $i) { id } }`, { i: { type: 'MAINTENANCE', title: 'P-301 skid overhaul', siteId: plant.siteId, assetId: plant.assetId } }, crew.supervisor);
  const checked = async (n: number) =>
    eventually(async () => {
      const res = await q(LIST, filter);
      const edges = ok(res).workItems.edges;
      return edges.length === n && edges.every((e: { node: { complianceChecks: unknown[]; complianceRequirements: unknown[] } }) => e.node.complianceChecks.length === 1 && e.node.complianceRequirements.length === 1) && res;
    });
  ok(await create());
  const one = await checked(1);
  for (let i = 0; i < 3; i++) ok(await create());
  const four = await checked(4);
  expect(four.statements).toBe(one.statements);

  const STATUS = `query($s: ID!) { complianceStatus(siteId: $s) { requirements { status obligations { workStatus workItem { id status } } openChecks { workItem { id status } } lastEvidence { workItem { id } } } } }`;
  /** Adds a vessel whose yearly inspection is already inside its lead time (raised at once); waits for Work's item. */
  const vesselDue = async (code: string) => {
    const vessel = await addAsset(code, 'pressure_vessel');
    const created = ok(await q(`mutation($i: CreateRequirementInput!) { createRequirement(input: $i) { id } }`, { i: vesselInspection(plant.siteId, [vessel], { firstDueAt: new Date(Date.now() + 5 * DAY).toISOString() }) }, crew.hse)).createRequirement;
    await eventually(async () => ok(await q(`query($id: ID!) { requirement(id: $id) { obligations { workItem { id } } } }`, { id: created.id })).requirement.obligations[0].workItem);
  };
  await vesselDue('V-102');
  const before = await q(STATUS, { s: plant.siteId });
  await vesselDue('V-103');
  await vesselDue('V-104');
  const after = await q(STATUS, { s: plant.siteId });
  expect(ok(after).complianceStatus.requirements.length).toBe(ok(before).complianceStatus.requirements.length + 2);
  expect(after.statements).toBe(before.statements);
}, 60_000);

test('a failed inspection through Work: the reading outside its limits is accepted as a result, and compliance records the occurrence NOT_MET with its non-conformance and corrective work', async () => {
  const vessel = await addAsset('V-190', 'pressure_vessel');
  const requirement = ok(await q(`mutation($i: CreateRequirementInput!) { createRequirement(input: $i) { id } }`, {
    i: vesselInspection(plant.siteId, [vessel], { reference: 'PED failed inspection', firstDueAt: new Date(Date.now() + 10 * DAY).toISOString() }),
  }, crew.hse)).createRequirement;
  await raiseDueObligations(compliance.db.manager, new Date());
  const inspection = await eventually(async () => {
    const edges = ok(await q(`query($f: WorkItemFilter) { workItems(filter: $f, first: 10) { edges { node { id status } } } }`, { f: { sourceDomain: 'COMPLIANCE', sourceRecordId: requirement.id } })).workItems.edges;
    return edges[0]?.node.status === 'READY' && edges[0].node;
  });
  // The safety valve lifts at 11.2 bar against 9.5..10.5: Work keeps the reading, marked outside its limits.
  await carryOut(inspection.id, [
    { kind: 'MEASUREMENT', label: 'Safety valve set pressure', value: 11.2, unit: 'bar' },
    { kind: 'DOCUMENT', label: 'Inspection report', url: 'https://files.example/v104.pdf' },
  ]);
  const evidence = ok(await q(`query($id: ID!) { workItem(id: $id) { status evidence { label value withinLimits } } }`, { id: inspection.id })).workItem;
  expect(evidence).toMatchObject({ status: 'DONE', evidence: expect.arrayContaining([{ label: 'Safety valve set pressure', value: 11.2, withinLimits: false }]) });

  const occurrence = await eventually(async () => {
    const r = ok(await q(`query($id: ID!) { requirement(id: $id) { status obligations { status workItem { id } failedInspection { inspection { readings { label value unit min max } } } nonConformance { id status severity } } } }`, { id: requirement.id })).requirement;
    return r.status === 'NOT_MET' && r.obligations.find((o: { status: string }) => o.status === 'NOT_MET');
  });
  expect(occurrence).toMatchObject({
    workItem: { id: inspection.id },
    failedInspection: { inspection: { readings: [{ label: 'Safety valve set pressure', value: 11.2, unit: 'bar', min: 9.5, max: 10.5 }] } },
    nonConformance: { status: 'OPEN', severity: 'MAJOR' },
  });
  // The corrective work, in Work, sourced from the non-conformance.
  const corrective = await eventually(async () => {
    const edges = ok(await q(`query($f: WorkItemFilter) { workItems(filter: $f, first: 10) { edges { node { type source { domain recordId } } } } }`, { f: { sourceDomain: 'COMPLIANCE', sourceRecordId: occurrence.nonConformance.id } })).workItems.edges;
    return edges[0]?.node;
  });
  expect(corrective).toEqual({ type: 'CORRECTIVE_ACTION', source: { domain: 'COMPLIANCE', recordId: occurrence.nonConformance.id } });
});
