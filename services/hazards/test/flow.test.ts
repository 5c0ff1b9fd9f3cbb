import { TrackedWorkItem } from '@opsgraph/core';
import { eventually, expectError, ok, people, startTestGateway, startTestService, untilPlacesKnown, type TestGateway, type TestService } from '@opsgraph/testing';
import { service as workService } from '../../work/src/service';
import { crew, startHazards } from './fixtures';

/**
 * End to end through the gateway, with Work and hazards running their relays and consumers on Kafka:
 * required controls block a job until confirmed; an incident's actions are corrective-action work items
 * with the incident as source, and the incident closes only once all of them are verified done.
 */
let work: TestService;
let hazards: TestService;
let gateway: TestGateway;
let plant: { siteId: string; areaId: string; assetId: string; otherAssetId: string };

const q = async <T = any>(query: string, variables: Record<string, unknown> = {}, caller = people.admin): Promise<T> => ok(await gateway.query<T>(query, variables, caller));

beforeAll(async () => {
  [work, hazards] = await Promise.all([startTestService(workService), startHazards()]);
  gateway = await startTestGateway({ work: work.url, hazards: hazards.url });
  const siteId = (await q(`mutation { createSite(input: { code: "HAZ", name: "Hazards plant" }) { id } }`)).createSite.id;
  const areaId = (await q(`mutation($s: ID!) { createArea(input: { siteId: $s, code: "UTIL", name: "Utilities" }) { id } }`, { s: siteId })).createArea.id;
  const asset = async (code: string) => (await q(`mutation($s: ID!, $a: ID!, $c: String!) { createAsset(input: { siteId: $s, areaId: $a, code: $c, name: $c }) { id } }`, { s: siteId, a: areaId, c: code })).createAsset.id;
  plant = { siteId, areaId, assetId: await asset('V-101'), otherAssetId: await asset('B-100') };
  await untilPlacesKnown(hazards.db, Object.values(plant)); // Work's registry reaches hazards by events
});
afterAll(async () => {
  await gateway?.stop();
  await Promise.all([hazards?.stop(), work?.stop()]);
});

/** A work item created in Work, once hazards knows it from Work's events (it assesses only work it knows). */
async function createWork(input: Record<string, unknown>) {
  const id = (await q(`mutation($i: CreateWorkItemInput!) { createWorkItem(input: $i) { id } }`, { i: { type: 'INSPECTION', title: 'Inspect V-101', siteId: plant.siteId, ownerId: people.technician.id, ...input } }, people.supervisor)).createWorkItem.id as string;
  await eventually(() => hazards.db.getRepository(TrackedWorkItem).existsBy({ workItemId: id }));
  return id;
}

async function registerHazard(input: Record<string, unknown>) {
  return (await q(`mutation($i: RegisterHazardInput!) { registerHazard(input: $i) { id controls { id } } }`, {
    i: { siteId: plant.siteId, likelihood: 3, severity: 4, residualLikelihood: 1, residualSeverity: 4, ...input },
  }, crew.hse)).registerHazard;
}

const run = (mutation: string, id: string, caller: typeof people.technician) => gateway.query(`mutation($id: ID!) { ${mutation} { id status } }`, { id }, caller);

test('each required control blocks the job until someone confirms it with evidence', async () => {
  const job = await createWork({ assetId: plant.assetId });
  const entry = await registerHazard({ title: 'Oxygen-deficient atmosphere in V-101', assetId: plant.assetId, controls: [{ kind: 'GAS_MONITORING', description: 'Continuous O2/LEL monitor at the manway' }, { kind: 'SUPERVISION', description: 'Standby person at the manway' }] });
  const noise = await registerHazard({ title: 'Compressor noise', areaId: plant.areaId, likelihood: 4, severity: 2, residualLikelihood: 2, residualSeverity: 2, controls: [{ kind: 'PPE', description: 'Ear defenders' }] });
  await q(`mutation($i: JobRiskAssessmentInput!) { assessJobRisk(input: $i) { id } }`, { i: { workItemId: job, hazards: [{ hazardId: entry.id }, { hazardId: noise.id }] } }, people.supervisor);

  const ITEM = `status blocked blockers { kind sourceDomain sourceRecordId } hazards { hazard { title risk { band } residualRisk { band } } controls { id kind state } } riskAssessment { controlsInPlace }`;
  const blocked = await eventually(async () => {
    const w = (await q(`query($id: ID!) { workItem(id: $id) { ${ITEM} } }`, { id: job })).workItem;
    return w.blockers.length === 3 && w.blocked && w; // the item row and its blockers are separate reads: wait for both
  });
  const controls = blocked.hazards.flatMap((h: any) => h.controls);
  expect(blocked).toMatchObject({ status: 'OPEN', blocked: true, riskAssessment: { controlsInPlace: false } });
  expect(blocked.hazards.map((h: any) => [h.hazard.title, h.hazard.risk.band, h.controls.map((c: any) => `${c.kind}:${c.state}`)])).toEqual([
    ['Oxygen-deficient atmosphere in V-101', 'HIGH', ['GAS_MONITORING:REQUIRED', 'SUPERVISION:REQUIRED']],
    ['Compressor noise', 'MEDIUM', ['PPE:REQUIRED']],
  ]);
  const key = (b: any) => `${b[0]}/${b[1]}/${b[2]}`;
  expect(blocked.blockers.map((b: any) => [b.kind, b.sourceDomain, b.sourceRecordId]).sort((x: any, y: any) => key(x).localeCompare(key(y)))).toEqual(
    controls.map((c: any) => ['HAZARD_CONTROL_IN_PLACE', 'HAZARDS', c.id]).sort((x: any, y: any) => key(x).localeCompare(key(y))),
  );

  // The blocker is cleared by the hazards domain, not by hand.
  const prerequisite = (await q(`query($id: ID!) { workItem(id: $id) { blockers { id } } }`, { id: job })).workItem.blockers[0].id;
  expectError(await gateway.query(`mutation($id: ID!) { satisfyPrerequisite(id: $id) { id } }`, { id: prerequisite }, people.technician), 'FORBIDDEN');

  for (const control of controls) {
    await q(`mutation($id: ID!, $e: HazardControlEvidenceInput!) { confirmHazardControl(id: $id, evidence: $e) { state } }`, { id: control.id, e: { note: `${control.kind} checked at the manway` } }, people.technician);
  }
  const ready = await eventually(async () => {
    const w = (await q(`query($id: ID!) { workItem(id: $id) { ${ITEM} } }`, { id: job })).workItem;
    return w.status === 'READY' && w;
  });
  expect(ready).toMatchObject({ blocked: false, riskAssessment: { controlsInPlace: true } });
  ok(await run('startWork(id: $id)', job, people.technician));

  // The gas reading changes: the control re-opens and the work in progress shows blocked with the reason.
  await q(`mutation($id: ID!) { reopenHazardControl(id: $id, reason: "O2 at 19.0%") { state } }`, { id: controls[0].id }, crew.hse);
  const stopped = await eventually(async () => {
    const w = (await q(`query($id: ID!) { workItem(id: $id) { status blocked blockers { reason } } }`, { id: job })).workItem;
    return w.blocked && w;
  });
  expect(stopped).toEqual({ status: 'IN_PROGRESS', blocked: true, blockers: [{ reason: 'control no longer in place: O2 at 19.0%' }] });
});

test('an incident with two actions closes only when both action work items are verified done', async () => {
  const incident = (await q(`mutation($i: ReportIncidentInput!) { reportIncident(input: $i) { id number } }`, {
    i: { type: 'NEAR_MISS', severity: 'MEDIUM', occurredAt: new Date(Date.now() - 7200_000).toISOString(), siteId: plant.siteId, areaId: plant.areaId, title: 'Dropped spanner from V-101 platform', description: 'Spanner fell 4 m, nobody below.' },
  }, people.operator)).reportIncident;
  await q(`mutation($id: ID!, $p: ID!) { startIncidentInvestigation(id: $id, investigatorId: $p) { id } }`, { id: incident.id, p: crew.investigator.id }, crew.hse);
  for (const [kind, title] of [['CORRECTIVE', 'Fit toe boards on the V-101 platform'], ['PREVENTIVE', 'Tool lanyards for work at height']]) {
    await q(`mutation($id: ID!, $i: IncidentActionInput!) { addIncidentAction(incidentId: $id, input: $i) { id } }`, { id: incident.id, i: { kind, title, ownerId: people.technician.id } }, crew.hse);
  }
  await q(`mutation($id: ID!, $i: IncidentInvestigationInput!) { completeIncidentInvestigation(id: $id, input: $i) { status } }`, {
    id: incident.id, i: { rootCauses: ['No toe boards on the platform edge', 'Tools not tethered at height'], findings: 'Platform built before the current standard.' },
  }, crew.investigator);

  const INCIDENT = `status actions { id type status title source { domain recordId reason } } correctiveActions { number workStatus done workItem { id status } }`;
  const view = async () => (await q(`query($id: ID!) { incident(id: $id) { ${INCIDENT} } }`, { id: incident.id })).incident;
  const requested = await eventually(async () => {
    const v = await view();
    return v.actions.length === 2 && v.correctiveActions.every((a: any) => a.workStatus === 'READY') && v;
  });
  expect(requested.actions.map((a: any) => [a.type, a.status, a.source.domain, a.source.recordId])).toEqual([
    ['CORRECTIVE_ACTION', 'READY', 'HAZARDS', incident.id],
    ['CORRECTIVE_ACTION', 'READY', 'HAZARDS', incident.id],
  ]);
  expect(requested.actions[0].source.reason).toMatch(new RegExp(`corrective action 1 of incident ${incident.number}`));
  expect(requested.correctiveActions.map((a: any) => [a.number, a.workStatus, a.done])).toEqual([[1, 'READY', false], [2, 'READY', false]]);
  const [first, second] = requested.correctiveActions.map((a: any) => a.workItem.id);
  expect(requested.actions.map((a: any) => a.id).sort()).toEqual([first, second].sort());

  const close = () => gateway.query(`mutation($id: ID!) { closeIncident(id: $id, note: "actions verified") { status } }`, { id: incident.id }, crew.hse);
  expect(expectError(await close(), 'PREREQUISITES_OPEN').message).toMatch(/2 action\(s\) not verified done/);

  const finish = async (id: string) => {
    ok(await run('startWork(id: $id)', id, people.technician));
    expectError(await run('completeWork(id: $id, evidence: [])', id, people.technician), 'EVIDENCE_INCOMPLETE'); // an action asks for proof
    ok(await gateway.query(`mutation($id: ID!, $e: [EvidenceInput!]!) { completeWork(id: $id, evidence: $e) { id } }`, {
      id,
      e: [{ kind: 'DOCUMENT', label: 'Record of the action taken', url: 'https://files.example.com/toe-boards.jpg' }, { kind: 'SIGNATURE', label: 'Done and effective', text: 'Tom Technician' }],
    }, people.technician));
    expectError(await run('verifyWork(id: $id, accept: true)', id, people.technician), 'FORBIDDEN');
    ok(await run('verifyWork(id: $id, accept: true)', id, people.verifier));
  };
  await finish(first);
  await eventually(async () => (await view()).correctiveActions[0].done);
  const refused = expectError(await close(), 'PREREQUISITES_OPEN');
  expect(refused.message).toMatch(/1 action\(s\) not verified done: #2 Tool lanyards for work at height \(READY\)/);

  await finish(second);
  await eventually(async () => (await view()).correctiveActions.every((a: any) => a.done));
  expect(ok(await close()).closeIncident.status).toBe('CLOSED');
  const closed = await view();
  expect(closed.actions.map((a: any) => a.status)).toEqual(['DONE', 'DONE']);
  const area = (await q(`query($id: ID!) { site(id: $id) { areas { openIncidents { id } } } }`, { id: plant.siteId })).site.areas[0];
  expect(area.openIncidents.map((i: any) => i.id)).not.toContain(incident.id);
});

test('a high-severity incident on an asset puts its open work on hold', async () => {
  const inProgress = await createWork({ assetId: plant.otherAssetId, title: 'Descale boiler B-100' });
  ok(await run('startWork(id: $id)', inProgress, people.technician));
  const waiting = await createWork({ assetId: plant.otherAssetId, title: 'Replace gauge glass' });
  const elsewhere = await createWork({ assetId: plant.assetId, title: 'Paint V-101' });
  const incident = (await q(`mutation($i: ReportIncidentInput!) { reportIncident(input: $i) { id number holdRequestedAt } }`, {
    i: { type: 'PROCESS_SAFETY_EVENT', severity: 'HIGH', occurredAt: new Date().toISOString(), siteId: plant.siteId, areaId: plant.areaId, assetId: plant.otherAssetId, title: 'Boiler safety valve lifted', description: 'Lifted at 10.4 bar.' },
  }, people.operator)).reportIncident;
  expect(incident.holdRequestedAt).not.toBeNull();
  const held = await eventually(async () => {
    const items = await Promise.all([inProgress, waiting].map(async (id) => (await q(`query($id: ID!) { workItem(id: $id) { status holdReason } }`, { id })).workItem));
    return items.every((w) => w.status === 'ON_HOLD') && items;
  });
  expect(held[0].holdReason).toMatch(new RegExp(`^${incident.number}: high severity process safety event`));
  expect((await q(`query($id: ID!) { workItem(id: $id) { status } }`, { id: elsewhere })).workItem.status).toBe('READY');
  const open = (await q(`query($id: ID!) { site(id: $id) { areas { openIncidents { number severity } } } }`, { id: plant.siteId })).site.areas[0].openIncidents;
  expect(open).toContainEqual({ number: incident.number, severity: 'HIGH' });
});

test('the hazards of a list of work items are looked up in batches', async () => {
  const hazard = await registerHazard({ title: 'Hot surfaces', areaId: plant.areaId, controls: [{ kind: 'PPE', description: 'Heat-resistant gloves' }] });
  const ids: string[] = [];
  for (let i = 0; i < 8; i++) ids.push(await createWork({ type: 'ROUND', title: `Round ${i}`, areaId: plant.areaId, assetId: null }));
  for (const id of ids) await q(`mutation($i: JobRiskAssessmentInput!) { assessJobRisk(input: $i) { id } }`, { i: { workItemId: id, hazards: [{ hazardId: hazard.id }] } }, people.supervisor);
  const query = (n: number) => `query($f: WorkItemFilter) { workItems(filter: $f, first: ${n}) { edges { node { id hazards { hazard { title } controls { state } } } } } }`;
  const measure = async (n: number) => {
    const res = await gateway.query(query(n), { f: { siteId: plant.siteId, type: ['ROUND'] } }, people.admin);
    const edges = ok(res).workItems.edges;
    expect(edges).toHaveLength(n);
    expect(edges.every((e: any) => e.node.hazards[0].hazard.title === 'Hot surfaces')).toBe(true);
    return res.statements;
  };
  const few = await measure(2);
  expect(few).toBeGreaterThan(0);
  expect(await measure(8)).toBe(few);
});
