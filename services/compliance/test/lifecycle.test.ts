import { expectError, ok, type TestService } from '@opsgraph/testing';
import { raiseDueObligations } from '../src/domain/obligations';
import { ComplianceObligation, Requirement } from '../src/entities';
import { DAY, FINDING_FIELDS, createRequirement, crew, eventsOf, knowAll, newPlaces, recordAudit, startCompliance, vesselInspection, type Places } from './fixtures';

let compliance: TestService;
let places: Places;

beforeAll(async () => {
  compliance = await startCompliance();
  places = newPlaces();
  await knowAll(compliance.db, places);
});
afterAll(() => compliance.stop());

const STATUS = `query($s: ID!) { complianceStatus(siteId: $s) { met due overdue scheduled requirements { status requirement { id } obligations { id status workStatus asset { id } } } } }`;

describe('requirements', () => {
  test('bad input is refused and nothing is stored', async () => {
    const before = await compliance.db.getRepository(Requirement).count();
    const create = (input: Record<string, unknown>, caller = crew.hse) =>
      compliance.query(`mutation($i: CreateRequirementInput!) { createRequirement(input: $i) { id } }`, { i: vesselInspection(places.siteId, [places.assetId], input) }, caller);
    expectError(await create({ recurrenceMonths: null, workCheck: null }), 'BAD_USER_INPUT'); // nothing would prove it
    expectError(await create({ assetIds: [] }), 'BAD_USER_INPUT'); // recurring on a class without naming the assets
    expectError(await create({ siteIds: [places.siteId, newPlaces().siteId] }), 'BAD_USER_INPUT'); // assets of two sites
    expectError(await create({ recurrenceMonths: 0 }), 'BAD_USER_INPUT');
    expectError(await create({ evidence: [{ kind: 'CHECKLIST', label: 'Checks' }] }), 'BAD_USER_INPUT');
    expectError(await create({}, crew.technician), 'FORBIDDEN');
    expectError(await create({}, { ...crew.hse, sites: [newPlaces().siteId] }), 'NOT_FOUND'); // a site not the caller's: as a random id
    expect(await compliance.db.getRepository(Requirement).count()).toBe(before);
  });

  test('a recurring requirement gets an occurrence per asset; due ones are raised once as inspections, late ones become overdue', async () => {
    const now = Date.now();
    const requirement = await createRequirement(compliance, vesselInspection(places.siteId, [places.assetId, places.otherAssetId], { firstDueAt: new Date(now + 60 * DAY).toISOString() }));
    expect(requirement).toMatchObject({ source: 'REGULATION', recurrence: { months: 12, leadDays: 30 }, status: 'SCHEDULED', evidence: [] });
    expect(requirement.obligations.map((o: { asset: { id: string }; status: string }) => [o.asset.id, o.status]).sort()).toEqual(
      [[places.assetId, 'SCHEDULED'], [places.otherAssetId, 'SCHEDULED']].sort(),
    );

    expect((await raiseDueObligations(compliance.db.manager, new Date(now + 20 * DAY))).raised).toEqual([]); // before the lead time
    const inLead = new Date(now + 35 * DAY);
    const { raised } = await raiseDueObligations(compliance.db.manager, inLead);
    expect(raised.map((o) => o.assetId).sort()).toEqual([places.assetId, places.otherAssetId].sort());
    expect((await raiseDueObligations(compliance.db.manager, new Date(now + 40 * DAY))).raised).toEqual([]); // once per occurrence
    const requests = (await eventsOf(compliance, requirement.id, 'work.requested')).map((e) => e.data as Record<string, any>);
    expect(requests).toHaveLength(2);
    expect(requests[0]).toMatchObject({
      type: 'INSPECTION',
      sourceRecordId: requirement.id,
      ownerId: crew.technician.id,
      title: 'Yearly inspection of pressure vessels (Pressure Equipment Directive 2014/68/EU Annex I 3.3)',
      requiredOutcome: {
        acceptanceCriteria: 'No corrosion, safety valve set pressure within limits',
        evidence: [expect.objectContaining({ kind: 'MEASUREMENT', label: 'Safety valve set pressure', unit: 'bar', min: 9.5, max: 10.5 }), expect.objectContaining({ kind: 'DOCUMENT', label: 'Inspection report' })],
      },
    });
    expect(requests[0].requestId).toMatch(/^compliance:obligation:[0-9a-f-]{36}$/);
    expect(new Date(requests[0].dueAt).getTime()).toBe(now + 60 * DAY); // the occurrence's due date

    const due = ok(await compliance.query(STATUS, { s: places.siteId })).complianceStatus;
    expect(due.requirements.find((r: { requirement: { id: string } }) => r.requirement.id === requirement.id)).toMatchObject({ status: 'DUE' });
    expect(due.requirements[0].obligations.every((o: { workStatus: string }) => o.workStatus === 'REQUESTED')).toBe(true);

    // Past the due date without proof: overdue, announced once, and visible.
    const late = new Date(now + 61 * DAY);
    expect((await raiseDueObligations(compliance.db.manager, late)).overdue).toHaveLength(2);
    expect((await raiseDueObligations(compliance.db.manager, new Date(now + 62 * DAY))).overdue).toHaveLength(0);
    expect(await eventsOf(compliance, requirement.id, 'obligation.overdue')).toHaveLength(2);
    const overdue = await compliance.db.getRepository(ComplianceObligation).findBy({ requirementId: requirement.id });
    // The graph answers at the real clock: put the due dates in its past instead of waiting.
    await compliance.db.getRepository(ComplianceObligation).update({ requirementId: requirement.id }, { dueAt: new Date(now - DAY) });
    const view = ok(await compliance.query(STATUS, { s: places.siteId })).complianceStatus;
    expect(view).toMatchObject({ overdue: 1, due: 0 });
    expect(ok(await compliance.query(`query($r: ID) { obligations(filter: { requirementId: $r, status: [OVERDUE] }) { id } }`, { r: requirement.id })).obligations).toHaveLength(overdue.length);
  });

  test('an occurrence already inside its lead time when the requirement is recorded is raised at once', async () => {
    const requirement = await createRequirement(compliance, vesselInspection(places.siteId, [places.assetId], { firstDueAt: new Date(Date.now() + 5 * DAY).toISOString(), leadDays: 14 }));
    expect(requirement.obligations).toEqual([expect.objectContaining({ status: 'DUE', workStatus: 'REQUESTED' })]);
    expect(requirement.obligations[0].raisedAt).toBeTruthy();
    expect(await eventsOf(compliance, requirement.id, 'work.requested')).toHaveLength(1);
    expect((await raiseDueObligations(compliance.db.manager, new Date(Date.now() + 6 * DAY))).raised.filter((o) => o.requirementId === requirement.id)).toEqual([]);
  });

  test('a requirement with a work check only is MET while no check is open; out of scope it is not found', async () => {
    const requirement = await createRequirement(compliance, vesselInspection(places.siteId, [], {
      recurrenceMonths: null,
      assetClasses: ['pressure_vessel'],
      workTypes: ['MAINTENANCE'],
      workCheck: 'Pressure test certificate before return to service',
    }));
    expect(requirement).toMatchObject({ status: 'MET', obligations: [], recurrence: null, appliesTo: { workTypes: ['MAINTENANCE'], assetClasses: ['pressure_vessel'] } });
    expectError(await compliance.query(`query($id: ID!) { requirement(id: $id) { id } }`, { id: requirement.id }, { ...crew.hse, sites: [newPlaces().siteId] }), 'NOT_FOUND');
    expectError(await compliance.query(`mutation($r: ID!, $w: ID!) { confirmComplianceCheck(requirementId: $r, workItemId: $w) { id } }`, { r: requirement.id, w: places.assetId }), 'NOT_FOUND');
    expectError(await compliance.query(`mutation($r: ID!, $w: ID!) { confirmComplianceCheck(requirementId: $r, workItemId: $w) { id } }`, { r: requirement.id, w: places.assetId }, crew.technician), 'FORBIDDEN');
  });
});

describe('audits and findings', () => {
  test('a finding raises its corrective actions and closes only when they are verified; refused transitions', async () => {
    expectError(await compliance.query(`mutation($i: RecordAuditInput!) { recordAudit(input: $i) { id } }`, { i: { title: 'x', siteId: places.siteId, scope: 'x', auditDate: new Date().toISOString() } }, crew.technician), 'FORBIDDEN');
    const audit = await recordAudit(compliance, places.siteId);
    expect(audit).toMatchObject({ number: expect.stringMatching(/^AUD-\d{6}$/), auditor: { id: crew.auditor.id } });
    const requirement = await createRequirement(compliance, vesselInspection(places.siteId, [places.assetId]));
    const record = (input: Record<string, unknown>) =>
      compliance.query(`mutation($i: RecordAuditFindingInput!) { recordAuditFinding(input: $i) { ${FINDING_FIELDS} } }`, { i: { auditId: audit.id, description: 'Safety valve on V-101 past its test date', ...input } }, crew.auditor);
    expectError(await record({ severity: 'MAJOR', requirementId: places.assetId }), 'NOT_FOUND');
    expectError(await record({ severity: 'SEVERE' }), 'BAD_USER_INPUT');
    const finding = ok(await record({
      severity: 'MAJOR',
      requirementId: requirement.id,
      areaId: places.areaId,
      correctiveActions: [
        { title: 'Replace safety valve on V-101', ownerId: crew.technician.id, dueAt: new Date(Date.now() + 14 * DAY).toISOString() },
        { title: 'Add valve test dates to the inspection plan' },
      ],
    })).recordAuditFinding;
    expect(finding).toMatchObject({ number: `${audit.number}-F1`, status: 'OPEN', closable: false, severity: 'MAJOR', requirement: { id: requirement.id } });
    expect(finding.correctiveActions.map((a: { workStatus: string }) => a.workStatus)).toEqual(['REQUESTED', 'REQUESTED']);
    const requests = (await eventsOf(compliance, finding.id, 'work.requested')).map((e) => e.data as Record<string, any>);
    expect(requests.map((r) => [r.type, r.requestId, r.priority, r.sourceRecordId])).toEqual([
      ['CORRECTIVE_ACTION', `compliance:finding:${finding.id}:action:1`, 'HIGH', finding.id],
      ['CORRECTIVE_ACTION', `compliance:finding:${finding.id}:action:2`, 'HIGH', finding.id],
    ]);
    expect(requests[0].links).toEqual([{ domain: 'COMPLIANCE', recordId: requirement.id, relation: 'corrects non-compliance with' }]);

    // Closed by HSE: whoever recorded a finding does not close it (test/duties.test.ts).
    const close = (id: string) => compliance.query(`mutation($id: ID!) { closeAuditFinding(id: $id, note: "done") { ${FINDING_FIELDS} } }`, { id }, crew.hse);
    const refused = expectError(await close(finding.id), 'PREREQUISITES_OPEN');
    expect(refused.extensions?.actions).toHaveLength(2);
    expectError(await compliance.query(`mutation($id: ID!) { closeAuditFinding(id: $id) { id } }`, { id: finding.id }, crew.technician), 'FORBIDDEN');

    const bare = ok(await record({ severity: 'MINOR' })).recordAuditFinding;
    expect(bare.number).toBe(`${audit.number}-F2`);
    expectError(await close(bare.id), 'PREREQUISITES_OPEN'); // a minor finding needs an action
    const observation = ok(await record({ severity: 'OBSERVATION' })).recordAuditFinding;
    expect(ok(await close(observation.id)).closeAuditFinding).toMatchObject({ status: 'CLOSED', closeNote: 'done' });
    expectError(await close(observation.id), 'ILLEGAL_TRANSITION');
    expectError(await compliance.query(`mutation($id: ID!, $i: ComplianceActionInput!) { addFindingAction(findingId: $id, input: $i) { id } }`, { id: observation.id, i: { title: 'late' } }, crew.auditor), 'ILLEGAL_TRANSITION');
    const added = ok(await compliance.query(`mutation($id: ID!, $i: ComplianceActionInput!) { addFindingAction(findingId: $id, input: $i) { id title workStatus } }`, { id: bare.id, i: { title: 'Relabel the receiver drain' } }, crew.auditor)).addFindingAction;
    expect(added).toMatchObject({ title: 'Relabel the receiver drain', workStatus: 'REQUESTED' });
    const audits = ok(await compliance.query(`query($s: ID!) { audits(siteId: $s) { number findings { number status } } }`, { s: places.siteId })).audits;
    expect(audits[0].findings.map((f: { status: string }) => f.status)).toEqual(['OPEN', 'OPEN', 'CLOSED']);
  });
});
