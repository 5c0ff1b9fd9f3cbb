import { eventually, ok, people, person, startTestGateway, startTestService, untilPlacesKnown, type TestGateway, type TestService } from '@opsgraph/testing';
import { service as competenceService } from '../../competence/src/service';
import { expireRecords } from '../../competence/src/domain/records';
import { seedPlant, type Plant } from '../../work/test/fixtures';
import { service as workService } from '../../work/src/service';
import { service as permitsService } from '../src/service';
import { untilWorkItemsKnown } from './fixtures';

/**
 * Work, Permits and Competence behind the real gateway, each with its relay and consumers on the real
 * event backbone: permits and qualifications change, and the work items show it through the one graph.
 */
let work: TestService;
let permits: TestService;
let competence: TestService;
let gateway: TestGateway;
let plant: Plant;

const tom = people.technician;
const tina = people.technician2;
const issuer = person('00000000-0000-4000-8000-0000000000c1', 'permit_issuer');
const hse = person('00000000-0000-4000-8000-0000000000c2', 'hse');

const gql = async <T = any>(query: string, variables: Record<string, unknown> = {}, caller = people.supervisor) => ok(await gateway.query<T>(query, variables, caller));

beforeAll(async () => {
  [work, permits, competence] = await Promise.all([startTestService(workService), startTestService(permitsService), startTestService(competenceService)]);
  // The board query below nests lists three deep over 12 items: above the default cost limit for clients,
  // which is not what this file measures (statements per subgraph).
  process.env.OPSGRAPH_MAX_COST = '1000000';
  gateway = await startTestGateway({ work: work.url, permits: permits.url, competence: competence.url });
  plant = await seedPlant(work);
  // People are registered at a site competence must know first (it learns it from Work's events).
  await untilPlacesKnown(competence.db, [plant.siteId]);
  for (const [p, name] of [[tom, 'Tom Technician'], [tina, 'Tina Technician']] as const) {
    await gql(`mutation($i: RegisterPersonInput!) { registerPerson(input: $i) { id } }`, { i: { id: p.id, name, roles: ['technician'], siteIds: [plant.siteId] } }, hse);
  }
  await gql(`mutation { createQualification(input: { code: "PUMP-MECH", name: "Pump mechanical seal fitting", validityMonths: 24 }) { id } }`, {}, hse);
  await gql(`mutation { addQualificationRequirement(input: { qualificationCode: "PUMP-MECH", assetClass: "pump" }) { id } }`, {}, hse);
  await gql(`mutation($p: ID!, $at: DateTime!) { grantCompetence(input: { personId: $p, qualificationCode: "PUMP-MECH", achievedAt: $at, evidence: "cert PM-77" }) { id } }`, { p: tom.id, at: new Date(Date.now() - 30 * 24 * 3600_000).toISOString() }, hse);
}, 60_000);
afterAll(async () => {
  await gateway?.stop();
  await Promise.all([work?.stop(), permits?.stop(), competence?.stop()]);
});

async function pumpJob(title: string, ownerId: string | null = tom.id) {
  return (await gql(`mutation($i: CreateWorkItemInput!) { createWorkItem(input: $i) { id number } }`, { i: { type: 'MAINTENANCE', title, siteId: plant.siteId, assetId: plant.assetId, ownerId } })).createWorkItem as { id: string; number: string };
}

/** A hot-work permit with one isolation on the pump, covering the given items, taken to ISSUED through the gateway. */
async function issuedPermit(workItemIds: string[], validTo = new Date(Date.now() + 8 * 3600_000)) {
  // Permits checks the places and items a permit names against what Work's events told it.
  await untilPlacesKnown(permits.db, [plant.siteId, plant.assetId]);
  await untilWorkItemsKnown(permits, workItemIds);
  const permit = (await gql(`mutation($i: CreatePermitInput!) { createPermit(input: $i) { id number isolations { id } } }`, {
    i: {
      type: 'HOT_WORK', description: 'Cut and weld P-301 discharge bracket', siteId: plant.siteId, siteCode: 'GRN', assetIds: [plant.assetId], workItemIds,
      validTo: validTo.toISOString(), precautions: ['Fire watch 30 min after'],
      isolations: [{ assetId: plant.assetId, point: 'MCC-3 breaker 12', method: 'ELECTRICAL_LOCKOUT' }],
    },
  })).createPermit;
  await gql(`mutation($id: ID!) { requestPermit(id: $id) { id } }`, { id: permit.id });
  await gql(`mutation($id: ID!) { approvePermit(id: $id) { id } }`, { id: permit.id }, hse);
  await gql(`mutation($id: ID!) { applyIsolation(id: $id, tag: "L-041") { id } }`, { id: permit.isolations[0].id }, tom);
  await gql(`mutation($id: ID!) { verifyIsolation(id: $id) { id } }`, { id: permit.isolations[0].id }, issuer);
  await gql(`mutation($id: ID!, $pa: ID!) { issuePermit(id: $id, performingAuthorityId: $pa) { status } }`, { id: permit.id, pa: tom.id }, issuer);
  return permit as { id: string; number: string };
}

const STATE = `status blocked blockers { kind description reason } permitReadiness { ready problems } ownerQualified { qualified missing { code } }`;
const itemState = async (id: string) => (await gql(`query($id: ID!) { workItem(id: $id) { ${STATE} } }`, { id })).workItem;

test('suspending a permit shows the work in progress blocked, with the reason; reinstating releases it', async () => {
  const job = await pumpJob('Weld bracket on P-301');
  const permit = await issuedPermit([job.id]);
  await eventually(async () => (await itemState(job.id)).status === 'READY');
  await gql(`mutation($id: ID!) { startWork(id: $id) { status } }`, { id: job.id }, tom);

  await gql(`mutation($id: ID!) { suspendPermit(id: $id, reason: "gas alarm in the pump house") { status } }`, { id: permit.id }, hse);
  const blocked = await eventually(async () => {
    const state = await itemState(job.id);
    return state.blocked ? state : null;
  });
  expect(blocked).toEqual({
    status: 'IN_PROGRESS',
    blocked: true,
    blockers: [{ kind: 'PERMIT_VALID', description: `Valid hot work permit ${permit.number}`, reason: `${permit.number} suspended: gas alarm in the pump house` }],
    permitReadiness: { ready: false, problems: [`${permit.number} suspended: gas alarm in the pump house`] },
    ownerQualified: { qualified: true, missing: [] },
  });

  await gql(`mutation($id: ID!) { reinstatePermit(id: $id) { status } }`, { id: permit.id }, issuer);
  await eventually(async () => !(await itemState(job.id)).blocked);
  expect(await itemState(job.id)).toMatchObject({ status: 'IN_PROGRESS', blockers: [], permitReadiness: { ready: true, problems: [] } });
});

test("a permit's end blocks the work at that moment, before the expiry rule has run", async () => {
  const job = await pumpJob('Grind weld on P-301 bracket');
  const validTo = new Date(Date.now() + 15_000);
  await issuedPermit([job.id], validTo);
  await eventually(async () => (await itemState(job.id)).status === 'READY');
  const [prerequisite] = (await gql(`query($id: ID!) { workItem(id: $id) { prerequisites { kind validUntil } } }`, { id: job.id })).workItem.prerequisites.filter((p: { kind: string }) => p.kind === 'PERMIT_VALID');
  expect(new Date(prerequisite.validUntil).getTime()).toBe(validTo.getTime());
  await new Promise((resolve) => setTimeout(resolve, validTo.getTime() - Date.now() + 200));
  const refused = await gateway.query(`mutation($id: ID!) { startWork(id: $id) { status } }`, { id: job.id }, tom);
  expect(refused.errors?.[0]?.extensions?.code).toBe('PREREQUISITES_OPEN');
  expect(refused.errors?.[0]?.message).toMatch(/lapsed at/);
}, 90_000);

test('a qualification that lapses shows the competence blocker on the assigned work; renewing clears it', async () => {
  const job = await pumpJob('Replace P-301 mechanical seal');
  await eventually(async () => (await itemState(job.id)).status === 'READY');
  await gql(`mutation($id: ID!) { startWork(id: $id) { status } }`, { id: job.id }, tom);

  const [record] = (await gql(`query($id: ID!) { person(id: $id) { competenceRecords { id expiresAt } } }`, { id: tom.id })).person.competenceRecords;
  await expireRecords(competence.db.manager, new Date(new Date(record.expiresAt).getTime() + 1000)); // the scheduled rule, run with a later clock
  const blocked = await eventually(async () => {
    const state = await itemState(job.id);
    return state.blocked ? state : null;
  });
  expect(blocked).toMatchObject({
    status: 'IN_PROGRESS',
    blockers: [{ kind: 'COMPETENCE_HELD', description: 'Owner holds Pump mechanical seal fitting (PUMP-MECH)', reason: `PUMP-MECH expired on ${record.expiresAt.slice(0, 10)}` }],
    ownerQualified: { qualified: false, missing: [{ code: 'PUMP-MECH' }] },
  });

  await gql(`mutation($id: ID!, $at: DateTime!) { renewCompetence(id: $id, input: { achievedAt: $at, evidence: "reassessed" }) { status } }`, { id: record.id, at: new Date().toISOString() }, hse);
  await eventually(async () => !(await itemState(job.id)).blocked);
  expect(await itemState(job.id)).toMatchObject({ status: 'IN_PROGRESS', blockers: [], ownerQualified: { qualified: true, missing: [] } });
});

const BOARD_FIELDS = `
  id number status blocked owner { id name }
  blockers { kind reason }
  permits { number status valid isolations { point state asset { code } appliedBy { name } verifiedBy { id } } }
  permitReadiness { required ready problems }
  requiredQualifications { code name }
  ownerQualified { qualified missing { code } }
`;

test('one query: a work item with its permits and isolations, required qualifications and whether its owner holds them', async () => {
  const job = await pumpJob('Rebuild P-301 coupling', tina.id);
  const permit = await issuedPermit([job.id]);
  const item = await eventually(async () => {
    const res = (await gql(`query($id: ID!) { workItem(id: $id) { ${BOARD_FIELDS} } }`, { id: job.id })).workItem;
    // Both domains' events have reached Work: the permit's blocker satisfied, the competence one raised.
    return res.blocked && res.blockers.length === 1 && res.blockers[0].kind === 'COMPETENCE_HELD' && res.permitReadiness.ready ? res : null;
  });
  expect(item).toEqual({
    id: job.id,
    number: job.number,
    status: 'OPEN',
    blocked: true,
    owner: { id: tina.id, name: 'Tina Technician' },
    blockers: [{ kind: 'COMPETENCE_HELD', reason: 'PUMP-MECH not held' }],
    permits: [{ number: permit.number, status: 'ISSUED', valid: true, isolations: [{ point: 'MCC-3 breaker 12', state: 'VERIFIED', asset: { code: 'P-301' }, appliedBy: { name: 'Tom Technician' }, verifiedBy: { id: issuer.id } }] }],
    permitReadiness: { required: true, ready: true, problems: [] },
    requiredQualifications: [{ code: 'PUMP-MECH', name: 'Pump mechanical seal fitting' }],
    ownerQualified: { qualified: false, missing: [{ code: 'PUMP-MECH' }] },
  });
  const who = (await gql(`query($id: ID!) { qualifiedPeople(workItemId: $id) { name } asset(id: "${plant.assetId}") { activeIsolations { point permit { number } } } }`, { id: job.id }));
  expect(who.qualifiedPeople).toEqual([{ name: 'Tom Technician' }]);
  expect(who.asset.activeIsolations).toEqual(expect.arrayContaining([{ point: 'MCC-3 breaker 12', permit: { number: permit.number } }]));
});

test('the statements per query do not grow with the number of items (3 vs 12), across the subgraphs', async () => {
  const site = await seedPlant(work, 'BAT');
  const ids: string[] = [];
  for (let i = 0; i < 12; i++) {
    const created = await gql(`mutation($i: CreateWorkItemInput!) { createWorkItem(input: $i) { id } }`, { i: { type: 'MAINTENANCE', title: `Batch ${i}`, siteId: site.siteId, assetId: site.assetId, ownerId: i % 2 ? tom.id : tina.id } });
    ids.push(created.createWorkItem.id);
  }
  await untilPlacesKnown(permits.db, [site.siteId, site.assetId]);
  await untilWorkItemsKnown(permits, ids);
  await gql(`mutation($i: CreatePermitInput!) { createPermit(input: $i) { id } }`, {
    i: { type: 'COLD_WORK', description: 'Batch work', siteId: site.siteId, siteCode: 'BAT', workItemIds: ids, validTo: new Date(Date.now() + 3600_000).toISOString(), isolations: [{ assetId: site.assetId, point: 'Valve XV-1', method: 'VALVE_LOCKED_CLOSED' }] },
  });
  const list = (n: number) => gateway.query(`query($s: ID!, $n: Int) { workItems(filter: { siteId: $s }, first: $n) { edges { node { ${BOARD_FIELDS} } } } }`, { s: site.siteId, n: n }, people.supervisor);
  await eventually(async () => ok(await list(12)).workItems.edges.every((e: any) => e.node.blockers.length > 0 && e.node.ownerQualified));
  const [few, many] = [await list(3), await list(12)];
  expect(ok(many).workItems.edges).toHaveLength(12);
  expect(ok(few).workItems.edges).toHaveLength(3);
  expect(many.statements).toBe(few.statements);
  expect(many.statements).toBeLessThanOrEqual(15); // 12 today: Work's list and refs, permits, isolations, projection, requirements, records, people
});
