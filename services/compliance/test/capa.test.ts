import { randomUUID } from 'node:crypto';
import { addMonths, type Caller } from '@opsgraph/core';
import { eventually, expectError, fakeWork, ok, people, startTestGateway, type FakeWorkItem, type TestGateway, type TestService } from '@opsgraph/testing';
import { raiseDueEffectivenessChecks } from '../src/domain/effectiveness';
import { raiseDueObligations } from '../src/domain/obligations';
import { AuditFinding, ComplianceObligation } from '../src/entities';
import { DAY, crew, eventsOf, knowAll, newPlaces, recordAudit, startCompliance, vesselInspection, type Places } from './fixtures';

/**
 * Inspections that can fail and CAPA that proves it worked, through the real gateway, with Work's events
 * published as Work publishes them (`work_item.verified` carrying `outOfLimits`): a failed inspection is a
 * result (NOT_MET, recorded with its readings, a non-conformance and corrective work raised); a closed finding
 * is checked for effectiveness a set time later, closed-effective only once that check is verified, reopened
 * when it fails or when a person reopens it; the next inspection is due from the previous due date.
 */
let compliance: TestService;
let gateway: TestGateway;
let work: ReturnType<typeof fakeWork>;
let places: Places;

beforeAll(async () => {
  compliance = await startCompliance();
  gateway = await startTestGateway({ compliance: compliance.url });
  work = fakeWork();
  places = newPlaces();
  await knowAll(compliance.db, places);
});
afterAll(async () => {
  await work?.close();
  await gateway?.stop();
  await compliance?.stop();
});

const q = (query: string, variables: Record<string, unknown> = {}, caller: Caller = people.admin) => gateway.query(query, variables, caller);
const doer = people.technician2;
const checker = people.verifier;

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
    sourceDomain: 'COMPLIANCE', sourceRecordId: request.sourceRecordId, workRequestId: request.requestId,
  };
  await work.publish('work_item.created', {
    workItemId: item.workItemId, number: `TST-${item.workItemId.slice(0, 6)}`, workType: item.workType, status: 'OPEN', siteId: item.siteId, areaId: item.areaId ?? null, lineId: null,
    assetId: item.assetId ?? null, sourceDomain: 'COMPLIANCE', sourceRecordId: item.sourceRecordId, ownerId: item.ownerId ?? null, priority: 'MEDIUM', dueAt: null, contractorCompany: null,
    assetClass: null, workRequestId: item.workRequestId,
  });
  await transition(item, 'work_item.started', 'READY', 'IN_PROGRESS', doer.id, { performerId: doer.id });
  await transition(item, 'work_item.completed', 'IN_PROGRESS', 'AWAITING_VERIFICATION', doer.id, { performerId: doer.id, evidenceCount: 2, outOfLimits });
  await transition(item, 'work_item.verified', 'AWAITING_VERIFICATION', 'DONE', checker.id, { verifierId: checker.id, verifiedAt: new Date().toISOString(), outOfLimits });
  return item;
}

/** The `work.requested` events compliance recorded about a record, newest last. */
const requests = async (subject: string) => (await eventsOf(compliance, subject, 'work.requested')).map((e) => e.data as Record<string, any>);

const FINDING = `id number status severity closedEffective reopenCount closedAt
  audit { kind inspection { workItem { id } number readings { label value unit min max } obligation { id status } } }
  requirement { id } asset { id } sourceInspection { id }
  correctiveActions { title workStatus workItem { id } }
  effectiveness { status checkDays checkAt raisedAt workStatus workItem { id } checkedAt checkedBy { id } }
  history { action fromStatus toStatus actor { id } note workItem { id } }`;
const finding = async (id: string) => ok(await q(`query($id: ID!) { auditFinding(id: $id) { ${FINDING} } }`, { id })).auditFinding;
const OCCURRENCES = `query($id: ID!) { requirement(id: $id) { status obligations { id status dueAt correctedAt workItem { id }
  failedInspection { id kind inspection { readings { label value } } } nonConformance { id status } } } }`;

const SET_PRESSURE = { label: 'Safety valve set pressure', value: 11.2, unit: 'bar', min: 9.5, max: 10.5 };

test('a failed inspection is a result: recorded with its readings, NOT_MET, a non-conformance and corrective work; the failed check of its correction reopens it', async () => {
  const firstDue = new Date(Date.now() + 10 * DAY);
  const requirement = ok(await q(`mutation($i: CreateRequirementInput!) { createRequirement(input: $i) { id } }`, {
    i: vesselInspection(places.siteId, [places.assetId], { firstDueAt: firstDue.toISOString() }),
  }, crew.hse)).createRequirement;
  await raiseDueObligations(compliance.db.manager, new Date());
  const [inspectionRequest] = await requests(requirement.id);
  expect(inspectionRequest).toMatchObject({ type: 'INSPECTION', assetId: places.assetId });

  // The valve lifts at 11.2 bar against a 9.5..10.5 bar limit: Work stores it and the verifier accepts the result.
  const inspection = await carryOut(inspectionRequest, [SET_PRESSURE]);
  const failed = await eventually(async () => {
    const r = ok(await q(OCCURRENCES, { id: requirement.id })).requirement;
    return r.status === 'NOT_MET' && r;
  });
  const [next, occurrence] = failed.obligations;
  expect(occurrence).toMatchObject({
    status: 'NOT_MET',
    correctedAt: null,
    workItem: { id: inspection.workItemId },
    failedInspection: { kind: 'INSPECTION', inspection: { readings: [{ label: 'Safety valve set pressure', value: 11.2 }] } },
    nonConformance: { status: 'OPEN' },
  });
  // The schedule goes on from the due date, whatever the result.
  expect(next).toMatchObject({ status: 'SCHEDULED' });
  expect(new Date(next.dueAt).toISOString()).toBe(addMonths(firstDue, 12).toISOString());
  const status = ok(await q(`query($s: ID!) { complianceStatus(siteId: $s) { notMet requirements { requirement { id } status } } }`, { s: places.siteId })).complianceStatus;
  expect(status.notMet).toBe(1);
  expect(status.requirements).toContainEqual({ requirement: { id: requirement.id }, status: 'NOT_MET' });

  // The non-conformance: a MAJOR finding against the requirement, sourced from the failed inspection, with its readings.
  const nc = await finding(occurrence.nonConformance.id);
  expect(nc).toMatchObject({
    severity: 'MAJOR',
    status: 'OPEN',
    requirement: { id: requirement.id },
    asset: { id: places.assetId },
    sourceInspection: { id: inspection.workItemId },
    audit: { kind: 'INSPECTION', inspection: { workItem: { id: inspection.workItemId }, readings: [SET_PRESSURE], obligation: { id: occurrence.id, status: 'NOT_MET' } } },
    history: [{ action: 'RECORDED', fromStatus: null, toStatus: 'OPEN', actor: null, note: expect.stringContaining('failed inspection'), workItem: { id: inspection.workItemId } }],
  });
  const [notMet] = (await eventsOf(compliance, requirement.id, 'obligation.not_met')).map((e) => e.data);
  expect(notMet).toMatchObject({ obligationId: occurrence.id, workItemId: inspection.workItemId, outOfLimits: [SET_PRESSURE], findingId: nc.id, nextDueAt: next.dueAt });
  // Its corrective work: asked of Work through events, proved by the requirement's readings within limits again.
  const [corrective] = await requests(nc.id);
  expect(corrective).toMatchObject({
    type: 'CORRECTIVE_ACTION',
    sourceRecordId: nc.id,
    assetId: places.assetId,
    ownerId: crew.technician.id,
    links: expect.arrayContaining([{ domain: 'WORK', recordId: inspection.workItemId, relation: 'corrects the failed inspection' }, expect.objectContaining({ domain: 'COMPLIANCE', recordId: requirement.id })]),
    requiredOutcome: { evidence: expect.arrayContaining([expect.objectContaining({ kind: 'MEASUREMENT', label: 'Safety valve set pressure', min: 9.5, max: 10.5 }), expect.objectContaining({ kind: 'DOCUMENT', label: 'Record of the action taken' })]) },
  });

  // The valve is reset and verified within limits; the finding closes, the occurrence is corrected.
  await carryOut(corrective);
  await eventually(async () => (await finding(nc.id)).correctiveActions[0].workStatus === 'DONE');
  const closed = ok(await q(`mutation($id: ID!) { closeAuditFinding(id: $id, note: "valve reset to 10 bar", effectivenessCheckDays: 0) { ${FINDING} } }`, { id: nc.id }, crew.hse)).closeAuditFinding;
  expect(closed).toMatchObject({ status: 'CLOSED', closedEffective: false, effectiveness: { status: 'RAISED', checkDays: 0, workStatus: 'REQUESTED' } });
  const corrected = ok(await q(OCCURRENCES, { id: requirement.id })).requirement;
  expect(corrected.status).toBe('MET');
  expect(corrected.obligations[1].correctedAt).not.toBeNull();

  // Checked at once (0 days): it recurred, so it was not effective, and the finding is open again.
  const [, check] = await requests(nc.id);
  expect(check).toMatchObject({ type: 'INSPECTION', sourceRecordId: nc.id, title: expect.stringMatching(/^Effectiveness check of AUD-\d{6}-F1: /), requiredOutcome: { evidence: [expect.objectContaining({ kind: 'MEASUREMENT', min: 0, max: 0 }), expect.objectContaining({ kind: 'SIGNATURE' })] } });
  const checkWork = await carryOut(check, [{ label: 'Recurrences since closing', value: 1, unit: 'events', min: 0, max: 0 }]);
  const reopened = await eventually(async () => {
    const f = await finding(nc.id);
    return f.status === 'OPEN' && f;
  });
  expect(reopened).toMatchObject({ reopenCount: 1, closedAt: null, closedEffective: false, effectiveness: { status: 'NOT_EFFECTIVE', workItem: { id: checkWork.workItemId }, checkedBy: { id: checker.id } } });
  expect(reopened.history.map((h: { action: string }) => h.action)).toEqual(['RECORDED', 'CLOSED', 'EFFECTIVENESS_CHECK_RAISED', 'NOT_EFFECTIVE', 'REOPENED']);
  expect(reopened.history[4]).toMatchObject({ fromStatus: 'CLOSED', toStatus: 'OPEN', note: expect.stringContaining('Recurrences since closing 1 events') });
  expect((await eventsOf(compliance, nc.id, 'finding.reopened')).map((e) => e.data)).toEqual([expect.objectContaining({ trigger: 'FAILED_EFFECTIVENESS_CHECK', reopenCount: 1, status: 'OPEN' })]);
  // Not corrected any more: the requirement is NOT_MET again until the finding closes again.
  expect(ok(await q(OCCURRENCES, { id: requirement.id })).requirement.status).toBe('NOT_MET');
});

test('an inspection within limits makes the occurrence MET; a late one keeps the schedule (next due from the due date)', async () => {
  // Due 20 days ago, inspected today: the next one is due a year after the due date, not a year from today.
  const due = new Date(Date.now() - 20 * DAY);
  const requirement = ok(await q(`mutation($i: CreateRequirementInput!) { createRequirement(input: $i) { id } }`, {
    i: vesselInspection(places.siteId, [places.otherAssetId], { firstDueAt: due.toISOString() }),
  }, crew.hse)).createRequirement;
  // An administrator runs the due-date rules on demand, through the gateway.
  const runs = ok(await q(`mutation { runComplianceSchedules { schedule changed } }`)).runComplianceSchedules;
  expect(runs.map((r: { schedule: string }) => r.schedule)).toEqual(['compliance.due-obligations', 'compliance.effectiveness-checks']);
  expect(await eventsOf(compliance, requirement.id, 'obligation.overdue')).toHaveLength(1);
  const [request] = await requests(requirement.id);
  await carryOut(request);
  const met = await eventually(async () => {
    const r = ok(await q(OCCURRENCES, { id: requirement.id })).requirement;
    return r.status === 'MET' && r;
  });
  expect(met.obligations.map((o: { status: string }) => o.status)).toEqual(['SCHEDULED', 'MET']);
  expect(new Date(met.obligations[0].dueAt).toISOString()).toBe(addMonths(due, 12).toISOString());
  expect(met.obligations[1]).toMatchObject({ failedInspection: null, nonConformance: null });
});

test('a finding is closed-effective only once its effectiveness check, raised a set time after closing, is verified; a person reopens it with a reason', async () => {
  const audit = await recordAudit(gateway, places.siteId);
  const recorded = ok(await q(`mutation($i: RecordAuditFindingInput!) { recordAuditFinding(input: $i) { id } }`, {
    i: { auditId: audit.id, severity: 'MINOR', areaId: places.areaId, description: 'Receiver drain valve unlabelled', correctiveActions: [{ title: 'Label the drain valve', ownerId: people.technician.id }] },
  }, crew.auditor)).recordAuditFinding;
  const [action] = await requests(recorded.id);
  await carryOut(action);
  await eventually(async () => (await finding(recorded.id)).correctiveActions[0].workStatus === 'DONE');

  const close = (variables: Record<string, unknown>) => q(`mutation($id: ID!, $d: Int) { closeAuditFinding(id: $id, note: "labelled", effectivenessCheckDays: $d) { ${FINDING} } }`, { id: recorded.id, ...variables }, crew.hse);
  const before = await finding(recorded.id);
  for (const d of [-1, 366]) expectError(await close({ d }), 'BAD_USER_INPUT');
  expect(await finding(recorded.id)).toEqual(before);
  const closedAt = Date.now();
  const closed = ok(await close({ d: 45 })).closeAuditFinding;
  expect(closed).toMatchObject({ status: 'CLOSED', closedEffective: false, effectiveness: { status: 'PENDING', checkDays: 45, raisedAt: null, workItem: null, workStatus: null } });
  expect(Math.abs(new Date(closed.effectiveness.checkAt).getTime() - (closedAt + 45 * DAY))).toBeLessThan(60_000);

  // Not before its time: today's run raises nothing for it; the run 46 days on raises the check.
  ok(await q(`mutation { runComplianceSchedules { schedule } }`));
  expect(await requests(recorded.id)).toHaveLength(1);
  expect((await raiseDueEffectivenessChecks(compliance.db.manager, new Date(Date.now() + 44 * DAY))).map((f) => f.id)).not.toContain(recorded.id);
  expect((await raiseDueEffectivenessChecks(compliance.db.manager, new Date(Date.now() + 46 * DAY))).map((f) => f.id)).toContain(recorded.id);
  expect((await raiseDueEffectivenessChecks(compliance.db.manager, new Date(Date.now() + 47 * DAY))).map((f) => f.id)).not.toContain(recorded.id); // once
  const [, check] = await requests(recorded.id);
  expect(check).toMatchObject({ type: 'INSPECTION', sourceRecordId: recorded.id, requestId: `compliance:finding:${recorded.id}:effectiveness:1`, ownerId: crew.auditor.id });

  // No recurrence: effective, and only now closed-effective.
  const checkWork = await carryOut(check);
  const effective = await eventually(async () => {
    const f = await finding(recorded.id);
    return f.closedEffective && f;
  });
  expect(effective).toMatchObject({ status: 'CLOSED', effectiveness: { status: 'EFFECTIVE', workStatus: 'DONE', workItem: { id: checkWork.workItemId }, checkedBy: { id: checker.id } } });
  expect((await eventsOf(compliance, recorded.id, 'finding.effectiveness_checked')).map((e) => e.data)).toEqual([expect.objectContaining({ effective: true, workItemId: checkWork.workItemId })]);

  // It happens again: an auditor reopens it with the reason. Only auditors and HSE may; only a closed finding; a reason is needed.
  const reopen = (caller: Caller, reason = 'Label missing again at the 2027 audit') =>
    q(`mutation($id: ID!, $r: String!) { reopenAuditFinding(id: $id, reason: $r) { ${FINDING} } }`, { id: recorded.id, r: reason }, caller);
  expectError(await reopen(people.supervisor), 'FORBIDDEN');
  expectError(await reopen(crew.auditor, '  '), 'BAD_USER_INPUT');
  expect(await finding(recorded.id)).toEqual(effective);
  const reopened = ok(await reopen(crew.auditor)).reopenAuditFinding;
  expect(reopened).toMatchObject({ status: 'OPEN', reopenCount: 1, closedEffective: false, closedAt: null });
  expect(reopened.history.at(-1)).toEqual({ action: 'REOPENED', fromStatus: 'CLOSED', toStatus: 'OPEN', actor: { id: crew.auditor.id }, note: 'Label missing again at the 2027 audit', workItem: null });
  expectError(await reopen(crew.auditor), 'ILLEGAL_TRANSITION');
  expect((await eventsOf(compliance, recorded.id, 'finding.reopened')).map((e) => e.data)).toEqual([expect.objectContaining({ trigger: 'PERSON', actorId: crew.auditor.id })]);
  // The loop starts again: a new action may be added, and closing needs it verified.
  ok(await q(`mutation($id: ID!) { addFindingAction(findingId: $id, input: { title: "Engrave the label" }) { id } }`, { id: recorded.id }, crew.auditor));
  expectError(await close({ d: 30 }), 'PREREQUISITES_OPEN');
  expect(await compliance.db.getRepository(AuditFinding).countBy({ id: recorded.id, status: 'OPEN' })).toBe(1);
  expect(await compliance.db.getRepository(ComplianceObligation).countBy({ siteId: places.siteId, status: 'NOT_MET' })).toBe(1); // the first test's, untouched
});
