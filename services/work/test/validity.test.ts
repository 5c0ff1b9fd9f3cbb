import { createTransport, type Transport } from '@opsgraph/events';
import { expectError, ok, people, eventually, startTestGateway, untilPlacesKnown, type TestGateway, type TestService } from '@opsgraph/testing';
import { expireRecords } from '../../competence/src/domain/records';
import { createQualification, grant, monthsAgo, registerPerson, requireQualification, seedPlant, startCompetence, startWorkService, type Plant } from '../../competence/test/fixtures';

/**
 * Conditions judged at the moment of action (issue 27): a qualification granted until a moment a few seconds
 * ahead satisfies the owner's "competence held" blocker with that validity; once the moment passes, Work refuses
 * to start or verify the work and reads it lapsed, before competence's expiry scheduler has run (it runs every
 * minute; the record is checked untouched). Work, competence, Kafka and the gateway are real.
 */
let work: TestService;
let competence: TestService;
let gateway: TestGateway;
let plant: Plant;
let transport: Transport;

const tom = people.technician;

beforeAll(async () => {
  [work, competence] = await Promise.all([startWorkService(), startCompetence()]);
  gateway = await startTestGateway({ work: work.url, competence: competence.url });
  transport = createTransport();
  plant = await seedPlant(work);
  await untilPlacesKnown(competence.db, [plant.siteId]);
  await registerPerson(competence, { id: tom.id, name: 'Tom Technician', roles: ['technician'], siteIds: [plant.siteId] });
  await createQualification(competence, 'PUMP-MECH', 'Pump mechanical seal fitting', 24);
  await requireQualification(competence, { qualificationCode: 'PUMP-MECH', assetClass: 'pump' });
}, 60_000);
afterAll(async () => {
  await gateway?.stop();
  await transport?.close();
  await Promise.all([work?.stop(), competence?.stop()]);
});

const ITEM = 'status blocked prerequisites { kind state reason validUntil lapsed } blockers { description reason }';
const read = async (id: string) => ok(await gateway.query(`query($id: ID!) { workItem(id: $id) { ${ITEM} } }`, { id }, people.supervisor)).workItem;
const createPumpJob = async (title: string) =>
  ok(await gateway.query(`mutation($i: CreateWorkItemInput!) { createWorkItem(input: $i) { id } }`, { i: { type: 'MAINTENANCE', title, siteId: plant.siteId, assetId: plant.assetId, ownerId: tom.id } }, people.supervisor))
    .createWorkItem.id as string;
const mutate = (name: string, args: string, vars: Record<string, unknown>, caller = tom) => gateway.query(`mutation { ${name}(${args}) { status } }`.replace('mutation {', `mutation(${Object.keys(vars).map((k) => `$${k}: ${k === 'id' ? 'ID!' : k === 'accept' ? 'Boolean!' : '[EvidenceInput!]!'}`).join(', ')}) {`), vars, caller);
const sleepUntil = async (at: Date) => new Promise((resolve) => setTimeout(resolve, Math.max(0, at.getTime() - Date.now())));

test('a start and a verify are refused at the instant a qualification lapses, with no scheduler run in between', async () => {
  const expiresAt = new Date(Date.now() + 6_000);
  ok(await grant(competence, tom.id, 'PUMP-MECH', monthsAgo(1), { expiresAt: expiresAt.toISOString() }));
  const toStart = await createPumpJob('Replace seal on P-301');
  const toVerify = await createPumpJob('Align P-301 coupling');
  for (const id of [toStart, toVerify]) {
    const ready = await eventually(async () => {
      const now = await read(id);
      return now.status === 'READY' && now.prerequisites.length === 1 ? now : null;
    });
    // The blocker carries its validity: satisfied until the qualification's expiry.
    expect(ready.prerequisites[0]).toMatchObject({ kind: 'COMPETENCE_HELD', state: 'SATISFIED', validUntil: expiresAt.toISOString(), lapsed: false });
    expect(ready.blocked).toBe(false);
  }
  // Performed while qualified: started and completed before the expiry.
  ok(await mutate('startWork', 'id: $id', { id: toVerify }));
  ok(await mutate('completeWork', 'id: $id, evidence: $evidence', { id: toVerify, evidence: [] }));
  expect(Date.now()).toBeLessThan(expiresAt.getTime()); // else the test proves nothing: the lapse must come after this

  await sleepUntil(new Date(expiresAt.getTime() + 50));
  const refused = expectError(await mutate('startWork', 'id: $id', { id: toStart }), 'PREREQUISITES_OPEN');
  expect(refused.message).toContain(`Owner holds Pump mechanical seal fitting (PUMP-MECH) lapsed at ${expiresAt.toISOString()}`);
  const verify = expectError(await mutate('verifyWork', 'id: $id, accept: $accept', { id: toVerify, accept: true }, people.verifier), 'PREREQUISITES_OPEN');
  expect(verify.message).toContain(`lapsed at ${expiresAt.toISOString()}`);

  // Reads show the same moment: lapsed, open, blocked, not ready.
  const lapsed = await read(toStart);
  expect(lapsed).toMatchObject({ status: 'OPEN', blocked: true, prerequisites: [{ kind: 'COMPETENCE_HELD', state: 'OPEN', lapsed: true, reason: `lapsed at ${expiresAt.toISOString()}` }] });
  expect(lapsed.blockers).toHaveLength(1);
  expect((await read(toVerify)).status).toBe('AWAITING_VERIFICATION');
  const blockedList = ok(await gateway.query(`query($f: WorkItemFilter) { workItems(filter: $f) { totalCount } }`, { f: { siteId: plant.siteId, blocked: true } }, people.supervisor)).workItems;
  expect(blockedList.totalCount).toBe(2);

  // Nothing told Work: competence's expiry scheduler has not run (the record is not lapsed there) and Work's items are unchanged.
  const [record] = await competence.db.query(`SELECT lapsed_at FROM competence_record`);
  expect(record.lapsed_at).toBeNull();
  const [stored] = await work.db.query(`SELECT status FROM work_item WHERE id = $1`, [toStart]);
  expect(stored.status).toBe('READY');

  // The scheduler then only tidies up: the source's word replaces Work's own judgement, the work stays blocked.
  await expireRecords(competence.db.manager, new Date());
  const tidied = await eventually(async () => {
    const now = await read(toStart);
    return /expired on/.test(now.prerequisites[0].reason) ? now : null;
  });
  expect(tidied).toMatchObject({ status: 'OPEN', blocked: true, prerequisites: [{ state: 'OPEN', lapsed: false }] });
  expectError(await mutate('startWork', 'id: $id', { id: toStart }), 'PREREQUISITES_OPEN');
}, 60_000);
