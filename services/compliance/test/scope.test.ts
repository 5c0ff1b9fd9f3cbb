import { randomUUID } from 'node:crypto';
import type { Caller } from '@opsgraph/core';
import { OutboxEvent } from '@opsgraph/events';
import { eventually, expectError, fakeWork, ok, person, startTestGateway, type TestGateway, type TestService } from '@opsgraph/testing';
import { AuditFinding, ComplianceCheck, ComplianceObligation } from '../src/entities';
import { DAY, crew, knowAll, newPlaces, startCompliance, vesselInspection, type Places } from './fixtures';

/**
 * Scope escapes, each asserting nothing leaked and nothing changed: another site's requirement, audit and
 * finding by id, list and count; a requirement shared by two sites, whose status, occurrences and checks
 * at the other site must not show; federation references straight to the subgraph, signed for an
 * out-of-scope caller; and mutations on another site's records.
 */
let compliance: TestService;
let gateway: TestGateway;
let work: ReturnType<typeof fakeWork>;
const green: Places = newPlaces();
const blue: Places = newPlaces();
let rec: {
  blueRequirement: string;
  sharedRecurring: string;
  sharedCheck: string;
  greenAudit: string;
  blueAudit: string;
  greenFinding: string;
  blueFinding: string;
  blueObservation: string;
  blueWorkItem: string;
};

const greenHse = () => person(crew.hse.id, 'hse', [green.siteId]);
const blueHse = () => person(crew.hse.id, 'hse', [blue.siteId]);
const greenAuditor = () => person(crew.auditor.id, 'auditor', [green.siteId]);

const q = (query: string, variables: Record<string, unknown> = {}, caller?: Caller) => compliance.query(query, variables, caller).then(ok);
const events = () => compliance.db.getRepository(OutboxEvent).count();
const requirement = async (input: Record<string, unknown>) => (await q(`mutation($i: CreateRequirementInput!) { createRequirement(input: $i) { id } }`, { i: input })).createRequirement.id as string;
const audit = async (places: Places, title: string) =>
  (await q(`mutation($i: RecordAuditInput!) { recordAudit(input: $i) { id } }`, { i: { title, siteId: places.siteId, scope: 'Pressure systems', auditDate: new Date().toISOString() } })).recordAudit.id as string;
const finding = async (auditId: string, severity: string, description: string, requirementId?: string) =>
  (await q(`mutation($i: RecordAuditFindingInput!) { recordAuditFinding(input: $i) { id } }`, { i: { auditId, severity, description, requirementId, correctiveActions: severity === 'OBSERVATION' ? [] : [{ title: 'Fix it' }] } })).recordAuditFinding.id as string;

beforeAll(async () => {
  compliance = await startCompliance();
  gateway = await startTestGateway({ compliance: compliance.url });
  work = fakeWork();
  await knowAll(compliance.db, green, blue);
  const blueRequirement = await requirement(vesselInspection(blue.siteId, [blue.assetId], { title: 'Blue boiler inspection', workCheck: 'Blue boiler certificate' }));
  // Shared by both sites: an occurrence per site; blue's is made overdue below.
  const sharedRecurring = await requirement(vesselInspection(green.siteId, [], { siteIds: [green.siteId, blue.siteId], assetClasses: [], title: 'Site fire risk review' }));
  const sharedCheck = await requirement(vesselInspection(green.siteId, [], { siteIds: [green.siteId, blue.siteId], assetClasses: [], recurrenceMonths: null, workCheck: 'Hot work certificate', title: 'Hot work rule' }));
  await compliance.db.getRepository(ComplianceObligation).update({ requirementId: sharedRecurring, siteId: blue.siteId }, { dueAt: new Date(Date.now() - DAY) });
  const greenAudit = await audit(green, 'Green audit');
  const blueAudit = await audit(blue, 'Blue audit');
  const greenFinding = await finding(greenAudit, 'MINOR', 'Green drain unlabelled');
  const blueFinding = await finding(blueAudit, 'MAJOR', 'Blue boiler valve past its test date', blueRequirement);
  const blueObservation = await finding(blueAudit, 'OBSERVATION', 'Blue housekeeping');
  // Work on blue's boiler: both the blue and the shared work checks gate it.
  const blueWorkItem = randomUUID();
  await work.created({ workItemId: blueWorkItem, workType: 'MAINTENANCE', siteId: blue.siteId, assetId: blue.assetId, sourceDomain: 'MANUAL', sourceRecordId: null });
  await eventually(async () => (await compliance.db.getRepository(ComplianceCheck).countBy({ workItemId: blueWorkItem })) === 2);
  rec = { blueRequirement, sharedRecurring, sharedCheck, greenAudit, blueAudit, greenFinding, blueFinding, blueObservation, blueWorkItem };
});
afterAll(async () => {
  await work?.close();
  await gateway?.stop();
  await compliance?.stop();
});

describe('site scope', () => {
  test('another site\'s requirement, audit and finding are "not found" by id, absent from lists, and the message names nothing', async () => {
    const g = (query: string, variables: Record<string, unknown> = {}) => gateway.query(query, variables, greenHse());
    for (const [query, variables] of [
      [`query($id: ID!) { requirement(id: $id) { id title } }`, { id: rec.blueRequirement }],
      [`query($id: ID!) { audit(id: $id) { id title } }`, { id: rec.blueAudit }],
      [`query($id: ID!) { auditFinding(id: $id) { id description } }`, { id: rec.blueFinding }],
      [`query($s: ID!) { complianceStatus(siteId: $s) { met } }`, { s: blue.siteId }],
    ] as const) {
      const error = expectError(await g(query, variables), 'NOT_FOUND');
      expect(error.message).not.toMatch(/Blue|boiler|AUD-/i);
    }
    expect(ok(await g(`{ requirements { id } }`)).requirements.map((r: { id: string }) => r.id).sort()).toEqual([rec.sharedRecurring, rec.sharedCheck].sort());
    expect(ok(await g(`query($s: ID) { requirements(siteId: $s) { id } }`, { s: blue.siteId })).requirements).toEqual([]);
    expect(ok(await g(`query($s: ID!) { audits(siteId: $s) { id } }`, { s: blue.siteId })).audits).toEqual([]);
    expect(ok(await g(`query($r: ID) { obligations(filter: { requirementId: $r }) { id } }`, { r: rec.blueRequirement })).obligations).toEqual([]);
    expect(ok(await g(`query($s: ID) { obligations(filter: { siteId: $s }) { id } }`, { s: blue.siteId })).obligations).toEqual([]);
    expect(ok(await g(`{ obligations { site { id } } }`)).obligations.map((o: any) => o.site.id)).toEqual([green.siteId]);
  });

  test('a requirement shared with another site shows only the caller\'s site: status, occurrences, evidence, checks and counts', async () => {
    const VIEW = `query($a: ID!, $b: ID!) {
      a: requirement(id: $a) { status obligations { site { id } status } evidence { dueAt } checks { id } }
      b: requirement(id: $b) { status obligations { id } checks { workItem { id } status } } }`;
    const ids = { a: rec.sharedRecurring, b: rec.sharedCheck };
    // Someone at blue sees blue's overdue occurrence and its open check.
    const atBlue = ok(await gateway.query(VIEW, ids, blueHse()));
    expect(atBlue.a).toMatchObject({ status: 'OVERDUE', obligations: [{ site: { id: blue.siteId }, status: 'OVERDUE' }] });
    expect(atBlue.b).toMatchObject({ status: 'DUE', checks: [{ workItem: { id: rec.blueWorkItem }, status: 'OPEN' }] });
    // Someone at green sees green's own standing only.
    const atGreen = ok(await gateway.query(VIEW, ids, greenHse()));
    expect(atGreen.a).toEqual({ status: 'SCHEDULED', obligations: [{ site: { id: green.siteId }, status: 'SCHEDULED' }], evidence: [], checks: [] });
    expect(atGreen.b).toEqual({ status: 'MET', obligations: [], checks: [] });
    const status = ok(await gateway.query(`query($s: ID!) { complianceStatus(siteId: $s) { met due overdue scheduled requirements { status requirement { status } openChecks { id } } } }`, { s: green.siteId }, greenHse())).complianceStatus;
    expect(status).toMatchObject({ overdue: 0, due: 0 });
    expect(status.requirements.every((r: any) => r.status === r.requirement.status && r.openChecks.length === 0)).toBe(true);
  });

  test('federation references straight to the subgraph, signed for an out-of-scope caller, resolve to null or nothing', async () => {
    // A work item on blue's boiler, as Work would describe it: blue's requirement applies to it by its asset.
    const blueWork = { __typename: 'WorkItem', id: rec.blueWorkItem, type: 'MAINTENANCE', site: { id: blue.siteId }, area: null, asset: { id: blue.assetId, assetClass: 'pressure_vessel' }, source: { domain: 'MANUAL', recordId: null } };
    const REFS = `query($r: [_Any!]!) { _entities(representations: $r) {
        ... on Requirement { id title } ... on AuditFinding { id description }
        ... on WorkItem { id complianceChecks { id } complianceRequirements { id } } } }`;
    const r = [
      { __typename: 'Requirement', id: rec.blueRequirement },
      { __typename: 'AuditFinding', id: rec.blueFinding },
      { __typename: 'AuditFinding', id: rec.greenFinding },
      blueWork,
    ];
    const refs = ok(await compliance.query(REFS, { r }, greenHse()))._entities;
    expect(refs[0]).toBeNull();
    expect(refs[1]).toBeNull();
    expect(refs[2]).toMatchObject({ id: rec.greenFinding });
    expect(refs[3].complianceChecks).toEqual([]);
    expect(refs[3].complianceRequirements.map((x: { id: string }) => x.id).sort()).toEqual([rec.sharedCheck, rec.sharedRecurring].sort());
    // The same references for someone at blue do resolve: what is missing above is the scope, not data.
    const atBlue = ok(await compliance.query(REFS, { r }, blueHse()))._entities;
    expect(atBlue[0]).toMatchObject({ id: rec.blueRequirement });
    expect(atBlue[1]).toMatchObject({ id: rec.blueFinding });
    expect(atBlue[3].complianceChecks).toHaveLength(2);
    expect(atBlue[3].complianceRequirements.map((x: { id: string }) => x.id)).toContain(rec.blueRequirement);
  });

  test('mutations on another site\'s records are refused (NOT_FOUND for records) and change nothing', async () => {
    const snapshot = async () => ({
      events: await events(),
      findings: await compliance.db.getRepository(AuditFinding).find({ order: { id: 'ASC' } }),
      checks: await compliance.db.getRepository(ComplianceCheck).find({ order: { id: 'ASC' } }),
      blueAudit: await q(`query($id: ID!) { audit(id: $id) { findings { id status correctiveActions { id } } } }`, { id: rec.blueAudit }),
      requirements: (await q(`{ requirements { id } }`)).requirements.length,
      audits: (await q(`query($s: ID!) { audits(siteId: $s) { id } }`, { s: blue.siteId })).audits.length,
    });
    const before = await snapshot();
    const notFound: [string, Record<string, unknown>, Caller][] = [
      [`mutation($i: RecordAuditFindingInput!) { recordAuditFinding(input: $i) { id } }`, { i: { auditId: rec.blueAudit, severity: 'MINOR', description: 'x' } }, greenAuditor()],
      [`mutation($i: RecordAuditFindingInput!) { recordAuditFinding(input: $i) { id } }`, { i: { auditId: rec.greenAudit, severity: 'MINOR', description: 'x', requirementId: rec.blueRequirement } }, greenAuditor()],
      [`mutation($id: ID!) { addFindingAction(findingId: $id, input: { title: "x" }) { id } }`, { id: rec.blueFinding }, greenHse()],
      [`mutation($id: ID!) { closeAuditFinding(id: $id) { id } }`, { id: rec.blueObservation }, greenAuditor()],
      [`mutation($r: ID!, $w: ID!) { confirmComplianceCheck(requirementId: $r, workItemId: $w) { id } }`, { r: rec.blueRequirement, w: rec.blueWorkItem }, greenHse()],
      [`mutation($r: ID!, $w: ID!) { confirmComplianceCheck(requirementId: $r, workItemId: $w) { id } }`, { r: rec.sharedCheck, w: rec.blueWorkItem }, greenHse()],
    ];
    for (const [mutation, variables, caller] of notFound) {
      const error = expectError(await gateway.query(mutation, variables, caller), 'NOT_FOUND');
      expect(error.message).not.toMatch(/Blue|boiler|AUD-/i);
    }
    // Creating at a site one does not work at is "not found", exactly as a site that does not exist.
    const createAt = (places: Places) =>
      gateway.query(`mutation($i: CreateRequirementInput!) { createRequirement(input: $i) { id } }`, { i: vesselInspection(places.siteId, [places.assetId]) }, greenHse());
    const auditAt = (siteId: string) => gateway.query(`mutation($i: RecordAuditInput!) { recordAudit(input: $i) { id } }`, { i: { title: 'x', siteId, scope: 'x', auditDate: new Date().toISOString() } }, greenAuditor());
    const nowhere = newPlaces();
    for (const [theirs, random] of [[await createAt(blue), await createAt(nowhere)], [await auditAt(blue.siteId), await auditAt(nowhere.siteId)]]) {
      const [a, b] = [expectError(theirs, 'NOT_FOUND'), expectError(random, 'NOT_FOUND')];
      expect(a.message.replace(blue.siteId, '<id>')).toBe(b.message.replace(nowhere.siteId, '<id>'));
    }
    expect(await snapshot()).toEqual(before);
  });

  test('a finding names only a requirement that applies at its audit\'s site; one that does not is never shown', async () => {
    const before = await events();
    // An auditor of both sites links a green finding to blue's requirement: refused.
    const record = `mutation($i: RecordAuditFindingInput!) { recordAuditFinding(input: $i) { id } }`;
    expectError(await gateway.query(record, { i: { auditId: rec.greenAudit, severity: 'MINOR', description: 'x', requirementId: rec.blueRequirement } }, crew.auditor), 'BAD_USER_INPUT');
    expect(await events()).toBe(before);
    // A finding recorded before that rule, linked to blue's requirement: someone at green does not see it.
    const legacy = await finding(rec.greenAudit, 'OBSERVATION', 'Legacy finding');
    await compliance.db.getRepository(AuditFinding).update({ id: legacy }, { requirementId: rec.blueRequirement });
    const FINDING = `query($id: ID!) { auditFinding(id: $id) { requirement { id title } } }`;
    expect(ok(await gateway.query(FINDING, { id: legacy }, greenHse())).auditFinding.requirement).toBeNull();
    expect(ok(await gateway.query(FINDING, { id: legacy }, crew.hse)).auditFinding.requirement).toMatchObject({ id: rec.blueRequirement });
  });
});
