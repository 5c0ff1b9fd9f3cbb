import { randomUUID } from 'node:crypto';
import path from 'node:path';
import { TrackedWorkItem, ROLES, type Caller, type Role } from '@opsgraph/core';
import { OutboxEvent } from '@opsgraph/events';
import { describeRoleMatrix, eventually, expectError, fakeWork, knowPlaces, ok, permitted, person, startTestGateway, type MatrixCase, type MatrixFixture, type TestGateway, type TestService } from '@opsgraph/testing';
import { CHANGE_PERMISSIONS } from '../src/domain/permissions';
import { changeInput, check, crew, newPlaces, startChange } from './fixtures';

/**
 * The role matrix, through the real gateway: every role against every change mutation, the caller being
 * neither the change's requester nor its owner. Allowed calls succeed and change the record; the others
 * fail with FORBIDDEN, change nothing (the change reads the same, no event is recorded) and are on the
 * audit trail as refused. The same call without a token is UNAUTHENTICATED and changes nothing. Then the relation: a change's own requester or
 * owner steers it only when they hold a role that may propose changes.
 */
let change: TestService;
let gateway: TestGateway;
let work: ReturnType<typeof fakeWork>;
const places = newPlaces();

beforeAll(async () => {
  change = await startChange();
  gateway = await startTestGateway({ change: change.url });
  work = fakeWork();
  await knowPlaces(change.db, places);
});
afterAll(async () => {
  await work?.close();
  await gateway?.stop();
  await change?.stop();
});

/** Setup and re-reads go straight to the subgraph (as the system unless someone else must act). */
const q = (query: string, variables: Record<string, unknown> = {}, caller?: Caller) => change.query(query, variables, caller).then(ok);
const events = () => change.db.getRepository(OutboxEvent).count();
const step = (mutation: string, id: string, caller: Caller) => q(`mutation($id: ID!) { ${mutation} { id } }`, { id }, caller);

/** A draft by the technician with one pre-startup check, approved by the given roles. */
const draft = async (approvers: string[] = ['SAFETY'], extra: Record<string, unknown> = {}) =>
  (await q(`mutation($i: CreateChangeRequestInput!) { createChangeRequest(input: $i) { id } }`, {
    i: changeInput(places, { requiredApproverRoles: approvers, preStartupChecks: [check('Inspect the filler before restart')], ...extra }),
  }, crew.technician)).createChangeRequest.id as string;
const submitted = async (approvers?: string[]) => {
  const id = await draft(approvers);
  await step('submitChangeRequest(id: $id)', id, crew.technician);
  return id;
};
const inReview = async (approvers?: string[]) => {
  const id = await submitted(approvers);
  await step('startChangeReview(id: $id)', id, crew.supervisor);
  return id;
};
const approved = async () => {
  const id = await inReview(['SAFETY']);
  await step('approveChangeRequest(id: $id, role: SAFETY)', id, crew.hse);
  return id;
};
const implementing = async () => {
  const id = await approved();
  await step('startChangeImplementation(id: $id)', id, crew.technician);
  return id;
};
/** In its pre-startup review, with the check's work item reported by Work as verified done or cancelled. */
const reviewed = async (outcome: 'verified' | 'cancelled') => {
  const id = await implementing();
  await step('startPreStartupReview(id: $id)', id, crew.technician);
  const [checkId] = (await q(`query($id: ID!) { changeRequest(id: $id) { preStartupChecks { id } } }`, { id })).changeRequest.preStartupChecks.map((c: { id: string }) => c.id);
  const item = { workItemId: randomUUID(), workType: 'PRE_STARTUP_CHECK', siteId: places.siteId, sourceDomain: 'CHANGE', sourceRecordId: id, workRequestId: `change:${id}:check:1` };
  await work.created(item);
  await work[outcome](item);
  const status = outcome === 'verified' ? 'DONE' : 'CANCELLED';
  await eventually(async () => (await change.db.getRepository(TrackedWorkItem).findOneBy({ workItemId: item.workItemId }))?.status === status);
  return { id, checkId };
};

/** Checks verified and start-up authorized by someone who had no part in the change. */
const startupAuthorized = async () => {
  const { id } = await reviewed('verified');
  await q(`mutation($id: ID!) { authorizeStartup(id: $id, note: "PSSR complete") { id } }`, { id }, crew.supervisor2);
  return id;
};

const state = (id: string) =>
  q(`query($id: ID!) { changeRequest(id: $id) { status updatedAt endReason approvals { role decision } history { to note } tasks { id } preStartupChecks { id raisedAt } } }`, { id });

type Case = MatrixCase<keyof typeof CHANGE_PERMISSIONS>;
const onChange = (prepare: () => Promise<string>) => async (): Promise<MatrixFixture> => {
  const id = await prepare();
  return { variables: { id }, read: () => state(id) };
};

const cases: Record<string, Case> = {
  createChangeRequest: {
    operation: 'createChangeRequest',
    permission: 'proposeChange',
    mutation: `mutation($i: CreateChangeRequestInput!) { createChangeRequest(input: $i) { id } }`,
    setup: async () => ({ variables: { i: changeInput(places) }, read: () => q(`query($s: ID) { changeRequests(filter: { siteId: $s }) { totalCount } }`, { s: places.siteId }) }),
  },
  submitChangeRequest: { operation: 'submitChangeRequest', permission: 'submitChange', mutation: `mutation($id: ID!) { submitChangeRequest(id: $id) { id } }`, setup: onChange(() => draft()) },
  startChangeReview: { operation: 'startChangeReview', permission: 'startReview', mutation: `mutation($id: ID!) { startChangeReview(id: $id) { id } }`, setup: onChange(() => submitted()) },
  ...Object.fromEntries(
    (['OPERATIONS', 'ENGINEERING', 'SAFETY'] as const).flatMap((role) => {
      const permission = `approve${role[0]}${role.slice(1).toLowerCase()}` as keyof typeof CHANGE_PERMISSIONS;
      return [
        [`approveChangeRequest ${role}`, { operation: 'approveChangeRequest', permission, mutation: `mutation($id: ID!) { approveChangeRequest(id: $id, role: ${role}) { id } }`, setup: onChange(() => inReview([role])) }],
        [`rejectChangeRequest ${role}`, { operation: 'rejectChangeRequest', permission, mutation: `mutation($id: ID!) { rejectChangeRequest(id: $id, role: ${role}, comment: "not now") { id } }`, setup: onChange(() => inReview([role])) }],
      ];
    }),
  ),
  startChangeImplementation: { operation: 'startChangeImplementation', permission: 'steerChange', mutation: `mutation($id: ID!) { startChangeImplementation(id: $id) { id } }`, setup: onChange(approved) },
  startPreStartupReview: { operation: 'startPreStartupReview', permission: 'steerChange', mutation: `mutation($id: ID!) { startPreStartupReview(id: $id) { id } }`, setup: onChange(implementing) },
  authorizeStartup: { operation: 'authorizeStartup', permission: 'authorizeStartup', mutation: `mutation($id: ID!) { authorizeStartup(id: $id, note: "PSSR complete") { id } }`, setup: onChange(async () => (await reviewed('verified')).id) },
  closeChangeRequest: { operation: 'closeChangeRequest', permission: 'steerChange', mutation: `mutation($id: ID!) { closeChangeRequest(id: $id, note: "closed out") { id } }`, setup: onChange(startupAuthorized) },
  cancelChangeRequest: { operation: 'cancelChangeRequest', permission: 'steerChange', mutation: `mutation($id: ID!) { cancelChangeRequest(id: $id, reason: "superseded") { id } }`, setup: onChange(() => submitted()) },
  addChangeTask: { operation: 'addChangeTask', permission: 'steerChange', mutation: `mutation($id: ID!) { addChangeTask(changeId: $id, input: { title: "Fit the valve" }) { id } }`, setup: onChange(() => draft()) },
  addPreStartupCheck: {
    operation: 'addPreStartupCheck',
    permission: 'steerChange',
    mutation: `mutation($id: ID!) { addPreStartupCheck(changeId: $id, input: { title: "Leak test", whatChanged: "valve", permitRequired: false, confirmations: ["No leak?"] }) { id } }`,
    setup: onChange(() => draft()),
    /** A check added to a draft is raised (an event) only when the review starts. */
    silent: true,
  },
  reraisePreStartupCheck: {
    operation: 'reraisePreStartupCheck',
    permission: 'steerChange',
    mutation: `mutation($id: ID!) { reraisePreStartupCheck(id: $id, reason: "the work item was cancelled by mistake") { id } }`,
    setup: async () => {
      const { id, checkId } = await reviewed('cancelled');
      return { variables: { id: checkId }, read: () => state(id) };
    },
  },
};

describeRoleMatrix({
  gateway: () => gateway,
  permissions: CHANGE_PERMISSIONS,
  cases,
  schema: path.join(__dirname, '../src/schema.graphql'),
  callerOf: (role: Role) => person(`0000${ROLES.indexOf(role).toString().padStart(4, '0')}-0000-4000-8000-00000000cccc`, role, [places.siteId], role === 'contractor' ? 'Acme' : undefined),
  auditTrail: 'changeAuditTrail',
  query: `{ changeRequests { totalCount } }`,
  events,
  shareRefusedFixtures: true,
  perRole: (role, caller) => {
    test('as the change\'s owner: submits and steers it only with a role that may propose changes', async () => {
      const owned = await draft(['SAFETY'], { ownerId: caller.id });
      const may = permitted(CHANGE_PERMISSIONS, role, 'proposeChange');
      for (const mutation of ['addChangeTask(changeId: $id, input: { title: "Fit the valve" })', 'submitChangeRequest(id: $id)', 'cancelChangeRequest(id: $id, reason: "superseded")']) {
        const before = await state(owned);
        const res = await gateway.query(`mutation($id: ID!) { ${mutation} { id } }`, { id: owned }, caller);
        if (may) {
          ok(res);
          expect(await state(owned)).not.toEqual(before);
        } else {
          expectError(res, 'FORBIDDEN');
          expect(await state(owned)).toEqual(before);
        }
      }
    });

    test('reading: changes of the caller\'s site (a contractor\'s: only those behind their company\'s jobs) and "may we restart?" (not for a contractor); the audit trail only for auditors', async () => {
      const id = await draft();
      const read = (query: string, variables: Record<string, unknown> = {}) => gateway.query(query, variables, caller);
      const list = ok(await read(`{ changeRequests(first: 200) { totalCount edges { node { id } } } }`)).changeRequests;
      expect(list.totalCount).toBe(list.edges.length);
      const one = await read(`query($id: ID!) { changeRequest(id: $id) { id number reason requester { id } } }`, { id });
      const readiness = await read(`query($a: ID) { restartReadiness(areaId: $a) { mayRestart } }`, { a: places.areaId });
      if (role === 'contractor') {
        // A contractor sees only the changes behind their company's jobs (none here: contractor.test.ts has
        // those), and gets no restart answer.
        expect(list).toEqual({ totalCount: 0, edges: [] });
        expectError(one, 'NOT_FOUND');
        expectError(readiness, 'FORBIDDEN');
      } else {
        expect(list.edges.map((e: any) => e.node.id)).toContain(id);
        expect(ok(one).changeRequest).toMatchObject({ id, requester: { id: crew.technician.id } });
        expect(typeof ok(readiness).restartReadiness.mayRestart).toBe('boolean');
      }
      const trail = await read(`{ changeAuditTrail(first: 5) { operation } }`);
      if (role === 'auditor' || role === 'administrator') expect(ok(trail).changeAuditTrail.length).toBeGreaterThan(0);
      else expectError(trail, 'FORBIDDEN');
    });
  },
});
