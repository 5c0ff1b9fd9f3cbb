import { randomUUID } from 'node:crypto';
import type { Caller } from '@opsgraph/core';
import { OutboxEvent } from '@opsgraph/events';
import { eventually, expectError, knowPlaces, ok, people, person, startTestService, untilPlacesKnown, type GraphQLResult, type TestService, notFoundShape } from '@opsgraph/testing';
import { service as workService } from '../../work/src/service';
import { createItem, seedPlant, type Plant } from '../../work/test/fixtures';
import { service as documentsService } from '../src/service';
import { DOCUMENT_FIELDS, approved, outbox } from './fixtures';

/**
 * Every site, area and asset a document names (where it is held, where it applies) is checked against
 * Documents' copy of Work's location registry (`known_location`): known and in the caller's scope, areas and
 * assets of the site that holds the document, or "not found" exactly as a random id is, and nothing written.
 * Work and Documents run on the real event backbone.
 */
let work: TestService;
let documents: TestService;
let green: Plant;
let blue: Plant;

/** Document control at the green site only. */
const greenControl = person('0000000c-0000-4000-8000-0000000000d1', ['supervisor', 'hse'], [] as string[]);
const greenOnly = (): Caller => ({ ...greenControl, sites: [green.siteId] });
/** Document control at every site. */
const everywhere = person('0000000c-0000-4000-8000-0000000000d2', ['supervisor', 'hse'], ['*']);

const NOT_KNOWN = (what: string, id: string) => `${what} ${id} not found (one registered in Work a moment ago may not be known here yet: retry shortly)`;

let serial = 0;
const register = (caller: Caller, input: Record<string, unknown>) =>
  documents.query(`mutation($i: RegisterDocumentInput!) { registerDocument(input: $i) { ${DOCUMENT_FIELDS} } }`, {
    i: { number: `SOP-PLC-${Date.now().toString(36).toUpperCase()}-${serial++}`, title: 'Seal replacement', type: 'PROCEDURE', ownerId: people.supervisor.id, siteId: green.siteId, ...input },
  }, caller);
const update = (caller: Caller, id: string, applicability: Record<string, unknown>) =>
  documents.query(`mutation($id: ID!, $a: DocumentApplicabilityInput!) { updateDocument(id: $id, input: { applicability: $a }) { ${DOCUMENT_FIELDS} } }`, { id, a: applicability }, caller);

/** Everything a refused call could have written: documents and the events. */
const written = async () => ({
  documents: await documents.db.query(`SELECT id, version, site_ids, area_ids, asset_ids FROM document ORDER BY id`),
  events: await documents.db.getRepository(OutboxEvent).count(),
});

/** A refusal with the id it names taken out, to compare with the refusal of a random id. */
function shapeOf(res: GraphQLResult, id: string) {
  expect(res.data ?? null).toBeNull();
  expect(res.errors?.[0]?.extensions?.id).toBe(id);
  return notFoundShape(res, id);
}

beforeAll(async () => {
  [work, documents] = await Promise.all([startTestService(workService), startTestService(documentsService)]);
  [green, blue] = await Promise.all([seedPlant(work, 'DGR'), seedPlant(work, 'DBL')]);
  await untilPlacesKnown(documents.db, [green.siteId, green.areaId, green.otherAreaId, green.lineId, green.assetId, blue.siteId, blue.areaId, blue.lineId, blue.assetId]);
}, 60_000);
afterAll(async () => {
  await Promise.all([work?.stop(), documents?.stop()]);
});

describe('with Work running', () => {
  test('an area and an asset registered in Work become usable in Documents once their events are applied', async () => {
    const area = ok(await work.query(`mutation($i: CreateAreaInput!) { createArea(input: $i) { id } }`, { i: { siteId: green.siteId, code: `WH-${serial++}`, name: 'Warehouse' } }, people.admin)).createArea.id as string;
    const asset = ok(await work.query(`mutation($i: CreateAssetInput!) { createAsset(input: $i) { id } }`, {
      i: { siteId: green.siteId, areaId: area, code: `FL-${serial++}`, name: 'Forklift', assetClass: 'vehicle' },
    }, people.admin)).createAsset.id as string;
    await untilPlacesKnown(documents.db, [area, asset]);
    const doc = ok(await register(greenOnly(), { applicability: { areaIds: [area] } })).registerDocument;
    expect(doc.applicability).toEqual({ sites: [], areas: [{ id: area }], assets: [], workTypes: [] });
    const updated = ok(await update(greenOnly(), doc.id, { areaIds: [area], assetIds: [asset] })).updateDocument;
    expect(updated.applicability).toEqual({ sites: [], areas: [{ id: area }], assets: [{ id: asset }], workTypes: [] });
  });

  test("a document that applies at another site blocks that site's work, and its blocker names the work's site", async () => {
    const doc = ok(await register(everywhere, { applicability: { siteIds: [green.siteId, blue.siteId] } })).registerDocument;
    const revision = await approved(documents, doc.id, 'A');
    const job = await createItem(work, blue, { ownerId: people.technician.id });
    const blockers = await eventually(async () => {
      const found = ok(await work.query(`query($id: ID!) { workItem(id: $id) { blockers { kind sourceRecordId } } }`, { id: job.id })).workItem.blockers;
      return found.length ? found : null;
    });
    expect(blockers).toEqual([{ kind: 'DOCUMENT_ACKNOWLEDGED', sourceRecordId: `${revision.id}:${people.technician.id}` }]);
    const required = (await outbox(documents)).filter((e) => e.type === 'prerequisite.required' && e.data.workItemId === job.id);
    expect(required.map((e) => e.data)).toEqual([expect.objectContaining({ siteId: blue.siteId, sourceRecordId: `${revision.id}:${people.technician.id}` })]);
  });
});

describe("another site's places are not found, exactly as a random id, and nothing is written", () => {
  const cases: [string, (p: Plant) => string, string][] = [
    ['areaIds', (p) => p.areaId, 'area'],
    ['assetIds', (p) => p.assetId, 'asset'],
  ];

  test.each(cases)('registerDocument, applicability.%s', async (list, blueId, what) => {
    const before = await written();
    const random = randomUUID();
    for (const caller of [greenOnly(), everywhere]) {
      const randomShape = shapeOf(await register(caller, { applicability: { [list]: [random] } }), random);
      expect(randomShape).toEqual({ message: NOT_KNOWN(what, '<id>'), extensions: { code: 'NOT_FOUND', id: '<id>', field: `applicability.${list}` } });
      // Green-only, the blue place is out of scope; for someone who sees both, it is not of the holding site.
      expect(shapeOf(await register(caller, { applicability: { [list]: [blueId(blue)] } }), blueId(blue))).toEqual(randomShape);
      // Listed with the document's own places, the same.
      expect(shapeOf(await register(caller, { applicability: { [list]: [blueId(green), blueId(blue)] } }), blueId(blue))).toEqual(randomShape);
    }
    expect(await written()).toEqual(before);
  });

  test.each(cases)('updateDocument adding applicability.%s', async (list, blueId) => {
    const doc = ok(await register(everywhere, { applicability: { [list]: [blueId(green)] } })).registerDocument;
    const before = await written();
    const random = randomUUID();
    for (const caller of [greenOnly(), everywhere]) {
      const randomShape = shapeOf(await update(caller, doc.id, { [list]: [blueId(green), random] }), random);
      expect(shapeOf(await update(caller, doc.id, { [list]: [blueId(green), blueId(blue)] }), blueId(blue))).toEqual(randomShape);
    }
    expect(await written()).toEqual(before);
  });

  test("another site, where it is held or where it applies, is not found for a caller it is out of scope for, as a random one", async () => {
    const before = await written();
    const random = randomUUID();
    const holding = shapeOf(await register(greenOnly(), { siteId: random, applicability: { siteIds: [random] } }), random);
    expect(shapeOf(await register(greenOnly(), { siteId: blue.siteId, applicability: { siteIds: [blue.siteId] } }), blue.siteId)).toEqual(holding);
    const applies = shapeOf(await register(greenOnly(), { applicability: { siteIds: [green.siteId, random] } }), random);
    expect(shapeOf(await register(greenOnly(), { applicability: { siteIds: [green.siteId, blue.siteId] } }), blue.siteId)).toEqual(applies);
    // For someone of every site, a site the registry does not know is not found, with the retry message.
    expect(shapeOf(await register(everywhere, { applicability: { siteIds: [random] } }), random)).toEqual({ message: NOT_KNOWN('site', '<id>'), extensions: { code: 'NOT_FOUND', id: '<id>', field: 'applicability.siteIds' } });
    expect(shapeOf(await register(everywhere, { siteId: random, applicability: { siteIds: [green.siteId] } }), random)).toEqual({ message: NOT_KNOWN('site', '<id>'), extensions: { code: 'NOT_FOUND', id: '<id>', field: 'siteId' } });
    expect(await written()).toEqual(before);
  });

  test('a location of the wrong kind is not found either (a line given as an area, an area as an asset, an area as a site)', async () => {
    const before = await written();
    for (const [applicability, id, what, field] of [
      [{ areaIds: [green.lineId] }, green.lineId, 'area', 'applicability.areaIds'],
      [{ assetIds: [green.areaId] }, green.areaId, 'asset', 'applicability.assetIds'],
      [{ siteIds: [green.areaId] }, green.areaId, 'site', 'applicability.siteIds'],
    ] as const) {
      expect(shapeOf(await register(everywhere, { applicability }), id)).toEqual({ message: NOT_KNOWN(what, '<id>'), extensions: { code: 'NOT_FOUND', id: '<id>', field } });
    }
    expect(await written()).toEqual(before);
  });
});

describe('a location not known here yet', () => {
  test('is not found with the retry message and nothing is written; once known, the same call succeeds', async () => {
    // A site with an area and an asset that Work registered, but whose events have not reached Documents
    // (written into the copy by hand below, as the consumer would apply them).
    const site = { siteId: randomUUID(), areaId: randomUUID(), assetId: randomUUID() };
    const caller = person(greenControl.id, ['supervisor', 'hse'], [site.siteId]);
    const input = { number: `SOP-NEW-${serial++}`, siteId: site.siteId, applicability: { siteIds: [site.siteId], areaIds: [site.areaId], assetIds: [site.assetId] } };
    const before = await written();
    for (const [known, missing, what, field] of [
      [[], site.siteId, 'site', 'siteId'],
      [[{ siteId: site.siteId }], site.areaId, 'area', 'applicability.areaIds'],
      [[{ siteId: site.siteId, areaId: site.areaId }], site.assetId, 'asset', 'applicability.assetIds'],
    ] as const) {
      await knowPlaces(documents.db, ...known);
      expect(expectError(await register(caller, input), 'NOT_FOUND')).toMatchObject({ message: NOT_KNOWN(what, missing), extensions: { code: 'NOT_FOUND', id: missing, field } });
      expect(await written()).toEqual(before);
    }
    await knowPlaces(documents.db, site);
    const doc = ok(await register(caller, input)).registerDocument;
    expect(doc).toMatchObject({ site: { id: site.siteId }, applicability: { sites: [{ id: site.siteId }], areas: [{ id: site.areaId }], assets: [{ id: site.assetId }] } });

    // Adding an asset not known yet to it: the same, and the document is unchanged until it is known.
    const asset = randomUUID();
    const withAsset = { siteIds: [site.siteId], areaIds: [site.areaId], assetIds: [site.assetId, asset] };
    const unchanged = await written();
    expect(expectError(await update(caller, doc.id, withAsset), 'NOT_FOUND')).toMatchObject({ message: NOT_KNOWN('asset', asset), extensions: { id: asset, field: 'applicability.assetIds' } });
    expect(await written()).toEqual(unchanged);
    await knowPlaces(documents.db, { siteId: site.siteId, areaId: site.areaId, assetId: asset });
    expect(ok(await update(caller, doc.id, withAsset)).updateDocument.applicability.assets).toEqual([{ id: site.assetId }, { id: asset }]);
  });
});
