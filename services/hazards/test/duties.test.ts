import { randomUUID } from 'node:crypto';
import { TrackedWorkItem, type Caller } from '@opsgraph/core';
import { OutboxEvent } from '@opsgraph/events';
import { incidentActionRequestId } from '@opsgraph/events';
import { eventually, expectError, fakeWork, ok, people, person, startTestGateway, type FakeWorkItem, type TestGateway, type TestService } from '@opsgraph/testing';
import { WorkPerformer } from '@opsgraph/core';
import { assess, knownPlaces, registerHazard, startHazards, trackWork, type Places } from './fixtures';

/**
 * Separation of duties on incidents, through the real gateway, with Work's events published as Work would:
 * nobody involved in an incident investigates it or completes its investigation, and an incident is never
 * closed by whoever investigated it, anyone involved, or anyone who owns or did one of its actions. Each
 * refusal is SEPARATION_OF_DUTIES and changes nothing. Evidence links of a hazard control are https links.
 */
let hazards: TestService;
let gateway: TestGateway;
let work: ReturnType<typeof fakeWork>;
let places: Places;

const site = {
  reporter: person('00000000-0000-4000-8000-0000000000d1', 'supervisor'),
  hse: person('00000000-0000-4000-8000-0000000000d2', 'hse'),
  involvedTechnician: person('00000000-0000-4000-8000-0000000000d3', 'technician'),
  involvedHse: person('00000000-0000-4000-8000-0000000000d4', 'hse'),
  investigator: person('00000000-0000-4000-8000-0000000000d5', ['technician', 'supervisor']),
  completer: person('00000000-0000-4000-8000-0000000000d6', 'hse'),
  actionOwner: person('00000000-0000-4000-8000-0000000000d7', 'supervisor'),
  assignee: person('00000000-0000-4000-8000-0000000000d8', 'hse'),
  doer: person('00000000-0000-4000-8000-0000000000d9', ['technician', 'supervisor']),
};

beforeAll(async () => {
  hazards = await startHazards();
  gateway = await startTestGateway({ hazards: hazards.url });
  work = fakeWork();
  places = await knownPlaces(hazards);
});
afterAll(async () => {
  await work?.close();
  await gateway?.stop();
  await hazards?.stop();
});

const gql = (caller: Caller, query: string, variables: Record<string, unknown> = {}) => gateway.query(query, variables, caller);
const events = () => hazards.db.getRepository(OutboxEvent).count();
/** Everything a refused call could change about an incident, as an administrator reads it, and the event count. */
const snapshot = async (id: string) => [
  ok(await gql(people.admin, `query($id: ID!) { incident(id: $id) { status version closedAt closedBy { id } closingNote investigation { investigator { id } startedAt completedAt rootCauses findings } } }`, { id })).incident,
  await events(),
];

async function report(peopleInvolvedIds: string[]) {
  return ok(await gql(site.reporter, `mutation($i: ReportIncidentInput!) { reportIncident(input: $i) { id number } }`, {
    i: { type: 'INJURY', severity: 'MEDIUM', occurredAt: new Date(Date.now() - 3600_000).toISOString(), siteId: places.siteId, areaId: places.areaId, title: 'Cut hand at the filler', description: 'Blade guard off during changeover.', peopleInvolvedIds },
  })).reportIncident as { id: string; number: string };
}
const start = (caller: Caller, id: string, investigatorId: string) => gql(caller, `mutation($id: ID!, $p: ID!) { startIncidentInvestigation(id: $id, investigatorId: $p) { status } }`, { id, p: investigatorId });
const complete = (caller: Caller, id: string) => gql(caller, `mutation($id: ID!) { completeIncidentInvestigation(id: $id, input: { rootCauses: ["guard not refitted"], findings: "changeover checklist lacks the guard" }) { status } }`, { id });
const close = (caller: Caller, id: string) => gql(caller, `mutation($id: ID!) { closeIncident(id: $id, note: "guard interlocked, checklist updated") { status closedBy { id } } }`, { id });

async function refused(call: () => Promise<any>, incidentId: string, part: string) {
  const before = await snapshot(incidentId);
  const err = expectError(await call(), 'SEPARATION_OF_DUTIES');
  expect(err.extensions?.part).toBe(part);
  expect(await snapshot(incidentId)).toEqual(before);
  return err;
}

/** A status change of a work item as Work publishes it, with who acted (and did the work). */
const transition = (item: FakeWorkItem, type: string, from: string, to: string, by: Caller, extra: Record<string, unknown>) =>
  work.publish(type, {
    workItemId: item.workItemId, number: 'TST-000001', workType: item.workType, status: to, siteId: item.siteId, areaId: item.areaId ?? null, lineId: null, assetId: null,
    sourceDomain: item.sourceDomain, sourceRecordId: item.sourceRecordId, from, to, actorId: by.id, note: null, performerId: by.id, ...extra,
  });

test('nobody involved in an incident investigates it or completes its investigation', async () => {
  const incident = await report([site.involvedTechnician.id, site.involvedHse.id]);
  const err = await refused(() => start(site.hse, incident.id, site.involvedTechnician.id), incident.id, 'INVOLVED');
  expect(err.message).toBe(`someone involved in ${incident.number} cannot investigate it`);
  expect(ok(await start(site.hse, incident.id, site.investigator.id)).startIncidentInvestigation.status).toBe('INVESTIGATING');
  await refused(() => complete(site.involvedHse, incident.id), incident.id, 'INVOLVED');
  expect(ok(await complete(site.investigator, incident.id)).completeIncidentInvestigation.status).toBe('INVESTIGATED');
});

test('an incident is never closed by its investigator, anyone involved, or anyone who owns or did one of its actions', async () => {
  const involved = person('00000000-0000-4000-8000-0000000000da', 'supervisor');
  const incident = await report([involved.id]);
  ok(await start(site.hse, incident.id, site.investigator.id));
  for (const [title, owner] of [['Interlock the blade guard', site.actionOwner], ['Add the guard to the changeover checklist', people.technician]] as const) {
    ok(await gql(site.hse, `mutation($id: ID!, $i: IncidentActionInput!) { addIncidentAction(incidentId: $id, input: $i) { id } }`, { id: incident.id, i: { kind: 'CORRECTIVE', title, ownerId: owner.id } }));
  }
  ok(await complete(site.completer, incident.id)); // HSE completes it for the investigator

  // Work raises both actions; the second is given to the assignee and done by the doer; both are verified.
  const items: FakeWorkItem[] = [site.actionOwner, site.assignee].map((owner, i) => ({
    workItemId: randomUUID(), workType: 'CORRECTIVE_ACTION', siteId: places.siteId, areaId: places.areaId, ownerId: owner.id, sourceDomain: 'HAZARDS', sourceRecordId: incident.id, workRequestId: incidentActionRequestId(incident.id, i + 1),
  }));
  for (const item of items) await work.created(item);
  await transition(items[1], 'work_item.started', 'READY', 'IN_PROGRESS', site.doer, {});
  await transition(items[1], 'work_item.completed', 'IN_PROGRESS', 'AWAITING_VERIFICATION', site.doer, { evidenceCount: 0 });
  for (const item of items) await work.verified(item);
  await eventually(async () => {
    const tracked = await hazards.db.getRepository(TrackedWorkItem).findBy(items.map((i) => ({ workItemId: i.workItemId })));
    return tracked.length === items.length && tracked.every((t) => t.status === 'DONE');
  });
  expect(await hazards.db.getRepository(WorkPerformer).findBy({ workItemId: items[1].workItemId })).toEqual([{ workItemId: items[1].workItemId, personId: site.doer.id }]);

  for (const [caller, part] of [
    [site.investigator, 'INVESTIGATOR'],
    [site.completer, 'INVESTIGATOR'],
    [involved, 'INVOLVED'],
    [site.actionOwner, 'ACTION_OWNER'],
    [site.assignee, 'ACTION_OWNER'],
    [site.doer, 'ACTION_PERFORMER'],
  ] as const) {
    const err = await refused(() => close(caller, incident.id), incident.id, part);
    if (part === 'ACTION_PERFORMER') expect(err.message).toBe(`whoever started or completed an action of ${incident.number} cannot close it`);
  }
  // Reporting it is no part in what closing checks.
  expect(ok(await close(site.reporter, incident.id)).closeIncident).toEqual({ status: 'CLOSED', closedBy: { id: site.reporter.id } });
});

test('a hazard control is confirmed with an https evidence link or none; anything else is refused and changes nothing', async () => {
  const hazard = await registerHazard(hazards, places);
  const workItemId = await trackWork(hazards, places);
  const controls = (await assess(hazards, workItemId, [{ hazardId: hazard.id }])).hazards[0].controls.map((c: { id: string }) => c.id) as string[];
  const read = async () => [ok(await gql(people.admin, `query($w: ID!) { jobRiskAssessment(workItemId: $w) { hazards { controls { id state evidence evidenceUrl confirmedBy { id } } } } }`, { w: workItemId })).jobRiskAssessment, await events()];
  const confirm = (id: string, url: string) => gql(people.technician, `mutation($id: ID!, $e: HazardControlEvidenceInput!) { confirmHazardControl(id: $id, evidence: $e) { state evidenceUrl } }`, { id, e: { note: 'valves locked, tags L-7/L-8', url } });

  for (const url of ['javascript:alert(document.cookie)', 'data:text/html;base64,PHNjcmlwdD4=', 'file:///etc/passwd', 'files/locks.jpg', 'http://files.example/locks.jpg', ' ']) {
    const before = await read();
    expect(expectError(await confirm(controls[0], url), 'BAD_USER_INPUT').extensions?.field).toBe('evidence.url');
    expect(await read()).toEqual(before);
  }
  expect(ok(await confirm(controls[0], 'https://files.example/locks.jpg')).confirmHazardControl).toEqual({ state: 'CONFIRMED', evidenceUrl: 'https://files.example/locks.jpg' });

  // Plain http only where the installation allows it.
  process.env.OPSGRAPH_ALLOW_HTTP_LINKS = 'true';
  try {
    expect(ok(await confirm(controls[1], 'http://intranet.plant/locks.jpg')).confirmHazardControl).toEqual({ state: 'CONFIRMED', evidenceUrl: 'http://intranet.plant/locks.jpg' });
  } finally {
    delete process.env.OPSGRAPH_ALLOW_HTTP_LINKS;
  }
});
