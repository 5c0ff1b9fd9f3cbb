import { ROLES, type Role } from '@opsgraph/core';
import { expectError, ok, people, person, startTestGateway, type TestGateway, type TestService } from '@opsgraph/testing';
import { WORK_PERMISSIONS } from '../src/domain/permissions';
import { startWork } from './fixtures';

/**
 * The role matrix, through the real gateway: every role against every Work mutation. Allowed calls
 * succeed; the others fail with FORBIDDEN and change nothing.
 */
let work: TestService;
let gateway: TestGateway;
let siteId: string;
let areaId: string;
const admin = people.admin;

beforeAll(async () => {
  work = await startWork();
  gateway = await startTestGateway({ work: work.url });
  siteId = ok(await gateway.query(`mutation { createSite(input: { code: "ROL", name: "Roles" }) { id } }`, {}, admin)).createSite.id;
  areaId = ok(await gateway.query(`mutation($s: ID!) { createArea(input: { siteId: $s, code: "A", name: "A" }) { id } }`, { s: siteId }, admin)).createArea.id;
});
afterAll(async () => {
  await gateway.stop();
  await work.stop();
});

const q = (query: string, variables: Record<string, unknown> = {}) => gateway.query(query, variables, admin).then(ok);
let n = 0;
const newItem = async (extra: Record<string, unknown> = {}) =>
  (await q(`mutation($i: CreateWorkItemInput!) { createWorkItem(input: $i) { id } }`, { i: { type: 'OTHER', title: `item ${n++}`, siteId, contractorCompany: 'Acme', ...extra } })).createWorkItem.id as string;
const started = async () => {
  const id = await newItem();
  await q(`mutation($id: ID!) { startWork(id: $id) { id } }`, { id });
  return id;
};
const completed = async () => {
  const id = await started();
  await q(`mutation($id: ID!) { completeWork(id: $id, evidence: []) { id } }`, { id });
  return id;
};
const blocker = async () => {
  const id = await newItem({ prerequisites: [{ kind: 'MATERIAL', description: 'parts' }] });
  return (await q(`query($id: ID!) { workItem(id: $id) { prerequisites { id } } }`, { id })).workItem.prerequisites[0].id as string;
};

type Case = { permission: keyof typeof WORK_PERMISSIONS; setup: () => Promise<Record<string, unknown>>; mutation: string };
const cases: Record<string, Case> = {
  createSite: { permission: 'manageRegistry', setup: async () => ({ i: { code: `S${n++}`, name: 'x' } }), mutation: `mutation($i: CreateSiteInput!) { createSite(input: $i) { id } }` },
  createArea: { permission: 'manageRegistry', setup: async () => ({ i: { siteId, code: `A${n++}`, name: 'x' } }), mutation: `mutation($i: CreateAreaInput!) { createArea(input: $i) { id } }` },
  createLine: { permission: 'manageRegistry', setup: async () => ({ i: { areaId, code: `L${n++}`, name: 'x' } }), mutation: `mutation($i: CreateLineInput!) { createLine(input: $i) { id } }` },
  createAsset: { permission: 'manageRegistry', setup: async () => ({ i: { siteId, code: `P${n++}`, name: 'x' } }), mutation: `mutation($i: CreateAssetInput!) { createAsset(input: $i) { id } }` },
  createWorkItem: { permission: 'raiseWork', setup: async () => ({ i: { type: 'OTHER', title: 'new', siteId, contractorCompany: 'Acme' } }), mutation: `mutation($i: CreateWorkItemInput!) { createWorkItem(input: $i) { id } }` },
  assignWorkItem: { permission: 'superviseWork', setup: async () => ({ id: await newItem() }), mutation: `mutation($id: ID!) { assignWorkItem(id: $id, ownerId: "${people.technician.id}") { id } }` },
  startWork: { permission: 'performWork', setup: async () => ({ id: await newItem() }), mutation: `mutation($id: ID!) { startWork(id: $id) { id } }` },
  holdWork: { permission: 'performWork', setup: async () => ({ id: await newItem() }), mutation: `mutation($id: ID!) { holdWork(id: $id, reason: "r") { id } }` },
  resumeWork: {
    permission: 'performWork',
    setup: async () => {
      const id = await newItem();
      await q(`mutation($id: ID!) { holdWork(id: $id, reason: "r") { id } }`, { id });
      return { id };
    },
    mutation: `mutation($id: ID!) { resumeWork(id: $id) { id } }`,
  },
  completeWork: { permission: 'performWork', setup: async () => ({ id: await started() }), mutation: `mutation($id: ID!) { completeWork(id: $id, evidence: []) { id } }` },
  verifyWork: { permission: 'verifyWork', setup: async () => ({ id: await completed() }), mutation: `mutation($id: ID!) { verifyWork(id: $id, accept: true) { id } }` },
  cancelWork: { permission: 'superviseWork', setup: async () => ({ id: await newItem() }), mutation: `mutation($id: ID!) { cancelWork(id: $id, reason: "r") { id } }` },
  addPrerequisite: { permission: 'raiseWork', setup: async () => ({ id: await newItem() }), mutation: `mutation($id: ID!) { addPrerequisite(workItemId: $id, input: { kind: OTHER, description: "d" }) { id } }` },
  satisfyPrerequisite: { permission: 'performWork', setup: async () => ({ id: await blocker() }), mutation: `mutation($id: ID!) { satisfyPrerequisite(id: $id) { id } }` },
  waivePrerequisite: { permission: 'superviseWork', setup: async () => ({ id: await blocker() }), mutation: `mutation($id: ID!) { waivePrerequisite(id: $id, reason: "r") { id } }` },
  addShiftLogEntry: { permission: 'raiseWork', setup: async () => ({ i: { siteId, shift: 'A', text: 'note' } }), mutation: `mutation($i: ShiftLogInput!) { addShiftLogEntry(input: $i) { id } }` },
};

const allowed = (role: Role, c: Case) => role === 'administrator' || (WORK_PERMISSIONS[c.permission] as readonly Role[]).includes(role);

describe.each(ROLES.map((r) => [r]))('role %s', (role) => {
  // A contractor of the company whose jobs these are, so only the role decides.
  const caller = person(`0000${ROLES.indexOf(role).toString().padStart(4, '0')}-0000-4000-8000-000000000000`, role, ['*'], role === 'contractor' ? 'Acme' : undefined);
  test.each(Object.keys(cases))('%s', async (name) => {
    const c = cases[name];
    const variables = await c.setup();
    const before = (await q(`{ workAuditTrail(first: 1) { operation } }`)).workAuditTrail;
    const res = await gateway.query(c.mutation, variables, caller);
    if (allowed(role, c)) {
      ok(res);
    } else {
      expectError(res, 'FORBIDDEN');
      if (typeof variables.id === 'string' && name !== 'satisfyPrerequisite' && name !== 'waivePrerequisite') {
        const after = (await q(`query($id: ID!) { workItem(id: $id) { history { to } } }`, { id: variables.id })).workItem;
        expect(after.history.at(-1).to).not.toBe(name === 'cancelWork' ? 'CANCELLED' : 'never');
      }
    }
    expect(before).toBeDefined();
  });
  test('queries are open to every role within scope, unauthenticated callers are refused', async () => {
    expect(ok(await gateway.query(`{ workItems(first: 1) { totalCount } }`, {}, caller)).workItems.totalCount).toBeGreaterThanOrEqual(0);
    expectError(await gateway.query(`{ workItems(first: 1) { totalCount } }`, {}, null), 'UNAUTHENTICATED');
  });
});
