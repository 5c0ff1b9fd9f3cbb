import { randomUUID } from 'node:crypto';
import path from 'node:path';
import { ROLES, type Caller, type Role } from '@opsgraph/core';
import { OutboxEvent } from '@opsgraph/events';
import { describeRoleMatrix, eventually, expectError, fakeWork, ok, person, startTestGateway, type MatrixCase, type TestGateway, type TestService } from '@opsgraph/testing';
import { COMPLIANCE_PERMISSIONS } from '../src/domain/permissions';
import { ComplianceCheck } from '../src/entities';
import { crew, knowAll, newPlaces, recordAudit, startCompliance, vesselInspection } from './fixtures';

/**
 * The role matrix, through the real gateway: every role against every compliance mutation. Allowed calls
 * succeed and change the record; the others fail with FORBIDDEN, change nothing (the record reads the
 * same, no event is recorded) and are on the audit trail as refused. The same call without a token is
 * UNAUTHENTICATED and changes nothing.
 */
let compliance: TestService;
let gateway: TestGateway;
let work: ReturnType<typeof fakeWork>;
const places = newPlaces();
let requirementId: string;
let recurringId: string;
let auditId: string;
/** Work items that each carry an open compliance check, one per role at most (refused calls share theirs). */
const checkedWork: string[] = [];

beforeAll(async () => {
  compliance = await startCompliance();
  gateway = await startTestGateway({ compliance: compliance.url });
  work = fakeWork();
  await knowAll(compliance.db, places);
  requirementId = (await q(`mutation($i: CreateRequirementInput!) { createRequirement(input: $i) { id } }`, {
    i: vesselInspection(places.siteId, [], { recurrenceMonths: null, assetClasses: [], workTypes: ['MAINTENANCE'], workCheck: 'Pressure test certificate before handover' }),
  })).createRequirement.id;
  recurringId = (await q(`mutation($i: CreateRequirementInput!) { createRequirement(input: $i) { id } }`, { i: vesselInspection(places.siteId, [places.assetId]) })).createRequirement.id;
  auditId = (await recordAudit(compliance, places.siteId)).id;
  // Work reports new maintenance at the site: the requirement's check gates each item.
  for (let i = 0; i < ROLES.length; i++) {
    const workItemId = randomUUID();
    checkedWork.push(workItemId);
    await work.created({ workItemId, workType: 'MAINTENANCE', siteId: places.siteId, areaId: places.areaId, sourceDomain: 'MANUAL', sourceRecordId: null });
  }
  await eventually(async () => (await compliance.db.getRepository(ComplianceCheck).countBy({ requirementId, status: 'OPEN' })) === checkedWork.length);
});
afterAll(async () => {
  await work?.close();
  await gateway?.stop();
  await compliance?.stop();
});

/** Setup and re-reads go straight to the subgraph as the system (an administrator everywhere). */
const q = (query: string, variables: Record<string, unknown> = {}, caller?: Caller) => compliance.query(query, variables, caller).then(ok);

const finding = async (severity: string) =>
  (await q(`mutation($i: RecordAuditFindingInput!) { recordAuditFinding(input: $i) { id } }`, { i: { auditId, severity, requirementId, description: 'Test certificate missing on one job' } })).recordAuditFinding.id as string;
const findingState = (id: string) => q(`query($id: ID!) { auditFinding(id: $id) { status closedAt closeNote reopenCount correctiveActions { id } history { action } } }`, { id });

type Case = MatrixCase<keyof typeof COMPLIANCE_PERMISSIONS>;

const cases: Record<string, Case> = {
  createRequirement: {
    permission: 'manageRequirements',
    mutation: `mutation($i: CreateRequirementInput!) { createRequirement(input: $i) { id } }`,
    setup: async () => ({ variables: { i: vesselInspection(places.siteId, [places.assetId]) }, read: () => q(`query($s: ID) { requirements(siteId: $s) { id } }`, { s: places.siteId }) }),
  },
  recordAudit: {
    permission: 'recordAudits',
    mutation: `mutation($i: RecordAuditInput!) { recordAudit(input: $i) { id } }`,
    setup: async () => ({
      variables: { i: { title: 'Compressed air audit', siteId: places.siteId, scope: 'Receivers', auditDate: new Date().toISOString() } },
      read: () => q(`query($s: ID!) { audits(siteId: $s) { id } }`, { s: places.siteId }),
    }),
  },
  recordAuditFinding: {
    permission: 'recordAudits',
    mutation: `mutation($i: RecordAuditFindingInput!) { recordAuditFinding(input: $i) { id } }`,
    setup: async () => ({
      variables: { i: { auditId, severity: 'MINOR', requirementId, description: 'Drain valve unlabelled', correctiveActions: [{ title: 'Label it' }] } },
      read: () => q(`query($id: ID!) { audit(id: $id) { findings { id } } }`, { id: auditId }),
    }),
  },
  addFindingAction: {
    permission: 'addFindingActions',
    mutation: `mutation($id: ID!) { addFindingAction(findingId: $id, input: { title: "Add the certificate to the job pack" }) { id } }`,
    setup: async () => {
      const id = await finding('MINOR');
      return { variables: { id }, read: () => findingState(id) };
    },
  },
  closeAuditFinding: {
    permission: 'recordAudits',
    mutation: `mutation($id: ID!) { closeAuditFinding(id: $id, note: "noted") { id } }`,
    setup: async () => {
      const id = await finding('OBSERVATION');
      return { variables: { id }, read: () => findingState(id) };
    },
  },
  reopenAuditFinding: {
    permission: 'reopenFindings',
    mutation: `mutation($id: ID!) { reopenAuditFinding(id: $id, reason: "Certificate missing again on the next job") { id } }`,
    setup: async () => {
      const id = await finding('OBSERVATION');
      await q(`mutation($id: ID!) { closeAuditFinding(id: $id, note: "noted") { id } }`, { id }, crew.hse);
      return { variables: { id }, read: () => findingState(id) };
    },
  },
  confirmComplianceCheck: {
    permission: 'confirmChecks',
    mutation: `mutation($r: ID!, $w: ID!) { confirmComplianceCheck(requirementId: $r, workItemId: $w, note: "certificate seen") { id } }`,
    setup: async () => {
      const workItemId = checkedWork.pop()!;
      return {
        variables: { r: requirementId, w: workItemId },
        read: async () => (await q(`query($id: ID!) { requirement(id: $id) { checks { workItem { id } status confirmedBy { id } note } } }`, { id: requirementId })).requirement.checks.filter((c: any) => c.workItem.id === workItemId),
      };
    },
  },
};

describeRoleMatrix({
  gateway: () => gateway,
  permissions: COMPLIANCE_PERMISSIONS,
  cases,
  schema: path.join(__dirname, '../src/schema.graphql'),
  callerOf: (role: Role) => person(`0000${ROLES.indexOf(role).toString().padStart(4, '0')}-0000-4000-8000-00000000dddd`, role, [places.siteId], role === 'contractor' ? 'Acme' : undefined),
  auditTrail: 'complianceAuditTrail',
  query: `{ requirements { id } }`,
  events: () => compliance.db.getRepository(OutboxEvent).count(),
  shareRefusedFixtures: true,
  perRole: (role, caller) => {
    test('reading: requirements, status, obligations, audits and findings of the caller\'s site; the audit trail only for auditors', async () => {
      const read = (query: string, variables: Record<string, unknown> = {}) => gateway.query(query, variables, caller);
      expect(ok(await read(`{ requirements { id } }`)).requirements.map((r: { id: string }) => r.id)).toContain(requirementId);
      expect(ok(await read(`query($id: ID!) { requirement(id: $id) { id status checks { status } } }`, { id: requirementId })).requirement.id).toBe(requirementId);
      expect(ok(await read(`query($s: ID!) { complianceStatus(siteId: $s) { requirements { requirement { id } } } }`, { s: places.siteId })).complianceStatus.requirements.length).toBeGreaterThan(0);
      const obligations = ok(await read(`query($s: ID) { obligations(filter: { siteId: $s }) { requirement { id } } }`, { s: places.siteId })).obligations;
      expect(obligations.map((o: any) => o.requirement.id)).toContain(recurringId);
      const audits = ok(await read(`query($s: ID!) { audits(siteId: $s) { id findings { id number } } }`, { s: places.siteId })).audits;
      expect(audits.map((a: { id: string }) => a.id)).toContain(auditId);
      const trail = await read(`{ complianceAuditTrail(first: 5) { operation } }`);
      if (role === 'auditor' || role === 'administrator') expect(ok(trail).complianceAuditTrail.length).toBeGreaterThan(0);
      else expectError(trail, 'FORBIDDEN');
    });
  },
});
