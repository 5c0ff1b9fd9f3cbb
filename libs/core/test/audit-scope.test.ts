import { auditSites } from '@opsgraph/core';
import { ok, people, person, type TestService } from '@opsgraph/testing';
import { seedPlant, startWork, type Plant } from '../../../services/work/test/fixtures';

/**
 * The audit trail keeps what was asked (shift notes, permit texts…): an auditor reads only the entries of
 * their own sites. Found from outside: an auditor of one site read another site's shift notes through
 * `workAuditTrail`. The filter is the database's (row-level security on audit_entry), not the resolver's.
 */
let work: TestService;
let green: Plant;
let blue: Plant;
beforeAll(async () => {
  work = await startWork();
  [green, blue] = [await seedPlant(work, 'AGR'), await seedPlant(work, 'ABL')];
});
afterAll(() => work.stop());

const note = (plant: Plant, text: string, author = person('0000000a-0000-4000-8000-0000000000a1', 'supervisor', [plant.siteId])) =>
  work.query(`mutation($i: ShiftLogInput!) { addShiftLogEntry(input: $i) { id } }`, { i: { siteId: plant.siteId, areaId: plant.areaId, shift: 'A', text } }, author);

const trail = async (auditor: ReturnType<typeof person>) =>
  ok(await work.query(`{ workAuditTrail(first: 100) { operation variables actorId } }`, {}, auditor)).workAuditTrail as { operation: string; variables: string; actorId: string }[];

test("an auditor of one site reads that site's entries, never another site's", async () => {
  ok(await note(green, 'green: seal leak on P-301'));
  ok(await note(blue, 'blue: confidential contractor dispute', person('0000000a-0000-4000-8000-0000000000b1', 'supervisor', [blue.siteId])));

  const greenAuditor = person('0000000a-0000-4000-8000-0000000000a2', 'auditor', [green.siteId]);
  const seen = await trail(greenAuditor);
  expect(seen.some((e) => e.variables?.includes('green: seal leak'))).toBe(true);
  expect(seen.some((e) => e.variables?.includes('blue:'))).toBe(false);
  expect(seen.some((e) => e.variables?.includes(blue.siteId))).toBe(false);

  const companyAuditor = person('0000000a-0000-4000-8000-0000000000a3', 'auditor', ['*']);
  const all = await trail(companyAuditor);
  expect(all.some((e) => e.variables?.includes('blue: confidential'))).toBe(true);
});

test('an entry that names no site belongs to its actor\'s sites: an actor of every site is read by company-wide auditors only', async () => {
  // A mutation by id (no siteId among its variables), by someone of the blue site only.
  const blueTech = person('0000000a-0000-4000-8000-0000000000b2', 'technician', [blue.siteId]);
  await work.query(`mutation { startWork(id: "0000000a-0000-4000-8000-00000000ffff") { id } }`, {}, blueTech);
  const greenAuditor = person('0000000a-0000-4000-8000-0000000000a2', 'auditor', [green.siteId]);
  expect((await trail(greenAuditor)).some((e) => e.actorId === blueTech.id)).toBe(false);
  const blueAuditor = person('0000000a-0000-4000-8000-0000000000a4', 'auditor', [blue.siteId]);
  expect((await trail(blueAuditor)).some((e) => e.actorId === blueTech.id)).toBe(true);
  // An administrator acting everywhere without naming a site: not a site auditor's to read.
  expect(auditSites({ id: 'x' }, people.admin)).toEqual(['*']);
  expect(auditSites({ i: { siteId: green.siteId.toUpperCase() } }, people.admin)).toEqual([green.siteId]);
  expect(auditSites({ ids: [1] }, blueTech)).toEqual([blue.siteId]);
});

test("an attempt on another site goes to the actor's own trail, never into the other site's", async () => {
  const greenSupervisor = person('0000000a-0000-4000-8000-0000000000b3', 'supervisor', [green.siteId]);
  await work.query(`mutation($i: CreateWorkItemInput!) { createWorkItem(input: $i) { id } }`, { i: { siteId: blue.siteId, type: 'OTHER', title: 'green: tried at blue' } }, greenSupervisor);
  const blueAuditor = person('0000000a-0000-4000-8000-0000000000a5', 'auditor', [blue.siteId]);
  expect((await trail(blueAuditor)).some((e) => e.actorId === greenSupervisor.id)).toBe(false);
  const greenAuditor = person('0000000a-0000-4000-8000-0000000000a6', 'auditor', [green.siteId]);
  expect((await trail(greenAuditor)).some((e) => e.actorId === greenSupervisor.id && e.variables?.includes('green: tried at blue'))).toBe(true);
  expect(auditSites({ i: { siteIds: [green.siteId, blue.siteId] } }, greenSupervisor)).toEqual([green.siteId]);
});
