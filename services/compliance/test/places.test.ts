import type { Caller } from '@opsgraph/core';
import { eventually, expectError, ok, person, startTestService, untilPlacesKnown, type GraphQLResult, type TestService, expectAlikeNotFound } from '@opsgraph/testing';
import type { QueryRunner } from 'typeorm';
import { service as workService } from '../../work/src/service';
import { seedPlant, type Plant } from '../../work/test/fixtures';
import { ComplianceCheck } from '../src/entities';
import { service as complianceService } from '../src/service';
import { crew, eventsOf, vesselInspection } from './fixtures';

/**
 * Every place an input names is checked against compliance's copy of Work's location registry, kept from
 * Work's `location.registered` events (Work and compliance both run here, with their relays and consumers):
 * a location created in Work becomes usable once its event is applied; another site's location, a same-site
 * location that is not of the given site, and a location not known yet are all "not found" exactly as a
 * random id is (the last says to retry), and nothing is written.
 */
let work: TestService;
let compliance: TestService;
let plant: Plant;
let other: Plant;

/** HSE and auditor at the plant's site only; and the same person at every site. */
const local = person(crew.hse.id, ['hse', 'auditor'], []);
const everywhere = person('00000000-0000-4000-8000-0000000000e9', ['hse', 'auditor']);
const atPlant = (): Caller => ({ ...local, sites: [plant.siteId] });

beforeAll(async () => {
  [work, compliance] = await Promise.all([startTestService(workService), startTestService(complianceService)]);
  plant = await seedPlant(work, 'PLC');
  other = await seedPlant(work, 'OTC');
  await untilPlacesKnown(compliance.db, [...Object.values(plant), ...Object.values(other)]);
}, 60_000);
afterAll(async () => {
  await Promise.all([compliance?.stop(), work?.stop()]);
});

const workAdmin = (query: string, variables: Record<string, unknown>) => work.query(query, variables, crew.admin).then(ok);
const newArea = async (siteId: string, code: string) => (await workAdmin(`mutation($i: CreateAreaInput!) { createArea(input: $i) { id } }`, { i: { siteId, code, name: code } })).createArea.id as string;
const newAsset = async (siteId: string, areaId: string | null, code: string, assetClass = 'pressure_vessel') =>
  (await workAdmin(`mutation($i: CreateAssetInput!) { createAsset(input: $i) { id } }`, { i: { siteId, areaId, code, name: code, assetClass } })).createAsset.id as string;

const createRequirement = (input: Record<string, unknown>, caller: Caller) =>
  compliance.query(`mutation($i: CreateRequirementInput!) { createRequirement(input: $i) { id appliesTo { sites { id } areas { id } assets { id } } obligations { asset { id } } } }`, { i: input }, caller);
const recordAudit = (input: Record<string, unknown>, caller: Caller) =>
  compliance.query(`mutation($i: RecordAuditInput!) { recordAudit(input: $i) { id site { id } areas { id } } }`, {
    i: { title: 'Pressure systems audit', scope: 'Vessels and receivers', auditDate: new Date().toISOString(), ...input },
  }, caller);
const recordFinding = (input: Record<string, unknown>, caller: Caller) =>
  compliance.query(`mutation($i: RecordAuditFindingInput!) { recordAuditFinding(input: $i) { id area { id } asset { id } correctiveActions { id } } }`, {
    i: { severity: 'MINOR', description: 'Receiver drain valve unlabelled', correctiveActions: [{ title: 'Label it' }], ...input },
  }, caller);
const confirmCheck = (requirementId: string, workItemId: string, caller: Caller) =>
  compliance.query(`mutation($r: ID!, $w: ID!) { confirmComplianceCheck(requirementId: $r, workItemId: $w) { id status } }`, { r: requirementId, w: workItemId }, caller);

/** Every row compliance keeps of its own, and its outbox: what a refused call must leave as it was. */
async function written() {
  const counts: Record<string, number> = {};
  for (const table of ['requirement', 'compliance_obligation', 'compliance_check', 'compliance_audit', 'audit_finding', 'compliance_finding_action', 'outbox']) {
    counts[table] = (await compliance.db.query(`SELECT count(*)::int AS n FROM ${table}`))[0].n;
  }
  counts.confirmed = await compliance.db.getRepository(ComplianceCheck).countBy({ status: 'CONFIRMED' });
  return counts;
}

const alikeNotFound = (call: (id: string) => Promise<GraphQLResult>, theirs: string) => expectAlikeNotFound(call, theirs, written);

test('a location created in Work becomes usable in compliance once its event is applied', async () => {
  const area = await newArea(plant.siteId, 'BOIL');
  const vessel = await newAsset(plant.siteId, area, 'V-201');
  await untilPlacesKnown(compliance.db, [area, vessel]);
  const known = await compliance.db.query(`SELECT kind, site_id AS "siteId", area_id AS "areaId" FROM known_location WHERE id = ANY($1::uuid[]) ORDER BY kind`, [[area, vessel]]);
  expect(known).toEqual([{ kind: 'AREA', siteId: plant.siteId, areaId: null }, { kind: 'ASSET', siteId: plant.siteId, areaId: area }]);

  const requirement = ok(await createRequirement(vesselInspection(plant.siteId, [vessel]), atPlant())).createRequirement;
  expect(requirement).toMatchObject({ appliesTo: { sites: [{ id: plant.siteId }], assets: [{ id: vessel }] }, obligations: [{ asset: { id: vessel } }] });
  const audit = ok(await recordAudit({ siteId: plant.siteId, areaIds: [area] }, atPlant())).recordAudit;
  expect(audit).toMatchObject({ site: { id: plant.siteId }, areas: [{ id: area }] });
  const finding = ok(await recordFinding({ auditId: audit.id, areaId: area, assetId: vessel }, atPlant())).recordAuditFinding;
  expect(finding).toMatchObject({ area: { id: area }, asset: { id: vessel } });
  // The corrective action asks Work for work at the place the finding names; Work accepts it.
  const [request] = await eventsOf(compliance, finding.id, 'work.requested');
  expect(request.data).toMatchObject({ siteId: plant.siteId, areaId: area, assetId: vessel });
});

test('a check on work names the work item\'s site, and Work applies it to that item', async () => {
  const requirement = ok(await createRequirement(
    vesselInspection(plant.siteId, [], { recurrenceMonths: null, assetClasses: ['pump'], workTypes: ['MAINTENANCE'], workCheck: 'Leak test before handover', title: 'Pump leak test' }),
    atPlant(),
  )).createRequirement;
  const item = ok(await work.query(`mutation($i: CreateWorkItemInput!) { createWorkItem(input: $i) { id } }`, {
    i: { type: 'MAINTENANCE', title: 'Repair P-301 seal', siteId: plant.siteId, assetId: plant.assetId },
  }, crew.supervisor)).createWorkItem;
  const raised = await eventually(async () => (await eventsOf(compliance, requirement.id, 'prerequisite.required')).find((e) => e.data.workItemId === item.id));
  expect(raised.data).toMatchObject({ workItemId: item.id, siteId: plant.siteId, kind: 'COMPLIANCE_CHECK', sourceRecordId: requirement.id });
  await eventually(async () => ok(await work.query(`query($id: ID!) { workItem(id: $id) { blocked } }`, { id: item.id }, crew.admin)).workItem.blocked);
});

test('another site\'s location or work item is "not found" exactly as a random id is, and nothing is written', async () => {
  // Another site's requirement gates work there: its check exists, out of the plant caller's scope.
  const theirs = ok(await createRequirement(
    vesselInspection(other.siteId, [], { recurrenceMonths: null, assetClasses: ['pump'], workTypes: ['MAINTENANCE'], workCheck: 'Leak test before handover', title: 'Other pump leak test' }),
    everywhere,
  )).createRequirement;
  const theirItem = ok(await work.query(`mutation($i: CreateWorkItemInput!) { createWorkItem(input: $i) { id } }`, {
    i: { type: 'MAINTENANCE', title: 'Repair other pump', siteId: other.siteId, assetId: other.assetId },
  }, crew.supervisor)).createWorkItem.id as string;
  await eventually(() => compliance.db.getRepository(ComplianceCheck).existsBy({ requirementId: theirs.id, workItemId: theirItem }));
  const audit = ok(await recordAudit({ siteId: plant.siteId }, atPlant())).recordAudit;

  const site = await alikeNotFound((id) => recordAudit({ siteId: id }, atPlant()), other.siteId);
  expect(site).toEqual({
    message: 'site <id> not found (one registered in Work a moment ago may not be known here yet: retry shortly)',
    extensions: { code: 'NOT_FOUND', field: 'siteId', id: '<id>' },
  });
  await alikeNotFound((id) => recordAudit({ siteId: plant.siteId, areaIds: [plant.areaId, id] }, atPlant()), other.areaId);
  await alikeNotFound((id) => createRequirement(vesselInspection(id, [], { assetClasses: [] }), atPlant()), other.siteId);
  await alikeNotFound((id) => createRequirement(vesselInspection(plant.siteId, [], { siteIds: [plant.siteId, id], assetClasses: [] }), atPlant()), other.siteId);
  await alikeNotFound((id) => createRequirement(vesselInspection(plant.siteId, [plant.assetId, id]), atPlant()), other.assetId);
  await alikeNotFound((id) => createRequirement(vesselInspection(plant.siteId, [], { areaIds: [id], assetClasses: [] }), atPlant()), other.areaId);
  await alikeNotFound((id) => recordFinding({ auditId: audit.id, areaId: id }, atPlant()), other.areaId);
  await alikeNotFound((id) => recordFinding({ auditId: audit.id, assetId: id }, atPlant()), other.assetId);
  const check = await alikeNotFound((id) => confirmCheck(theirs.id, id, atPlant()), theirItem);
  expect(check.message).toBe('compliance check of work item <id> not found (one created in Work a moment ago may not be known here yet: retry shortly)');

  // Someone of every site names the other site's area or asset for the plant's site: not of the given site.
  await alikeNotFound((id) => recordAudit({ siteId: plant.siteId, areaIds: [id] }, everywhere), other.areaId);
  await alikeNotFound((id) => createRequirement(vesselInspection(plant.siteId, [id]), everywhere), other.assetId);
  await alikeNotFound((id) => recordFinding({ auditId: audit.id, assetId: id }, everywhere), other.assetId);
  // A site's own id is not an area, nor an asset's an area.
  await alikeNotFound((id) => recordAudit({ siteId: plant.siteId, areaIds: [id] }, everywhere), plant.assetId);
});

test('a location not known yet is "not found" and says to retry; once its event is applied the same call succeeds', async () => {
  // Hold compliance's copy still: Work's event arrives, but the consumer cannot apply it until released.
  const hold: QueryRunner = compliance.db.createQueryRunner();
  await hold.connect();
  let vessel = '';
  let site = '';
  try {
    await hold.startTransaction();
    await hold.query(`LOCK TABLE known_location IN SHARE MODE`);
    vessel = await newAsset(plant.siteId, plant.otherAreaId, 'V-301');
    site = (await workAdmin(`mutation($i: CreateSiteInput!) { createSite(input: $i) { id } }`, { i: { code: 'NEW', name: 'New plant' } })).createSite.id;
    // The consumer has the events and waits for the copy.
    await eventually(async () => {
      const waiting = await compliance.db.query(`SELECT count(*)::int AS n FROM pg_stat_activity WHERE datname = current_database() AND wait_event_type = 'Lock' AND query ILIKE '%known_location%'`);
      return waiting[0].n > 0;
    });
    const before = await written();
    for (const [result, id] of [
      [await createRequirement(vesselInspection(plant.siteId, [vessel]), atPlant()), vessel],
      [await recordAudit({ siteId: site }, everywhere), site],
    ] as const) {
      const error = expectError(result, 'NOT_FOUND');
      expect(error.message).toBe(`${id === site ? 'site' : 'asset'} ${id} not found (one registered in Work a moment ago may not be known here yet: retry shortly)`);
    }
    expect(await written()).toEqual(before);
  } finally {
    await hold.commitTransaction().catch(() => undefined);
    await hold.release();
  }
  await untilPlacesKnown(compliance.db, [vessel, site]);
  expect(ok(await createRequirement(vesselInspection(plant.siteId, [vessel]), atPlant())).createRequirement.appliesTo.assets).toEqual([{ id: vessel }]);
  expect(ok(await recordAudit({ siteId: site }, everywhere)).recordAudit.site).toEqual({ id: site });
});
