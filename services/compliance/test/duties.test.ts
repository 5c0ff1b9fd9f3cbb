import { randomUUID } from 'node:crypto';
import { TrackedWorkItem, type Caller } from '@opsgraph/core';
import { OutboxEvent } from '@opsgraph/events';
import { eventually, expectError, fakeWork, ok, people, person, startTestGateway, type FakeWorkItem, type TestGateway, type TestService } from '@opsgraph/testing';
import { WorkPerformer } from '@opsgraph/core';
import { FINDING_FIELDS, knowAll, newPlaces, startCompliance, vesselInspection, type Places } from './fixtures';

/**
 * Separation of duties in compliance, through the real gateway, with Work's events published as Work would:
 * a compliance check on work is never confirmed by the work's owner or by whoever started or completed it,
 * and a finding is never closed by whoever recorded it, owns one of its corrective actions or did one.
 * Each refusal is SEPARATION_OF_DUTIES and changes nothing.
 */
let compliance: TestService;
let gateway: TestGateway;
let work: ReturnType<typeof fakeWork>;
let places: Places;

const staff = {
  auditor: person('00000000-0000-4000-8000-0000000000d1', 'auditor'),
  /** Owns a corrective action as the finding asked for it. */
  actionOwner: person('00000000-0000-4000-8000-0000000000d2', 'hse'),
  /** Was given the other corrective action's work item in Work. */
  assignee: person('00000000-0000-4000-8000-0000000000d3', 'hse'),
  /** Started and completed a corrective action (a technician who is also HSE). */
  doer: person('00000000-0000-4000-8000-0000000000d4', ['technician', 'hse']),
  closer: person('00000000-0000-4000-8000-0000000000d5', 'hse'),
  /** Owns the gated work item; also a verifier. */
  workOwner: person('00000000-0000-4000-8000-0000000000d6', ['technician', 'verifier']),
  /** Started the gated work item; also a verifier. */
  performer: person('00000000-0000-4000-8000-0000000000d7', ['technician', 'verifier']),
  checker: person('00000000-0000-4000-8000-0000000000d8', 'verifier'),
};

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

const gql = (caller: Caller, query: string, variables: Record<string, unknown> = {}) => gateway.query(query, variables, caller);
const events = () => compliance.db.getRepository(OutboxEvent).count();

/** A status change of a work item as Work publishes it, with who acted (and did the work). */
const transition = (item: FakeWorkItem, type: string, from: string, to: string, actorId: string, extra: Record<string, unknown> = {}) =>
  work.publish(type, {
    workItemId: item.workItemId, number: 'TST-000001', workType: item.workType, status: to, siteId: item.siteId, areaId: item.areaId ?? null, lineId: null, assetId: item.assetId ?? null,
    sourceDomain: item.sourceDomain, sourceRecordId: item.sourceRecordId, from, to, actorId, note: null, ...extra,
  });
const started = (item: FakeWorkItem, by: Caller) => transition(item, 'work_item.started', 'READY', 'IN_PROGRESS', by.id, { performerId: by.id });
const completed = (item: FakeWorkItem, by: Caller) => transition(item, 'work_item.completed', 'IN_PROGRESS', 'AWAITING_VERIFICATION', by.id, { performerId: by.id, evidenceCount: 0 });
const performersOf = (workItemId: string) => compliance.db.getRepository(WorkPerformer).findBy({ workItemId });

test('a compliance check is never confirmed by the owner of the work or by whoever started it', async () => {
  const requirement = ok(await gql(people.admin, `mutation($i: CreateRequirementInput!) { createRequirement(input: $i) { id } }`, {
    i: vesselInspection(places.siteId, [], { recurrenceMonths: null, assetClasses: [], workTypes: ['MAINTENANCE'], workCheck: 'Pressure test certificate before handover' }),
  })).createRequirement;
  // The requirement was recorded before the work: the check is raised when Work reports the item.
  const item: FakeWorkItem = { workItemId: randomUUID(), workType: 'MAINTENANCE', siteId: places.siteId, areaId: places.areaId, ownerId: staff.workOwner.id, sourceDomain: 'MANUAL', sourceRecordId: null };
  await work.created(item);
  await started(item, staff.performer);
  await eventually(async () => (await performersOf(item.workItemId)).length === 1);

  const CHECKS = `query($id: ID!) { requirement(id: $id) { checks { workItem { id } status confirmedBy { id } confirmedAt note } } }`;
  const snapshot = async () => [ok(await gql(people.admin, CHECKS, { id: requirement.id })).requirement.checks, await events()];
  const confirm = (caller: Caller) => gql(caller, `mutation($r: ID!, $w: ID!) { confirmComplianceCheck(requirementId: $r, workItemId: $w, note: "certificate TC-17 seen") { status confirmedBy { id } } }`, { r: requirement.id, w: item.workItemId });
  for (const [caller, part] of [[staff.workOwner, 'OWNER'], [staff.performer, 'PERFORMER']] as const) {
    const before = await snapshot();
    expect(expectError(await confirm(caller), 'SEPARATION_OF_DUTIES').extensions?.part).toBe(part);
    expect(await snapshot()).toEqual(before);
  }
  expect(ok(await confirm(staff.checker)).confirmComplianceCheck).toEqual({ status: 'CONFIRMED', confirmedBy: { id: staff.checker.id } });
});

test('a finding is never closed by whoever recorded it, owns one of its corrective actions, or did one', async () => {
  const audit = ok(await gql(staff.auditor, `mutation($i: RecordAuditInput!) { recordAudit(input: $i) { id } }`, {
    i: { title: 'Utilities audit', siteId: places.siteId, scope: 'Pressure systems', auditDate: new Date().toISOString() },
  })).recordAudit;
  const finding = ok(await gql(staff.auditor, `mutation($i: RecordAuditFindingInput!) { recordAuditFinding(input: $i) { id number } }`, {
    i: { auditId: audit.id, severity: 'MINOR', description: 'Safety valve on V-101 past its test date', correctiveActions: [{ title: 'Replace the safety valve', ownerId: staff.actionOwner.id }, { title: 'Add valve test dates to the plan' }] },
  })).recordAuditFinding;

  // Work raises both actions; the second is given to the assignee and done by the doer; both are verified.
  const items: FakeWorkItem[] = [staff.actionOwner, staff.assignee].map((owner, i) => ({
    workItemId: randomUUID(), workType: 'CORRECTIVE_ACTION', siteId: places.siteId, ownerId: owner.id, sourceDomain: 'COMPLIANCE', sourceRecordId: finding.id, workRequestId: `compliance:finding:${finding.id}:action:${i + 1}`,
  }));
  for (const item of items) await work.created(item);
  await started(items[1], staff.doer);
  await completed(items[1], staff.doer);
  for (const item of items) await work.verified(item);
  await eventually(async () => {
    const tracked = await compliance.db.getRepository(TrackedWorkItem).findBy(items.map((i) => ({ workItemId: i.workItemId })));
    return tracked.length === items.length && tracked.every((t) => t.status === 'DONE');
  });
  expect(await performersOf(items[1].workItemId)).toEqual([{ workItemId: items[1].workItemId, personId: staff.doer.id }]);

  const snapshot = async () => [ok(await gql(people.admin, `query($id: ID!) { auditFinding(id: $id) { ${FINDING_FIELDS} closedBy { id } } }`, { id: finding.id })).auditFinding, await events()];
  const close = (caller: Caller) => gql(caller, `mutation($id: ID!) { closeAuditFinding(id: $id, note: "valve replaced, plan updated") { status closedBy { id } } }`, { id: finding.id });
  expect((await snapshot())[0]).toMatchObject({ status: 'OPEN', closable: true });
  for (const [caller, part] of [[staff.auditor, 'RECORDER'], [staff.actionOwner, 'ACTION_OWNER'], [staff.assignee, 'ACTION_OWNER'], [staff.doer, 'ACTION_PERFORMER']] as const) {
    const before = await snapshot();
    const err = expectError(await close(caller), 'SEPARATION_OF_DUTIES');
    expect(err.extensions?.part).toBe(part);
    if (part === 'RECORDER') expect(err.message).toBe(`whoever recorded ${finding.number} cannot close it`);
    expect(await snapshot()).toEqual(before);
  }
  expect(ok(await close(staff.closer)).closeAuditFinding).toEqual({ status: 'CLOSED', closedBy: { id: staff.closer.id } });
});
