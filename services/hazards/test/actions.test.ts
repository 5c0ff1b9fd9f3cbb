import { randomUUID } from 'node:crypto';
import { eventually, expectError, ok, people, type TestService, fakeWork, type FakeWorkItem } from '@opsgraph/testing';
import { INCIDENT_FIELDS, act, crew, knownPlaces, outbox, reportIncident, startHazards, type Places } from './fixtures';

/**
 * The incident's side of its actions, driven by Work's events published as Work would: the work item that
 * answers each request is learnt from `work_item.created` (by request id), and closing reads whether each
 * is verified done. Redelivered events apply once.
 */
let hazards: TestService;
let places: Places;
let work: ReturnType<typeof fakeWork>;

beforeAll(async () => {
  hazards = await startHazards();
  places = await knownPlaces(hazards);
  work = fakeWork();
});
afterAll(async () => {
  await work.close();
  await hazards.stop();
});

const view = async (id: string) => ok(await hazards.query(`query($id: ID!) { incident(id: $id) { ${INCIDENT_FIELDS} } }`, { id })).incident;

test('actions follow their work items; the incident closes once each is verified done or withdrawn', async () => {
  const incident = await reportIncident(hazards, places, { severity: 'HIGH' });
  ok(await act(hazards, 'startIncidentInvestigation', { id: incident.id, investigatorId: crew.investigator.id }));
  for (const title of ['Replace coupling', 'Train CIP operators', 'Relabel valves']) {
    ok(await act(hazards, 'addIncidentAction', { incidentId: incident.id, input: { kind: 'CORRECTIVE', title, ownerId: people.technician.id } }, crew.hse, 'id'));
  }
  ok(await act(hazards, 'completeIncidentInvestigation', { id: incident.id, input: { rootCauses: ['coupling type'], findings: 'see report' } }, crew.investigator));
  const requests = (await outbox(hazards, incident.id)).filter((e) => e.type === 'work.requested').map((e) => e.data);
  expect(requests.map((r) => [r.requestId, r.priority])).toEqual([1, 2, 3].map((n) => [`incident:${incident.id}:action:${n}`, 'HIGH']));

  const items: FakeWorkItem[] = requests.map((r) => ({
    workItemId: randomUUID(), workType: 'CORRECTIVE_ACTION', siteId: places.siteId, areaId: places.areaId, ownerId: r.ownerId, sourceDomain: 'HAZARDS', sourceRecordId: incident.id, workRequestId: r.requestId,
  }));
  // Work item unrelated to any action (same source, no request of ours): ignored by the actions.
  await work.created({ workItemId: randomUUID(), workType: 'OTHER', siteId: places.siteId, sourceDomain: 'MANUAL', sourceRecordId: null });
  for (const item of items) await work.created(item);
  const learnt = await eventually(async () => {
    const v = await view(incident.id);
    return v.correctiveActions.every((a: any) => a.workItem) && v;
  });
  expect(learnt.correctiveActions.map((a: any) => [a.number, a.workItem.id, a.workStatus, a.done])).toEqual(items.map((w, i) => [i + 1, w.workItemId, 'OPEN', false]));

  await work.verified(items[0]);
  await eventually(async () => (await view(incident.id)).correctiveActions[0].done);
  await work.redeliverLast(); // at-least-once delivery: applied once
  await work.cancelled(items[2]);
  await eventually(async () => (await view(incident.id)).correctiveActions[2].workStatus === 'CANCELLED');
  const refused = expectError(await act(hazards, 'closeIncident', { id: incident.id }), 'PREREQUISITES_OPEN');
  expect(refused.extensions!.openActions).toEqual([expect.objectContaining({ number: 2, workStatus: 'OPEN' })]);

  await work.verified(items[1]);
  await eventually(async () => (await view(incident.id)).correctiveActions[1].done);
  const closed = ok(await act(hazards, 'closeIncident', { id: incident.id, note: 'coupling replaced, operators trained; relabelling withdrawn as a duplicate' })).closeIncident;
  expect(closed).toMatchObject({ status: 'CLOSED', closedBy: { id: crew.hse.id } });
  expectError(await act(hazards, 'addIncidentAction', { incidentId: incident.id, input: { kind: 'PREVENTIVE', title: 'late', ownerId: people.technician.id } }, crew.hse, 'id'), 'ILLEGAL_TRANSITION');
  expectError(await act(hazards, 'closeIncident', { id: incident.id }), 'ILLEGAL_TRANSITION');

  const facts = (await outbox(hazards, incident.id)).filter((e) => e.type === 'incident.action_verified').map((e) => [e.data.actionNumber, e.data.openActions]);
  expect(facts).toEqual([[1, 2], [2, 0]]);
  expect((await outbox(hazards, incident.id)).at(-1)!.data).toMatchObject({ status: 'CLOSED', actionCount: 3 });
});
