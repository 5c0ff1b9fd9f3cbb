import { randomUUID } from 'node:crypto';
import { expectError, ok, people, person, sleep, type TestService } from '@opsgraph/testing';
import { expirePermits, suspendForStaleGasTests } from '../src/domain/permits';
import { GAS_FIELDS, ISOLATION_FIELDS, act, createPermit, crew, issue, knownScope, knownWorkItem, knownWorkItems, outbox, startPermits, type Scope } from './fixtures';

let permits: TestService;
let scope: Scope;

beforeAll(async () => {
  permits = await startPermits();
  scope = await knownScope(permits);
});
afterAll(() => permits.stop());

const isolation = (s: Scope, point = 'MCC-3 breaker 12') => ({ assetId: s.pumpId, point, method: 'ELECTRICAL_LOCKOUT', tag: 'L-041' });

async function permitState(id: string) {
  return ok(await permits.query(`query($id: ID!) { permit(id: $id) { status version statusReason isolations { state } } }`, { id })).permit;
}

describe('permit lifecycle', () => {
  test('numbers are per site, learnt from the site code given with its first permit', async () => {
    const first = await createPermit(permits, scope);
    const second = await createPermit(permits, scope, { siteCode: null });
    expect(first.number).toBe('PTW-GRN-0001');
    expect(second.number).toBe('PTW-GRN-0002');
    expect(first).toMatchObject({ status: 'DRAFT', requester: { id: people.supervisor.id }, valid: false, history: [{ from: null, to: 'DRAFT', actor: { id: people.supervisor.id } }] });
    const other = await knownScope(permits, 'NTH');
    expect((await createPermit(permits, other)).number).toBe('PTW-NTH-0001');
    const unknown = await knownScope(permits, 'XYZ'); // known, but without a permit yet
    expectError(await permits.query(`mutation($i: CreatePermitInput!) { createPermit(input: $i) { id } }`, {
      i: { type: 'COLD_WORK', description: 'x', siteId: unknown.siteId, validTo: new Date(Date.now() + 3600_000).toISOString() },
    }, people.supervisor), 'BAD_USER_INPUT');
    const err = expectError(await permits.query(`mutation($i: CreatePermitInput!) { createPermit(input: $i) { id } }`, {
      i: { type: 'COLD_WORK', description: 'x', siteId: scope.siteId, siteCode: 'OTHER', validTo: new Date(Date.now() + 3600_000).toISOString() },
    }, people.supervisor), 'BAD_USER_INPUT');
    expect(err.message).toMatch(/has the code GRN/);
    expect((await createPermit(permits, scope)).number).toBe('PTW-GRN-0003'); // refused creations used no number
  });

  test('full path: request → approve → isolations applied and verified → issue → suspend → reinstate → remove → close', async () => {
    const workItemId = await knownWorkItem(permits, scope.siteId);
    const permit = await createPermit(permits, scope, { workItemIds: [workItemId], isolations: [isolation(scope)] });
    expect(permit.isolations).toEqual([expect.objectContaining({ state: 'PLANNED', point: 'MCC-3 breaker 12', method: 'ELECTRICAL_LOCKOUT', tag: 'L-041', asset: { id: scope.pumpId } })]);
    const requested = ok(await act(permits, 'requestPermit', { id: permit.id })).requestPermit;
    expect(requested.status).toBe('REQUESTED');
    const approved = ok(await act(permits, 'approvePermit', { id: permit.id }, crew.hse)).approvePermit;
    expect(approved).toMatchObject({ status: 'APPROVED', approvedBy: { id: crew.hse.id } });

    const isoId = permit.isolations[0].id;
    const applied = ok(await act(permits, 'applyIsolation', { id: isoId }, people.technician, ISOLATION_FIELDS)).applyIsolation;
    expect(applied).toMatchObject({ state: 'APPLIED', appliedBy: { id: people.technician.id } });
    const verified = ok(await act(permits, 'verifyIsolation', { id: isoId }, crew.issuer, ISOLATION_FIELDS)).verifyIsolation;
    expect(verified).toMatchObject({ state: 'VERIFIED', verifiedBy: { id: crew.issuer.id } });

    const issued = ok(await act(permits, 'issuePermit', { id: permit.id, performingAuthorityId: people.technician.id }, crew.issuer)).issuePermit;
    expect(issued).toMatchObject({ status: 'ISSUED', valid: true, issuer: { id: crew.issuer.id }, performingAuthority: { id: people.technician.id } });

    const active = ok(await permits.query(`query($r: [_Any!]!) { _entities(representations: $r) { ... on Asset { activeIsolations { id state permit { number } } } } }`, {
      r: [{ __typename: 'Asset', id: scope.pumpId }],
    }))._entities[0].activeIsolations;
    expect(active).toEqual([{ id: isoId, state: 'VERIFIED', permit: { number: permit.number } }]);

    const suspended = ok(await act(permits, 'suspendPermit', { id: permit.id, reason: 'gas alarm in the area' }, crew.hse)).suspendPermit;
    expect(suspended).toMatchObject({ status: 'SUSPENDED', valid: false, statusReason: 'gas alarm in the area' });
    const reinstated = ok(await act(permits, 'reinstatePermit', { id: permit.id }, crew.issuer2)).reinstatePermit;
    expect(reinstated).toMatchObject({ status: 'ISSUED', valid: true, statusReason: null });

    const refused = expectError(await act(permits, 'closePermit', { id: permit.id }, crew.issuer), 'PREREQUISITES_OPEN');
    expect(refused.message).toMatch(/isolations still in place: MCC-3 breaker 12/);
    expect(refused.extensions!.problems[0].reason).toBe('ISOLATIONS_IN_PLACE');
    expect((await permitState(permit.id)).status).toBe('ISSUED');

    const removed = ok(await act(permits, 'removeIsolation', { id: isoId }, people.technician, ISOLATION_FIELDS)).removeIsolation;
    expect(removed).toMatchObject({ state: 'REMOVED', removedBy: { id: people.technician.id } });
    const closed = ok(await act(permits, 'closePermit', { id: permit.id, note: 'job done, area clean' }, crew.issuer)).closePermit;
    expect(closed).toMatchObject({ status: 'CLOSED', valid: false });
    expect(closed.endedAt).not.toBeNull();
    expect(closed.history.map((h: { to: string }) => h.to)).toEqual(['DRAFT', 'REQUESTED', 'APPROVED', 'ISSUED', 'SUSPENDED', 'ISSUED', 'CLOSED']);

    // Every step is a fact on the permits topic, and Work hears about the covered item at each turn.
    const facts = await outbox(permits, permit.id);
    expect(facts.map((f) => f.type)).toEqual([
      'permit.created', 'prerequisite.required', 'permit.requested', 'prerequisite.required', 'permit.approved', 'prerequisite.required', 'isolation.applied', 'isolation.verified',
      'permit.issued', 'prerequisite.satisfied', 'permit.suspended', 'prerequisite.reopened', 'permit.reinstated', 'prerequisite.satisfied',
      'isolation.removed', 'permit.closed', 'prerequisite.reopened',
    ]);
    expect(facts[1].data).toEqual({ workItemId, siteId: scope.siteId, kind: 'PERMIT_VALID', sourceRecordId: permit.id, description: `Valid hot work permit ${permit.number}`, state: 'OPEN', reason: `${permit.number} not yet issued (draft)` });
    expect(facts[3].data).toMatchObject({ workItemId, state: 'OPEN', reason: `${permit.number} not yet issued (requested)` });
    expect(facts[11].data).toEqual({ sourceRecordId: permit.id, kind: 'PERMIT_VALID', reason: `${permit.number} suspended: gas alarm in the area` });
    expect(facts[16].data.reason).toBe(`${permit.number} closed`);
  });

  test('the issuer is never the requester', async () => {
    const permit = await createPermit(permits, scope, {}, crew.supervisingIssuer);
    ok(await act(permits, 'requestPermit', { id: permit.id }, crew.supervisingIssuer));
    ok(await act(permits, 'approvePermit', { id: permit.id }, crew.hse));
    const before = await permitState(permit.id);
    const err = expectError(await act(permits, 'issuePermit', { id: permit.id, performingAuthorityId: people.technician.id }, crew.supervisingIssuer), 'SEPARATION_OF_DUTIES');
    expect(err.message).toMatch(/requester/);
    expect(await permitState(permit.id)).toEqual(before);
    expect(ok(await act(permits, 'issuePermit', { id: permit.id, performingAuthorityId: people.technician.id }, crew.issuer)).issuePermit.status).toBe('ISSUED');
  });

  test('issuing needs every isolation applied and verified, and the verifier is not the applier', async () => {
    const permit = await createPermit(permits, scope, { isolations: [isolation(scope), { assetId: scope.valveId, point: 'Suction valve XV-301', method: 'VALVE_LOCKED_CLOSED' }] });
    ok(await act(permits, 'requestPermit', { id: permit.id }));
    ok(await act(permits, 'approvePermit', { id: permit.id }, crew.hse));
    const [breaker, valve] = permit.isolations;
    ok(await act(permits, 'applyIsolation', { id: breaker.id }, crew.issuer, ISOLATION_FIELDS));
    expectError(await act(permits, 'verifyIsolation', { id: breaker.id }, crew.issuer, ISOLATION_FIELDS), 'SEPARATION_OF_DUTIES');
    ok(await act(permits, 'verifyIsolation', { id: breaker.id }, crew.issuer2, ISOLATION_FIELDS));
    ok(await act(permits, 'applyIsolation', { id: valve.id }, people.technician, ISOLATION_FIELDS));

    const before = await permitState(permit.id);
    const err = expectError(await act(permits, 'issuePermit', { id: permit.id, performingAuthorityId: people.technician.id }, crew.issuer), 'PREREQUISITES_OPEN');
    expect(err.message).toMatch(/isolations not applied and verified: Suction valve XV-301 \(applied\)/);
    expect(err.extensions!.problems).toEqual([expect.objectContaining({ reason: 'ISOLATIONS_NOT_VERIFIED', isolationIds: [valve.id] })]);
    expect(await permitState(permit.id)).toEqual(before);

    expectError(await act(permits, 'verifyIsolation', { id: breaker.id }, crew.issuer2, ISOLATION_FIELDS), 'ILLEGAL_TRANSITION'); // already verified
    ok(await act(permits, 'verifyIsolation', { id: valve.id }, crew.issuer2, ISOLATION_FIELDS));
    expectError(await act(permits, 'issuePermit', { id: permit.id }, crew.issuer), 'BAD_USER_INPUT'); // nobody accepts it at the job
    expect(ok(await act(permits, 'issuePermit', { id: permit.id, performingAuthorityId: people.technician.id }, crew.issuer)).issuePermit.status).toBe('ISSUED');
  });

  test('confined space: issuing needs an in-date gas test within limits', async () => {
    // A place of its own: hot work issued on the shared scope would conflict with the entry (simultaneous operations).
    const tank = await knownScope(permits, 'TNK');
    const permit = await createPermit(permits, tank, { type: 'CONFINED_SPACE', description: 'Enter tank T-12 to inspect the agitator' });
    ok(await act(permits, 'requestPermit', { id: permit.id }));
    ok(await act(permits, 'approvePermit', { id: permit.id }, crew.hse));
    const tryIssue = () => act(permits, 'issuePermit', { id: permit.id, performingAuthorityId: people.technician.id }, crew.issuer);
    const gas = (input: Record<string, unknown>) => act(permits, 'recordGasTest', { permitId: permit.id, input: { o2: 20.9, lel: 0, h2s: 0, co: 2, ...input } }, crew.hse, GAS_FIELDS);

    expect(expectError(await tryIssue(), 'PREREQUISITES_OPEN').extensions!.problems[0].reason).toBe('GAS_TEST_MISSING');

    const fiveHoursAgo = new Date(Date.now() - 5 * 3600_000).toISOString();
    const stale = ok(await gas({ testedAt: fiveHoursAgo })).recordGasTest;
    expect(stale).toMatchObject({ withinLimits: true, expired: true });
    const expired = expectError(await tryIssue(), 'PREREQUISITES_OPEN');
    expect(expired.extensions!.problems[0].reason).toBe('GAS_TEST_EXPIRED');
    expect(expired.message).toMatch(/the last gas test expired at/);

    const bad = ok(await gas({ o2: 18.2, co: 40 })).recordGasTest;
    expect(bad).toMatchObject({ withinLimits: false, expired: false, failures: ['O2 18.2 % below 19.5', 'CO 40 ppm above 25'] });
    const outOfLimits = expectError(await tryIssue(), 'PREREQUISITES_OPEN');
    expect(outOfLimits.extensions!.problems[0].reason).toBe('GAS_TEST_OUT_OF_LIMITS');
    expect(outOfLimits.message).toMatch(/O2 18.2 % below 19.5/);
    expect((await permitState(permit.id)).status).toBe('APPROVED');

    ok(await gas({}));
    const issued = ok(await tryIssue()).issuePermit;
    expect(issued.status).toBe('ISSUED');
    expect(issued.gasTests.map((t: { withinLimits: boolean }) => t.withinLimits)).toEqual([true, false, true]); // newest first
    expect(issued.gasTests[0].limits).toEqual({ o2Min: 19.5, o2Max: 23.5, lelMax: 10, h2sMax: 5, coMax: 25 });
  });

  test('confined space: an issued permit is suspended when its gas test runs out or a reading is outside limits, and reinstated only after a good test', async () => {
    const vessel = await knownScope(permits, 'VSL'); // away from the hot work issued on the shared scope
    const workItemId = await knownWorkItem(permits, vessel.siteId);
    const permit = await createPermit(permits, vessel, { type: 'CONFINED_SPACE', workItemIds: [workItemId], description: 'Enter vessel V-7' });
    ok(await act(permits, 'requestPermit', { id: permit.id }));
    ok(await act(permits, 'approvePermit', { id: permit.id }, crew.hse));
    const gas = (input: Record<string, unknown>) => act(permits, 'recordGasTest', { permitId: permit.id, input: { o2: 20.9, lel: 0, h2s: 0, co: 2, ...input } }, crew.hse, GAS_FIELDS);
    // A test that runs out in a few seconds, so the rule meets a really expired test.
    const expiresAt = new Date(Date.now() + 4_000);
    ok(await gas({ expiresAt: expiresAt.toISOString() }));
    ok(await act(permits, 'issuePermit', { id: permit.id, performingAuthorityId: people.technician.id }, crew.issuer));
    expect(await suspendForStaleGasTests(permits.db.manager)).not.toContainEqual(expect.objectContaining({ id: permit.id })); // still in date
    await sleep(Math.max(0, expiresAt.getTime() - Date.now()) + 100);

    expect((await suspendForStaleGasTests(permits.db.manager)).map((p) => p.id)).toContain(permit.id);
    expect(await suspendForStaleGasTests(permits.db.manager)).toEqual([]); // idempotent
    const suspended = await permitState(permit.id);
    expect(suspended).toMatchObject({ status: 'SUSPENDED', statusReason: `the last gas test of ${permit.number} has expired: test again before work goes on` });
    expect((await outbox(permits, permit.id)).slice(-2).map((f) => f.type)).toEqual(['permit.suspended', 'prerequisite.reopened']);

    const reinstate = () => act(permits, 'reinstatePermit', { id: permit.id }, crew.issuer);
    expect(expectError(await reinstate(), 'PREREQUISITES_OPEN').extensions!.problems[0].reason).toBe('GAS_TEST_EXPIRED');
    ok(await gas({}));
    expect(ok(await reinstate()).reinstatePermit.status).toBe('ISSUED');

    // A reading outside limits under an issued permit stops the work at once.
    ok(await gas({ o2: 18.0 }));
    const stopped = await permitState(permit.id);
    expect(stopped.status).toBe('SUSPENDED');
    expect(stopped.statusReason).toBe('gas test outside limits (O2 18 % below 19.5): work must stop');
    expect((await outbox(permits, permit.id)).slice(-2)).toEqual([
      expect.objectContaining({ type: 'permit.suspended' }),
      { type: 'prerequisite.reopened', data: expect.objectContaining({ sourceRecordId: permit.id, kind: 'PERMIT_VALID' }) },
    ]);
  });

  test('bad gas test input is refused', async () => {
    const permit = await createPermit(permits, scope, { type: 'CONFINED_SPACE' });
    const gas = (input: Record<string, unknown>) => act(permits, 'recordGasTest', { permitId: permit.id, input: { o2: 20.9, lel: 0, h2s: 0, co: 0, ...input } }, crew.hse, GAS_FIELDS);
    expectError(await gas({ o2: -1 }), 'BAD_USER_INPUT');
    expectError(await gas({ lel: 101 }), 'BAD_USER_INPUT');
    expectError(await gas({ testedAt: new Date(Date.now() + 3600_000).toISOString() }), 'BAD_USER_INPUT');
    expectError(await gas({ expiresAt: new Date(Date.now() - 60_000).toISOString() }), 'BAD_USER_INPUT');
    expectError(await gas({ limits: { o2Min: 23, o2Max: 19, lelMax: 10, h2sMax: 5, coMax: 25 } }), 'BAD_USER_INPUT');
    expectError(await act(permits, 'recordGasTest', { permitId: permit.id, input: { o2: 20.9, lel: 0, h2s: 0, co: 0 } }, people.operator, GAS_FIELDS), 'FORBIDDEN');
    expect(ok(await permits.query(`query($id: ID!) { permit(id: $id) { gasTests { id } } }`, { id: permit.id })).permit.gasTests).toEqual([]);
  });

  test('every illegal transition is refused with ILLEGAL_TRANSITION and changes nothing', async () => {
    const draft = await createPermit(permits, scope);
    const requested = await createPermit(permits, scope);
    ok(await act(permits, 'requestPermit', { id: requested.id }));
    const issued = await issue(permits, await createPermit(permits, scope));
    const cancelled = await createPermit(permits, scope);
    ok(await act(permits, 'cancelPermit', { id: cancelled.id, reason: 'raised twice' }));
    const closed = await issue(permits, await createPermit(permits, scope));
    ok(await act(permits, 'closePermit', { id: closed.id }, crew.issuer));
    const anotherItem = await knownWorkItem(permits, scope.siteId);

    const cases: [string, string, Record<string, unknown>, typeof people.supervisor][] = [
      [draft.id, 'approvePermit', {}, crew.hse],
      [draft.id, 'issuePermit', { performingAuthorityId: people.technician.id }, crew.issuer],
      [draft.id, 'suspendPermit', { reason: 'x' }, crew.hse],
      [draft.id, 'closePermit', {}, crew.issuer],
      [requested.id, 'requestPermit', {}, people.supervisor],
      [requested.id, 'issuePermit', { performingAuthorityId: people.technician.id }, crew.issuer],
      [requested.id, 'reinstatePermit', {}, crew.issuer],
      [issued.id, 'cancelPermit', { reason: 'x' }, people.supervisor],
      [issued.id, 'approvePermit', {}, crew.hse],
      [issued.id, 'reinstatePermit', {}, crew.issuer],
      ...[cancelled.id, closed.id].flatMap((id) => [
        [id, 'requestPermit', {}, people.supervisor],
        [id, 'issuePermit', { performingAuthorityId: people.technician.id }, crew.issuer],
        [id, 'suspendPermit', { reason: 'x' }, crew.hse],
        [id, 'closePermit', {}, crew.issuer],
        [id, 'cancelPermit', { reason: 'x' }, people.supervisor],
        [id, 'addPermitWorkItems', { workItemIds: [anotherItem] }, people.supervisor],
      ] as [string, string, Record<string, unknown>, typeof people.supervisor][]),
    ];
    for (const [id, mutation, args, caller] of cases) {
      const before = await permitState(id);
      expectError(await act(permits, mutation, { id, ...args }, caller), 'ILLEGAL_TRANSITION');
      expect(await permitState(id)).toEqual(before);
    }
    expectError(await act(permits, 'addIsolation', { permitId: issued.id, input: isolation(scope) }, crew.issuer, 'id'), 'ILLEGAL_TRANSITION');
  });

  test('roles and sites are enforced', async () => {
    const input = { type: 'COLD_WORK', description: 'x', siteId: scope.siteId, validTo: new Date(Date.now() + 3600_000).toISOString() };
    expectError(await permits.query(`mutation($i: CreatePermitInput!) { createPermit(input: $i) { id } }`, { i: input }, { ...people.operator, roles: ['read_only'] }), 'FORBIDDEN');
    const permit = await createPermit(permits, scope);
    ok(await act(permits, 'requestPermit', { id: permit.id }));
    expectError(await act(permits, 'approvePermit', { id: permit.id }, people.operator), 'FORBIDDEN');
    expectError(await act(permits, 'approvePermit', { id: permit.id }, crew.elsewhere), 'NOT_FOUND'); // another site's permit does not exist for them
    ok(await act(permits, 'approvePermit', { id: permit.id }, crew.hse));
    expectError(await act(permits, 'issuePermit', { id: permit.id, performingAuthorityId: people.technician.id }, people.supervisor), 'FORBIDDEN');
    expectError(await act(permits, 'cancelPermit', { id: permit.id, reason: 'not mine' }, people.technician), 'FORBIDDEN');
    expectError(await permits.query(`mutation($i: CreatePermitInput!) { createPermit(input: $i) { id } }`, { i: input }, crew.elsewhere), 'NOT_FOUND');
    expectError(await permits.query(`query($id: ID!) { permit(id: $id) { id } }`, { id: permit.id }, crew.elsewhere), 'NOT_FOUND');
    expect(ok(await permits.query(`query($s: ID!) { permits(filter: { siteId: $s }) { totalCount } }`, { s: scope.siteId }, crew.elsewhere)).permits.totalCount).toBe(0);
  });

  test('a contractor sees only the permits they asked for or accepted', async () => {
    const s = await knownScope(permits, 'CTR');
    const acme = person('0000000a-0000-4000-8000-00000000acee', 'contractor', [s.siteId], 'Acme');
    const theirs = await createPermit(permits, s, { type: 'WORK_AT_HEIGHT', performingAuthorityId: acme.id });
    const other = await createPermit(permits, s);
    const own = await createPermit(permits, s, {}, acme);
    const seen = ok(await permits.query(`{ permits { edges { node { id } } } }`, {}, acme)).permits.edges.map((e: any) => e.node.id);
    expect(seen.sort()).toEqual([theirs.id, own.id].sort());
    expectError(await permits.query(`query($id: ID!) { permit(id: $id) { id } }`, { id: other.id }, acme), 'NOT_FOUND');
    const refs = ok(await permits.query(`query($r: [_Any!]!) { _entities(representations: $r) { ... on Permit { id } } }`, { r: [other, theirs].map((p) => ({ __typename: 'Permit', id: p.id })) }, acme))._entities;
    expect(refs).toEqual([null, { id: theirs.id }]);
  });

  test('bad input is refused before anything is written', async () => {
    const create = (i: Record<string, unknown>) => permits.query(`mutation($i: CreatePermitInput!) { createPermit(input: $i) { id } }`, {
      i: { type: 'COLD_WORK', description: 'Replace gasket', siteId: scope.siteId, validTo: new Date(Date.now() + 3600_000).toISOString(), ...i },
    }, people.supervisor);
    const before = (await outbox(permits)).length;
    expectError(await create({ siteId: 'nope' }), 'BAD_USER_INPUT');
    expectError(await create({ description: '' }), 'BAD_USER_INPUT');
    expectError(await create({ validTo: new Date(Date.now() - 60_000).toISOString() }), 'BAD_USER_INPUT');
    expectError(await create({ validFrom: new Date(Date.now() + 7200_000).toISOString() }), 'BAD_USER_INPUT'); // ends before it starts
    expectError(await create({ validTo: new Date(Date.now() + 40 * 24 * 3600_000).toISOString() }), 'BAD_USER_INPUT');
    expectError(await create({ workItemIds: ['not-a-uuid'] }), 'BAD_USER_INPUT');
    expectError(await create({ isolations: [{ assetId: scope.pumpId, point: '', method: 'ELECTRICAL_LOCKOUT' }] }), 'BAD_USER_INPUT');
    expect((await outbox(permits)).length).toBe(before);
  });

  test('expirePermits expires every permit past its window, once, and re-opens the prerequisite on its work', async () => {
    const workItemId = await knownWorkItem(permits, scope.siteId);
    const short = await issue(permits, await createPermit(permits, scope, { workItemIds: [workItemId], validTo: new Date(Date.now() + 3600_000).toISOString() }));
    const draft = await createPermit(permits, scope, { validTo: new Date(Date.now() + 3600_000).toISOString() });
    const long = await createPermit(permits, scope, { validTo: new Date(Date.now() + 5 * 3600_000).toISOString() });
    const later = new Date(Date.now() + 2 * 3600_000);
    const expired = (await expirePermits(permits.db.manager, later)).map((p) => p.id);
    expect(expired).toEqual(expect.arrayContaining([short.id, draft.id]));
    expect(expired).not.toContain(long.id);
    expect(await expirePermits(permits.db.manager, later)).toEqual([]); // idempotent
    const after = ok(await permits.query(`query($id: ID!) { permit(id: $id) { status valid statusReason history { from to actor { id } } } }`, { id: short.id })).permit;
    expect(after).toMatchObject({ status: 'EXPIRED', valid: false });
    expect(after.history.at(-1)).toEqual({ from: 'ISSUED', to: 'EXPIRED', actor: { id: 'system' } });
    const facts = await outbox(permits, short.id);
    expect(facts.at(-2)!.type).toBe('permit.expired');
    expect(facts.at(-1)).toEqual({ type: 'prerequisite.reopened', data: { sourceRecordId: short.id, kind: 'PERMIT_VALID', reason: `${short.number} expired at ${short.validTo}` } });
  });
});

describe('in the graph', () => {
  test('permits list filters by site, status, work item and asset', async () => {
    const s = await knownScope(permits, 'FLT');
    const workItemId = await knownWorkItem(permits, s.siteId);
    const a = await createPermit(permits, s, { workItemIds: [workItemId] });
    const b = await createPermit(permits, s, { type: 'WORK_AT_HEIGHT', assetIds: [s.valveId] });
    ok(await act(permits, 'requestPermit', { id: b.id }));
    const list = async (filter: Record<string, unknown>, first?: number, after?: string) =>
      ok(await permits.query(`query($f: PermitFilter, $n: Int, $a: String) { permits(filter: $f, first: $n, after: $a) { totalCount edges { node { number } } pageInfo { hasNextPage endCursor } } }`, { f: filter, n: first, a: after })).permits;
    expect((await list({ siteId: s.siteId })).edges.map((e: any) => e.node.number)).toEqual([b.number, a.number]);
    expect((await list({ siteId: s.siteId, status: ['REQUESTED'] })).edges.map((e: any) => e.node.number)).toEqual([b.number]);
    expect((await list({ workItemId })).edges.map((e: any) => e.node.number)).toEqual([a.number]);
    expect((await list({ assetId: s.valveId })).edges.map((e: any) => e.node.number)).toEqual([b.number]);
    expect((await list({ siteId: s.siteId, type: ['WORK_AT_HEIGHT'] })).totalCount).toBe(1);
    const page1 = await list({ siteId: s.siteId }, 1);
    expect(page1.pageInfo.hasNextPage).toBe(true);
    expect((await list({ siteId: s.siteId }, 1, page1.pageInfo.endCursor)).edges.map((e: any) => e.node.number)).toEqual([a.number]);
    expect(ok(await permits.query(`query($n: String!) { permitByNumber(number: $n) { id } }`, { n: a.number.toLowerCase() })).permitByNumber.id).toBe(a.id);
    expectError(await permits.query(`{ permit(id: "${randomUUID()}") { id } }`), 'NOT_FOUND');
  });

  test('permit readiness of a work item, and a constant number of statements per list', async () => {
    const s = await knownScope(permits, 'RDY');
    const items = await knownWorkItems(permits, s.siteId, 12);
    const issued = await issue(permits, await createPermit(permits, s, { workItemIds: items.slice(0, 6), isolations: [isolation(s)] }));
    const suspendedPermit = await issue(permits, await createPermit(permits, s, { workItemIds: [items[1]] }));
    ok(await act(permits, 'suspendPermit', { id: suspendedPermit.id, reason: 'wind above 40 km/h' }, crew.hse));
    const pending = await createPermit(permits, s, { workItemIds: [items[2]] });
    const query = (ids: string[]) => permits.query(`query($r: [_Any!]!) { _entities(representations: $r) { ... on WorkItem { id permits { number status isolations { state } history { to } gasTests { id } } permitReadiness { required valid ready problems } } } }`, {
      r: ids.map((id) => ({ __typename: 'WorkItem', id })),
    });
    const res = await query(items);
    const byId = new Map(ok(res)._entities.map((e: any) => [e.id, e]));
    expect((byId.get(items[0]) as any).permitReadiness).toEqual({ required: true, valid: true, ready: true, problems: [] });
    expect((byId.get(items[1]) as any).permitReadiness).toEqual({ required: true, valid: true, ready: false, problems: [`${suspendedPermit.number} suspended: wind above 40 km/h`] });
    expect((byId.get(items[2]) as any).permitReadiness).toEqual({ required: true, valid: true, ready: false, problems: [`${pending.number} not yet issued (draft)`] });
    expect((byId.get(items[11]) as any).permitReadiness).toEqual({ required: false, valid: false, ready: true, problems: [] });
    expect((byId.get(items[0]) as any).permits).toEqual([{ number: issued.number, status: 'ISSUED', isolations: [{ state: 'VERIFIED' }], history: expect.any(Array), gasTests: [] }]);
    const few = await query(items.slice(0, 3));
    expect(res.statements).toBe(few.statements);
    expect(res.statements).toBeLessThanOrEqual(4);
  });

  test('a permit issued after another ended for the same work supersedes it', async () => {
    const s = await knownScope(permits, 'SUP');
    const workItemId = await knownWorkItem(permits, s.siteId);
    const first = await issue(permits, await createPermit(permits, s, { workItemIds: [workItemId] }));
    ok(await act(permits, 'closePermit', { id: first.id, note: 'end of shift' }, crew.issuer));
    const readiness = async () => ok(await permits.query(`query($r: [_Any!]!) { _entities(representations: $r) { ... on WorkItem { permitReadiness { ready problems } } } }`, { r: [{ __typename: 'WorkItem', id: workItemId }] }))._entities[0].permitReadiness;
    expect(await readiness()).toEqual({ ready: false, problems: [`${first.number} closed`] });
    const second = await createPermit(permits, s, { workItemIds: [workItemId] });
    await issue(permits, second);
    expect(await readiness()).toEqual({ ready: true, problems: [] });
    // Keyed by the ended permit: its blockers are released in order with its own earlier events.
    expect((await outbox(permits, first.id)).at(-1)).toEqual({ type: 'prerequisite.satisfied', data: { sourceRecordId: first.id, kind: 'PERMIT_VALID', reason: `${first.number} superseded by ${second.number}`, workItemIds: [workItemId] } });
  });

  test('adding work items to a permit raises the prerequisite on the new ones only, satisfied when issued', async () => {
    const s = await knownScope(permits, 'ADD');
    const [w1, w2] = await knownWorkItems(permits, s.siteId, 2);
    const permit = await issue(permits, await createPermit(permits, s, { workItemIds: [w1] }));
    const added = ok(await act(permits, 'addPermitWorkItems', { id: permit.id, workItemIds: [w1, w2] })).addPermitWorkItems;
    expect(added.coveredWorkItems).toEqual([{ id: w1 }, { id: w2 }]);
    const facts = await outbox(permits, permit.id);
    expect(facts.slice(-2)).toEqual([
      { type: 'permit.work_items_added', data: expect.objectContaining({ addedWorkItemIds: [w2], workItemIds: [w1, w2] }) },
      { type: 'prerequisite.required', data: { workItemId: w2, siteId: s.siteId, kind: 'PERMIT_VALID', sourceRecordId: permit.id, description: `Valid hot work permit ${permit.number}`, state: 'SATISFIED', reason: `${permit.number} issued`, validUntil: expect.any(String) } },
    ]);
    ok(await act(permits, 'addPermitWorkItems', { id: permit.id, workItemIds: [w2] }));
    expect((await outbox(permits, permit.id)).length).toBe(facts.length); // already covered: nothing new
  });
});
