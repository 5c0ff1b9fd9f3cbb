import { randomUUID } from 'node:crypto';
import { eventually, expectAlikeNotFound, expectError, notFoundShape, ok, person, recordedEvents, startTestGateway, startTestService, untilPlacesKnown, type TestGateway, type TestService } from '@opsgraph/testing';
import { untilWorkItemsKnown } from '../../permits/test/fixtures';
import { service as permitsService } from '../../permits/src/service';
import { service as workService } from '../../work/src/service';
import { seedPlant, type Plant } from '../../work/test/fixtures';
import { service as changeService } from '../src/service';
import { changeInput, check, crew } from './fixtures';

/**
 * Start-up after a change, through the gateway with Work, Permits and change each running their relay and
 * consumer on real Kafka: a pre-startup check that needs a permit is blocked until an issued permit names its
 * work item; once every check is verified the answer to "may we restart line L3?" (asked by codes, as a plant
 * asks) says exactly what remains, the start-up authorization, and who may give it; the authorization is its
 * own step with its own role and separation of duties, recorded with the verified checks it rests on.
 */

let work: TestService;
let permits: TestService;
let change: TestService;
let gateway: TestGateway;
let plant: Plant;
let other: Plant;

/** The change's requester is a supervisor and its owner a verifier: both hold the authorizing role. */
const requester = crew.supervisor2;
const owner = crew.engineer;
const issuer = person('00000000-0000-4000-8000-0000000000d1', 'permit_issuer');

beforeAll(async () => {
  [work, permits, change] = await Promise.all([startTestService(workService), startTestService(permitsService), startTestService(changeService)]);
  gateway = await startTestGateway({ work: work.url, permits: permits.url, change: change.url });
  plant = await seedPlant(work, 'PSU');
  other = await seedPlant(work, 'OTH');
  await untilPlacesKnown(change.db, [...Object.values(plant), ...Object.values(other)]); // Work's registry reaches change by events
  await untilPlacesKnown(permits.db, [plant.siteId, plant.assetId]);
}, 60_000);
afterAll(async () => {
  await gateway?.stop();
  await Promise.all([change?.stop(), permits?.stop(), work?.stop()]);
});

const q = <T = any>(query: string, variables: Record<string, unknown> = {}, caller = crew.admin) => gateway.query<T>(query, variables, caller);
/** Someone who works at the plant's site only. */
const atPlant = () => person(crew.supervisor.id, 'supervisor', [plant.siteId]);

const BY_CODE = `query($s: ID, $a: String, $l: String) { restartReadiness(siteId: $s, areaCode: $a, lineCode: $l) {
  mayRestart answer site { id } area { id } line { id }
  blockers { kind description authorizerRoles workStatus workStatusAsOf change { number status } check { title } workItem { id } } } }`;

const AUTHORIZE = `mutation($id: ID!, $note: String!, $v: Int) { authorizeStartup(id: $id, note: $note, expectedVersion: $v) { status version } }`;

const CHANGE_VIEW = `query($id: ID!) { changeRequest(id: $id) {
  status version
  preStartupChecks { id title permitRequired workStatus workStatusAsOf done workItem { id number } }
  startupAuthorization { authorizedBy { id } authorizedAt note verifiedChecks { check { id } title workItem { id } workItemNumber verifiedAt verifiedBy { id } } }
  history { to actor { id } note }
} }`;

const checkEvidence = (questions: string[]) => [
  { kind: 'CHECKLIST', label: 'Pre-startup confirmations', answers: questions.map((question) => ({ question, answer: 'yes' })) },
  { kind: 'SIGNATURE', label: 'Released for restart', text: 'Olga Operator' },
];

/** Starts, completes with the evidence the check asks for, and verifies a check's work item through Work. */
async function carryOut(workItemId: string) {
  const needs = ok(await q(`query($id: ID!) { workItem(id: $id) { requiredOutcome { evidence { label questions } } } }`, { id: workItemId })).workItem.requiredOutcome.evidence;
  const questions: string[] = needs.find((e: { label: string }) => e.label === 'Pre-startup confirmations').questions;
  ok(await q(`mutation($id: ID!) { startWork(id: $id) { id } }`, { id: workItemId }, crew.technician));
  ok(await q(`mutation($id: ID!, $e: [EvidenceInput!]!) { completeWork(id: $id, evidence: $e) { id } }`, { id: workItemId, e: checkEvidence(questions) }, crew.technician));
  ok(await q(`mutation($id: ID!) { verifyWork(id: $id, accept: true) { id status } }`, { id: workItemId }, crew.verifier));
}

/** A line-breaking permit covering the items, requested by a supervisor and taken to ISSUED through the gateway. */
async function issuedPermit(workItemIds: string[]) {
  await untilWorkItemsKnown(permits, workItemIds); // Permits checks the items a permit names against Work's events
  const permit = ok(await q(`mutation($i: CreatePermitInput!) { createPermit(input: $i) { id number isolations { id } } }`, {
    i: {
      type: 'LINE_BREAKING', description: 'Leak test of the new infeed valve with product', siteId: plant.siteId, siteCode: 'PSU', assetIds: [plant.assetId], workItemIds,
      validTo: new Date(Date.now() + 8 * 3600_000).toISOString(), precautions: ['Drain and flush before opening'],
      isolations: [{ assetId: plant.assetId, point: 'Infeed block valve XV-12', method: 'VALVE_LOCKED_CLOSED' }],
    },
  }, crew.supervisor)).createPermit;
  return {
    ...permit,
    issue: async () => {
      ok(await q(`mutation($id: ID!) { requestPermit(id: $id) { id } }`, { id: permit.id }, crew.supervisor));
      ok(await q(`mutation($id: ID!) { approvePermit(id: $id) { id } }`, { id: permit.id }, crew.hse));
      ok(await q(`mutation($id: ID!) { applyIsolation(id: $id, tag: "L-12") { id } }`, { id: permit.isolations[0].id }, crew.technician));
      ok(await q(`mutation($id: ID!) { verifyIsolation(id: $id) { id } }`, { id: permit.isolations[0].id }, issuer));
      ok(await q(`mutation($id: ID!, $pa: ID!) { issuePermit(id: $id, performingAuthorityId: $pa) { status } }`, { id: permit.id, pa: crew.technician.id }, issuer));
    },
  } as { id: string; number: string; issue: () => Promise<void> };
}

const itemOf = async (id: string) =>
  ok(await q(`query($id: ID!) { workItem(id: $id) { status blocked description links { domain recordId relation } prerequisites { kind state sourceDomain sourceRecordId description reason } } }`, { id })).workItem;

test('a check needing a permit waits for an issued one; then the answer names the start-up authorization, which its own role gives, recorded with the verified checks', async () => {
  const created = ok(await q(`mutation($i: CreateChangeRequestInput!) { createChangeRequest(input: $i) { id number } }`, {
    i: changeInput(plant, {
      ownerId: owner.id,
      preStartupChecks: [
        check('Inspect line 3 before restart', { lineId: plant.lineId }),
        check('Leak test the new valve', { assetId: plant.assetId, permitRequired: true, permitNote: 'line breaking permit for the test with product' }),
        check('Operators briefed', { lineId: plant.lineId, confirmations: ['Shift A and B briefed?'] }),
      ],
    }),
  }, requester)).createChangeRequest;
  const id = created.id;
  ok(await q(`mutation($id: ID!) { submitChangeRequest(id: $id) { status } }`, { id }, requester));
  ok(await q(`mutation($id: ID!) { startChangeReview(id: $id) { status } }`, { id }, crew.hse));
  for (const [role, who] of [['OPERATIONS', crew.supervisor], ['ENGINEERING', owner], ['SAFETY', crew.hse]] as const) {
    ok(await q(`mutation($id: ID!, $r: ChangeApproverRole!) { approveChangeRequest(id: $id, role: $r) { status } }`, { id, r: role }, who));
  }
  ok(await q(`mutation($id: ID!) { startChangeImplementation(id: $id) { status } }`, { id }, requester));
  expectError(await q(AUTHORIZE, { id, note: 'too early' }, crew.supervisor), 'ILLEGAL_TRANSITION'); // still implementing
  ok(await q(`mutation($id: ID!) { startPreStartupReview(id: $id) { status } }`, { id }, requester));
  const checks = await eventually(async () => {
    const view = ok(await q(CHANGE_VIEW, { id })).changeRequest;
    return view.preStartupChecks.every((c: { workItem: unknown }) => c.workItem) && view.preStartupChecks;
  });
  const [inspect, leak, briefed] = checks as { id: string; title: string; workItem: { id: string; number: string }; workStatusAsOf: string }[];
  for (const c of checks) expect(Date.parse(c.workStatusAsOf)).not.toBeNaN();

  // The permit check is blocked by a "valid permit" prerequisite of its own; the others are ready.
  const blocked = await eventually(async () => {
    const item = await itemOf(leak.workItem.id);
    return item.prerequisites.length && item;
  });
  expect(blocked).toMatchObject({ status: 'OPEN', blocked: true });
  expect(blocked.prerequisites).toEqual([
    expect.objectContaining({ kind: 'PERMIT_VALID', state: 'OPEN', sourceDomain: 'CHANGE', sourceRecordId: leak.id, description: expect.stringContaining('line breaking permit for the test with product') }),
  ]);
  expectError(await q(`mutation($id: ID!) { startWork(id: $id) { id } }`, { id: leak.workItem.id }, crew.technician), 'PREREQUISITES_OPEN');
  // Its text names no raw id: the requester and owner (and documents) are structured links.
  expect(blocked.description).toContain("Who asked: the change's requester and its owner (linked on this work item)");
  expect(blocked.description).toContain('blocked until an issued permit to work covers this work item');
  expect(blocked.description).not.toMatch(/[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-/);
  expect(blocked.links).toEqual([
    { domain: 'COMPETENCE', recordId: requester.id, relation: 'requested the change' },
    { domain: 'COMPETENCE', recordId: owner.id, relation: 'owns the change' },
  ]);

  // "May we restart line L3 in PACK?": no; each open check says where its work item stood, and as of when.
  const open = ok(await q(BY_CODE, { s: plant.siteId, a: 'PACK', l: 'L3' }, atPlant())).restartReadiness;
  expect(open).toMatchObject({ mayRestart: false, site: { id: plant.siteId }, area: { id: plant.areaId }, line: { id: plant.lineId } });
  expect(open.blockers.map((b: { kind: string }) => b.kind)).toEqual(['CHANGE_IN_PROGRESS', 'PRE_STARTUP_CHECK_OPEN', 'PRE_STARTUP_CHECK_OPEN', 'PRE_STARTUP_CHECK_OPEN']);
  expect(open.blockers[0].description).toBe(`${created.number} "Replace filler infeed valve on line 3" is in its pre-startup safety review: 0 of 3 pre-startup check(s) verified done; then start-up is authorized by an engineering or operations lead (a supervisor or verifier), not the change's requester or owner`);
  const leakBlocker = open.blockers.find((b: { check: { title: string } | null }) => b.check?.title === 'Leak test the new valve');
  expect(leakBlocker.description).toMatch(new RegExp(`^Pre-startup check "Leak test the new valve" of ${created.number} is not verified done \\(${leak.workItem.number} was (OPEN|READY) as of \\d{4}-\\d\\d-\\d\\dT`));
  expect(Date.parse(leakBlocker.workStatusAsOf)).not.toBeNaN();
  expect(open.answer).toMatch(/^No: 4 thing\(s\) stand in the way of restarting line L3 in area PACK: /);

  // Refused while checks are open: the message states no status as current either; nothing is written.
  const early = expectError(await q(AUTHORIZE, { id, note: 'PSSR complete' }, crew.supervisor), 'PREREQUISITES_OPEN');
  expect(early.message).toMatch(/3 pre-startup check\(s\) not verified done: "Inspect line 3 before restart" \(.+ was (OPEN|READY) as of /);
  expect(early.extensions?.checks).toHaveLength(3);
  expect(ok(await q(CHANGE_VIEW, { id })).changeRequest).toMatchObject({ status: 'PRE_STARTUP_REVIEW', startupAuthorization: null });

  // A permit naming the check's work item: drafted it blocks still; issued, it satisfies the check's blocker.
  const permit = await issuedPermit([leak.workItem.id]);
  await eventually(async () => (await itemOf(leak.workItem.id)).prerequisites.some((p: { sourceDomain: string }) => p.sourceDomain === 'PERMITS'));
  expect((await itemOf(leak.workItem.id)).status).toBe('OPEN');
  await permit.issue();
  const released = await eventually(async () => {
    const item = await itemOf(leak.workItem.id);
    return item.status === 'READY' && item;
  });
  expect(released.prerequisites).toEqual(expect.arrayContaining([
    expect.objectContaining({ kind: 'PERMIT_VALID', state: 'SATISFIED', sourceDomain: 'CHANGE', sourceRecordId: leak.id, reason: `${permit.number} issued, covering ${leak.workItem.number}` }),
    expect.objectContaining({ kind: 'PERMIT_VALID', state: 'SATISFIED', sourceDomain: 'PERMITS', sourceRecordId: permit.id }),
  ]));

  // Every check verified in Work: what remains is the authorization, and the answer says who may give it.
  for (const c of [inspect, leak, briefed]) await carryOut(c.workItem.id);
  const awaiting = await eventually(async () => {
    const r = ok(await q(BY_CODE, { s: plant.siteId, a: 'PACK', l: 'L3' }, atPlant())).restartReadiness;
    return r.blockers.length === 1 && r.blockers[0].kind === 'AWAITING_STARTUP_AUTHORIZATION' && r;
  });
  expect(awaiting.mayRestart).toBe(false);
  expect(awaiting.blockers[0]).toMatchObject({
    description: `${created.number} "Replace filler infeed valve on line 3": all 3 pre-startup check(s) verified; awaiting start-up authorization by an engineering or operations lead (a supervisor or verifier), not the change's requester or owner`,
    authorizerRoles: ['supervisor', 'verifier'],
    change: { number: created.number, status: 'PRE_STARTUP_REVIEW' },
  });
  expect(awaiting.answer).toBe(`No: 1 thing(s) stand in the way of restarting line L3 in area PACK: ${awaiting.blockers[0].description}`);
  expectError(await q(`mutation($id: ID!) { closeChangeRequest(id: $id) { status } }`, { id }, requester), 'ILLEGAL_TRANSITION');

  // Who may not authorize: a technician (no such role), the requester and the owner (they drove the change).
  const before = ok(await q(CHANGE_VIEW, { id })).changeRequest;
  const outbox = async () => (await recordedEvents(change, id)).length;
  const events = await outbox();
  expectError(await q(AUTHORIZE, { id, note: 'PSSR complete' }, crew.technician), 'FORBIDDEN');
  const self = expectError(await q(AUTHORIZE, { id, note: 'PSSR complete' }, requester), 'SEPARATION_OF_DUTIES');
  expect(self.message).toContain("not the change's requester or owner");
  expectError(await q(AUTHORIZE, { id, note: 'PSSR complete' }, owner), 'SEPARATION_OF_DUTIES');
  expectError(await q(AUTHORIZE, { id, note: 'PSSR complete', v: before.version - 1 }, crew.supervisor), 'CONFLICT');
  expectError(await q(AUTHORIZE, { id, note: '  ' }, crew.supervisor), 'BAD_USER_INPUT');
  expect(ok(await q(CHANGE_VIEW, { id })).changeRequest).toEqual(before);
  expect(await outbox()).toBe(events);

  // An operations lead authorizes: recorded with the evidence, published, and the answer turns to yes.
  const authorized = ok(await q(AUTHORIZE, { id, note: 'PSSR walked down with shift A; release line 3', v: before.version }, crew.supervisor)).authorizeStartup;
  expect(authorized.status).toBe('STARTUP_AUTHORIZED');
  const record = ok(await q(CHANGE_VIEW, { id })).changeRequest;
  expect(record.startupAuthorization).toMatchObject({ authorizedBy: { id: crew.supervisor.id }, note: 'PSSR walked down with shift A; release line 3' });
  expect(record.startupAuthorization.verifiedChecks).toEqual([inspect, leak, briefed].map((c) => ({
    check: { id: c.id }, title: c.title, workItem: { id: c.workItem.id }, workItemNumber: c.workItem.number, verifiedAt: expect.any(String), verifiedBy: { id: crew.verifier.id },
  })));
  expect(record.history.at(-1)).toEqual({ to: 'STARTUP_AUTHORIZED', actor: { id: crew.supervisor.id }, note: 'PSSR walked down with shift A; release line 3' });
  const [fact] = await recordedEvents(change, id, 'change_request.startup_authorized');
  expect(fact.data).toMatchObject({ changeId: id, status: 'STARTUP_AUTHORIZED', actorId: crew.supervisor.id, verifiedChecks: expect.arrayContaining([expect.objectContaining({ checkId: leak.id, workItemNumber: leak.workItem.number, verifierId: crew.verifier.id })]) });
  expect(ok(await q(BY_CODE, { s: plant.siteId, a: 'PACK', l: 'L3' }, atPlant())).restartReadiness).toMatchObject({
    mayRestart: true, blockers: [], answer: 'Yes: no change in progress and no open pre-startup check stands in the way of restarting line L3 in area PACK',
  });

  // Once only; then the change is closed out after start-up.
  expectError(await q(AUTHORIZE, { id, note: 'again' }, crew.hse), 'FORBIDDEN');
  expectError(await q(AUTHORIZE, { id, note: 'again' }, crew.verifier), 'ILLEGAL_TRANSITION');
  expect(ok(await q(`mutation($id: ID!) { closeChangeRequest(id: $id, note: "drawings and SOP updated") { status } }`, { id }, requester)).closeChangeRequest.status).toBe('CLOSED');
}, 120_000);

test('"may we restart?" by codes within a site: unknown, another site\'s or out-of-scope codes are not found like random ones; a code two areas share needs the area', async () => {
  // The area alone, by code: everything in it.
  const area = ok(await q(BY_CODE, { s: plant.siteId, a: 'UTIL' }, atPlant())).restartReadiness;
  expect(area).toMatchObject({ mayRestart: true, area: { id: plant.otherAreaId }, line: null, answer: expect.stringContaining('restarting area UTIL') });

  // A line code known only at another site is answered as a code no one has.
  const lineNamed = async (code: string) => notFoundShape(await q(BY_CODE, { s: plant.siteId, l: code }, atPlant()), code);
  await createLine(other.otherAreaId, 'L7');
  await eventually(async () => (await change.db.query(`SELECT 1 FROM known_location WHERE code = 'L7'`)).length > 0);
  expect(await lineNamed('L7')).toEqual(await lineNamed(`L-${randomUUID().slice(0, 8)}`));
  // Another site's, or one out of the caller's scope, is a random site.
  const outbox = async () => (await recordedEvents(change)).length;
  await expectAlikeNotFound((siteId) => q(BY_CODE, { s: siteId, l: 'L3' }, atPlant()), other.siteId, outbox);
  expect(ok(await q(BY_CODE, { s: other.siteId, l: 'L3' }, person(crew.supervisor.id, 'supervisor', [other.siteId]))).restartReadiness.line).toEqual({ id: other.lineId });

  // A code needs its site; ids and codes of one level are not mixed.
  expectError(await q(BY_CODE, { l: 'L3' }, atPlant()), 'BAD_USER_INPUT');
  expectError(await q(`query($s: ID, $l: ID) { restartReadiness(siteId: $s, lineId: $l, lineCode: "L3") { mayRestart } }`, { s: plant.siteId, l: plant.lineId }, atPlant()), 'BAD_USER_INPUT');

  // Line codes are unique per area only: two areas with an L3 need the area's code.
  const second = await createLine(plant.otherAreaId, 'L3');
  await untilPlacesKnown(change.db, [second]);
  const ambiguous = expectError(await q(BY_CODE, { s: plant.siteId, l: 'L3' }, atPlant()), 'BAD_USER_INPUT');
  expect(ambiguous.message).toContain("give the area's code too");
  expect(ok(await q(BY_CODE, { s: plant.siteId, a: 'UTIL', l: 'L3' }, atPlant())).restartReadiness).toMatchObject({ area: { id: plant.otherAreaId }, line: { id: second } });
  expect(ok(await q(BY_CODE, { s: plant.siteId, a: 'PACK', l: 'L3' }, atPlant())).restartReadiness.line).toEqual({ id: plant.lineId });
}, 60_000);

async function createLine(areaId: string, code: string): Promise<string> {
  return ok(await q(`mutation($i: CreateLineInput!) { createLine(input: $i) { id } }`, { i: { areaId, code, name: `Line ${code}` } })).createLine.id;
}
