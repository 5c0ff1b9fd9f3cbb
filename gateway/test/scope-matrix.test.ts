import { randomUUID } from 'node:crypto';
import type { Caller } from '@opsgraph/core';
import { subgraphDefinitions } from '@opsgraph/gateway';
import {
  PLACE_ID_ARGUMENTS,
  eventually,
  idArguments,
  person,
  readEverything,
  scopeEscapeProbes,
  startTestGateway,
  startTestService,
  untilPlacesKnown,
  type GraphQLResult,
  type TestGateway,
  type TestService,
} from '@opsgraph/testing';
import { service as changeService } from '../../services/change/src/service';
import { service as competenceService } from '../../services/competence/src/service';
import { service as complianceService } from '../../services/compliance/src/service';
import { service as documentsService } from '../../services/documents/src/service';
import { service as hazardsService } from '../../services/hazards/src/service';
import { service as permitsService } from '../../services/permits/src/service';
import { service as workService } from '../../services/work/src/service';
import { createItem, seedPlant, type Plant } from '../../services/work/test/fixtures';

/**
 * The scope-escape matrix, generated from every subgraph's schema like the role matrix: for every argument
 * or input field that names a location or a work item, a caller given another site's id (a contractor:
 * another company's job too) gets exactly what a random id gets — same data, same code, same message with
 * the id taken out — and nothing of the other site changes; every root query read at the caller's own site
 * never shows another site's (or company's) id. Run as a person of many roles at one site, a contractor of
 * one company and an auditor of one site. A new argument is probed without a line here; an ID argument
 * that names something else must be classified in OTHER_IDS, or the classification test fails.
 */

/** ID arguments that name records rather than places, each probed by its service's own scope.test.ts. */
const OTHER_IDS = new Set([
  'id', 'actorId', 'auditId', 'auditorId', 'changeId', 'controlIds', 'documentId', 'documentIds', 'findingId', 'hazardId', 'incidentId', 'investigatorId',
  'ownerId', 'parentId', 'peopleInvolvedIds', 'performingAuthorityId', 'permitId', 'personId', 'recordId', 'requesterId', 'requirementId', 'reviewerIds',
  'revisionId', 'sourceRecordId',
]);

const definitions = { work: workService, permits: permitsService, competence: competenceService, documents: documentsService, hazards: hazardsService, change: changeService, compliance: complianceService };
/** Where each supporting service keeps what it knows of Work's items. */
const TRACKED: Record<string, string> = { permits: 'known_work_item', competence: 'open_work_item', documents: 'tracked_work_item', hazards: 'tracked_work_item', change: 'tracked_work_item', compliance: 'tracked_work_item' };

let services: Record<string, TestService>;
let gateway: TestGateway;
let green: Plant;
let blue: Plant;
const items = { host: '', x: '', y: '', blue: '' };

beforeAll(async () => {
  const started = await Promise.all(Object.entries(definitions).map(async ([name, definition]) => [name, await startTestService(definition as never)] as const));
  services = Object.fromEntries(started);
  gateway = await startTestGateway(Object.fromEntries(started.map(([name, s]) => [name, s.url])));
  green = await seedPlant(services.work, 'SMG');
  blue = await seedPlant(services.work, 'SMB');
  items.host = (await createItem(services.work, green, { title: 'host job' })).id;
  items.x = (await createItem(services.work, green, { title: 'X job', contractorCompany: 'X Co' })).id;
  items.y = (await createItem(services.work, green, { title: 'Y job', contractorCompany: 'Y Co' })).id;
  items.blue = (await createItem(services.work, blue, { title: 'blue job' })).id;
  // Every service knows every place and item before probing: otherwise "unknown" answers would match trivially.
  const places = [green, blue].flatMap((p) => [p.siteId, p.areaId, p.otherAreaId, p.lineId, p.assetId]);
  for (const [name, table] of Object.entries(TRACKED)) {
    await untilPlacesKnown(services[name].db, places, 30_000);
    await eventually(async () => (await services[name].db.query(`SELECT count(*)::int AS n FROM ${table} WHERE work_item_id = ANY($1::uuid[])`, [Object.values(items)]))[0].n === 4, 30_000);
  }
}, 180_000);
afterAll(async () => {
  await gateway?.stop();
  await Promise.all(Object.values(services ?? {}).map((s) => s.stop()));
});

interface Scenario {
  caller: () => Caller;
  /** Ids of this kind the caller must not tell from random ones. */
  foreign: () => Record<(typeof PLACE_ID_ARGUMENTS)[string], string[]>;
}
const bluePlaces = () => ({ site: [blue.siteId], area: [blue.areaId], line: [blue.lineId], asset: [blue.assetId] });
const scenarios: Record<string, Scenario> = {
  'a person of many roles at one site': {
    caller: () => person('5c0e0000-0000-4000-8000-000000000001', ['administrator', 'supervisor', 'hse', 'permit_issuer', 'verifier', 'technician'], [green.siteId]),
    foreign: () => ({ ...bluePlaces(), workItem: [items.blue] }),
  },
  'a contractor of one company': {
    caller: () => person('5c0e0000-0000-4000-8000-000000000002', 'contractor', [green.siteId], 'X Co'),
    foreign: () => ({ ...bluePlaces(), workItem: [items.blue, items.y, items.host] }),
  },
  'an auditor of one site': {
    caller: () => person('5c0e0000-0000-4000-8000-000000000003', 'auditor', [green.siteId]),
    foreign: () => ({ ...bluePlaces(), workItem: [items.blue] }),
  },
};

/** An answer with the given id replaced, so answers about two different ids compare. */
function shape(res: GraphQLResult, id: string) {
  const text = (v: unknown) => JSON.stringify(v ?? null).split(id).join('<id>');
  return { data: text(res.data), errors: (res.errors ?? []).map((e) => `${e.extensions?.code}: ${text(e.message)}`) };
}

/** Rows of the blue site in every table with a site column, in every service: nothing of blue may change. */
async function blueFootprint(): Promise<Record<string, number>> {
  const counts: Record<string, number> = {};
  for (const [name, service] of Object.entries(services)) {
    const tables: { table: string }[] = await service.db.query(
      `SELECT c.relname AS table FROM pg_class c JOIN pg_namespace n ON n.oid = c.relnamespace JOIN pg_attribute a ON a.attrelid = c.oid
        WHERE n.nspname = 'public' AND c.relkind = 'r' AND a.attname = 'site_id' AND NOT a.attisdropped AND c.relname <> 'known_location'`,
    );
    for (const { table } of tables) counts[`${name}.${table}`] = (await service.db.query(`SELECT count(*)::int AS n FROM ${table} WHERE site_id = $1`, [blue.siteId]))[0].n;
  }
  counts['work.prerequisite of blue'] = (await services.work.db.query(`SELECT count(*)::int AS n FROM prerequisite WHERE work_item_id = $1`, [items.blue]))[0].n;
  counts['work.transition of blue'] = (await services.work.db.query(`SELECT count(*)::int AS n FROM transition WHERE work_item_id = $1`, [items.blue]))[0].n;
  return counts;
}

describe.each(subgraphDefinitions().map((d) => [d.name, d.typeDefs] as const))('%s', (_name, typeDefs) => {
  test('every ID argument is classified: a place or work item (probed here) or a record (its service\'s scope test)', () => {
    const unclassified = idArguments(typeDefs).filter((a) => !PLACE_ID_ARGUMENTS[a.name] && !OTHER_IDS.has(a.name));
    expect(unclassified).toEqual([]);
  });

  describe.each(Object.entries(scenarios))('%s', (_who, scenario) => {
    test("another site's (or company's) place or work item is answered as a random id, and nothing of it changes", async () => {
      const before = await blueFootprint();
      const probes = scopeEscapeProbes(typeDefs, green.siteId);
      const failures: string[] = [];
      for (const probe of probes) {
        for (const foreignId of scenario.foreign()[probe.target]) {
          const random = randomUUID();
          const [foreign, unknown] = [await gateway.query(probe.document, probe.variables(foreignId), scenario.caller()), await gateway.query(probe.document, probe.variables(random), scenario.caller())];
          const [a, b] = [shape(foreign, foreignId), shape(unknown, random)];
          if (JSON.stringify(a) !== JSON.stringify(b)) failures.push(`${probe.name} (${probe.target} ${foreignId}): ${JSON.stringify(a).slice(0, 300)} ≠ random ${JSON.stringify(b).slice(0, 300)}`);
        }
      }
      expect(failures).toEqual([]);
      expect(await blueFootprint()).toEqual(before);
    });

    test("no read at one's own site shows another site's or company's ids", async () => {
      const foreign = Object.values(scenario.foreign()).flat();
      const leaks: string[] = [];
      for (const read of readEverything(typeDefs, green.siteId)) {
        const res = await gateway.query(read.document, read.variables, scenario.caller());
        const text = JSON.stringify(res.data ?? null);
        const seen = foreign.filter((id) => text.includes(id));
        if (seen.length) leaks.push(`${read.name}: ${seen.join(', ')}`);
      }
      expect(leaks).toEqual([]);
    });
  });
});
