import { OutboxEvent } from '@opsgraph/events';
import { expectError, ok, people, person, startTestGateway, type TestGateway, type TestService } from '@opsgraph/testing';
import type { Caller } from '@opsgraph/core';
import { crew, knownScope, knownWorkItem, startPermits, type Scope } from './fixtures';

/**
 * Separation of duties against everyone who took part in a permit, through the real gateway: approving,
 * issuing, reinstating and verifying an isolation are checks by someone else, so whoever requested the
 * permit, put it forward, added work to it, approved it, will work under it, or planned or applied the
 * isolation is refused (SEPARATION_OF_DUTIES), and the refusal changes nothing.
 */
let permits: TestService;
let gateway: TestGateway;
let scope: Scope;

const duty = {
  technician: person('00000000-0000-4000-8000-0000000000d1', 'technician'),
  supervisor: person('00000000-0000-4000-8000-0000000000d2', 'supervisor'),
  supervisor2: person('00000000-0000-4000-8000-0000000000d3', 'supervisor'),
  hse: person('00000000-0000-4000-8000-0000000000d4', 'hse'),
  issuer: person('00000000-0000-4000-8000-0000000000d5', 'permit_issuer'),
  issuer2: person('00000000-0000-4000-8000-0000000000d6', 'permit_issuer'),
  issuer3: person('00000000-0000-4000-8000-0000000000d7', 'permit_issuer'),
  /** May approve (supervisor) and issue (permit issuer): never both on one permit. */
  supervisingIssuer: person('00000000-0000-4000-8000-0000000000d8', ['supervisor', 'permit_issuer']),
};

beforeAll(async () => {
  permits = await startPermits();
  gateway = await startTestGateway({ permits: permits.url });
  scope = await knownScope(permits, 'DTY');
});
afterAll(async () => {
  await gateway?.stop();
  await permits?.stop();
});

const gql = (caller: Caller, query: string, variables: Record<string, unknown> = {}) => gateway.query(query, variables, caller);
const as = async (caller: Caller, query: string, variables: Record<string, unknown> = {}) => ok(await gql(caller, query, variables));
const step = (caller: Caller, mutation: string, id: string, args = '') => gql(caller, `mutation($id: ID!) { ${mutation}(id: $id${args}) { id } }`, { id });

const STATE = `status version statusReason approvedBy { id } issuer { id } performingAuthority { id } coveredWorkItems { id }
  history { from to actor { id } } isolations { id state appliedBy { id } verifiedBy { id } }`;
/** Everything a refused call could have changed: the permit as an administrator reads it, and the event count. */
const snapshot = async (id: string) => [(await as(people.admin, `query($id: ID!) { permit(id: $id) { ${STATE} } }`, { id })).permit, await permits.db.getRepository(OutboxEvent).count()];

async function draft(requester: Caller, input: Record<string, unknown> = {}) {
  return (await as(requester, `mutation($i: CreatePermitInput!) { createPermit(input: $i) { id number isolations { id } } }`, {
    i: { type: 'HOT_WORK', description: 'Weld bracket on P-301 discharge line', siteId: scope.siteId, siteCode: scope.siteCode, assetIds: [scope.pumpId], validTo: new Date(Date.now() + 8 * 3600_000).toISOString(), ...input },
  })).createPermit as { id: string; number: string; isolations: { id: string }[] };
}

/** Calls the mutation as `caller`, expects SEPARATION_OF_DUTIES naming the part they took, and that nothing changed. */
async function refused(caller: Caller, mutation: string, id: string, part: string, args = '', permitId = id) {
  const before = await snapshot(permitId);
  const err = expectError(await step(caller, mutation, id, args), 'SEPARATION_OF_DUTIES');
  expect(err.extensions?.part).toBe(part);
  expect(await snapshot(permitId)).toEqual(before);
  return err;
}

test('approving: never by the requester, whoever requested it, added work to it, or will do the work under it', async () => {
  const own = await draft(duty.supervisor);
  ok(await step(duty.supervisor, 'requestPermit', own.id));
  expect((await refused(duty.supervisor, 'approvePermit', own.id, 'REQUESTER')).message).toBe(`the requester of permit ${own.number} cannot approve it`);

  // A technician's draft, with an HSE officer to accept it at the job; one supervisor adds work, another puts it forward.
  const permit = await draft(duty.technician, { performingAuthorityId: duty.hse.id });
  ok(await gql(duty.supervisor, `mutation($id: ID!, $w: [ID!]!) { addPermitWorkItems(id: $id, workItemIds: $w) { id } }`, { id: permit.id, w: [await knownWorkItem(permits, scope.siteId)] }));
  ok(await step(duty.supervisor2, 'requestPermit', permit.id));
  expect((await refused(duty.supervisor2, 'approvePermit', permit.id, 'SUBMITTER')).message).toBe(`whoever requested permit ${permit.number} cannot approve it`);
  await refused(duty.supervisor, 'approvePermit', permit.id, 'WORK_ADDED');
  await refused(duty.hse, 'approvePermit', permit.id, 'PERFORMING_AUTHORITY');

  // Someone with no part in it approves.
  const approved = (await as(crew.hse, `mutation($id: ID!) { approvePermit(id: $id) { status approvedBy { id } } }`, { id: permit.id })).approvePermit;
  expect(approved).toEqual({ status: 'APPROVED', approvedBy: { id: crew.hse.id } });
});

test('issuing and reinstating: never by anyone with a part in the permit, its approver and performing authority included', async () => {
  const permit = await draft(duty.technician);
  ok(await gql(duty.issuer, `mutation($id: ID!, $w: [ID!]!) { addPermitWorkItems(id: $id, workItemIds: $w) { id } }`, { id: permit.id, w: [await knownWorkItem(permits, scope.siteId)] }));
  ok(await step(duty.technician, 'requestPermit', permit.id));
  ok(await step(duty.supervisingIssuer, 'approvePermit', permit.id));

  const issue = (pa: string) => `, performingAuthorityId: "${pa}"`;
  expect((await refused(duty.supervisingIssuer, 'issuePermit', permit.id, 'APPROVER', issue(duty.technician.id))).message).toBe(`the approver of permit ${permit.number} cannot issue it`);
  await refused(duty.issuer, 'issuePermit', permit.id, 'WORK_ADDED', issue(duty.technician.id));
  // Naming oneself to do the work is refused too, and the name is not kept.
  await refused(duty.issuer2, 'issuePermit', permit.id, 'PERFORMING_AUTHORITY', issue(duty.issuer2.id));

  const issued = (await as(duty.issuer2, `mutation($id: ID!, $pa: ID!) { issuePermit(id: $id, performingAuthorityId: $pa) { status issuer { id } performingAuthority { id } } }`, { id: permit.id, pa: duty.issuer3.id })).issuePermit;
  expect(issued).toEqual({ status: 'ISSUED', issuer: { id: duty.issuer2.id }, performingAuthority: { id: duty.issuer3.id } });

  ok(await gql(crew.hse, `mutation($id: ID!) { suspendPermit(id: $id, reason: "gas alarm in the area") { id } }`, { id: permit.id }));
  await refused(duty.supervisingIssuer, 'reinstatePermit', permit.id, 'APPROVER');
  await refused(duty.issuer, 'reinstatePermit', permit.id, 'WORK_ADDED');
  await refused(duty.issuer3, 'reinstatePermit', permit.id, 'PERFORMING_AUTHORITY');
  expect((await as(duty.issuer2, `mutation($id: ID!) { reinstatePermit(id: $id) { status } }`, { id: permit.id })).reinstatePermit.status).toBe('ISSUED');
});

test('verifying an isolation: never by whoever planned it, listed with the permit or added later', async () => {
  const permit = await draft(duty.supervisor, { isolations: [{ assetId: scope.pumpId, point: 'MCC-3 breaker 12', method: 'ELECTRICAL_LOCKOUT' }] });
  const listed = permit.isolations[0].id;
  const added = (await as(duty.issuer, `mutation($id: ID!, $i: IsolationInput!) { addIsolation(permitId: $id, input: $i) { id } }`, {
    id: permit.id, i: { assetId: scope.valveId, point: 'Suction valve XV-301', method: 'VALVE_LOCKED_CLOSED' },
  })).addIsolation.id as string;
  ok(await step(duty.supervisor, 'requestPermit', permit.id));
  ok(await step(crew.hse, 'approvePermit', permit.id));
  for (const id of [listed, added]) ok(await step(people.technician, 'applyIsolation', id));

  expect((await refused(duty.supervisor, 'verifyIsolation', listed, 'PLANNER', '', permit.id)).message).toBe('the person who planned an isolation cannot verify it');
  await refused(duty.issuer, 'verifyIsolation', added, 'PLANNER', '', permit.id);
  // The applier, even holding a role that verifies (the rule that was there before).
  await refused({ ...people.technician, roles: ['technician', 'verifier'] }, 'verifyIsolation', listed, 'APPLIER', '', permit.id);

  for (const id of [listed, added]) {
    expect((await as(duty.hse, `mutation($id: ID!) { verifyIsolation(id: $id) { state verifiedBy { id } } }`, { id })).verifyIsolation).toEqual({ state: 'VERIFIED', verifiedBy: { id: duty.hse.id } });
  }
});
