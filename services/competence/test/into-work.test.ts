import { randomUUID } from 'node:crypto';
import { createTransport, type Transport } from '@opsgraph/events';
import { eventually, expectError, ok, people, startTestProducer, untilPlacesKnown, type TestProducer, type TestService } from '@opsgraph/testing';
import { expireRecords } from '../src/domain/records';
import { createQualification, crew, daysFromNow, grant, monthsAgo, registerPerson, requireQualification, seedPlant, startCompetence, startWorkService, type Plant } from './fixtures';

/**
 * Competence and Work over the real event backbone: Work's item facts reach competence, competence's
 * prerequisites reach Work. (The permits domain is stood in for by a producer of its facts.)
 */
let work: TestService;
let competence: TestService;
let plant: Plant;
let transport: Transport;
let permits: TestProducer;

const tom = people.technician; // fits pump seals once granted
const tina = people.technician2; // never qualified
const acmeCarl = { id: randomUUID(), name: 'Carl Acme', company: 'Acme', roles: ['contractor'] };

beforeAll(async () => {
  [work, competence] = await Promise.all([startWorkService(), startCompetence()]);
  transport = createTransport();
  permits = await startTestProducer('permits', transport);
  plant = await seedPlant(work);
  // The site people are given is checked against competence's copy of Work's registry, kept from Work's events.
  await untilPlacesKnown(competence.db, [plant.siteId]);
  await registerPerson(competence, { id: tom.id, name: 'Tom Technician', roles: ['technician'], siteIds: [plant.siteId] });
  await registerPerson(competence, { id: tina.id, name: 'Tina Technician', roles: ['technician'], siteIds: [plant.siteId] });
  await registerPerson(competence, { ...acmeCarl, siteIds: [plant.siteId] });
  await createQualification(competence, 'PUMP-MECH', 'Pump mechanical seal fitting', 24);
  await createQualification(competence, 'CONF-SPACE', 'Confined space entry', 12);
  await requireQualification(competence, { qualificationCode: 'PUMP-MECH', assetClass: 'pump' });
  await requireQualification(competence, { qualificationCode: 'CONF-SPACE', permitType: 'CONFINED_SPACE' });
}, 60_000);
afterAll(async () => {
  await permits?.close();
  await transport?.close();
  await Promise.all([work?.stop(), competence?.stop()]);
});

const ITEM = 'status blocked prerequisites { kind state description reason sourceRecordId } blockers { description reason }';
const item = async (id: string) => ok(await work.query(`query($id: ID!) { workItem(id: $id) { ${ITEM} } }`, { id })).workItem;
const competenceBlockers = async (id: string) => (await item(id)).prerequisites.filter((p: { kind: string }) => p.kind === 'COMPETENCE_HELD');

async function createPumpJob(ownerId: string | null, title = 'Replace seal on P-301') {
  return ok(await work.query(`mutation($i: CreateWorkItemInput!) { createWorkItem(input: $i) { id } }`, {
    i: { type: 'MAINTENANCE', title, siteId: plant.siteId, assetId: plant.assetId, ownerId },
  }, people.supervisor)).createWorkItem.id as string;
}

const assign = (id: string, ownerId: string) => work.query(`mutation($id: ID!, $o: ID!) { assignWorkItem(id: $id, ownerId: $o) { id } }`, { id, o: ownerId }, people.supervisor);

test('an owner lacking a required qualification blocks the item with what is missing; granting clears it', async () => {
  const id = await createPumpJob(tom.id);
  const [blocker] = await eventually(async () => {
    const found = await competenceBlockers(id);
    return found.length ? found : null;
  });
  expect(blocker).toEqual({ kind: 'COMPETENCE_HELD', state: 'OPEN', description: 'Owner holds Pump mechanical seal fitting (PUMP-MECH)', reason: 'PUMP-MECH not held', sourceRecordId: `${tom.id}:PUMP-MECH` });
  expect(await item(id)).toMatchObject({ status: 'OPEN', blocked: true });

  const check = ok(await competence.query(`query($r: [_Any!]!) { _entities(representations: $r) { ... on WorkItem { requiredQualifications { code } ownerQualified { qualified missing { code } } } } }`, { r: [{ __typename: 'WorkItem', id }] }))._entities[0];
  expect(check).toEqual({ requiredQualifications: [{ code: 'PUMP-MECH' }], ownerQualified: { qualified: false, missing: [{ code: 'PUMP-MECH' }] } });

  ok(await grant(competence, tom.id, 'PUMP-MECH', monthsAgo(1)));
  await eventually(async () => (await item(id)).status === 'READY');
  expect(await competenceBlockers(id)).toEqual([expect.objectContaining({ state: 'SATISFIED', reason: expect.stringMatching(/^PUMP-MECH granted, valid until \d{4}-\d\d-\d\d$/) })]);
});

test('a qualification that lapses blocks the assigned work in progress; renewing clears it', async () => {
  const id = await createPumpJob(tom.id, 'Align P-301 coupling'); // Tom holds PUMP-MECH (previous test)
  await eventually(async () => (await competenceBlockers(id)).length === 1 && (await item(id)).status === 'READY');
  ok(await work.query(`mutation($id: ID!) { startWork(id: $id) { id } }`, { id }, tom));

  const record = ok(await competence.query(`query($id: ID!) { person(id: $id) { competenceRecords { id expiresAt } } }`, { id: tom.id })).person.competenceRecords[0];
  await expireRecords(competence.db.manager, new Date(new Date(record.expiresAt).getTime() + 60_000));
  const blocked = await eventually(async () => {
    const now = await item(id);
    return now.blocked ? now : null;
  });
  expect(blocked.status).toBe('IN_PROGRESS');
  expect(blocked.blockers).toEqual([{ description: 'Owner holds Pump mechanical seal fitting (PUMP-MECH)', reason: `PUMP-MECH expired on ${record.expiresAt.slice(0, 10)}` }]);

  ok(await competence.query(`mutation($id: ID!, $i: RenewCompetenceInput!) { renewCompetence(id: $id, input: $i) { status } }`, { id: record.id, i: { achievedAt: new Date().toISOString() } }, crew.hse));
  await eventually(async () => !(await item(id)).blocked);
  expect(await item(id)).toMatchObject({ status: 'IN_PROGRESS', blockers: [] });
});

test('reassigning to a qualified person satisfies the previous owner\'s blockers for that item', async () => {
  const id = await createPumpJob(tina.id, 'Repack P-301 gland');
  await eventually(async () => (await competenceBlockers(id)).some((p: { state: string }) => p.state === 'OPEN'));
  ok(await assign(id, tom.id));
  // Two sources, two partitions: wait until Work applied both the release and Tom's holding.
  await eventually(async () => (await item(id)).status === 'READY' && (await competenceBlockers(id)).length === 2);
  const blockers = await competenceBlockers(id);
  expect(blockers).toEqual(expect.arrayContaining([
    expect.objectContaining({ sourceRecordId: `${tina.id}:PUMP-MECH`, state: 'SATISFIED', reason: 'owner changed' }),
    expect.objectContaining({ sourceRecordId: `${tom.id}:PUMP-MECH`, state: 'SATISFIED' }),
  ]));
});

test('a requirement added later reaches open work; removing it releases the items', async () => {
  await createQualification(competence, 'LOTO', 'Lock-out tag-out', 36);
  const id = await createPumpJob(tom.id, 'Change P-301 bearings');
  await eventually(async () => (await item(id)).status === 'READY');
  const requirement = await requireQualification(competence, { qualificationCode: 'LOTO', workType: 'MAINTENANCE' });
  const blocker = await eventually(async () => (await competenceBlockers(id)).find((p: { sourceRecordId: string; state: string }) => p.sourceRecordId === `${tom.id}:LOTO` && p.state === 'OPEN'));
  expect(blocker.reason).toBe('LOTO not held');
  expect((await item(id)).status).toBe('OPEN');
  ok(await competence.query(`mutation($id: ID!) { removeQualificationRequirement(id: $id) { code } }`, { id: requirement.id }, crew.hse));
  await eventually(async () => (await item(id)).status === 'READY');
  expect((await competenceBlockers(id)).find((p: { sourceRecordId: string }) => p.sourceRecordId === `${tom.id}:LOTO`)).toMatchObject({ state: 'SATISFIED', reason: 'LOTO no longer required' });
});

test('a permit type covering the item demands its qualification, until the permit is cancelled', async () => {
  const id = await createPumpJob(tom.id, 'Inspect P-301 sump');
  await eventually(async () => (await item(id)).status === 'READY');
  const permitId = randomUUID();
  const fact = { permitId, number: 'PTW-GRN-0042', permitType: 'CONFINED_SPACE', siteId: plant.siteId, areaId: null, assetIds: [], workItemIds: [id], actorId: people.supervisor.id, at: new Date().toISOString() };
  await permits.record('permit.created', permitId, { ...fact, status: 'DRAFT', from: null, note: null, validFrom: fact.at, validTo: daysFromNow(1).toISOString() });
  await eventually(async () => (await competenceBlockers(id)).some((p: { sourceRecordId: string; state: string }) => p.sourceRecordId === `${tom.id}:CONF-SPACE` && p.state === 'OPEN'));
  const required = ok(await competence.query(`query($r: [_Any!]!) { _entities(representations: $r) { ... on WorkItem { requiredQualifications { code } } } }`, { r: [{ __typename: 'WorkItem', id }] }))._entities[0];
  expect(required.requiredQualifications).toEqual([{ code: 'CONF-SPACE' }, { code: 'PUMP-MECH' }]);
  await permits.record('permit.cancelled', permitId, { ...fact, status: 'CANCELLED', from: 'DRAFT', note: 'wrong job', reason: 'wrong job' });
  await eventually(async () => (await item(id)).status === 'READY');
});

test('who could take the job: qualified now, at the site, in a performing role, and within the contractor boundary', async () => {
  const id = await createPumpJob(null, 'Replace P-301 impeller');
  await eventually(async () => ok(await competence.query(`query($r: [_Any!]!) { _entities(representations: $r) { ... on WorkItem { requiredQualifications { code } } } }`, { r: [{ __typename: 'WorkItem', id }] }))._entities[0].requiredQualifications.length === 1);
  ok(await grant(competence, acmeCarl.id, 'PUMP-MECH', monthsAgo(2)));
  const who = async (workItemId: string) => ok(await competence.query(`query($w: ID!) { qualifiedPeople(workItemId: $w) { name } }`, { w: workItemId }, people.supervisor)).qualifiedPeople.map((p: { name: string }) => p.name);
  expect(await who(id)).toEqual(['Tom Technician']); // Tina lacks PUMP-MECH; Carl's company has no part in this job

  const acmeJob = ok(await work.query(`mutation($i: CreateWorkItemInput!) { createWorkItem(input: $i) { id } }`, {
    i: { type: 'CONTRACTOR_JOB', title: 'Acme: overhaul P-301', siteId: plant.siteId, assetId: plant.assetId, contractorCompany: 'Acme' },
  }, people.supervisor)).createWorkItem.id;
  await eventually(async () => (await who(acmeJob).catch(() => null))?.length);
  expect(await who(acmeJob)).toEqual(['Carl Acme', 'Tom Technician']);

  ok(await work.query(`mutation($id: ID!) { cancelWork(id: $id, reason: "duplicate") { id } }`, { id: acmeJob }, people.supervisor));
  await eventually(async () => (await competence.query(`query($w: ID!) { qualifiedPeople(workItemId: $w) { name } }`, { w: acmeJob }, people.supervisor)).errors?.[0]?.extensions?.code === 'NOT_FOUND');
  expectError(await competence.query(`query($w: ID!) { qualifiedPeople(workItemId: $w) { name } }`, { w: 'nope' }), 'BAD_USER_INPUT');
});

test('required qualifications and owner checks of a list take a constant number of statements', async () => {
  const ids: string[] = [];
  for (let i = 0; i < 12; i++) ids.push(await createPumpJob(i % 2 ? tom.id : tina.id, `Batch job ${i}`));
  await eventually(async () => {
    const rows = ok(await competence.query(`query($r: [_Any!]!) { _entities(representations: $r) { ... on WorkItem { ownerQualified { qualified } } } }`, { r: ids.map((id) => ({ __typename: 'WorkItem', id })) }))._entities;
    return rows.every((r: { ownerQualified: unknown }) => r.ownerQualified);
  });
  const query = (list: string[]) => competence.query(`query($r: [_Any!]!) { _entities(representations: $r) { ... on WorkItem { requiredQualifications { code name requirements { assetClass } } ownerQualified { qualified missing { code } } } } }`, {
    r: list.map((id) => ({ __typename: 'WorkItem', id })),
  });
  const [few, many] = [await query(ids.slice(0, 3)), await query(ids)];
  expect(ok(many)._entities.map((e: { ownerQualified: { qualified: boolean } }) => e.ownerQualified.qualified)).toEqual(ids.map((_, i) => i % 2 === 1));
  expect(many.statements).toBe(few.statements);
  expect(many.statements).toBeLessThanOrEqual(6);
});
