import path from 'node:path';
import { ROLES, type Caller, type Role } from '@opsgraph/core';
import { OutboxEvent } from '@opsgraph/events';
import { describeRoleMatrix, expectError, knowPlaces, ok, people, permitted, person, startTestGateway, type MatrixCase, type TestGateway, type TestService } from '@opsgraph/testing';
import { HAZARDS_PERMISSIONS } from '../src/domain/permissions';
import { crew, newPlaces, startHazards, trackWork } from './fixtures';

/**
 * The role matrix, through the real gateway: every role against every hazards mutation. Allowed calls
 * succeed and change the record; the others fail with FORBIDDEN, change nothing (the record reads the
 * same, no event is recorded) and are on the audit trail as refused. The same call without a token is
 * UNAUTHENTICATED and changes nothing.
 */
let hazards: TestService;
let gateway: TestGateway;
const places = newPlaces();
let hazardId: string;

beforeAll(async () => {
  hazards = await startHazards();
  gateway = await startTestGateway({ hazards: hazards.url });
  await knowPlaces(hazards.db, places);
  hazardId = (await q(`mutation($i: RegisterHazardInput!) { registerHazard(input: $i) { id } }`, { i: hazardInput() })).registerHazard.id;
});
afterAll(async () => {
  await gateway?.stop();
  await hazards?.stop();
});

/** Setup and re-reads go straight to the subgraph as the system (an administrator everywhere). */
const q = (query: string, variables: Record<string, unknown> = {}, caller?: Caller) => hazards.query(query, variables, caller).then(ok);
const events = () => hazards.db.getRepository(OutboxEvent).count();

const hazardInput = (extra: Record<string, unknown> = {}) => ({
  title: 'Hot surfaces on the steam header',
  siteId: places.siteId,
  assetId: places.assetId,
  likelihood: 3,
  severity: 3,
  residualLikelihood: 1,
  residualSeverity: 3,
  controls: [{ kind: 'PPE', description: 'Heat-resistant gloves' }, { kind: 'BARRIER', description: 'Lagging in place' }],
  ...extra,
});
const incidentInput = (extra: Record<string, unknown> = {}) => ({
  type: 'NEAR_MISS',
  severity: 'LOW',
  occurredAt: new Date(Date.now() - 600_000).toISOString(),
  siteId: places.siteId,
  areaId: places.areaId,
  title: 'Pallet fell from a rack',
  description: 'A pallet slid off the top rack next to the walkway; nobody was near.',
  ...extra,
});

const newHazard = async () => (await q(`mutation($i: RegisterHazardInput!) { registerHazard(input: $i) { id } }`, { i: hazardInput() })).registerHazard.id as string;
const assessed = async () => {
  const workItemId = await trackWork(hazards, places);
  const a = (await q(`mutation($i: JobRiskAssessmentInput!) { assessJobRisk(input: $i) { hazards { controls { id } } } }`, { i: { workItemId, hazards: [{ hazardId }] } })).assessJobRisk;
  return { workItemId, controlId: a.hazards[0].controls[0].id as string };
};
const controlsOf = (workItemId: string) => q(`query($w: ID!) { jobRiskAssessment(workItemId: $w) { hazards { controls { id state evidence reopenedReason } } } }`, { w: workItemId });
/** A contractor sees only the incidents they reported: theirs are reported by them, so only the role decides. */
const reported = async (caller: Caller | null) => {
  const reporter = caller?.roles.includes('contractor') ? caller : people.operator;
  return (await q(`mutation($i: ReportIncidentInput!) { reportIncident(input: $i) { id } }`, { i: incidentInput() }, reporter)).reportIncident.id as string;
};
const investigating = async (caller: Caller | null) => {
  const id = await reported(caller);
  await q(`mutation($id: ID!, $p: ID!) { startIncidentInvestigation(id: $id, investigatorId: $p) { id } }`, { id, p: crew.investigator.id });
  return id;
};
const investigated = async (caller: Caller | null) => {
  const id = await investigating(caller);
  await q(`mutation($id: ID!) { completeIncidentInvestigation(id: $id, input: { rootCauses: ["rack overloaded"], findings: "f" }) { id } }`, { id }, crew.investigator);
  return id;
};
const incidentState = (id: string) =>
  q(`query($id: ID!) { incident(id: $id) { status version closedAt reopenCount potentialSeverity witnesses { person { id } } investigation { investigator { id } rootCauses findings } correctiveActions { id } history { action } } }`, { id });

type Case = MatrixCase<keyof typeof HAZARDS_PERMISSIONS>;

const cases: Record<string, Case> = {
  registerHazard: {
    permission: 'keepRegister',
    mutation: `mutation($i: RegisterHazardInput!) { registerHazard(input: $i) { id } }`,
    setup: async () => ({ variables: { i: hazardInput({ title: 'Slippery floor at the CIP skid' }) }, read: () => q(`query($s: ID) { hazards(filter: { siteId: $s }) { totalCount } }`, { s: places.siteId }) }),
  },
  reassessHazard: {
    permission: 'keepRegister',
    mutation: `mutation($id: ID!) { reassessHazard(id: $id, input: { likelihood: 2, severity: 3, residualLikelihood: 1, residualSeverity: 2 }) { id } }`,
    setup: async () => {
      const id = await newHazard();
      return { variables: { id }, read: () => q(`query($id: ID!) { hazard(id: $id) { version risk { rating } residualRisk { rating } } }`, { id }) };
    },
  },
  retireHazard: {
    permission: 'keepRegister',
    mutation: `mutation($id: ID!) { retireHazard(id: $id, reason: "header replaced") { id } }`,
    setup: async () => {
      const id = await newHazard();
      return { variables: { id }, read: () => q(`query($id: ID!) { hazard(id: $id) { version active retiredReason } }`, { id }) };
    },
  },
  assessJobRisk: {
    permission: 'assessJobRisk',
    mutation: `mutation($i: JobRiskAssessmentInput!) { assessJobRisk(input: $i) { id } }`,
    setup: async () => {
      const workItemId = await trackWork(hazards, places);
      return { variables: { i: { workItemId, hazards: [{ hazardId }] } }, read: () => q(`query($w: ID!) { jobRiskAssessment(workItemId: $w) { id } }`, { w: workItemId }) };
    },
  },
  confirmHazardControl: {
    permission: 'confirmControl',
    mutation: `mutation($id: ID!) { confirmHazardControl(id: $id, evidence: { note: "gloves at the header" }) { id } }`,
    setup: async () => {
      const { workItemId, controlId } = await assessed();
      return { variables: { id: controlId }, read: () => controlsOf(workItemId) };
    },
  },
  reopenHazardControl: {
    permission: 'reopenControl',
    mutation: `mutation($id: ID!) { reopenHazardControl(id: $id, reason: "lagging removed") { id } }`,
    setup: async () => {
      const { workItemId, controlId } = await assessed();
      await q(`mutation($id: ID!) { confirmHazardControl(id: $id, evidence: { note: "checked" }) { id } }`, { id: controlId });
      return { variables: { id: controlId }, read: () => controlsOf(workItemId) };
    },
  },
  reportIncident: {
    permission: 'reportIncident',
    mutation: `mutation($i: ReportIncidentInput!) { reportIncident(input: $i) { id } }`,
    setup: async () => ({ variables: { i: incidentInput() }, read: () => q(`query($s: ID) { incidents(filter: { siteId: $s }) { totalCount } }`, { s: places.siteId }) }),
  },
  startIncidentInvestigation: {
    permission: 'manageIncidents',
    mutation: `mutation($id: ID!) { startIncidentInvestigation(id: $id, investigatorId: "${crew.investigator.id}") { id } }`,
    setup: async (caller) => {
      const id = await reported(caller);
      return { variables: { id }, read: () => incidentState(id) };
    },
  },
  completeIncidentInvestigation: {
    permission: 'completeInvestigation',
    mutation: `mutation($id: ID!) { completeIncidentInvestigation(id: $id, input: { rootCauses: ["rack overloaded"], findings: "Load limit sign missing" }) { id } }`,
    setup: async (caller) => {
      const id = await investigating(caller);
      return { variables: { id }, read: () => incidentState(id) };
    },
  },
  addIncidentAction: {
    permission: 'addIncidentAction',
    mutation: `mutation($id: ID!) { addIncidentAction(incidentId: $id, input: { kind: CORRECTIVE, title: "Post rack load limits", ownerId: "${people.technician.id}" }) { id } }`,
    setup: async (caller) => {
      const id = await investigating(caller);
      return { variables: { id }, read: () => incidentState(id) };
    },
  },
  reopenIncident: {
    permission: 'reopenIncident',
    mutation: `mutation($id: ID!) { reopenIncident(id: $id, reason: "A pallet fell again from the same rack") { id } }`,
    setup: async (caller) => {
      const id = await investigated(caller);
      await q(`mutation($id: ID!) { closeIncident(id: $id, note: "no action needed") { id } }`, { id });
      return { variables: { id }, read: () => incidentState(id) };
    },
  },
  recordIncidentDetails: {
    permission: 'recordIncidentDetails',
    mutation: `mutation($id: ID!) { recordIncidentDetails(id: $id, input: { potentialSeverity: HIGH, witnesses: [{ personId: "${people.technician2.id}" }] }) { id } }`,
    setup: async (caller) => {
      const id = await reported(caller);
      return { variables: { id }, read: () => incidentState(id) };
    },
  },
  closeIncident: {
    permission: 'manageIncidents',
    mutation: `mutation($id: ID!) { closeIncident(id: $id, note: "no action needed") { id } }`,
    setup: async (caller) => {
      const id = await investigated(caller);
      return { variables: { id }, read: () => incidentState(id) };
    },
  },
};

describeRoleMatrix({
  gateway: () => gateway,
  permissions: HAZARDS_PERMISSIONS,
  cases,
  schema: path.join(__dirname, '../src/schema.graphql'),
  callerOf: (role: Role) => person(`0000${ROLES.indexOf(role).toString().padStart(4, '0')}-0000-4000-8000-00000000aaaa`, role, [places.siteId], role === 'contractor' ? 'Acme' : undefined),
  auditTrail: 'hazardsAuditTrail',
  query: `{ hazards { totalCount } }`,
  events,
  perRole: (role, caller) => {
    test('reading: the register and incidents in scope; the people involved and the audit trail only for some', async () => {
      const injury = (await q(`mutation($i: ReportIncidentInput!) { reportIncident(input: $i) { id number } }`, {
        i: incidentInput({ type: 'INJURY', severity: 'MEDIUM', title: 'Cut hand at the filler', peopleInvolvedIds: [people.technician2.id] }),
      }, people.operator)).reportIncident;
      const read = (query: string, variables: Record<string, unknown> = {}) => gateway.query(query, variables, caller);
      expect(ok(await read(`query($s: ID) { hazards(filter: { siteId: $s }) { totalCount edges { node { id } } } }`, { s: places.siteId })).hazards.totalCount).toBeGreaterThan(0);
      expect(ok(await read(`query($id: ID!) { hazard(id: $id) { id controls { kind } } }`, { id: hazardId })).hazard.id).toBe(hazardId);

      const list = ok(await read(`{ incidents(first: 200) { totalCount edges { node { id reporter { id } } } } }`)).incidents;
      expect(list.totalCount).toBe(list.edges.length);
      const PEOPLE = `query($id: ID!) { incident(id: $id) { peopleInvolved { id } } }`;
      if (role === 'contractor') {
        // The contractor boundary: only the incidents they reported.
        expect(list.totalCount).toBeGreaterThan(0); // the ones they reported in the matrix above
        expect(list.edges.every((e: any) => e.node.reporter.id === caller.id)).toBe(true);
        const hidden = expectError(await read(`query($id: ID!) { incident(id: $id) { id title } }`, { id: injury.id }), 'NOT_FOUND');
        expect(hidden.message).not.toMatch(/Cut hand|filler/);
        expectError(await read(`query($n: String!) { incidentByNumber(number: $n) { id } }`, { n: injury.number }), 'NOT_FOUND');
      } else {
        expect(list.edges.map((e: any) => e.node.id)).toContain(injury.id);
        expect(ok(await read(`query($id: ID!) { incident(id: $id) { type title description } }`, { id: injury.id })).incident).toMatchObject({ type: 'INJURY', title: 'Cut hand at the filler' });
        // The people involved are personal data: HSE, supervisors and administrators (and the reporter and investigator).
        if (permitted(HAZARDS_PERMISSIONS, role, 'seePeopleInvolved')) {
          expect(ok(await read(PEOPLE, { id: injury.id })).incident.peopleInvolved).toEqual([{ id: people.technician2.id }]);
        } else {
          const refused = expectError(await read(PEOPLE, { id: injury.id }), 'FORBIDDEN');
          expect(refused.message).not.toContain(people.technician2.id);
        }
      }
      const trail = await read(`{ hazardsAuditTrail(first: 5) { operation } }`);
      if (role === 'auditor' || role === 'administrator') expect(ok(trail).hazardsAuditTrail.length).toBeGreaterThan(0);
      else expectError(trail, 'FORBIDDEN');
    });
  },
});


describe('relations that grant more than the role', () => {
  test('the reporter and the appointed investigator see the people involved; the investigator completes and adds actions', async () => {
    const id = (await q(`mutation($i: ReportIncidentInput!) { reportIncident(input: $i) { id } }`, { i: incidentInput({ type: 'INJURY', peopleInvolvedIds: [people.technician2.id] }) }, people.operator)).reportIncident.id;
    const PEOPLE = `query($id: ID!) { incident(id: $id) { peopleInvolved { id } } }`;
    expect(ok(await gateway.query(PEOPLE, { id }, people.operator)).incident.peopleInvolved).toEqual([{ id: people.technician2.id }]);
    expectError(await gateway.query(PEOPLE, { id }, crew.investigator), 'FORBIDDEN'); // not appointed yet
    await q(`mutation($id: ID!, $p: ID!) { startIncidentInvestigation(id: $id, investigatorId: $p) { id } }`, { id, p: crew.investigator.id });
    expect(ok(await gateway.query(PEOPLE, { id }, crew.investigator)).incident.peopleInvolved).toEqual([{ id: people.technician2.id }]);
    // A technician only as the investigator: another technician is refused.
    const action = `mutation($id: ID!) { addIncidentAction(incidentId: $id, input: { kind: PREVENTIVE, title: "Guard the blade", ownerId: "${people.technician.id}" }) { number } }`;
    expectError(await gateway.query(action, { id }, people.technician), 'FORBIDDEN');
    expect(ok(await gateway.query(action, { id }, crew.investigator)).addIncidentAction.number).toBe(1);
    const complete = `mutation($id: ID!) { completeIncidentInvestigation(id: $id, input: { rootCauses: ["blade unguarded"], findings: "f" }) { status } }`;
    expectError(await gateway.query(complete, { id }, people.technician), 'FORBIDDEN');
    expect(ok(await gateway.query(complete, { id }, crew.investigator)).completeIncidentInvestigation.status).toBe('INVESTIGATED');
  });
});
