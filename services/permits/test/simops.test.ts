import { readFileSync } from 'node:fs';
import path from 'node:path';
import { parse, type EnumTypeDefinitionNode } from 'graphql';
import { DomainError } from '@opsgraph/core';
import { asCaller, eventually, expectError, ok, people, person, recordedEvents, startTestGateway, startTestService, untilPlacesKnown, type TestGateway, type TestService } from '@opsgraph/testing';
import { seedPlant, type Plant } from '../../work/test/fixtures';
import { service as workService } from '../../work/src/service';
import { service as permitsService } from '../src/service';
import { checkSimultaneousOperations } from '../src/domain/simops';
import { PERMIT_TYPES, SIMOPS_PROXIMITIES, SIMOPS_TABLE, simopsRule } from '../src/domain/simops-table';
import type { Permit } from '../src/entities';
import { untilWorkItemsKnown } from './fixtures';

/**
 * Simultaneous operations: Work and Permits behind the real gateway, Permits learning Work's places and items
 * from its events. A permit is issued beside a conflicting live permit only with the issuer's decision, and
 * both permits (and so both jobs) show the conflict.
 */
let work: TestService;
let permits: TestService;
let gateway: TestGateway;

const issuer = person('00000000-0000-4000-8000-0000000005a1', 'permit_issuer');
const hse = person('00000000-0000-4000-8000-0000000005a2', 'hse');
const auditor = person('00000000-0000-4000-8000-0000000005a3', 'auditor');
const tom = people.technician;

const gql = async <T = any>(query: string, variables: Record<string, unknown> = {}, caller = people.supervisor) => ok(await gateway.query<T>(query, variables, caller));

beforeAll(async () => {
  [work, permits] = await Promise.all([startTestService(workService), startTestService(permitsService)]);
  gateway = await startTestGateway({ work: work.url, permits: permits.url });
}, 60_000);
afterAll(async () => {
  await gateway?.stop();
  await Promise.all([work?.stop(), permits?.stop()]);
});

// ---------- the table ----------

describe('the conflict table', () => {
  const schemaTypes = () => {
    const sdl = parse(readFileSync(path.join(__dirname, '../src/schema.graphql'), 'utf8'));
    const e = sdl.definitions.find((d): d is EnumTypeDefinitionNode => d.kind === 'EnumTypeDefinition' && d.name.value === 'PermitType')!;
    return e.values!.map((v) => v.name.value);
  };

  test('has exactly one row for every pair of permit types, each with its reason', () => {
    expect(schemaTypes()).toEqual([...PERMIT_TYPES]); // the GraphQL enum and the contract list agree
    const missing: string[] = [];
    for (const a of schemaTypes()) {
      for (const b of schemaTypes()) {
        const rows = SIMOPS_TABLE.filter((r) => (r.types[0] === a && r.types[1] === b) || (r.types[0] === b && r.types[1] === a));
        if (rows.length !== 1) missing.push(`${a} × ${b}: ${rows.length} rows`);
        else {
          expect(rows[0].why.length).toBeGreaterThan(20);
          expect([null, ...SIMOPS_PROXIMITIES]).toContain(rows[0].conflictWithin);
          expect(simopsRule(a as never, b as never)).toBe(rows[0]);
        }
      }
    }
    expect(missing).toEqual([]);
    const n = PERMIT_TYPES.length;
    expect(SIMOPS_TABLE).toHaveLength((n * (n + 1)) / 2); // no row for a type that does not exist
  });

  test('README.md documents the table as it is enforced', () => {
    const readme = readFileSync(path.join(__dirname, '../../../README.md'), 'utf8');
    const CELL = { ASSET: 'asset', LINE: 'line', AREA: 'area' } as const;
    for (const a of PERMIT_TYPES) {
      const row = readme.split('\n').find((line) => line.startsWith(`| ${a} |`) && line.split('|').length === PERMIT_TYPES.length + 3);
      expect(row).toBeDefined();
      const cells = row!.split('|').slice(2, -1).map((c) => c.trim());
      expect(cells).toEqual(PERMIT_TYPES.map((b) => { const w = simopsRule(a, b).conflictWithin; return w ? CELL[w] : '—'; }));
    }
  });
});

// ---------- through the gateway ----------

interface Place extends Plant {
  /** A second pump on the same line as the plant's P-301. */
  pump2Id: string;
  /** A vessel in the other area (UTIL). */
  vesselId: string;
  code: string;
}

let sites = 0;
async function plant(): Promise<Place> {
  const code = `SO${++sites}`;
  const p = await seedPlant(work, code);
  const asset = async (input: Record<string, unknown>) => ok(await work.query(`mutation($i: CreateAssetInput!) { createAsset(input: $i) { id } }`, { i: { siteId: p.siteId, ...input } }, people.admin)).createAsset.id as string;
  const pump2Id = await asset({ lineId: p.lineId, code: 'P-302', name: 'Second feed pump' });
  const vesselId = await asset({ areaId: p.otherAreaId, code: 'V-101', name: 'Air receiver' });
  await untilPlacesKnown(permits.db, [p.siteId, p.areaId, p.otherAreaId, p.lineId, p.assetId, pump2Id, vesselId]);
  return { ...p, pump2Id, vesselId, code };
}

async function job(p: Place, title: string, assetId: string, contractorCompany?: string) {
  const item = (await gql(`mutation($i: CreateWorkItemInput!) { createWorkItem(input: $i) { id } }`, { i: { type: contractorCompany ? 'CONTRACTOR_JOB' : 'MAINTENANCE', title, siteId: p.siteId, assetId, contractorCompany } })).createWorkItem;
  await untilWorkItemsKnown(permits, [item.id]);
  return item.id as string;
}

const hours = (n: number) => new Date(Date.now() + n * 3600_000).toISOString();

/** A permit drafted, requested and approved (and gas tested for confined space): ready to issue. */
async function approved(p: Place, type: string, input: Record<string, unknown>, requester = people.supervisor) {
  const permit = (await gql(`mutation($i: CreatePermitInput!) { createPermit(input: $i) { id number } }`, {
    i: { type, description: `${type} job`, siteId: p.siteId, siteCode: p.code, validTo: hours(8), ...input },
  }, requester)).createPermit as { id: string; number: string };
  await gql(`mutation($id: ID!) { requestPermit(id: $id) { id } }`, { id: permit.id }, requester);
  await gql(`mutation($id: ID!) { approvePermit(id: $id) { id } }`, { id: permit.id }, hse);
  if (type === 'CONFINED_SPACE') await gql(`mutation($id: ID!) { recordGasTest(permitId: $id, input: { o2: 20.9, lel: 0, h2s: 0, co: 1 }) { id } }`, { id: permit.id }, hse);
  return permit;
}

const issueDoc = `mutation($id: ID!, $pa: ID, $d: SimopsDecisionInput) { issuePermit(id: $id, performingAuthorityId: $pa, simopsDecision: $d) { id number status } }`;
const tryIssue = (id: string, decision?: { controls: string; conflicts: { permitId: string }[] }, pa = tom.id) => gateway.query(issueDoc, { id, pa, d: decision ?? null }, issuer);

async function live(p: Place, type: string, input: Record<string, unknown>, requester = people.supervisor, pa = tom.id) {
  const permit = await approved(p, type, input, requester);
  expect(ok(await tryIssue(permit.id, undefined, pa)).issuePermit.status).toBe('ISSUED');
  return permit;
}

const SIMOPS = `simultaneousOperations { permit { id number } type status proximity placeId reason decision { permit { number } action controls decidedBy { id } conflictingPermits { number } } }`;
const permitState = async (id: string, caller = people.supervisor) =>
  (await gql(`query($id: ID!) { permit(id: $id) { status version history { to note simopsDecision { action controls conflictingPermits { number } decidedBy { id } } } ${SIMOPS} } }`, { id }, caller)).permit;
const decisions = async () => (await permits.db.query(`SELECT count(*)::int AS n FROM simops_decision`))[0].n as number;

test('hot work is refused while a confined-space entry is live on the same asset; nothing is written', async () => {
  const p = await plant();
  const entry = await live(p, 'CONFINED_SPACE', { areaId: p.areaId, assetIds: [p.assetId] });
  const hotWork = await approved(p, 'HOT_WORK', { assetIds: [p.assetId] });
  const before = { state: await permitState(hotWork.id), events: await recordedEvents(permits, hotWork.id), decisions: await decisions() };

  const refused = expectError(await tryIssue(hotWork.id), 'SIMOPS_CONFLICT');
  const why = simopsRule('HOT_WORK', 'CONFINED_SPACE').why;
  expect(refused.extensions!.conflicts).toEqual([
    { permitId: entry.id, number: entry.number, permitType: 'CONFINED_SPACE', status: 'ISSUED', proximity: 'ASSET', placeId: p.assetId, reason: why },
  ]);
  expect(refused.message).toContain(`cannot issue permit ${hotWork.number}`);
  expect(refused.message).toContain(`${entry.number} (confined space, issued) on the same asset`);

  // Nothing changed: the permit, its history, its events, the decisions.
  expect(await permitState(hotWork.id)).toEqual(before.state);
  expect(before.state.status).toBe('APPROVED');
  expect(await recordedEvents(permits, hotWork.id)).toEqual(before.events);
  expect(await decisions()).toBe(before.decisions);
  // The hot work shows what stands in its way before it is issued; the live entry does not count an approved permit.
  expect(before.state.simultaneousOperations).toEqual([
    { permit: { id: entry.id, number: entry.number }, type: 'CONFINED_SPACE', status: 'ISSUED', proximity: 'ASSET', placeId: p.assetId, reason: why, decision: null },
  ]);
  expect((await permitState(entry.id)).simultaneousOperations).toEqual([]);

  // The audit trail marks it refused, not failed (written once the answer is out).
  const trail = await eventually(async () => {
    const [last] = ok(await gateway.query(`query($a: ID) { permitsAuditTrail(actorId: $a, first: 1) { operation outcome errorCode } }`, { a: issuer.id }, auditor)).permitsAuditTrail;
    return last?.errorCode ? last : null;
  });
  expect(trail).toEqual({ operation: 'issuePermit', outcome: 'refused', errorCode: 'SIMOPS_CONFLICT' });
});

test('with the issuer\'s decision it is issued: the decision is recorded, in its history and an event, and both permits and both jobs show the conflict', async () => {
  const p = await plant();
  const [entryJob, weldJob] = [await job(p, 'Inspect P-301 casing from inside', p.assetId), await job(p, 'Weld P-301 bracket', p.assetId)];
  const entry = await live(p, 'CONFINED_SPACE', { areaId: p.areaId, assetIds: [p.assetId], workItemIds: [entryJob] });
  const hotWork = await approved(p, 'HOT_WORK', { areaId: p.areaId, assetIds: [p.assetId], workItemIds: [weldJob] });
  const controls = 'Entrants out and manway closed while welding; continuous LEL monitoring at the manway; fire watch';

  // A decision must name what conflicts, nothing else: a random permit, or one that does not conflict, is bad input.
  const unrelated = await approved(p, 'COLD_WORK', { assetIds: [p.vesselId] });
  for (const id of ['0b0e0b0e-0000-4000-8000-00000000dead', unrelated.id]) {
    const bad = expectError(await tryIssue(hotWork.id, { controls, conflicts: [{ permitId: id }] }), 'BAD_USER_INPUT');
    expect(bad.extensions).toMatchObject({ field: 'simopsDecision.conflicts[0].permitId', id });
  }
  expectError(await tryIssue(hotWork.id, { controls: ' ', conflicts: [{ permitId: entry.id }] }), 'BAD_USER_INPUT');
  expectError(await tryIssue(hotWork.id, { controls, conflicts: [] }), 'BAD_USER_INPUT');
  expect((await permitState(hotWork.id)).status).toBe('APPROVED');

  expect(ok(await tryIssue(hotWork.id, { controls, conflicts: [{ permitId: entry.id }] })).issuePermit.status).toBe('ISSUED');

  const decided = await permitState(hotWork.id);
  expect(decided.history.at(-1)).toEqual({ to: 'ISSUED', note: null, simopsDecision: { action: 'ISSUE', controls, conflictingPermits: [{ number: entry.number }], decidedBy: { id: issuer.id } } });
  const decision = { permit: { number: hotWork.number }, action: 'ISSUE', controls, decidedBy: { id: issuer.id }, conflictingPermits: [{ number: entry.number }] };
  const why = simopsRule('HOT_WORK', 'CONFINED_SPACE').why;
  expect(decided.simultaneousOperations).toEqual([{ permit: { id: entry.id, number: entry.number }, type: 'CONFINED_SPACE', status: 'ISSUED', proximity: 'ASSET', placeId: p.assetId, reason: why, decision }]);
  expect((await permitState(entry.id)).simultaneousOperations).toEqual([{ permit: { id: hotWork.id, number: hotWork.number }, type: 'HOT_WORK', status: 'ISSUED', proximity: 'ASSET', placeId: p.assetId, reason: why, decision }]);

  const facts = (await recordedEvents(permits, hotWork.id)).map((e) => e.type);
  expect(facts.slice(facts.indexOf('permit.issued'))).toEqual(['permit.issued', 'permit.simops_decided', 'prerequisite.satisfied']);
  expect((await recordedEvents(permits, hotWork.id, 'permit.simops_decided'))[0].data).toMatchObject({
    permitId: hotWork.id, action: 'ISSUE', controls, actorId: issuer.id,
    conflicts: [{ permitId: entry.id, number: entry.number, permitType: 'CONFINED_SPACE', proximity: 'ASSET', placeId: p.assetId }],
  });

  // Both jobs, read through Work, show the conflict on their permits.
  const jobs = await gql(`query($a: ID!, $b: ID!) { a: workItem(id: $a) { permits { number simultaneousOperations { permit { number } decision { controls } } } }
                                                     b: workItem(id: $b) { permits { number simultaneousOperations { permit { number } decision { controls } } } } }`, { a: entryJob, b: weldJob });
  expect(jobs.a.permits).toEqual([{ number: entry.number, simultaneousOperations: [{ permit: { number: hotWork.number }, decision: { controls } }] }]);
  expect(jobs.b.permits).toEqual([{ number: hotWork.number, simultaneousOperations: [{ permit: { number: entry.number }, decision: { controls } }] }]);

  // Suspended, the entry is still live (the space may be open); reinstating it decides again.
  await gql(`mutation($id: ID!) { suspendPermit(id: $id, reason: "gas alarm") { id } }`, { id: entry.id }, hse);
  expect((await permitState(hotWork.id)).simultaneousOperations[0]).toMatchObject({ status: 'SUSPENDED', decision: { controls } });
  await gql(`mutation($id: ID!) { recordGasTest(permitId: $id, input: { o2: 20.9, lel: 0, h2s: 0, co: 1 }) { id } }`, { id: entry.id }, hse);
  const reinstate = (d?: unknown) => gateway.query(`mutation($id: ID!, $d: SimopsDecisionInput) { reinstatePermit(id: $id, simopsDecision: $d) { status } }`, { id: entry.id, d: d ?? null }, issuer);
  expect(expectError(await reinstate(), 'SIMOPS_CONFLICT').extensions!.conflicts).toEqual([expect.objectContaining({ permitId: hotWork.id, permitType: 'HOT_WORK', status: 'ISSUED' })]);
  expect(ok(await reinstate({ controls: 'Hot work stopped until the entry ends', conflicts: [{ permitId: hotWork.id }] })).reinstatePermit.status).toBe('ISSUED');
  expect((await permitState(hotWork.id)).simultaneousOperations[0].decision).toMatchObject({ action: 'REINSTATE', controls: 'Hot work stopped until the entry ends', permit: { number: entry.number } });

  // Once one ends, neither shows the other.
  await gql(`mutation($id: ID!) { closePermit(id: $id) { id } }`, { id: hotWork.id }, issuer);
  expect((await permitState(entry.id)).simultaneousOperations).toEqual([]);
  expect((await permitState(hotWork.id)).simultaneousOperations).toEqual([]);
});

test('pairs the table lets be live together issue without a decision: another area, another asset of the line, no place', async () => {
  const p = await plant();
  await live(p, 'CONFINED_SPACE', { areaId: p.areaId, assetIds: [p.assetId] });
  // Hot work in the other area: no place shared with the entry.
  const far = await live(p, 'HOT_WORK', { areaId: p.otherAreaId, assetIds: [p.vesselId] });
  expect((await permitState(far.id)).simultaneousOperations).toEqual([]);
  // Electrical work on the other pump of the line: confined space and electrical conflict on the same asset only.
  const electrical = await live(p, 'ELECTRICAL', { assetIds: [p.pump2Id] });
  expect((await permitState(electrical.id)).simultaneousOperations).toEqual([]);
  // A permit placed nowhere finer than its site is not checked against anything.
  await live(p, 'HOT_WORK', {});
});

test('line breaking: two breaks on one line conflict, on different assets', async () => {
  const p = await plant();
  const first = await live(p, 'LINE_BREAKING', { assetIds: [p.assetId] });
  const second = await approved(p, 'LINE_BREAKING', { assetIds: [p.pump2Id] });
  const refused = expectError(await tryIssue(second.id), 'SIMOPS_CONFLICT');
  expect(refused.extensions!.conflicts).toEqual([expect.objectContaining({ permitId: first.id, proximity: 'LINE', placeId: p.lineId })]);
  // A cold-work job on the vessel in the other area conflicts with neither.
  await live(p, 'COLD_WORK', { assetIds: [p.vesselId] });
});

test('two conflicting permits issued at the same moment: one is issued, the other refused', async () => {
  const p = await plant();
  const [a, b] = [await approved(p, 'HOT_WORK', { assetIds: [p.assetId] }), await approved(p, 'LINE_BREAKING', { assetIds: [p.assetId] })];
  const results = await Promise.all([tryIssue(a.id), tryIssue(b.id)]);
  expect(results.map((r) => (r.errors ? r.errors[0].extensions?.code : r.data!.issuePermit.status)).sort()).toEqual(['ISSUED', 'SIMOPS_CONFLICT']);
});

test("a conflict with another contractor's permit blocks all the same; whoever may not see it is never told which it is", async () => {
  const p = await plant();
  const acme = person('0000000b-0000-4000-8000-0000000005c1', 'contractor', [p.siteId], 'Acme');
  const other = person('0000000b-0000-4000-8000-0000000005c2', 'contractor', [p.siteId], 'Other Co');
  const acmeJob = await job(p, 'Acme: clean the P-301 casing from inside', p.assetId, 'Acme');
  const otherJob = await job(p, 'Other Co: weld the P-301 bracket', p.assetId, 'Other Co');
  const entry = await live(p, 'CONFINED_SPACE', { areaId: p.areaId, assetIds: [p.assetId], workItemIds: [acmeJob], performingAuthorityId: acme.id }, acme, acme.id);
  const hotWork = await approved(p, 'HOT_WORK', { areaId: p.areaId, assetIds: [p.assetId], workItemIds: [otherJob], performingAuthorityId: other.id }, other);

  // The issuer sees both and is told which; Other Co cannot even see Acme's permit exists.
  expectError(await gateway.query(`query($id: ID!) { permit(id: $id) { id } }`, { id: entry.id }, other), 'NOT_FOUND');
  expect(expectError(await tryIssue(hotWork.id, undefined, other.id), 'SIMOPS_CONFLICT').extensions!.conflicts).toEqual([expect.objectContaining({ permitId: entry.id, number: entry.number })]);

  // Were the check asked by someone who may not see Acme's permit (Work's start of Other Co's job, say), it
  // blocks all the same and names nothing: checked in a transaction as that contractor.
  const hotWorkRow = (await permits.db.query(`SELECT id, number, type, status, site_id AS "siteId", area_id AS "areaId", asset_ids AS "assetIds" FROM permit WHERE id = $1`, [hotWork.id]))[0] as Permit;
  const asOther = (decision: { controls: string; permitIds: string[] } | null) =>
    asCaller(permits.db, other, (manager) => manager.transaction((m) => checkSimultaneousOperations({ manager: m, caller: other, now: new Date() }, hotWorkRow, decision, 'start work under')));
  const hidden = await asOther(null).catch((e: unknown) => e);
  expect(hidden).toBeInstanceOf(DomainError);
  expect((hidden as DomainError).code).toBe('SIMOPS_CONFLICT');
  expect((hidden as DomainError).details.conflicts).toEqual([
    { permitId: null, number: null, permitType: 'CONFINED_SPACE', status: 'ISSUED', proximity: 'ASSET', placeId: p.assetId, reason: simopsRule('HOT_WORK', 'CONFINED_SPACE').why },
  ]);
  expect((hidden as DomainError).message).toContain('a live permit of another party (confined space, issued) on the same asset');
  expect(JSON.stringify({ m: (hidden as DomainError).message, d: (hidden as DomainError).details })).not.toMatch(new RegExp(`${entry.id}|${entry.number}`));
  // Naming the hidden permit is answered as a random id would be: it cannot be decided by whoever cannot see it.
  const named = await asOther({ controls: 'x', permitIds: [entry.id] }).catch((e: DomainError) => e);
  const random = await asOther({ controls: 'x', permitIds: ['0b0e0b0e-0000-4000-8000-00000000beef'] }).catch((e: DomainError) => e);
  expect([(named as DomainError).code, (random as DomainError).code]).toEqual(['BAD_USER_INPUT', 'BAD_USER_INPUT']);
  expect((named as DomainError).message.replace(entry.id, '<id>')).toBe((random as DomainError).message.replace('0b0e0b0e-0000-4000-8000-00000000beef', '<id>'));

  // The issuer decides; both contractors then see the conflict on their own permit, the other party's unnamed.
  const controls = 'Welding only while the Acme crew is out of the casing and the manway is closed';
  ok(await tryIssue(hotWork.id, { controls, conflicts: [{ permitId: entry.id }] }, other.id));
  const theirs = await permitState(entry.id, acme);
  expect(theirs.simultaneousOperations).toEqual([
    { permit: null, type: 'HOT_WORK', status: 'ISSUED', proximity: 'ASSET', placeId: p.assetId, reason: simopsRule('HOT_WORK', 'CONFINED_SPACE').why, decision: { permit: null, action: 'ISSUE', controls, decidedBy: { id: issuer.id }, conflictingPermits: [{ number: entry.number }] } },
  ]);
  const mine = await permitState(hotWork.id, other);
  expect(mine.simultaneousOperations).toEqual([
    { permit: null, type: 'CONFINED_SPACE', status: 'ISSUED', proximity: 'ASSET', placeId: p.assetId, reason: simopsRule('HOT_WORK', 'CONFINED_SPACE').why, decision: { permit: { number: hotWork.number }, action: 'ISSUE', controls, decidedBy: { id: issuer.id }, conflictingPermits: [] } },
  ]);
  expect(JSON.stringify(mine)).not.toMatch(new RegExp(`${entry.id}|${entry.number}`));
  expect(mine.history.at(-1).simopsDecision).toEqual({ action: 'ISSUE', controls, conflictingPermits: [], decidedBy: { id: issuer.id } });
  expect(JSON.stringify(theirs)).not.toMatch(new RegExp(`${hotWork.id}|${hotWork.number}`));
});

test('a list of permits with their simultaneous operations costs the same statements for 2 permits as for 6', async () => {
  const p = await plant();
  const entry = await live(p, 'CONFINED_SPACE', { areaId: p.areaId, assetIds: [p.assetId] });
  for (const type of ['HOT_WORK', 'COLD_WORK', 'HOT_WORK', 'COLD_WORK', 'HOT_WORK']) { // conflicting with the entry, not with each other
    const permit = await approved(p, type, { areaId: p.areaId, assetIds: [p.assetId] });
    ok(await tryIssue(permit.id, { controls: `${type} only while the space is empty`, conflicts: [{ permitId: entry.id }] }));
  }
  const list = (n: number) => gateway.query(`query($s: ID!, $n: Int) { permits(filter: { siteId: $s }, first: $n) { edges { node { number ${SIMOPS} history { simopsDecision { controls } } } } } }`, { s: p.siteId, n }, people.supervisor);
  const [few, many] = [await list(2), await list(6)];
  expect(ok(many).permits.edges).toHaveLength(6);
  // Each permit conflicts with the entry (and the entry with each of them), every pair decided.
  const byNumber = Object.fromEntries(ok(many).permits.edges.map((e: any) => [e.node.number, e.node.simultaneousOperations]));
  expect(byNumber[entry.number]).toHaveLength(5);
  for (const [number, conflicts] of Object.entries(byNumber)) if (number !== entry.number) expect(conflicts).toEqual([expect.objectContaining({ permit: { id: entry.id, number: entry.number }, decision: expect.objectContaining({ action: 'ISSUE' }) })]);
  expect(many.statements).toBe(few.statements);
});
