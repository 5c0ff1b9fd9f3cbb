import { randomUUID } from 'node:crypto';
import type { Caller } from '@opsgraph/core';
import { eventually, expectError, ok, people, person, recordedEvents, untilPlacesKnown, type GraphQLResult, type TestService, expectAlikeNotFound } from '@opsgraph/testing';
import type { QueryRunner } from 'typeorm';
import { OpenWorkItem } from '../src/entities';
import { PERSON_FIELDS, createQualification, registerPerson, requireQualification, seedPlant, startCompetence, startWorkService, type Plant } from './fixtures';

/**
 * The sites people are given and the work items asked about are checked against what competence knows from
 * Work's events (its copy of the location registry, its projection of open work); Work and competence both
 * run here, with their relays and consumers. A site created in Work becomes usable once its event is applied;
 * another site's site or work item, and one not known yet, are "not found" exactly as a random id is (the
 * message says to retry), and nothing is written.
 */
let work: TestService;
let competence: TestService;
let plant: Plant;
let other: Plant;

/** May manage people at the plant's site only; the same at every site. */
const atPlant = (): Caller => person('0000000e-0000-4000-8000-0000000000a1', ['hse', 'supervisor'], [plant.siteId]);
const everywhere = person('0000000e-0000-4000-8000-0000000000a2', ['hse', 'supervisor']);

beforeAll(async () => {
  [work, competence] = await Promise.all([startWorkService(), startCompetence()]);
  plant = await seedPlant(work, 'PLP');
  other = await seedPlant(work, 'OTP');
  await untilPlacesKnown(competence.db, [...Object.values(plant), ...Object.values(other)]);
}, 60_000);
afterAll(async () => {
  await Promise.all([competence?.stop(), work?.stop()]);
});

const newSite = async (code: string) => ok(await work.query(`mutation($i: CreateSiteInput!) { createSite(input: $i) { id } }`, { i: { code, name: `${code} plant` } }, people.admin)).createSite.id as string;
const newItem = async (siteId: string, input: Record<string, unknown> = {}) =>
  ok(await work.query(`mutation($i: CreateWorkItemInput!) { createWorkItem(input: $i) { id } }`, { i: { type: 'MAINTENANCE', title: 'Replace seal', siteId, ...input } }, people.supervisor)).createWorkItem.id as string;
const projected = (workItemId: string) => eventually(() => competence.db.getRepository(OpenWorkItem).existsBy({ workItemId }));

const register = (siteIds: string[], caller: Caller, id = randomUUID()) =>
  competence.query(`mutation($i: RegisterPersonInput!) { registerPerson(input: $i) { ${PERSON_FIELDS} } }`, { i: { id, name: 'Nia Newcomer', roles: ['technician'], siteIds } }, caller);
const update = (id: string, siteIds: string[], caller: Caller) =>
  competence.query(`mutation($id: ID!, $s: [String!]!) { updatePerson(id: $id, input: { siteIds: $s }) { sites { id } } }`, { id, s: siteIds }, caller);
const qualifiedPeople = (workItemId: string, caller: Caller) => competence.query(`query($w: ID!) { qualifiedPeople(workItemId: $w) { id } }`, { w: workItemId }, caller);

/** Everything competence keeps of its own, and its outbox: what a refused call must leave as it was. */
async function written() {
  const counts: Record<string, number> = {};
  for (const table of ['person', 'competence_record', 'outbox']) counts[table] = (await competence.db.query(`SELECT count(*)::int AS n FROM ${table}`))[0].n;
  counts.sites = (await competence.db.query(`SELECT coalesce(sum(cardinality(site_ids)), 0)::int AS n FROM person`))[0].n;
  return counts;
}

const alikeNotFound = (call: (id: string) => Promise<GraphQLResult>, theirs: string) => expectAlikeNotFound(call, theirs, written);

test('a site created in Work can be given to people once its event is applied', async () => {
  const site = await newSite('NEW');
  await untilPlacesKnown(competence.db, [site]);
  expect(await competence.db.query(`SELECT kind, site_id AS "siteId" FROM known_location WHERE id = $1`, [site])).toEqual([{ kind: 'SITE', siteId: site }]);
  const nia = ok(await register([site], everywhere)).registerPerson;
  expect(nia.sites).toEqual([{ id: site }]);
  expect(ok(await update(nia.id, [site, plant.siteId], everywhere)).updatePerson.sites.map((s: { id: string }) => s.id).sort()).toEqual([site, plant.siteId].sort());
});

test("a competence prerequisite names its work item's site, and Work applies it to that item", async () => {
  const tess = randomUUID();
  await registerPerson(competence, { id: tess, name: 'Tess Technician', roles: ['technician'], siteIds: [plant.siteId] });
  await createQualification(competence, 'SEAL-FIT', 'Mechanical seal fitting', 24);
  await requireQualification(competence, { qualificationCode: 'SEAL-FIT', assetClass: 'pump' });
  const id = await newItem(plant.siteId, { assetId: plant.assetId, ownerId: tess });
  const raised = await eventually(async () => (await recordedEvents(competence, `${tess}:SEAL-FIT`, 'prerequisite.required')).find((e) => e.data.workItemId === id));
  expect(raised.data).toMatchObject({ workItemId: id, siteId: plant.siteId, kind: 'COMPETENCE_HELD', state: 'OPEN' });
  await eventually(async () => ok(await work.query(`query($id: ID!) { workItem(id: $id) { blocked } }`, { id }, people.admin)).workItem.blocked);
});

test('another site\'s site or work item is "not found" exactly as a random id is, and nothing is written', async () => {
  const pia = ok(await register([plant.siteId], atPlant())).registerPerson;
  const theirItem = await newItem(other.siteId);
  const otherCompanysJob = await newItem(plant.siteId, { type: 'CONTRACTOR_JOB', contractorCompany: 'Other Co' });
  const ourJob = await newItem(plant.siteId);
  await Promise.all([projected(theirItem), projected(otherCompanysJob), projected(ourJob)]);

  const site = await alikeNotFound((id) => register([id], atPlant()), other.siteId);
  expect(site).toEqual({ message: 'site <id> not found (one registered in Work a moment ago may not be known here yet: retry shortly)', extensions: { code: 'NOT_FOUND', field: 'siteIds', id: '<id>' } });
  await alikeNotFound((id) => register([plant.siteId, id], atPlant()), other.siteId);
  await alikeNotFound((id) => update(pia.id, [plant.siteId, id], atPlant()), other.siteId);
  // Someone of every site names an area (not a site) as a site: as a random id.
  await alikeNotFound((id) => register([id], everywhere), plant.areaId);
  await alikeNotFound((id) => update(pia.id, [plant.siteId, id], everywhere), other.assetId);

  const item = await alikeNotFound((id) => qualifiedPeople(id, atPlant()), theirItem);
  expect(item).toEqual({ message: 'open work item <id> not found (one created in Work a moment ago may not be known here yet: retry shortly)', extensions: { code: 'NOT_FOUND', field: 'workItemId', id: '<id>' } });
  // A contractor: another company's job at their own site is as unknown as a random id.
  await alikeNotFound((id) => qualifiedPeople(id, person(randomUUID(), 'contractor', [plant.siteId], 'Acme')), otherCompanysJob);
  // The same calls within scope do answer: what is missing above is the scope, not data.
  expect(ok(await qualifiedPeople(ourJob, atPlant())).qualifiedPeople.map((p: { id: string }) => p.id)).toContain(pia.id);
  expect(ok(await qualifiedPeople(theirItem, everywhere)).qualifiedPeople).toEqual([]);
});

test('a site not known yet is "not found" and says to retry; once its event is applied the same call succeeds', async () => {
  const id = randomUUID();
  const pia = ok(await register([plant.siteId], everywhere)).registerPerson;
  // Hold competence's copy still: Work's event arrives, but the consumer cannot apply it until released.
  const hold: QueryRunner = competence.db.createQueryRunner();
  await hold.connect();
  let site = '';
  try {
    await hold.startTransaction();
    await hold.query(`LOCK TABLE known_location IN SHARE MODE`);
    site = await newSite('LATE');
    await eventually(async () => {
      const waiting = await competence.db.query(`SELECT count(*)::int AS n FROM pg_stat_activity WHERE datname = current_database() AND wait_event_type = 'Lock' AND query ILIKE '%known_location%'`);
      return waiting[0].n > 0;
    });
    const before = await written();
    for (const result of [await register([site], everywhere, id), await update(pia.id, [plant.siteId, site], everywhere)]) {
      expect(expectError(result, 'NOT_FOUND').message).toBe(`site ${site} not found (one registered in Work a moment ago may not be known here yet: retry shortly)`);
    }
    expect(await written()).toEqual(before);
  } finally {
    await hold.commitTransaction().catch(() => undefined);
    await hold.release();
  }
  await untilPlacesKnown(competence.db, [site]);
  expect(ok(await register([site], everywhere, id)).registerPerson).toMatchObject({ id, sites: [{ id: site }] });
  expect(ok(await update(pia.id, [plant.siteId, site], everywhere)).updatePerson.sites.map((s: { id: string }) => s.id).sort()).toEqual([plant.siteId, site].sort());
});
