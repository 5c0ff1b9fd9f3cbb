import { randomUUID } from 'node:crypto';
import { expectError, ok, people, type TestService } from '@opsgraph/testing';
import { ACTION_FIELDS, ASSESSMENT_FIELDS, HAZARD_FIELDS, act, assess, crew, knownPlaces, outbox, registerHazard, reportIncident, startHazards, trackWork, type Places } from './fixtures';

let hazards: TestService;
let places: Places;

beforeAll(async () => {
  hazards = await startHazards();
  places = await knownPlaces(hazards);
});
afterAll(() => hazards.stop());

describe('hazard register', () => {
  test('likelihood × severity gives the rating and band, before and after controls', async () => {
    const hazard = await registerHazard(hazards, places, { workTypes: ['MAINTENANCE'] });
    expect(hazard).toMatchObject({
      active: true,
      workTypes: ['MAINTENANCE'],
      risk: { likelihood: 3, severity: 4, rating: 12, band: 'HIGH' },
      residualRisk: { likelihood: 1, severity: 4, rating: 4, band: 'LOW' },
      asset: { id: places.assetId },
      controls: [{ kind: 'ISOLATION' }, { kind: 'PPE' }],
    });
    const critical = await registerHazard(hazards, places, { title: 'H2S in the sump', assetId: null, areaId: places.areaId, likelihood: 4, severity: 5, residualLikelihood: 1, residualSeverity: 5, controls: [{ kind: 'GAS_MONITORING', description: 'Personal H2S monitor' }] });
    expect(critical.risk).toEqual({ likelihood: 4, severity: 5, rating: 20, band: 'CRITICAL' });
    expect(critical.residualRisk.band).toBe('MEDIUM');

    const mutation = `mutation($i: RegisterHazardInput!) { registerHazard(input: $i) { id } }`;
    const base = { title: 'x', siteId: places.siteId, likelihood: 2, severity: 2, residualLikelihood: 1, residualSeverity: 2, controls: [{ kind: 'PPE', description: 'gloves' }] };
    expect(expectError(await hazards.query(mutation, { i: { ...base, residualLikelihood: 3 } }, crew.hse), 'BAD_USER_INPUT').message).toMatch(/residual rating \(6\) cannot be above/);
    expectError(await hazards.query(mutation, { i: { ...base, likelihood: 6 } }, crew.hse), 'BAD_USER_INPUT');
    expectError(await hazards.query(mutation, { i: { ...base, controls: [] } }, crew.hse), 'BAD_USER_INPUT');
    expectError(await hazards.query(mutation, { i: base }, people.operator), 'FORBIDDEN');
    expectError(await hazards.query(mutation, { i: base }, crew.elsewhere), 'NOT_FOUND');

    const list = async (filter: Record<string, unknown>) =>
      ok(await hazards.query(`query($f: HazardFilter) { hazards(filter: $f) { totalCount edges { node { id } } } }`, { f: { siteId: places.siteId, ...filter } })).hazards.edges.map((e: any) => e.node.id);
    expect(await list({})).toEqual([critical.id, hazard.id]); // highest risk first
    expect(await list({ minBand: 'CRITICAL' })).toEqual([critical.id]);
    expect(await list({ workType: 'CLEANING' })).toEqual([critical.id]); // belongs to any work, unlike the other
    expect(await list({ assetId: places.assetId })).toEqual([hazard.id]);

    const reassessed = ok(await hazards.query(`mutation($id: ID!, $i: ReassessHazardInput!) { reassessHazard(id: $id, input: $i) { ${HAZARD_FIELDS} } }`, {
      id: hazard.id, i: { likelihood: 2, severity: 4, residualLikelihood: 1, residualSeverity: 3, controls: [{ kind: 'BARRIER', description: 'Barrier tape 2 m around the pump' }] },
    }, crew.hse)).reassessHazard;
    expect(reassessed).toMatchObject({ risk: { rating: 8, band: 'MEDIUM' }, residualRisk: { rating: 3 }, controls: [{ kind: 'BARRIER' }] });
    const retired = ok(await hazards.query(`mutation($id: ID!) { retireHazard(id: $id, reason: "pump replaced by a sealless design") { ${HAZARD_FIELDS} } }`, { id: hazard.id }, crew.hse)).retireHazard;
    expect(retired).toMatchObject({ active: false, retiredReason: 'pump replaced by a sealless design' });
    expectError(await hazards.query(`mutation($id: ID!) { retireHazard(id: $id, reason: "again") { id } }`, { id: hazard.id }, crew.hse), 'ILLEGAL_TRANSITION');
    expect(await list({})).toEqual([critical.id]);
    expect((await outbox(hazards, hazard.id)).map((e) => e.type)).toEqual(['hazard.registered', 'hazard.reassessed', 'hazard.retired']);
  });
});

describe('job risk assessment', () => {
  test('each selected control is a blocker on the work item until confirmed with evidence; re-opening blocks again', async () => {
    const pressure = await registerHazard(hazards, places);
    const noise = await registerHazard(hazards, places, { title: 'Noise above 85 dB(A)', likelihood: 4, severity: 2, residualLikelihood: 2, residualSeverity: 2, controls: [{ kind: 'PPE', description: 'Ear defenders' }, { kind: 'SUPERVISION', description: 'Limit exposure to 2 h' }] });
    const workItemId = await trackWork(hazards, places);
    const assessment = await assess(hazards, workItemId, [
      { hazardId: pressure.id },
      { hazardId: noise.id, controlIds: [noise.controls[0].id], additionalControls: [{ kind: 'OTHER', description: 'Radio check every 30 min' }] },
    ]);
    expect(assessment).toMatchObject({ workItem: { id: workItemId }, site: { id: places.siteId }, residualBand: 'LOW', controlsInPlace: false, assessedBy: { id: people.supervisor.id } });
    const controls = assessment.hazards.flatMap((h: any) => h.controls);
    expect(assessment.hazards.map((h: any) => [h.hazard.id, h.controls.map((c: any) => c.kind)])).toEqual([
      [pressure.id, ['ISOLATION', 'PPE']],
      [noise.id, ['PPE', 'OTHER']],
    ]);
    expect(controls.every((c: any) => c.state === 'REQUIRED')).toBe(true);

    const required = (await outbox(hazards)).filter((e) => e.type === 'prerequisite.required' && e.data.workItemId === workItemId);
    expect(required.map((e) => [e.subject, e.data.sourceRecordId, e.data.kind])).toEqual(controls.map((c: any) => [c.id, c.id, 'HAZARD_CONTROL_IN_PLACE']));
    expect(required[0].data.description).toBe('ISOLATION: Suction and discharge valves locked closed, casing vented (hazard: Stored pressure in the pump casing)');

    // One assessment per work item; controls must belong to the hazard chosen.
    expectError(await hazards.query(`mutation($i: JobRiskAssessmentInput!) { assessJobRisk(input: $i) { id } }`, { i: { workItemId, hazards: [{ hazardId: pressure.id }] } }, people.supervisor), 'CONFLICT');
    expectError(await hazards.query(`mutation($i: JobRiskAssessmentInput!) { assessJobRisk(input: $i) { id } }`, { i: { workItemId: await trackWork(hazards, places), hazards: [{ hazardId: pressure.id, controlIds: [noise.controls[1].id] }] } }, people.supervisor), 'BAD_USER_INPUT');
    expectError(await hazards.query(`mutation($i: JobRiskAssessmentInput!) { assessJobRisk(input: $i) { id } }`, { i: { workItemId: randomUUID(), hazards: [{ hazardId: pressure.id }] } }, people.operator), 'FORBIDDEN');

    const control = controls[0];
    const CONTROL = 'id state evidence evidenceUrl confirmedBy { id } reopenedReason';
    expectError(await act(hazards, 'confirmHazardControl', { id: control.id, evidence: { note: ' ' } }, people.technician, CONTROL), 'BAD_USER_INPUT');
    expectError(await act(hazards, 'reopenHazardControl', { id: control.id, reason: 'not yet' }, crew.hse, CONTROL), 'ILLEGAL_TRANSITION');
    const confirmed = ok(await act(hazards, 'confirmHazardControl', { id: control.id, evidence: { note: 'Valves V-12/V-13 locked, tags L-7/L-8, casing vented to drain', url: 'https://files.example/locks.jpg' } }, people.technician, CONTROL)).confirmHazardControl;
    expect(confirmed).toMatchObject({ state: 'CONFIRMED', confirmedBy: { id: people.technician.id }, evidenceUrl: 'https://files.example/locks.jpg' });
    expectError(await act(hazards, 'confirmHazardControl', { id: control.id, evidence: { note: 'again' } }, people.technician, CONTROL), 'ILLEGAL_TRANSITION');
    expectError(await act(hazards, 'reopenHazardControl', { id: control.id, reason: 'valve passing' }, people.technician, CONTROL), 'FORBIDDEN');
    const reopened = ok(await act(hazards, 'reopenHazardControl', { id: control.id, reason: 'valve V-12 passing' }, crew.issuer, CONTROL)).reopenHazardControl;
    expect(reopened).toMatchObject({ state: 'REQUIRED', reopenedReason: 'valve V-12 passing' });

    const changes = (await outbox(hazards, control.id)).map((e) => [e.type, e.data.kind ?? null]);
    expect(changes).toEqual([
      ['prerequisite.required', 'HAZARD_CONTROL_IN_PLACE'],
      ['prerequisite.satisfied', 'HAZARD_CONTROL_IN_PLACE'],
      ['job_control.confirmed', 'ISOLATION'],
      ['prerequisite.reopened', 'HAZARD_CONTROL_IN_PLACE'],
      ['job_control.reopened', 'ISOLATION'],
    ]);

    for (const c of controls) ok(await act(hazards, 'confirmHazardControl', { id: c.id, evidence: { note: 'checked at 09:40' } }, people.operator, CONTROL));
    const item = ok(await hazards.query(`query($r: [_Any!]!) { _entities(representations: $r) { ... on WorkItem { riskAssessment { controlsInPlace } hazards { controls { state } } } } }`, {
      r: [{ __typename: 'WorkItem', id: workItemId }, { __typename: 'WorkItem', id: randomUUID() }],
    }))._entities;
    expect(item[0].riskAssessment.controlsInPlace).toBe(true);
    expect(item[0].hazards.flatMap((h: any) => h.controls.map((c: any) => c.state))).toEqual(['CONFIRMED', 'CONFIRMED', 'CONFIRMED', 'CONFIRMED']);
    expect(item[1]).toEqual({ riskAssessment: null, hazards: [] });
    expect(ok(await hazards.query(`query($w: ID!) { jobRiskAssessment(workItemId: $w) { ${ASSESSMENT_FIELDS} } }`, { w: workItemId }, crew.elsewhere)).jobRiskAssessment).toBeNull();
  });
});

describe('incidents', () => {
  test('report → investigate → actions requested from Work; closing is refused while actions are not verified done', async () => {
    const incident = await reportIncident(hazards, places, { peopleInvolvedIds: [people.technician2.id] });
    expect(incident).toMatchObject({ status: 'REPORTED', severity: 'MEDIUM', reporter: { id: people.operator.id }, holdRequestedAt: null, correctiveActions: [] });
    expect(incident.number).toMatch(/^INC-\d{6}$/);

    // The people involved are personal data: hidden from others, kept out of events.
    const PEOPLE = `query($id: ID!) { incident(id: $id) { peopleInvolved { id } } }`;
    expectError(await hazards.query(PEOPLE, { id: incident.id }, people.technician), 'FORBIDDEN');
    expect(ok(await hazards.query(PEOPLE, { id: incident.id }, crew.hse)).incident.peopleInvolved).toEqual([{ id: people.technician2.id }]);
    expect(ok(await hazards.query(PEOPLE, { id: incident.id }, people.operator)).incident.peopleInvolved).toEqual([{ id: people.technician2.id }]); // the reporter
    const reported = (await outbox(hazards, incident.id)).find((e) => e.type === 'incident.reported')!;
    expect(JSON.stringify(reported.data)).not.toMatch(/caustic|Hose|technician2|00000000-0000-4000-8000-000000000006/);
    expect(reported.data).toMatchObject({ number: incident.number, incidentType: 'SPILL', severity: 'MEDIUM', holdRequested: false });

    expectError(await act(hazards, 'closeIncident', { id: incident.id }), 'ILLEGAL_TRANSITION');
    expectError(await act(hazards, 'startIncidentInvestigation', { id: incident.id, investigatorId: crew.investigator.id }, people.operator), 'FORBIDDEN');
    const investigating = ok(await act(hazards, 'startIncidentInvestigation', { id: incident.id, investigatorId: crew.investigator.id })).startIncidentInvestigation;
    expect(investigating).toMatchObject({ status: 'INVESTIGATING', investigation: { investigator: { id: crew.investigator.id }, completedAt: null } });
    expectError(await act(hazards, 'startIncidentInvestigation', { id: incident.id, investigatorId: crew.investigator.id }), 'ILLEGAL_TRANSITION');

    const action = (n: number) => ({ kind: n === 1 ? 'CORRECTIVE' : 'PREVENTIVE', title: n === 1 ? 'Replace CIP hose couplings with locking type' : 'Add coupling check to the CIP start-up checklist', ownerId: people.technician.id });
    const first = ok(await act(hazards, 'addIncidentAction', { incidentId: incident.id, input: action(1) }, crew.investigator, ACTION_FIELDS)).addIncidentAction;
    const second = ok(await act(hazards, 'addIncidentAction', { incidentId: incident.id, input: action(2) }, crew.hse, ACTION_FIELDS)).addIncidentAction;
    expect([first, second].map((a) => [a.number, a.kind, a.workStatus, a.done, a.workItem])).toEqual([[1, 'CORRECTIVE', 'REQUESTED', false, null], [2, 'PREVENTIVE', 'REQUESTED', false, null]]);
    expectError(await act(hazards, 'addIncidentAction', { incidentId: incident.id, input: action(3) }, people.technician, ACTION_FIELDS), 'FORBIDDEN');
    const requests = (await outbox(hazards, incident.id)).filter((e) => e.type === 'work.requested').map((e) => e.data);
    expect(requests).toEqual([1, 2].map((n) => expect.objectContaining({
      requestId: `incident:${incident.id}:action:${n}`,
      type: 'CORRECTIVE_ACTION',
      sourceRecordId: incident.id,
      siteId: places.siteId,
      areaId: places.areaId,
      assetId: null,
      ownerId: people.technician.id,
      priority: 'MEDIUM',
    })));

    const findings = { rootCauses: ['Push-on coupling not rated for CIP pressure'], findings: 'Coupling slipped at 3 bar.' };
    expectError(await act(hazards, 'completeIncidentInvestigation', { id: incident.id, input: findings }, people.technician), 'FORBIDDEN');
    expectError(await act(hazards, 'completeIncidentInvestigation', { id: incident.id, input: { ...findings, rootCauses: [] } }, crew.investigator), 'BAD_USER_INPUT');
    const investigated = ok(await act(hazards, 'completeIncidentInvestigation', { id: incident.id, input: findings }, crew.investigator)).completeIncidentInvestigation;
    expect(investigated).toMatchObject({ status: 'INVESTIGATED', investigation: { rootCauses: findings.rootCauses, findings: findings.findings } });

    const refused = expectError(await act(hazards, 'closeIncident', { id: incident.id }), 'PREREQUISITES_OPEN');
    expect(refused.message).toMatch(/2 action\(s\) not verified done/);
    expect(refused.extensions!.openActions.map((a: any) => [a.number, a.workStatus])).toEqual([[1, 'REQUESTED'], [2, 'REQUESTED']]);
    expect(ok(await hazards.query(`query($id: ID!) { incident(id: $id) { status closedAt } }`, { id: incident.id })).incident).toEqual({ status: 'INVESTIGATED', closedAt: null });

    const open = ok(await hazards.query(`query($r: [_Any!]!) { _entities(representations: $r) { ... on Area { openIncidents { id } } } }`, { r: [{ __typename: 'Area', id: places.areaId }] }))._entities;
    expect(open[0].openIncidents.map((i: any) => i.id)).toContain(incident.id);
  });

  test('rule: severity HIGH or CRITICAL on an asset asks Work to hold the open work on that asset', async () => {
    const high = await reportIncident(hazards, places, { type: 'PROCESS_SAFETY_EVENT', severity: 'HIGH', assetId: places.assetId, title: 'Relief valve lifted on V-101' });
    expect(high.holdRequestedAt).not.toBeNull();
    const hold = (await outbox(hazards, high.id)).find((e) => e.type === 'work.hold_requested')!;
    expect(hold.data).toEqual({ assetId: places.assetId, siteId: places.siteId, sourceRecordId: high.id, resumeRoles: ['supervisor'], reason: expect.stringMatching(new RegExp(`^${high.number}: high severity process safety event on this asset`)) });
    const lowOnAsset = await reportIncident(hazards, places, { severity: 'LOW', assetId: places.assetId });
    const criticalNoAsset = await reportIncident(hazards, places, { severity: 'CRITICAL' });
    for (const incident of [lowOnAsset, criticalNoAsset]) {
      expect(incident.holdRequestedAt).toBeNull();
      expect((await outbox(hazards, incident.id)).map((e) => e.type)).toEqual(['incident.reported']);
    }
    expectError(await hazards.query(`mutation($i: ReportIncidentInput!) { reportIncident(input: $i) { id } }`, {
      i: { type: 'SPILL', severity: 'LOW', occurredAt: new Date(Date.now() + 3600_000).toISOString(), siteId: places.siteId, title: 'x', description: 'y' },
    }, people.operator), 'BAD_USER_INPUT');
    expectError(await hazards.query(`mutation($i: ReportIncidentInput!) { reportIncident(input: $i) { id } }`, {
      i: { type: 'SPILL', severity: 'LOW', occurredAt: new Date().toISOString(), siteId: places.siteId, title: 'x', description: 'y' },
    }, crew.elsewhere), 'NOT_FOUND');
    const listed = ok(await hazards.query(`query($f: IncidentFilter) { incidents(filter: $f) { totalCount edges { node { id } } } }`, { f: { siteId: places.siteId, severity: ['HIGH', 'CRITICAL'] } })).incidents;
    expect(listed.edges.map((e: any) => e.node.id)).toEqual([criticalNoAsset.id, high.id]);
    expect(ok(await hazards.query(`query($n: String!) { incidentByNumber(number: $n) { id } }`, { n: high.number })).incidentByNumber.id).toBe(high.id);
  });
});
