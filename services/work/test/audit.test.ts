import { expectError, ok, people, type TestService } from '@opsgraph/testing';
import { act, createItem, seedPlant, startWork } from './fixtures';

let work: TestService;
beforeAll(async () => {
  work = await startWork();
});
afterAll(() => work.stop());

test('every mutation, allowed or refused, is on the audit trail with who, what and the request; only auditors read it', async () => {
  const plant = await seedPlant(work, 'AUD');
  const item = await createItem(work, plant);
  ok(await act(work, 'startWork', { id: item.id }, people.technician));
  expectError(await act(work, 'startWork', { id: item.id }, people.technician2), 'ILLEGAL_TRANSITION');
  const auditor = { ...people.verifier, id: '00000000-0000-4000-8000-0000000000ad', roles: ['auditor' as const] };
  expectError(await work.query(`{ workAuditTrail { operation } }`, {}, people.technician), 'FORBIDDEN');
  const trail = ok(await work.query(`{ workAuditTrail(first: 3) { at actorId actorRoles requestId operation outcome errorCode variables } }`, {}, auditor)).workAuditTrail;
  expect(trail[0]).toMatchObject({ actorId: people.technician2.id, operation: 'startWork', outcome: 'refused', errorCode: 'ILLEGAL_TRANSITION' });
  expect(JSON.parse(trail[0].variables)).toEqual({ id: item.id });
  expect(trail[1]).toMatchObject({ actorId: people.technician.id, actorRoles: ['technician'], operation: 'startWork', outcome: 'ok', errorCode: null });
  expect(trail[1].requestId).toMatch(/[0-9a-f-]{36}/);
  expect(trail[2]).toMatchObject({ operation: 'createWorkItem', actorId: people.supervisor.id });
  const mine = ok(await work.query(`query($a: ID) { workAuditTrail(actorId: $a) { operation } }`, { a: people.technician.id }, auditor)).workAuditTrail;
  expect(mine).toEqual([{ operation: 'startWork' }]);
});
