import { randomUUID } from 'node:crypto';
import path from 'node:path';
import { ROLES, type Caller, type Role } from '@opsgraph/core';
import { OutboxEvent } from '@opsgraph/events';
import { describeRoleMatrix, expectError, ok, people, person, startTestGateway, type MatrixCase, type MatrixFixture, type TestGateway, type TestService } from '@opsgraph/testing';
import { PERMIT_PERMISSIONS } from '../src/domain/permissions';
import { createPermit, crew, knownScope, knownWorkItem, startPermits, type Scope } from './fixtures';

/**
 * The role matrix, through the real gateway: every role against every Permits mutation. Allowed calls
 * succeed; the others fail with FORBIDDEN (UNAUTHENTICATED without a token), are on the audit trail as
 * refused, and change nothing. The fixture permits are requested by someone who is never the caller, so
 * only the role decides (the requester's own rights are tested below).
 */
let permits: TestService;
let gateway: TestGateway;
let scope: Scope;
/** A permit the matrix contractor has no part in. */
let hostPermit: { id: string };

const idOf = (role: Role) => `0000${ROLES.indexOf(role).toString().padStart(4, '0')}-0000-4000-8000-0000000000e0`;
/** Every role at every site; the contractor is of Acme and accepts the fixture permits, so they see them. */
const callerOf = (role: Role) => person(idOf(role), role, ['*'], role === 'contractor' ? 'Acme' : undefined);
const requester = people.supervisor;

beforeAll(async () => {
  permits = await startPermits();
  gateway = await startTestGateway({ permits: permits.url });
  scope = await knownScope(permits, 'ROL');
  hostPermit = await createPermit(permits, scope, {}, requester);
});
afterAll(async () => {
  await gateway?.stop();
  await permits?.stop();
});

const as = async (caller: Caller, query: string, variables: Record<string, unknown> = {}) => ok(await permits.query(query, variables, caller));
const isolation = () => ({ assetId: scope.pumpId, point: 'MCC-3 breaker 12', method: 'ELECTRICAL_LOCKOUT' });

/** Fixture permits at each stage, taken there directly on the subgraph by the people whose job it is. */
async function draft() {
  const permit = await createPermit(permits, scope, { isolations: [isolation()], performingAuthorityId: idOf('contractor') }, requester);
  return { id: permit.id as string, isolationId: permit.isolations[0].id as string };
}
const step = (caller: Caller, mutation: string, id: string, args = '') => as(caller, `mutation($id: ID!) { ${mutation}(id: $id${args}) { id } }`, { id });
async function requested() {
  const p = await draft();
  await step(requester, 'requestPermit', p.id);
  return p;
}
async function approved() {
  const p = await requested();
  await step(crew.hse, 'approvePermit', p.id);
  return p;
}
async function applied() {
  const p = await approved();
  await step(people.technician, 'applyIsolation', p.isolationId);
  return p;
}
async function verified() {
  const p = await applied();
  await step(crew.issuer, 'verifyIsolation', p.isolationId);
  return p;
}
async function issued() {
  const p = await verified();
  await step(crew.issuer, 'issuePermit', p.id);
  return p;
}
async function suspended() {
  const p = await issued();
  await step(crew.hse, 'suspendPermit', p.id, ', reason: "gas alarm"');
  return p;
}
async function deIsolated() {
  const p = await issued();
  await step(people.technician, 'removeIsolation', p.isolationId);
  return p;
}

const validTo = () => new Date(Date.now() + 8 * 3600_000).toISOString();
const PERMIT_STATE = `status version statusReason performingAuthority { id } coveredWorkItems { id } history { to } gasTests { id }
  isolations { id state tag appliedBy { id } verifiedBy { id } removedBy { id } }`;
/** Everything a mutation could change about a permit (or, for new permits, how many there are). */
const snapshot = async (permitId: string | null) =>
  permitId
    ? (await as(people.admin, `query($id: ID!) { permit(id: $id) { ${PERMIT_STATE} } }`, { id: permitId })).permit
    : (await as(people.admin, `query($s: ID!) { permits(filter: { siteId: $s }) { totalCount } }`, { s: scope.siteId })).permits.totalCount;

interface Case extends MatrixCase<keyof typeof PERMIT_PERMISSIONS> {
  /** Returns what changed as `r`. */
  mutation: string;
  /** `r` after an allowed call. */
  result: unknown;
}
const onPermit = (stage: () => Promise<{ id: string }>) => async (): Promise<MatrixFixture> => {
  const p = await stage();
  return { variables: { id: p.id }, read: () => snapshot(p.id) };
};
const onIsolation = (stage: () => Promise<{ id: string; isolationId: string }>) => async (): Promise<MatrixFixture> => {
  const p = await stage();
  return { variables: { id: p.isolationId }, read: () => snapshot(p.id) };
};

const cases: Record<string, Case> = {
  createPermit: {
    permission: 'draftPermits',
    setup: async () => ({ variables: { i: { type: 'COLD_WORK', description: 'Replace gasket on P-301', siteId: scope.siteId, siteCode: scope.siteCode, validTo: validTo() } }, read: () => snapshot(null) }),
    mutation: `mutation($i: CreatePermitInput!) { m: createPermit(input: $i) { r: status } }`,
    result: 'DRAFT',
  },
  addPermitWorkItems: {
    permission: 'amendPermits',
    setup: async () => {
      const p = await draft();
      return { variables: { id: p.id, w: [await knownWorkItem(permits, scope.siteId)] }, read: () => snapshot(p.id) };
    },
    mutation: `mutation($id: ID!, $w: [ID!]!) { m: addPermitWorkItems(id: $id, workItemIds: $w) { r: status } }`,
    result: 'DRAFT',
  },
  requestPermit: { permission: 'requestForOthers', setup: onPermit(draft), mutation: `mutation($id: ID!) { m: requestPermit(id: $id) { r: status } }`, result: 'REQUESTED' },
  approvePermit: { permission: 'approvePermits', setup: onPermit(requested), mutation: `mutation($id: ID!) { m: approvePermit(id: $id) { r: status } }`, result: 'APPROVED' },
  issuePermit: { permission: 'issuePermits', setup: onPermit(verified), mutation: `mutation($id: ID!) { m: issuePermit(id: $id) { r: status } }`, result: 'ISSUED' },
  suspendPermit: { permission: 'suspendPermits', setup: onPermit(issued), mutation: `mutation($id: ID!) { m: suspendPermit(id: $id, reason: "gas alarm") { r: status } }`, result: 'SUSPENDED' },
  reinstatePermit: { permission: 'issuePermits', setup: onPermit(suspended), mutation: `mutation($id: ID!) { m: reinstatePermit(id: $id) { r: status } }`, result: 'ISSUED' },
  closePermit: { permission: 'closePermits', setup: onPermit(deIsolated), mutation: `mutation($id: ID!) { m: closePermit(id: $id) { r: status } }`, result: 'CLOSED' },
  cancelPermit: { permission: 'cancelPermits', setup: onPermit(requested), mutation: `mutation($id: ID!) { m: cancelPermit(id: $id, reason: "not needed") { r: status } }`, result: 'CANCELLED' },
  addIsolation: {
    permission: 'planIsolations',
    setup: async () => {
      const p = await draft();
      return { variables: { id: p.id, i: isolation() }, read: () => snapshot(p.id) };
    },
    mutation: `mutation($id: ID!, $i: IsolationInput!) { m: addIsolation(permitId: $id, input: $i) { r: state } }`,
    result: 'PLANNED',
    /** Planning an isolation on a draft records no event. */
    silent: true,
  },
  applyIsolation: { permission: 'applyIsolations', setup: onIsolation(approved), mutation: `mutation($id: ID!) { m: applyIsolation(id: $id) { r: state } }`, result: 'APPLIED' },
  verifyIsolation: { permission: 'verifyIsolations', setup: onIsolation(applied), mutation: `mutation($id: ID!) { m: verifyIsolation(id: $id) { r: state } }`, result: 'VERIFIED' },
  removeIsolation: { permission: 'applyIsolations', setup: onIsolation(applied), mutation: `mutation($id: ID!) { m: removeIsolation(id: $id) { r: state } }`, result: 'REMOVED' },
  recordGasTest: {
    permission: 'recordGasTests',
    setup: async () => {
      const p = await draft();
      return { variables: { id: p.id, g: { o2: 20.9, lel: 0, h2s: 0, co: 0 } }, read: () => snapshot(p.id) };
    },
    mutation: `mutation($id: ID!, $g: GasTestInput!) { m: recordGasTest(permitId: $id, input: $g) { r: withinLimits } }`,
    result: true,
  },
};

describeRoleMatrix({
  gateway: () => gateway,
  permissions: PERMIT_PERMISSIONS,
  cases,
  schema: path.join(__dirname, '../src/schema.graphql'),
  callerOf,
  auditTrail: 'permitsAuditTrail',
  query: `{ permits { totalCount } }`,
  events: () => permits.db.getRepository(OutboxEvent).count(),
  shareRefusedFixtures: true,
  expectData: (data, c) => expect(data.m.r).toEqual(c.result),
  perRole: (role, caller) => {
    test('reads: permits within scope (a contractor only those they have a part in), the audit trail for auditors', async () => {
      const list = ok(await gateway.query(`query($s: ID!) { permits(filter: { siteId: $s }, first: 200) { totalCount edges { node { id } } } }`, { s: scope.siteId }, caller)).permits;
      const ids = list.edges.map((e: { node: { id: string } }) => e.node.id);
      expect(list.totalCount).toBe(ids.length);
      const host = await gateway.query(`query($id: ID!) { permit(id: $id) { id status } }`, { id: hostPermit.id }, caller);
      if (role === 'contractor') {
        expect(ids).not.toContain(hostPermit.id);
        expectError(host, 'NOT_FOUND');
      } else {
        expect(ids).toContain(hostPermit.id);
        expect(ok(host).permit).toEqual({ id: hostPermit.id, status: 'DRAFT' });
      }
      const trail = await gateway.query(`{ permitsAuditTrail(first: 1) { operation } }`, {}, caller);
      if (role === 'auditor' || role === 'administrator') expect(ok(trail).permitsAuditTrail).toHaveLength(1);
      else expectError(trail, 'FORBIDDEN');
    });
  },
});

describe("the requester's own permit", () => {
  test('the requester may request, amend and cancel their own permit; the same role may not on someone else\'s', async () => {
    const operator = callerOf('operator');
    const colleague = person(randomUUID(), 'operator');
    const own = ok(await gateway.query(`mutation($i: CreatePermitInput!) { createPermit(input: $i) { id requester { id } } }`, {
      i: { type: 'COLD_WORK', description: 'Replace gasket', siteId: scope.siteId, siteCode: scope.siteCode, validTo: validTo() },
    }, operator)).createPermit;
    expect(own.requester).toEqual({ id: operator.id });
    const add = `mutation($id: ID!, $w: [ID!]!) { addPermitWorkItems(id: $id, workItemIds: $w) { coveredWorkItems { id } } }`;
    const workItemId = await knownWorkItem(permits, scope.siteId);
    for (const [mutation, variables] of [
      [add, { id: own.id, w: [await knownWorkItem(permits, scope.siteId)] }],
      [`mutation($id: ID!) { requestPermit(id: $id) { status } }`, { id: own.id }],
      [`mutation($id: ID!) { cancelPermit(id: $id, reason: "x") { status } }`, { id: own.id }],
    ] as const) {
      const before = await snapshot(own.id);
      expectError(await gateway.query(mutation, variables, colleague), 'FORBIDDEN');
      expect(await snapshot(own.id)).toEqual(before);
    }
    expect(ok(await gateway.query(add, { id: own.id, w: [workItemId] }, operator)).addPermitWorkItems.coveredWorkItems).toEqual([{ id: workItemId }]);
    expect(ok(await gateway.query(`mutation($id: ID!) { requestPermit(id: $id) { status } }`, { id: own.id }, operator)).requestPermit.status).toBe('REQUESTED');
    // A requester whose token no longer lets them draft permits cannot act on them either.
    const demoted = { ...operator, roles: ['read_only'] as Role[] };
    const before = await snapshot(own.id);
    expectError(await gateway.query(`mutation($id: ID!) { cancelPermit(id: $id, reason: "x") { status } }`, { id: own.id }, demoted), 'FORBIDDEN');
    expect(await snapshot(own.id)).toEqual(before);
    expect(ok(await gateway.query(`mutation($id: ID!) { cancelPermit(id: $id, reason: "not needed") { status } }`, { id: own.id }, operator)).cancelPermit.status).toBe('CANCELLED');
  });
});
