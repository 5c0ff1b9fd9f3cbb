import { OutboxEvent } from '@opsgraph/events';
import { expectError, ok, people, person, startTestGateway, type TestGateway, type TestService } from '@opsgraph/testing';
import type { Caller } from '@opsgraph/core';
import { changeInput, knownPlaces, startChange, type Places } from './fixtures';

/**
 * Separation of duties on a change's approval, through the real gateway: everyone who took part in the
 * change (its requester, its owner, whoever submitted it, whoever added its tasks or pre-startup checks)
 * may approve for a role, but never be all of its approvers. The approval that would complete the change
 * among them alone is refused (SEPARATION_OF_DUTIES) and changes nothing.
 */
let change: TestService;
let gateway: TestGateway;
let places: Places;

const team = {
  requester: person('00000000-0000-4000-8000-0000000000d1', 'technician'),
  owner: person('00000000-0000-4000-8000-0000000000d2', 'supervisor'),
  planner: person('00000000-0000-4000-8000-0000000000d3', 'supervisor'),
  engineer: person('00000000-0000-4000-8000-0000000000d4', 'verifier'),
  outsider: person('00000000-0000-4000-8000-0000000000d5', 'supervisor'),
  reviewer: person('00000000-0000-4000-8000-0000000000d6', 'hse'),
};

beforeAll(async () => {
  change = await startChange();
  gateway = await startTestGateway({ change: change.url });
  places = await knownPlaces(change);
});
afterAll(async () => {
  await gateway?.stop();
  await change?.stop();
});

const gql = (caller: Caller, query: string, variables: Record<string, unknown> = {}) => gateway.query(query, variables, caller);
const step = (caller: Caller, mutation: string, id: string) => gql(caller, `mutation($id: ID!) { ${mutation}(id: $id) { id } }`, { id });
const approve = (caller: Caller, id: string, role: string) => gql(caller, `mutation($id: ID!) { approveChangeRequest(id: $id, role: ${role}) { status pendingApproverRoles } }`, { id });
/** Everything a refused approval could have changed: the change as an administrator reads it, and the event count. */
const snapshot = async (id: string) => [
  ok(await gql(people.admin, `query($id: ID!) { changeRequest(id: $id) { status approvedAt pendingApproverRoles approvals { role decision approver { id } } history { to actor { id } } } }`, { id })).changeRequest,
  await change.db.getRepository(OutboxEvent).count(),
];

async function create(input: Record<string, unknown>, caller = team.requester) {
  return ok(await gql(caller, `mutation($i: CreateChangeRequestInput!) { createChangeRequest(input: $i) { id } }`, { i: changeInput(places, input) })).createChangeRequest.id as string;
}
async function inReview(id: string, submitter: Caller = team.requester) {
  ok(await step(submitter, 'submitChangeRequest', id));
  ok(await step(team.reviewer, 'startChangeReview', id));
}
async function refused(caller: Caller, id: string, role: string) {
  const before = await snapshot(id);
  expectError(await approve(caller, id, role), 'SEPARATION_OF_DUTIES');
  expect(await snapshot(id)).toEqual(before);
}

test("the change's owner is not its only approver", async () => {
  const id = await create({ requiredApproverRoles: ['OPERATIONS'], ownerId: team.owner.id });
  await inReview(id);
  await refused(team.owner, id, 'OPERATIONS');
  expect(ok(await approve(team.outsider, id, 'OPERATIONS')).approveChangeRequest.status).toBe('APPROVED');
});

test('whoever submitted it is not its only approver', async () => {
  // No role submits others' changes: only an administrator, who may approve any role.
  const id = await create({ requiredApproverRoles: ['OPERATIONS'] });
  await inReview(id, people.admin);
  await refused(people.admin, id, 'OPERATIONS');
  expect(ok(await approve(team.outsider, id, 'OPERATIONS')).approveChangeRequest.status).toBe('APPROVED');
});

test('whoever added a task or a pre-startup check is not its only approver', async () => {
  for (const mutation of [
    'addChangeTask(changeId: $id, input: { title: "Fit the fail-closed valve" })',
    'addPreStartupCheck(changeId: $id, input: { title: "Leak test", whatChanged: "valve", permitRequired: false, confirmations: ["No leak?"] })',
  ]) {
    const id = await create({ requiredApproverRoles: ['OPERATIONS'] });
    await inReview(id);
    ok(await gql(team.planner, `mutation($id: ID!) { ${mutation} { id } }`, { id }));
    await refused(team.planner, id, 'OPERATIONS');
    expect(ok(await approve(team.outsider, id, 'OPERATIONS')).approveChangeRequest.status).toBe('APPROVED');
  }
});

test('participants may approve one role each, but someone who took no part must approve another', async () => {
  const id = await create({ requiredApproverRoles: ['OPERATIONS', 'ENGINEERING', 'SAFETY'], ownerId: team.owner.id });
  await inReview(id);
  expect(ok(await approve(team.owner, id, 'OPERATIONS')).approveChangeRequest).toEqual({ status: 'IN_REVIEW', pendingApproverRoles: ['ENGINEERING', 'SAFETY'] });
  expect(ok(await approve(team.reviewer, id, 'SAFETY')).approveChangeRequest).toEqual({ status: 'IN_REVIEW', pendingApproverRoles: ['ENGINEERING'] });
  expect(ok(await approve(team.engineer, id, 'ENGINEERING')).approveChangeRequest.status).toBe('APPROVED');

  // The same with only participants deciding: the last of them is refused.
  const only = await create({ requiredApproverRoles: ['OPERATIONS', 'ENGINEERING'], ownerId: team.owner.id });
  await inReview(only);
  ok(await gql(team.owner, `mutation($id: ID!) { addChangeTask(changeId: $id, input: { title: "Fit the valve" }) { id } }`, { id: only }));
  ok(await approve(team.owner, only, 'OPERATIONS'));
  ok(await gql(team.planner, `mutation($id: ID!) { addChangeTask(changeId: $id, input: { title: "Drain the line" }) { id } }`, { id: only }));
  await refused(team.planner, only, 'ENGINEERING');
  expect(ok(await approve(team.engineer, only, 'ENGINEERING')).approveChangeRequest.status).toBe('APPROVED');
});
