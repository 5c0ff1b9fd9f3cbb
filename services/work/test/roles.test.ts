import path from 'node:path';
import { ROLES, type Caller, type Role } from '@opsgraph/core';
import { OutboxEvent } from '@opsgraph/events';
import { describeRoleMatrix, expectError, ok, people, person, startTestGateway, type MatrixCase, type MatrixFixture, type TestGateway, type TestService } from '@opsgraph/testing';
import { WORK_PERMISSIONS } from '../src/domain/permissions';
import { Asset, ConditionClearance, HandoverRecord, ShiftLogEntry, StandingCondition, WorkTemplate } from '../src/entities';
import { startWork } from './fixtures';

/**
 * The role matrix, through the real gateway: every role against every Work mutation. Allowed calls
 * succeed and change the record; the others fail with FORBIDDEN (UNAUTHENTICATED without a token),
 * are on the audit trail as refused, and change nothing.
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
  await gateway?.stop();
  await work?.stop();
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
  const itemId = await newItem({ prerequisites: [{ kind: 'MATERIAL', description: 'parts' }] });
  return { itemId, id: (await q(`query($id: ID!) { workItem(id: $id) { prerequisites { id } } }`, { id: itemId })).workItem.prerequisites[0].id as string };
};

/** Everything a mutation could change about a work item. */
const itemState = (id: string) =>
  q(`query($id: ID!) { workItem(id: $id) { status version owner { id } holdReason verifiedBy { id } history { to } prerequisites { id state waivedReason } } }`, { id });
const onItem = (stage: () => Promise<string>) => async (): Promise<MatrixFixture> => {
  const id = await stage();
  return { variables: { id }, read: () => itemState(id) };
};
const onBlocker = async (): Promise<MatrixFixture> => {
  const { itemId, id } = await blocker();
  return { variables: { id }, read: () => itemState(itemId) };
};

const hourAgo = () => new Date(Date.now() - 3600_000).toISOString();
const newArea = async () => (await q(`mutation($s: ID!, $c: String!) { createArea(input: { siteId: $s, code: $c, name: "x" }) { id } }`, { s: siteId, c: `H${n++}` })).createArea.id as string;
/** A handover awaiting acceptance, started by the administrator, naming the caller as the incoming responsible. */
const onHandover = async (caller: Caller | null): Promise<MatrixFixture> => {
  const i = { siteId, areaId: await newArea(), shift: 'A', from: hourAgo(), incoming: { personId: caller?.id ?? null } };
  const id = (await q(`mutation($i: StartHandoverInput!) { startHandover(input: $i) { id } }`, { i })).startHandover.id as string;
  return { variables: { id }, read: () => q(`query($id: ID!) { handoverRecord(id: $id) { status acceptedBy { id } refusedBy { id } } }`, { id }) };
};

type Case = MatrixCase<keyof typeof WORK_PERMISSIONS>;
/** The shift log records no events (`silent`); the registry publishes each location, and everything done to work items records events. */
const cases: Record<string, Case> = {
  createSite: {
    permission: 'manageRegistry',
    setup: async () => ({ variables: { i: { code: `S${n++}`, name: 'x' } }, read: () => q(`{ sites { id } }`) }),
    mutation: `mutation($i: CreateSiteInput!) { createSite(input: $i) { id } }`,
  },
  createArea: {
    permission: 'manageRegistry',
    setup: async () => ({ variables: { i: { siteId, code: `A${n++}`, name: 'x' } }, read: () => q(`query($s: ID!) { site(id: $s) { areas { id } } }`, { s: siteId }) }),
    mutation: `mutation($i: CreateAreaInput!) { createArea(input: $i) { id } }`,
  },
  createLine: {
    permission: 'manageRegistry',
    setup: async () => ({ variables: { i: { areaId, code: `L${n++}`, name: 'x' } }, read: () => q(`query($s: ID!) { site(id: $s) { areas { id lines { id } } } }`, { s: siteId }) }),
    mutation: `mutation($i: CreateLineInput!) { createLine(input: $i) { id } }`,
  },
  createAsset: {
    permission: 'manageRegistry',
    setup: async () => ({ variables: { i: { siteId, code: `P${n++}`, name: 'x' } }, read: () => work.db.getRepository(Asset).countBy({ siteId }) }),
    mutation: `mutation($i: CreateAssetInput!) { createAsset(input: $i) { id } }`,
  },
  createWorkItem: {
    permission: 'raiseWork',
    setup: async () => ({ variables: { i: { type: 'OTHER', title: 'new', siteId, contractorCompany: 'Acme' } }, read: () => q(`query($s: ID) { workItems(filter: { siteId: $s }) { totalCount } }`, { s: siteId }) }),
    mutation: `mutation($i: CreateWorkItemInput!) { createWorkItem(input: $i) { id } }`,
  },
  assignWorkItem: { permission: 'superviseWork', setup: onItem(() => newItem()), mutation: `mutation($id: ID!) { assignWorkItem(id: $id, ownerId: "${people.technician.id}") { id } }` },
  startWork: { permission: 'performWork', setup: onItem(() => newItem()), mutation: `mutation($id: ID!) { startWork(id: $id) { id } }` },
  holdWork: { permission: 'performWork', setup: onItem(() => newItem()), mutation: `mutation($id: ID!) { holdWork(id: $id, reason: "r") { id } }` },
  resumeWork: {
    permission: 'performWork',
    setup: onItem(async () => {
      const id = await newItem();
      await q(`mutation($id: ID!) { holdWork(id: $id, reason: "r") { id } }`, { id });
      return id;
    }),
    mutation: `mutation($id: ID!) { resumeWork(id: $id) { id } }`,
  },
  completeWork: { permission: 'performWork', setup: onItem(started), mutation: `mutation($id: ID!) { completeWork(id: $id, evidence: []) { id } }` },
  verifyWork: { permission: 'verifyWork', setup: onItem(completed), mutation: `mutation($id: ID!) { verifyWork(id: $id, accept: true) { id } }` },
  cancelWork: { permission: 'superviseWork', setup: onItem(() => newItem()), mutation: `mutation($id: ID!) { cancelWork(id: $id, reason: "r") { id } }` },
  tightenRequiredOutcome: {
    permission: 'tightenOutcome',
    setup: onItem(() => newItem()),
    mutation: `mutation($id: ID!) { tightenRequiredOutcome(id: $id, input: { acceptanceCriteria: "stricter", evidence: [{ kind: PHOTO, label: "after" }] }, reason: "r") { id } }`,
  },
  addPrerequisite: { permission: 'raiseWork', setup: onItem(() => newItem()), mutation: `mutation($id: ID!) { addPrerequisite(workItemId: $id, input: { kind: OTHER, description: "d" }) { id } }` },
  satisfyPrerequisite: { permission: 'performWork', setup: onBlocker, mutation: `mutation($id: ID!) { satisfyPrerequisite(id: $id) { id } }` },
  waivePrerequisite: { permission: 'superviseWork', setup: onBlocker, mutation: `mutation($id: ID!) { waivePrerequisite(id: $id, reason: "r") { id } }` },
  addShiftLogEntry: {
    permission: 'raiseWork',
    // About an Acme job: a contractor's notes must concern their company's work (they read no other notes).
    setup: async () => ({ variables: { i: { siteId, shift: 'A', text: 'note', workItemIds: [await newItem()] } }, read: () => work.db.getRepository(ShiftLogEntry).countBy({ siteId }) }),
    mutation: `mutation($i: ShiftLogInput!) { addShiftLogEntry(input: $i) { id } }`,
    silent: true,
  },
  // Handovers and standing conditions record no events (`silent`). Each handover is of a new area: one awaits
  // acceptance per place. The matrix caller is named as the incoming responsible, so only the role decides.
  startHandover: {
    permission: 'startHandover',
    setup: async () => {
      const area = await newArea();
      return { variables: { i: { siteId, areaId: area, shift: 'A', from: hourAgo() } }, read: () => work.db.getRepository(HandoverRecord).countBy({ areaId: area }) };
    },
    mutation: `mutation($i: StartHandoverInput!) { startHandover(input: $i) { id } }`,
    silent: true,
  },
  acceptHandover: { permission: 'acceptHandover', setup: onHandover, mutation: `mutation($id: ID!) { acceptHandover(id: $id) { id } }`, silent: true },
  refuseHandover: { permission: 'acceptHandover', setup: onHandover, mutation: `mutation($id: ID!) { refuseHandover(id: $id, reason: "r") { id } }`, silent: true },
  recordStandingCondition: {
    permission: 'keepConditions',
    setup: async () => ({ variables: { i: { siteId, kind: 'DEVIATION', description: 'd' } }, read: () => work.db.getRepository(StandingCondition).countBy({ siteId }) }),
    mutation: `mutation($i: StandingConditionInput!) { recordStandingCondition(input: $i) { id } }`,
    silent: true,
  },
  clearStandingCondition: {
    permission: 'keepConditions',
    setup: async () => {
      const id = (await q(`mutation($i: StandingConditionInput!) { recordStandingCondition(input: $i) { id } }`, { i: { siteId, kind: 'OTHER', description: 'c' } })).recordStandingCondition.id as string;
      return { variables: { id }, read: () => work.db.getRepository(ConditionClearance).countBy({ subjectId: id }) };
    },
    mutation: `mutation($id: ID!) { clearStandingCondition(id: $id, note: "n") { id } }`,
    silent: true,
  },
  updateWorkItemDetails: {
    permission: 'changeDetails',
    setup: onItem(() => newItem({ type: 'PUNCH_ITEM', details: { punchItem: { project: 'P', system: 'S', category: 'B', milestone: 'M' } } })),
    mutation: `mutation($id: ID!) { updateWorkItemDetails(id: $id, details: { punchItem: { project: "P", system: "S", category: A, milestone: "M" } }, reason: "r") { id } }`,
  },
  recordRoundCheckpoint: {
    permission: 'recordRound',
    setup: onItem(async () => {
      const id = await newItem({ type: 'ROUND', details: { round: { route: [{ name: 'C1', areaId, checks: [{ label: 'T', kind: 'READING', unit: 'C', max: 40 }] }] } } });
      await q(`mutation($id: ID!) { startWork(id: $id) { id } }`, { id });
      return id;
    }),
    mutation: `mutation($id: ID!) { recordRoundCheckpoint(workItemId: $id, checkpoint: 1, readings: [{ label: "T", value: 21 }]) { id } }`,
  },
  // Templates record no events (`silent`); items raised from one do.
  createWorkTemplate: {
    permission: 'manageTemplates',
    setup: async () => ({ variables: { i: { siteId, type: 'CLEANING', name: `T${n++}`, title: 'x' } }, read: () => work.db.getRepository(WorkTemplate).countBy({ siteId }) }),
    mutation: `mutation($i: WorkTemplateInput!) { createWorkTemplate(input: $i) { id } }`,
    silent: true,
  },
  createWorkItemFromTemplate: {
    permission: 'raiseWork',
    setup: async () => {
      const t = (await q(`mutation($i: WorkTemplateInput!) { createWorkTemplate(input: $i) { name } }`, { i: { siteId, type: 'CLEANING', name: `T${n++}`, title: 'x' } })).createWorkTemplate.name as string;
      return { variables: { s: siteId, t }, read: () => q(`query($s: ID) { workItems(filter: { siteId: $s }) { totalCount } }`, { s: siteId }) };
    },
    mutation: `mutation($s: ID!, $t: String!) { createWorkItemFromTemplate(siteId: $s, template: $t, input: { contractorCompany: "Acme" }) { id } }`,
  },
};

describeRoleMatrix({
  gateway: () => gateway,
  permissions: WORK_PERMISSIONS,
  cases,
  schema: path.join(__dirname, '../src/schema.graphql'),
  // A contractor of the company whose jobs these are, so only the role decides.
  callerOf: (role: Role) => person(`0000${ROLES.indexOf(role).toString().padStart(4, '0')}-0000-4000-8000-000000000000`, role, ['*'], role === 'contractor' ? 'Acme' : undefined),
  auditTrail: 'workAuditTrail',
  query: `{ workItems(first: 1) { totalCount } }`,
  events: () => work.db.getRepository(OutboxEvent).count(),
  perRole: (_role, caller) => {
    test('queries are open to every role within scope, unauthenticated callers are refused', async () => {
      expect(ok(await gateway.query(`{ workItems(first: 1) { totalCount } }`, {}, caller)).workItems.totalCount).toBeGreaterThanOrEqual(0);
      expectError(await gateway.query(`{ workItems(first: 1) { totalCount } }`, {}, null), 'UNAUTHENTICATED');
    });
  },
});
