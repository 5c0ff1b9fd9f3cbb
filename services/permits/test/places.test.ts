import { randomUUID } from 'node:crypto';
import type { Caller } from '@opsgraph/core';
import { OutboxEvent } from '@opsgraph/events';
import { eventually, expectError, knowPlaces, ok, people, person, startTestService, untilPlacesKnown, type GraphQLResult, type TestService, notFoundShape } from '@opsgraph/testing';
import { service as workService } from '../../work/src/service';
import { createItem, seedPlant, type Plant } from '../../work/test/fixtures';
import { service as permitsService } from '../src/service';
import { ISOLATION_FIELDS, act, outbox, untilWorkItemsKnown } from './fixtures';

/**
 * Every site, area and asset a permit names, and every work item it covers, is checked against what Permits
 * heard from Work (its copy of Work's location registry, `known_location`, and `known_work_item`): known, of
 * the permit's site and in the caller's scope, or "not found" exactly as a random id is, and nothing written.
 * Work and Permits run on the real event backbone.
 */
let work: TestService;
let permits: TestService;
let green: Plant;
let blue: Plant;
let greenItem: string;
let blueItem: string;

/** Drafts and plans permits at the green site only. */
const greenSupervisor = person('0000000c-0000-4000-8000-0000000000f1', ['supervisor', 'technician'], [] as string[]);
const greenOnly = (): Caller => ({ ...greenSupervisor, sites: [green.siteId] });
/** The same, at every site: sees both plants, still may not mix them in one permit. */
const everywhere = person('0000000c-0000-4000-8000-0000000000f2', ['supervisor', 'technician'], ['*']);

const NOT_KNOWN = (what: string, id: string) => `${what} ${id} not found (one registered in Work a moment ago may not be known here yet: retry shortly)`;
const ITEM_NOT_KNOWN = (id: string) => `work item ${id} not found (one created in Work a moment ago may not be known here yet: retry shortly)`;

const validTo = () => new Date(Date.now() + 8 * 3600_000).toISOString();
const create = (caller: Caller, input: Record<string, unknown>) =>
  permits.query(`mutation($i: CreatePermitInput!) { createPermit(input: $i) { id number assets { id } area { id } coveredWorkItems { id } isolations { id asset { id } } } }`, {
    i: { type: 'HOT_WORK', description: 'Weld bracket on the feed pump', siteId: green.siteId, siteCode: 'PGR', validTo: validTo(), ...input },
  }, caller);
const isolationOn = (assetId: string) => ({ assetId, point: 'MCC-3 breaker 12', method: 'ELECTRICAL_LOCKOUT' });

/** Everything a refused call could have written: rows of every table a permit writes, and the events. */
const written = async () => {
  const [row] = await permits.db.query(`SELECT
    (SELECT count(*)::int FROM permit) AS permits, (SELECT count(*)::int FROM isolation) AS isolations,
    (SELECT count(*)::int FROM permit_transition) AS transitions, (SELECT count(*)::int FROM gas_test) AS gas_tests,
    (SELECT coalesce(sum(last_number), 0)::int FROM permit_site) AS numbers, (SELECT count(*)::int FROM permit_site) AS numberings`);
  return { ...row, events: await permits.db.getRepository(OutboxEvent).count() };
};

/** A refusal with the id it names taken out, to compare with the refusal of a random id. */
function shapeOf(res: GraphQLResult, id: string) {
  expect(res.data ?? null).toBeNull();
  expect(res.errors?.[0]?.extensions?.id).toBe(id);
  return notFoundShape(res, id);
}

beforeAll(async () => {
  [work, permits] = await Promise.all([startTestService(workService), startTestService(permitsService)]);
  [green, blue] = await Promise.all([seedPlant(work, 'PGR'), seedPlant(work, 'PBL')]);
  greenItem = (await createItem(work, green)).id;
  blueItem = (await createItem(work, blue)).id;
  await untilPlacesKnown(permits.db, [green.siteId, green.areaId, green.otherAreaId, green.lineId, green.assetId, blue.siteId, blue.areaId, blue.lineId, blue.assetId]);
  await untilWorkItemsKnown(permits, [greenItem, blueItem]);
}, 60_000);
afterAll(async () => {
  await Promise.all([work?.stop(), permits?.stop()]);
});

describe('with Work running', () => {
  test("a location registered in Work becomes usable in Permits once its event is applied, and a permit's blocker names its site", async () => {
    const valve = ok(await work.query(`mutation($i: CreateAssetInput!) { createAsset(input: $i) { id } }`, {
      i: { siteId: green.siteId, lineId: green.lineId, code: `XV-${randomUUID().slice(0, 4)}`, name: 'Suction valve', assetClass: 'valve' },
    }, people.admin)).createAsset.id as string;
    const job = await createItem(work, green, { assetId: valve });
    await untilPlacesKnown(permits.db, [valve]);
    await untilWorkItemsKnown(permits, [job.id]);
    expect((await permits.db.query(`SELECT kind, site_id AS "siteId", area_id AS "areaId", line_id AS "lineId" FROM known_location WHERE id = $1`, [valve]))[0]).toEqual({
      kind: 'ASSET', siteId: green.siteId, areaId: green.areaId, lineId: green.lineId,
    });

    const permit = ok(await create(greenOnly(), { areaId: green.areaId, assetIds: [valve], workItemIds: [job.id], isolations: [isolationOn(valve)] })).createPermit;
    expect(permit).toMatchObject({ area: { id: green.areaId }, assets: [{ id: valve }], coveredWorkItems: [{ id: job.id }], isolations: [{ asset: { id: valve } }] });
    expect(ok(await act(permits, 'addIsolation', { permitId: permit.id, input: isolationOn(green.assetId) }, greenOnly(), ISOLATION_FIELDS)).addIsolation.state).toBe('PLANNED');

    // The blocker raised on the covered item carries the permit's site, and Work applies it to its item.
    const required = (await outbox(permits, permit.id)).filter((e) => e.type === 'prerequisite.required');
    expect(required.map((e) => e.data)).toEqual([expect.objectContaining({ workItemId: job.id, siteId: green.siteId, sourceRecordId: permit.id })]);
    const prerequisites = await eventually(async () => {
      const found = ok(await work.query(`query($id: ID!) { workItem(id: $id) { prerequisites { kind sourceRecordId } } }`, { id: job.id })).workItem.prerequisites;
      return found.length ? found : null;
    });
    expect(prerequisites).toEqual([{ kind: 'PERMIT_VALID', sourceRecordId: permit.id }]);
  });
});

describe("another site's places and work are not found, exactly as a random id, and nothing is written", () => {
  const cases: [string, (id: string) => Record<string, unknown>, (plant: Plant) => string, string][] = [
    ['areaId', (id) => ({ areaId: id }), (p) => p.areaId, 'area'],
    ['assetIds', (id) => ({ assetIds: [id] }), (p) => p.assetId, 'asset'],
    ['isolations[0].assetId', (id) => ({ isolations: [isolationOn(id)] }), (p) => p.assetId, 'asset'],
    ['workItemIds', (id) => ({ workItemIds: [id] }), () => blueItem, 'work item'],
  ];

  test.each(cases)('createPermit, %s', async (field, input, blueId, what) => {
    const before = await written();
    const random = randomUUID();
    for (const caller of [greenOnly(), everywhere]) {
      const randomShape = shapeOf(await create(caller, input(random)), random);
      expect(randomShape).toEqual({ message: what === 'work item' ? ITEM_NOT_KNOWN('<id>') : NOT_KNOWN(what, '<id>'), extensions: { code: 'NOT_FOUND', id: '<id>', field } });
      // Green-only, the blue place is out of scope; for someone who sees both, it is not of the permit's site.
      expect(shapeOf(await create(caller, input(blueId(blue))), blueId(blue))).toEqual(randomShape);
    }
    expect(await written()).toEqual(before);
  });

  test('a location of the wrong kind is not found either (a line given as the area, an area as an asset)', async () => {
    const before = await written();
    expect(shapeOf(await create(greenOnly(), { areaId: green.lineId }), green.lineId)).toEqual({ message: NOT_KNOWN('area', '<id>'), extensions: { code: 'NOT_FOUND', id: '<id>', field: 'areaId' } });
    expect(shapeOf(await create(greenOnly(), { assetIds: [green.areaId] }), green.areaId)).toEqual({ message: NOT_KNOWN('asset', '<id>'), extensions: { code: 'NOT_FOUND', id: '<id>', field: 'assetIds' } });
    expect(await written()).toEqual(before);
  });

  test("another site's permit site is not found", async () => {
    const before = await written();
    const random = randomUUID();
    expect(expectError(await create(greenOnly(), { siteId: blue.siteId }), 'NOT_FOUND').message).toBe(`site ${blue.siteId} not found`);
    expect(expectError(await create(greenOnly(), { siteId: random }), 'NOT_FOUND').message).toBe(`site ${random} not found`);
    expect(await written()).toEqual(before);
  });

  test("addIsolation on another site's asset, addPermitWorkItems with another site's item: as a random id, and the permit is unchanged", async () => {
    const permit = ok(await create(greenOnly(), { areaId: green.areaId, assetIds: [green.assetId] })).createPermit;
    const state = async () => ok(await permits.query(`query($id: ID!) { permit(id: $id) { version coveredWorkItems { id } isolations { id } history { to } } }`, { id: permit.id })).permit;
    const before = [await state(), await written()];
    const random = randomUUID();
    for (const caller of [greenOnly(), everywhere]) {
      const isolate = (assetId: string) => act(permits, 'addIsolation', { permitId: permit.id, input: isolationOn(assetId) }, caller, 'id');
      const randomAsset = shapeOf(await isolate(random), random);
      expect(randomAsset).toEqual({ message: NOT_KNOWN('asset', '<id>'), extensions: { code: 'NOT_FOUND', id: '<id>', field: 'input.assetId' } });
      expect(shapeOf(await isolate(blue.assetId), blue.assetId)).toEqual(randomAsset);

      const cover = (workItemId: string) => act(permits, 'addPermitWorkItems', { id: permit.id, workItemIds: [workItemId] }, caller, 'id');
      const randomItem = shapeOf(await cover(random), random);
      expect(randomItem).toEqual({ message: ITEM_NOT_KNOWN('<id>'), extensions: { code: 'NOT_FOUND', id: '<id>', field: 'workItemIds' } });
      expect(shapeOf(await cover(blueItem), blueItem)).toEqual(randomItem);
    }
    expect([await state(), await written()]).toEqual(before);
    // Its own site's are accepted.
    ok(await act(permits, 'addPermitWorkItems', { id: permit.id, workItemIds: [greenItem] }, greenOnly(), 'id'));
    ok(await act(permits, 'addIsolation', { permitId: permit.id, input: isolationOn(green.assetId) }, greenOnly(), 'id'));
  });

  test("an asset of the permit's own site outside its area is a bad input, and nothing is written", async () => {
    const before = await written();
    const err = expectError(await create(greenOnly(), { areaId: green.otherAreaId, assetIds: [green.assetId] }), 'BAD_USER_INPUT');
    expect(err.extensions).toMatchObject({ field: 'assetIds' });
    expect(await written()).toEqual(before);
    // An isolation point may be outside the permit's area (a breaker in the substation), never outside its site.
    ok(await create(greenOnly(), { areaId: green.otherAreaId, isolations: [isolationOn(green.assetId)] }));
  });
});

describe('a location not known here yet', () => {
  test('is not found with the retry message and nothing is written; once known, the same call succeeds', async () => {
    // A site with its area and assets that Work registered, but whose events have not reached Permits (written
    // into the copy by hand below, as the consumer would apply them).
    const site = { siteId: randomUUID(), areaId: randomUUID(), assetId: randomUUID() };
    const valve = randomUUID();
    const caller = person(greenSupervisor.id, ['supervisor', 'technician'], [site.siteId]);
    const input = { siteId: site.siteId, siteCode: 'NEW', areaId: site.areaId, assetIds: [site.assetId], isolations: [isolationOn(valve)] };
    const before = await written();
    for (const [known, missing, what, field] of [
      [[], site.siteId, 'site', 'siteId'],
      [[{ siteId: site.siteId }], site.areaId, 'area', 'areaId'],
      [[{ siteId: site.siteId, areaId: site.areaId }], site.assetId, 'asset', 'assetIds'],
      [[site], valve, 'asset', 'isolations[0].assetId'],
    ] as const) {
      await knowPlaces(permits.db, ...known);
      const err = expectError(await create(caller, input), 'NOT_FOUND');
      expect(err).toMatchObject({ message: NOT_KNOWN(what, missing), extensions: { code: 'NOT_FOUND', id: missing, field } });
      expect(await written()).toEqual(before);
    }
    // Neither is a work item Work created a moment ago.
    const job = randomUUID();
    await knowPlaces(permits.db, { ...site, assetId: valve });
    expect(expectError(await create(caller, { ...input, workItemIds: [job] }), 'NOT_FOUND')).toMatchObject({ message: ITEM_NOT_KNOWN(job), extensions: { id: job, field: 'workItemIds' } });
    expect(await written()).toEqual(before);

    await permits.db.query(`INSERT INTO known_work_item (work_item_id, site_id, contractor_company) VALUES ($1, $2, NULL)`, [job, site.siteId]);
    const permit = ok(await create(caller, { ...input, workItemIds: [job] })).createPermit;
    expect(permit).toMatchObject({ number: 'PTW-NEW-0001', area: { id: site.areaId }, assets: [{ id: site.assetId }], coveredWorkItems: [{ id: job }], isolations: [{ asset: { id: valve } }] });
  });
});
