import { randomUUID } from 'node:crypto';
import type { Caller } from '@opsgraph/core';
import { eventually, expectError, fakeWork, ok, people, startTestGateway, type FakeWorkItem, type TestGateway, type TestService } from '@opsgraph/testing';
import { raiseDueEffectivenessChecks } from '../src/domain/effectiveness';
import { crew, knownPlaces, outbox, startHazards, type Places } from './fixtures';

/**
 * CAPA that proves it worked, and incidents as regulators ask for them, through the real gateway, with Work's
 * events published as Work publishes them (`work_item.verified` carrying `outOfLimits`): a serious incident
 * does not close without actions unless HSE records why; an incident is closed-effective only once its
 * effectiveness check, raised a set time after closing, is verified; it is reopened by a failed check or by a
 * person with a reason; injuries make it recordable and reportable (OSHA 29 CFR 1904) with its deadline.
 */
let hazards: TestService;
let gateway: TestGateway;
let work: ReturnType<typeof fakeWork>;
let places: Places;

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

const q = (query: string, variables: Record<string, unknown> = {}, caller: Caller = people.admin) => gateway.query(query, variables, caller);
const doer = people.technician2;
const checker = people.verifier;

const INCIDENT = `id number status severity potentialSeverity closedEffective reopenCount closedAt noActionJustification
  investigation { investigator { id } rootCauses rootCauseCategories whys }
  regulatory { recordable recordableCriteria reportable reportableCriteria reportDeadline standard }
  effectiveness { status checkDays checkAt raisedAt workStatus workItem { id } checkedAt checkedBy { id } }
  history { action fromStatus toStatus actor { id } note workItem { id } }`;
const incident = async (id: string) => ok(await q(`query($id: ID!) { incident(id: $id) { ${INCIDENT} } }`, { id })).incident;
const requests = async (id: string) => (await outbox(hazards, id)).filter((e) => e.type === 'work.requested').map((e) => e.data as Record<string, any>);
const facts = async (id: string, type: string) => (await outbox(hazards, id)).filter((e) => e.type === type).map((e) => e.data as Record<string, any>);

/** A status change of a work item as Work publishes it. */
const transition = (item: FakeWorkItem, type: string, from: string, to: string, actorId: string, extra: Record<string, unknown> = {}) =>
  work.publish(type, {
    workItemId: item.workItemId, number: `TST-${item.workItemId.slice(0, 6)}`, workType: item.workType, status: to, siteId: item.siteId, areaId: item.areaId ?? null, lineId: null,
    assetId: item.assetId ?? null, sourceDomain: item.sourceDomain, sourceRecordId: item.sourceRecordId, from, to, actorId, note: null, ...extra,
  });

/** Work creates the item a request asked for, someone does it, someone else verifies it, with the readings out of limits it reports. */
async function carryOut(request: Record<string, any>, outOfLimits: Record<string, unknown>[] = []) {
  const item: FakeWorkItem = {
    workItemId: randomUUID(), workType: request.type, siteId: request.siteId, areaId: request.areaId, assetId: request.assetId, ownerId: request.ownerId,
    sourceDomain: 'HAZARDS', sourceRecordId: request.sourceRecordId, workRequestId: request.requestId,
  };
  await work.created(item);
  await transition(item, 'work_item.started', 'READY', 'IN_PROGRESS', doer.id, { performerId: doer.id });
  await transition(item, 'work_item.completed', 'IN_PROGRESS', 'AWAITING_VERIFICATION', doer.id, { performerId: doer.id, evidenceCount: 2, outOfLimits });
  await transition(item, 'work_item.verified', 'AWAITING_VERIFICATION', 'DONE', checker.id, { verifierId: checker.id, verifiedAt: new Date().toISOString(), outOfLimits });
  return item;
}

async function investigated(input: Record<string, unknown> = {}) {
  const reported = ok(await q(`mutation($i: ReportIncidentInput!) { reportIncident(input: $i) { id number } }`, {
    i: { type: 'SPILL', severity: 'MEDIUM', occurredAt: new Date(Date.now() - 3600_000).toISOString(), siteId: places.siteId, areaId: places.areaId, title: 'Caustic spill at CIP skid', description: 'Hose coupling came loose during CIP.', ...input },
  }, people.operator)).reportIncident;
  ok(await q(`mutation($id: ID!, $p: ID!) { startIncidentInvestigation(id: $id, investigatorId: $p) { id } }`, { id: reported.id, p: crew.investigator.id }, crew.hse));
  return reported;
}
const completeInvestigation = (id: string, input: Record<string, unknown> = {}) =>
  q(`mutation($id: ID!, $i: IncidentInvestigationInput!) { completeIncidentInvestigation(id: $id, input: $i) { ${INCIDENT} } }`, { id, i: { rootCauses: ['coupling not rated for CIP'], findings: 'see report', ...input } }, crew.investigator);
const close = (id: string, args: Record<string, unknown> = {}, caller: Caller = crew.hse) =>
  q(`mutation($id: ID!, $j: String, $d: Int) { closeIncident(id: $id, note: "actions verified", noActionJustification: $j, effectivenessCheckDays: $d) { ${INCIDENT} } }`, { id, ...args }, caller);
const addAction = async (id: string, title: string) => {
  ok(await q(`mutation($id: ID!, $t: String!) { addIncidentAction(incidentId: $id, input: { kind: CORRECTIVE, title: $t, ownerId: "${people.technician.id}" }) { id } }`, { id, t: title }, crew.hse));
  const all = await requests(id);
  return all[all.length - 1];
};

test('a serious incident closes without actions only with the justification HSE records', async () => {
  const high = await investigated({ severity: 'HIGH' });
  ok(await completeInvestigation(high.id, { rootCauseCategories: ['EQUIPMENT_DESIGN', 'MAINTENANCE'], whys: ['The hose came off', 'The coupling was not rated for CIP temperature', 'The spare was bought by part number only'] }));
  const before = await incident(high.id);
  const refused = expectError(await close(high.id, {}, people.supervisor), 'PREREQUISITES_OPEN');
  expect(refused.extensions).toMatchObject({ justificationRequired: true });
  expect(refused.message).toMatch(/high incident closes with at least one action/);
  expectError(await close(high.id, { j: 'Coupling type withdrawn site-wide by the change MOC-000012' }, people.supervisor), 'FORBIDDEN'); // HSE only
  expect(await incident(high.id)).toEqual(before);
  const closed = ok(await close(high.id, { j: 'Coupling type withdrawn site-wide by the change MOC-000012' })).closeIncident;
  expect(closed).toMatchObject({
    status: 'CLOSED',
    noActionJustification: 'Coupling type withdrawn site-wide by the change MOC-000012',
    effectiveness: { status: 'NOT_REQUIRED', checkAt: null },
    closedEffective: false,
    investigation: { rootCauseCategories: ['EQUIPMENT_DESIGN', 'MAINTENANCE'], whys: ['The hose came off', 'The coupling was not rated for CIP temperature', 'The spare was bought by part number only'] },
  });
  expect(closed.history.map((h: { action: string }) => h.action)).toEqual(['REPORTED', 'INVESTIGATION_STARTED', 'INVESTIGATION_COMPLETED', 'CLOSED']);
  expect(closed.history[3]).toMatchObject({ actor: { id: crew.hse.id }, note: 'No action needed: Coupling type withdrawn site-wide by the change MOC-000012' });
  expect(await facts(high.id, 'incident.closed')).toEqual([expect.objectContaining({ noActionJustified: true, effectivenessCheckAt: null, actionCount: 0 })]);

  // A justification is only for that case, and a LOW incident closes without one as before.
  const low = await investigated({ severity: 'LOW' });
  ok(await completeInvestigation(low.id));
  expectError(await close(low.id, { j: 'nothing to do' }), 'BAD_USER_INPUT');
  expect(ok(await close(low.id, {}, people.supervisor)).closeIncident).toMatchObject({ status: 'CLOSED', effectiveness: { status: 'NOT_REQUIRED' } });
  // Five whys at most, from the categories.
  const other = await investigated();
  expectError(await completeInvestigation(other.id, { whys: ['1', '2', '3', '4', '5', '6'] }), 'BAD_USER_INPUT');
  expectError(await completeInvestigation(other.id, { rootCauseCategories: ['BAD_LUCK'] }), 'BAD_USER_INPUT');
});

test('an effectiveness check, raised a set time after closing, makes the incident closed-effective; a person reopens it; a failed check reopens it', async () => {
  const reported = await investigated();
  const action = await addAction(reported.id, 'Replace the coupling with a CIP-rated one');
  ok(await completeInvestigation(reported.id));
  await carryOut(action);
  await eventually(async () => (await facts(reported.id, 'incident.action_verified')).length === 1);

  const before = await incident(reported.id);
  for (const d of [-1, 366]) expectError(await close(reported.id, { d }), 'BAD_USER_INPUT');
  expect(await incident(reported.id)).toEqual(before);
  const closedAt = Date.now();
  const closed = ok(await close(reported.id, { d: 30 })).closeIncident;
  expect(closed).toMatchObject({ status: 'CLOSED', closedEffective: false, effectiveness: { status: 'PENDING', checkDays: 30, raisedAt: null, workItem: null, workStatus: null } });
  expect(Math.abs(new Date(closed.effectiveness.checkAt).getTime() - (closedAt + 30 * 86_400_000))).toBeLessThan(60_000);

  // Not before its time: an administrator's run today raises nothing for it; the run 31 days on raises it, once.
  const runs = ok(await q(`mutation { runHazardsSchedules { schedule changed } }`)).runHazardsSchedules;
  expect(runs).toEqual([{ schedule: 'hazards.effectiveness-checks', changed: 0 }]);
  expect(await requests(reported.id)).toHaveLength(1);
  expect((await raiseDueEffectivenessChecks(hazards.db.manager, new Date(Date.now() + 29 * 86_400_000))).map((i) => i.id)).not.toContain(reported.id);
  expect((await raiseDueEffectivenessChecks(hazards.db.manager, new Date(Date.now() + 31 * 86_400_000))).map((i) => i.id)).toContain(reported.id);
  expect((await raiseDueEffectivenessChecks(hazards.db.manager, new Date(Date.now() + 32 * 86_400_000))).map((i) => i.id)).not.toContain(reported.id);
  const [, check] = await requests(reported.id);
  expect(check).toMatchObject({
    type: 'INSPECTION',
    requestId: `incident:${reported.id}:effectiveness:1`,
    sourceRecordId: reported.id,
    title: `Effectiveness check of ${reported.number}: Caustic spill at CIP skid`,
    ownerId: crew.investigator.id,
    requiredOutcome: { evidence: [{ kind: 'MEASUREMENT', label: 'Recurrences since closing', unit: 'events', min: 0, max: 0 }, { kind: 'SIGNATURE', label: 'Effectiveness checked by' }] },
  });
  expect((await incident(reported.id)).effectiveness).toMatchObject({ status: 'RAISED', workStatus: 'REQUESTED' });

  // No recurrence: effective, and only now closed-effective.
  const checkWork = await carryOut(check);
  const effective = await eventually(async () => {
    const i = await incident(reported.id);
    return i.closedEffective && i;
  });
  expect(effective).toMatchObject({ status: 'CLOSED', effectiveness: { status: 'EFFECTIVE', workStatus: 'DONE', workItem: { id: checkWork.workItemId }, checkedBy: { id: checker.id } } });
  expect(await facts(reported.id, 'incident.effectiveness_checked')).toEqual([expect.objectContaining({ effective: true, workItemId: checkWork.workItemId, actorId: checker.id })]);

  // It happens again: HSE reopens it with the reason. Not a technician; not without a reason; only a closed incident.
  const reopen = (caller: Caller, reason = 'Coupling came off again on 12 March') =>
    q(`mutation($id: ID!, $r: String!) { reopenIncident(id: $id, reason: $r) { ${INCIDENT} } }`, { id: reported.id, r: reason }, caller);
  expectError(await reopen(people.technician), 'FORBIDDEN');
  expectError(await reopen(crew.hse, ' '), 'BAD_USER_INPUT');
  expect(await incident(reported.id)).toEqual(effective);
  const reopened = ok(await reopen(crew.hse)).reopenIncident;
  expect(reopened).toMatchObject({ status: 'INVESTIGATING', reopenCount: 1, closedAt: null, closedEffective: false, investigation: { investigator: { id: crew.investigator.id } } });
  expect(reopened.history.at(-1)).toEqual({ action: 'REOPENED', fromStatus: 'CLOSED', toStatus: 'INVESTIGATING', actor: { id: crew.hse.id }, note: 'Coupling came off again on 12 March', workItem: null });
  expectError(await reopen(crew.hse), 'ILLEGAL_TRANSITION');
  expect(await facts(reported.id, 'incident.reopened')).toEqual([expect.objectContaining({ trigger: 'PERSON', reopenCount: 1, status: 'INVESTIGATING', actorId: crew.hse.id })]);

  // The loop again: a new action, the investigation completed again, closed with a check at once; it recurred.
  const second = await addAction(reported.id, 'Interlock CIP start on the coupling sensor');
  expect(second.requestId).toBe(`incident:${reported.id}:action:2`);
  ok(await completeInvestigation(reported.id, { rootCauses: ['no interlock on the coupling'] }));
  await carryOut(second);
  await eventually(async () => (await facts(reported.id, 'incident.action_verified')).length === 2);
  expect(ok(await close(reported.id, { d: 0 })).closeIncident.effectiveness).toMatchObject({ status: 'RAISED', checkDays: 0 });
  const recheck = (await requests(reported.id)).at(-1)!;
  expect(recheck.requestId).toBe(`incident:${reported.id}:effectiveness:2`);
  const failedWork = await carryOut(recheck, [{ label: 'Recurrences since closing', value: 2, unit: 'events', min: 0, max: 0 }]);
  const failed = await eventually(async () => {
    const i = await incident(reported.id);
    return i.reopenCount === 2 && i;
  });
  expect(failed).toMatchObject({ status: 'INVESTIGATING', closedEffective: false, effectiveness: { status: 'NOT_EFFECTIVE', workItem: { id: failedWork.workItemId } } });
  expect(failed.history.slice(-2)).toEqual([
    expect.objectContaining({ action: 'NOT_EFFECTIVE', fromStatus: 'CLOSED', toStatus: 'CLOSED', actor: null, workItem: { id: failedWork.workItemId } }),
    expect.objectContaining({ action: 'REOPENED', fromStatus: 'CLOSED', toStatus: 'INVESTIGATING', actor: null, note: expect.stringContaining('Recurrences since closing 2 events (limits 0..0)') }),
  ]);
  expect((await facts(reported.id, 'incident.reopened')).at(-1)).toMatchObject({ trigger: 'FAILED_EFFECTIVENESS_CHECK', reopenCount: 2 });
});

test('injuries make an incident recordable and reportable with its deadline; they and the witnesses are personal data', async () => {
  const occurredAt = new Date(Date.now() - 2 * 3600_000);
  const report = (input: Record<string, unknown>) =>
    q(`mutation($i: ReportIncidentInput!) { reportIncident(input: $i) { id ${INCIDENT} } }`, {
      i: { type: 'INJURY', severity: 'HIGH', occurredAt: occurredAt.toISOString(), siteId: places.siteId, areaId: places.areaId, title: 'Finger caught in the capper', description: 'Guard open during a jam.', ...input },
    }, people.operator);
  expectError(await report({ potentialSeverity: 'LOW' }), 'BAD_USER_INPUT'); // the worst credible outcome is not below what happened
  expectError(await report({ injuries: [{ personId: people.technician2.id, bodyPart: 'FINGER', treatment: 'FIRST_AID', daysAway: 200 }] }), 'BAD_USER_INPUT');
  const injured = ok(await report({
    potentialSeverity: 'CRITICAL',
    peopleInvolvedIds: [people.technician2.id],
    injuries: [{ personId: people.technician2.id, bodyPart: 'FINGER', nature: 'crush, fingertip lost', treatment: 'HOSPITALIZED', daysAway: 5, amputation: true }],
    witnesses: [{ personId: people.technician.id, statement: 'Saw the guard open' }],
  })).reportIncident;
  expect(injured).toMatchObject({
    potentialSeverity: 'CRITICAL',
    regulatory: {
      recordable: true,
      recordableCriteria: ['DAYS_AWAY', 'MEDICAL_TREATMENT_BEYOND_FIRST_AID', 'SIGNIFICANT_DIAGNOSED_INJURY'],
      reportable: true,
      reportableCriteria: ['IN_PATIENT_HOSPITALIZATION', 'AMPUTATION'],
      reportDeadline: new Date(occurredAt.getTime() + 24 * 3600_000).toISOString(),
      standard: expect.stringContaining('OSHA 29 CFR 1904'),
    },
  });
  // Events carry the classification, never who was hurt or saw it.
  const [reportedFact] = await facts(injured.id, 'incident.reported');
  expect(reportedFact).toMatchObject({ potentialSeverity: 'CRITICAL', recordable: true, reportable: true, injuryCount: 1, reportDeadline: injured.regulatory.reportDeadline });
  expect(JSON.stringify(reportedFact)).not.toContain(people.technician2.id);
  expect(JSON.stringify(reportedFact)).not.toContain(people.technician.id);

  const PERSONAL = `query($id: ID!) { incident(id: $id) { injuries { person { id } bodyPart nature treatment daysAway amputation } witnesses { person { id } statement } } }`;
  expect(ok(await q(PERSONAL, { id: injured.id }, crew.hse)).incident).toEqual({
    injuries: [{ person: { id: people.technician2.id }, bodyPart: 'FINGER', nature: 'crush, fingertip lost', treatment: 'HOSPITALIZED', daysAway: 5, amputation: true }],
    witnesses: [{ person: { id: people.technician.id }, statement: 'Saw the guard open' }],
  });
  expectError(await q(PERSONAL, { id: injured.id }, people.verifier), 'FORBIDDEN');
  // The classification itself is the incident's, for everyone who sees it.
  expect(ok(await q(`query($id: ID!) { incident(id: $id) { regulatory { recordable reportable } } }`, { id: injured.id }, people.verifier)).incident.regulatory).toEqual({ recordable: true, reportable: true });

  // A first-aid case is not recordable; a fatality is reportable within 8 hours. Details are revised as they become known.
  const minor = ok(await report({ severity: 'LOW', injuries: [{ personId: people.technician2.id, bodyPart: 'HAND', treatment: 'FIRST_AID' }] })).reportIncident;
  expect(minor.regulatory).toMatchObject({ recordable: false, recordableCriteria: [], reportable: false, reportDeadline: null });
  ok(await q(`mutation($id: ID!, $p: ID!) { startIncidentInvestigation(id: $id, investigatorId: $p) { id } }`, { id: minor.id, p: crew.investigator.id }, crew.hse));
  const DETAILS = `mutation($id: ID!, $i: IncidentDetailsInput!) { recordIncidentDetails(id: $id, input: $i) { ${INCIDENT} } }`;
  const input = { injuries: [{ personId: people.technician2.id, bodyPart: 'HAND', treatment: 'FIRST_AID', daysRestricted: 3 }] };
  expectError(await q(DETAILS, { id: minor.id, i: input }, people.operator), 'FORBIDDEN');
  const revised = ok(await q(DETAILS, { id: minor.id, i: input }, crew.investigator)).recordIncidentDetails; // the investigator may
  expect(revised.regulatory).toMatchObject({ recordable: true, recordableCriteria: ['RESTRICTED_WORK_OR_TRANSFER'], reportable: false });
  expect(revised.history.at(-1)).toMatchObject({ action: 'DETAILS_RECORDED', actor: { id: crew.investigator.id } });
  const fatal = ok(await q(DETAILS, { id: minor.id, i: { potentialSeverity: 'CRITICAL', injuries: [{ personId: people.technician2.id, bodyPart: 'MULTIPLE', treatment: 'HOSPITALIZED', fatal: true }] } }, crew.hse)).recordIncidentDetails;
  expect(fatal.regulatory).toMatchObject({ reportable: true, reportableCriteria: ['FATALITY', 'IN_PATIENT_HOSPITALIZATION'], reportDeadline: new Date(occurredAt.getTime() + 8 * 3600_000).toISOString() });
  expect((await facts(minor.id, 'incident.details_recorded')).at(-1)).toMatchObject({ recordable: true, reportable: true, potentialSeverity: 'CRITICAL' });
});
