import { eventually, ok, people, startTestGateway, startTestService, untilPlacesKnown, type TestGateway, type TestService } from '@opsgraph/testing';
import { service as workService } from '../../work/src/service';
import { crew, startHazards } from './fixtures';

/**
 * An effectiveness check closing an incident, and a reopen, through the gateway with Work and hazards on
 * real Kafka: the action is done and verified in Work, the incident closes, its effectiveness check is raised
 * in Work as an INSPECTION sourced from the incident, done with its reading (no recurrence) and verified; only
 * then is the incident closed-effective. A recurrence reopens it.
 */
let work: TestService;
let hazards: TestService;
let gateway: TestGateway;
let plant: { siteId: string; areaId: string };

const q = <T = any>(query: string, variables: Record<string, unknown> = {}, caller = people.admin) => gateway.query<T>(query, variables, caller);

beforeAll(async () => {
  [work, hazards] = await Promise.all([startTestService(workService), startHazards()]);
  gateway = await startTestGateway({ work: work.url, hazards: hazards.url });
  const siteId = ok(await q(`mutation { createSite(input: { code: "HZE", name: "Effectiveness plant" }) { id } }`)).createSite.id;
  const areaId = ok(await q(`mutation($s: ID!) { createArea(input: { siteId: $s, code: "CIP", name: "CIP skid" }) { id } }`, { s: siteId })).createArea.id;
  plant = { siteId, areaId };
  await untilPlacesKnown(hazards.db, Object.values(plant));
}, 60_000);
afterAll(async () => {
  await gateway?.stop();
  await Promise.all([hazards?.stop(), work?.stop()]);
});

/** Started and completed by a technician with the evidence, verified by a verifier. */
async function carryOut(id: string, evidence: Record<string, unknown>[]) {
  ok(await q(`mutation($id: ID!) { startWork(id: $id) { status } }`, { id }, people.technician));
  ok(await q(`mutation($id: ID!, $e: [EvidenceInput!]!) { completeWork(id: $id, evidence: $e) { status } }`, { id, e: evidence }, people.technician));
  ok(await q(`mutation($id: ID!) { verifyWork(id: $id, accept: true) { status } }`, { id }, people.verifier));
}

const EFFECTIVENESS = `status closedEffective reopenCount effectiveness { status workStatus workItem { id type title status source { domain recordId }
  requiredOutcome { evidence { kind label unit min max } } } checkedBy { id } } history { action actor { id } note }`;

test('an incident is closed-effective once its effectiveness check is verified in Work; a recurrence reopens it', async () => {
  const incident = ok(await q(`mutation($i: ReportIncidentInput!) { reportIncident(input: $i) { id number } }`, {
    i: { type: 'SPILL', severity: 'MEDIUM', occurredAt: new Date(Date.now() - 3600_000).toISOString(), siteId: plant.siteId, areaId: plant.areaId, title: 'Caustic spill at the CIP return', description: 'Hose coupling parted.' },
  }, people.operator)).reportIncident;
  ok(await q(`mutation($id: ID!, $p: ID!) { startIncidentInvestigation(id: $id, investigatorId: $p) { id } }`, { id: incident.id, p: crew.investigator.id }, crew.hse));
  ok(await q(`mutation($id: ID!) { addIncidentAction(incidentId: $id, input: { kind: CORRECTIVE, title: "Fit a locking coupling", ownerId: "${people.technician.id}" }) { id } }`, { id: incident.id }, crew.hse));
  ok(await q(`mutation($id: ID!) { completeIncidentInvestigation(id: $id, input: { rootCauses: ["coupling not locking"], findings: "see report", rootCauseCategories: [EQUIPMENT_DESIGN], whys: ["The hose parted", "The coupling does not lock"] }) { id } }`, { id: incident.id }, crew.investigator));
  const action = await eventually(async () => {
    const item = ok(await q(`query($id: ID!) { incident(id: $id) { correctiveActions { workItem { id status } } } }`, { id: incident.id })).incident.correctiveActions[0]?.workItem;
    return item?.status === 'READY' && item;
  });
  await carryOut(action.id, [{ kind: 'DOCUMENT', label: 'Record of the action taken', url: 'https://files.example/coupling.jpg' }, { kind: 'SIGNATURE', label: 'Done and effective', text: 'Tom Technician' }]);
  await eventually(async () => ok(await q(`query($id: ID!) { incident(id: $id) { correctiveActions { done } } }`, { id: incident.id })).incident.correctiveActions[0].done);

  // Closed with the check due at once (0 days): Work gets the INSPECTION, sourced from the incident.
  const closed = ok(await q(`mutation($id: ID!) { closeIncident(id: $id, note: "locking coupling fitted", effectivenessCheckDays: 0) { ${EFFECTIVENESS} } }`, { id: incident.id }, crew.hse)).closeIncident;
  expect(closed).toMatchObject({ status: 'CLOSED', closedEffective: false, effectiveness: { status: 'RAISED' } });
  const check = await eventually(async () => {
    const e = ok(await q(`query($id: ID!) { incident(id: $id) { ${EFFECTIVENESS} } }`, { id: incident.id })).incident.effectiveness;
    return e.workItem?.status === 'READY' && e.workItem;
  });
  expect(check).toMatchObject({
    type: 'INSPECTION',
    title: `Effectiveness check of ${incident.number}: Caustic spill at the CIP return`,
    source: { domain: 'HAZARDS', recordId: incident.id },
    requiredOutcome: { evidence: [{ kind: 'MEASUREMENT', label: 'Recurrences since closing', unit: 'events', min: 0, max: 0 }, expect.objectContaining({ kind: 'SIGNATURE' })] },
  });
  await carryOut(check.id, [{ kind: 'MEASUREMENT', label: 'Recurrences since closing', value: 0, unit: 'events' }, { kind: 'SIGNATURE', label: 'Effectiveness checked by', text: 'Tom Technician' }]);
  const effective = await eventually(async () => {
    const i = ok(await q(`query($id: ID!) { incident(id: $id) { ${EFFECTIVENESS} } }`, { id: incident.id })).incident;
    return i.closedEffective && i;
  });
  expect(effective.effectiveness).toMatchObject({ status: 'EFFECTIVE', workStatus: 'DONE', checkedBy: { id: people.verifier.id } });

  // It recurs: HSE reopens it, and the loop starts again with its investigator.
  const reopened = ok(await q(`mutation($id: ID!) { reopenIncident(id: $id, reason: "The coupling parted again on the next CIP") { ${EFFECTIVENESS} } }`, { id: incident.id }, crew.hse)).reopenIncident;
  expect(reopened).toMatchObject({ status: 'INVESTIGATING', closedEffective: false, reopenCount: 1 });
  expect(reopened.history.map((h: { action: string }) => h.action)).toEqual(['REPORTED', 'INVESTIGATION_STARTED', 'INVESTIGATION_COMPLETED', 'CLOSED', 'EFFECTIVENESS_CHECK_RAISED', 'EFFECTIVE', 'REOPENED']);
  expect(reopened.history.at(-1)).toEqual({ action: 'REOPENED', actor: { id: crew.hse.id }, note: 'The coupling parted again on the next CIP' });
}, 90_000);
