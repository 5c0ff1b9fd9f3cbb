import { randomUUID } from 'node:crypto';
import type { Caller } from '@opsgraph/core';
import { getNamedType } from 'graphql';
import { subgraphDefinitions } from '@opsgraph/gateway';
import {
  PLACE_ID_ARGUMENTS,
  demoPeople,
  eventually,
  idArguments,
  person,
  readEverything,
  scopeEscapeProbes,
  seedDemoDomains,
  seedDemoWork,
  startTestGateway,
  startTestService,
  untilPlacesKnown,
  type DemoPlant,
  type GraphQLResult,
  type IdClassifier,
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
import { seedDemo as changeDemo } from '../../services/change/demo';
import { seedDemo as competenceDemo } from '../../services/competence/demo';
import { seedDemo as complianceDemo } from '../../services/compliance/demo';
import { seedDemo as documentsDemo } from '../../services/documents/demo';
import { seedDemo as hazardsDemo } from '../../services/hazards/demo';
import { seedDemo as permitsDemo } from '../../services/permits/demo';

/**
 * The scope-escape matrix, generated from every subgraph's schema like the role matrix: for every argument
 * or input field that names a location or a work item, a caller given another site's id (a contractor:
 * another company's job too) gets exactly what a random id gets — same data, same code, same message with
 * the id taken out — and nothing of the other site changes; every root query read at the caller's own site
 * never shows another site's (or company's) id. The same for every argument that names a record (permit,
 * document, revision, hazard, incident, change, check, audit, finding, requirement, ...): the records of a
 * second plant, seeded by every domain's own demo seed, are answered as random ids. Run as a person of many
 * roles at one site, a contractor of one company and an auditor of one site. A new argument is probed
 * without a line here; an ID argument that names something else must be classified below, or the
 * classification test fails.
 */

/** Arguments that name a record, by name; an argument called `id` names what its field returns. */
const RECORD_ARGUMENTS: Record<string, string> = {
  permitId: 'Permit', documentId: 'Document', documentIds: 'Document', revisionId: 'DocumentRevision', hazardId: 'Hazard', controlIds: 'HazardControl',
  incidentId: 'Incident', changeId: 'ChangeRequest', auditId: 'ComplianceAudit', findingId: 'AuditFinding', requirementId: 'Requirement', parentId: 'Asset',
};
/**
 * Where the second plant's records of each kind are, read as the owner: the ids a caller of the first site
 * must not tell from random ones.
 */
const RECORDS: Record<string, { service: string; sql: string }> = {
  WorkItem: { service: 'work', sql: `SELECT id FROM work_item WHERE site_id = $1` },
  Prerequisite: { service: 'work', sql: `SELECT p.id FROM prerequisite p JOIN work_item w ON w.id = p.work_item_id WHERE w.site_id = $1` },
  Site: { service: 'work', sql: `SELECT id FROM site WHERE id = $1` },
  Asset: { service: 'work', sql: `SELECT id FROM asset WHERE site_id = $1` },
  Permit: { service: 'permits', sql: `SELECT id FROM permit WHERE site_id = $1` },
  Isolation: { service: 'permits', sql: `SELECT i.id FROM isolation i JOIN permit p ON p.id = i.permit_id WHERE p.site_id = $1` },
  Document: { service: 'documents', sql: `SELECT id FROM document WHERE site_id = $1` },
  DocumentRevision: { service: 'documents', sql: `SELECT r.id FROM document_revision r JOIN document d ON d.id = r.document_id WHERE d.site_id = $1` },
  DocumentReview: { service: 'documents', sql: `SELECT r.id FROM document_review r JOIN document d ON d.id = r.document_id WHERE d.site_id = $1` },
  Hazard: { service: 'hazards', sql: `SELECT id FROM hazard WHERE site_id = $1` },
  HazardControl: { service: 'hazards', sql: `SELECT c.id FROM hazard_control c JOIN hazard h ON h.id = c.hazard_id WHERE h.site_id = $1` },
  JobHazardControl: { service: 'hazards', sql: `SELECT c.id FROM job_hazard_control c JOIN job_risk_assessment a ON a.id = c.assessment_id WHERE a.site_id = $1` },
  Incident: { service: 'hazards', sql: `SELECT id FROM incident WHERE site_id = $1` },
  ChangeRequest: { service: 'change', sql: `SELECT id FROM change_request WHERE $1 = ANY(site_ids)` },
  ChangeTask: { service: 'change', sql: `SELECT t.id FROM change_task t JOIN change_request c ON c.id = t.change_id WHERE $1 = ANY(c.site_ids)` },
  PreStartupCheck: { service: 'change', sql: `SELECT k.id FROM pre_startup_check k JOIN change_request c ON c.id = k.change_id WHERE $1 = ANY(c.site_ids)` },
  Requirement: { service: 'compliance', sql: `SELECT id FROM requirement WHERE $1 = ANY(site_ids)` },
  ComplianceAudit: { service: 'compliance', sql: `SELECT id FROM compliance_audit WHERE site_id = $1` },
  AuditFinding: { service: 'compliance', sql: `SELECT id FROM audit_finding WHERE site_id = $1` },
  HandoverRecord: { service: 'work', sql: `SELECT id FROM handover WHERE site_id = $1` },
  StandingCondition: { service: 'work', sql: `SELECT id FROM recorded_condition WHERE site_id = $1 UNION ALL SELECT id FROM shift_log_entry WHERE site_id = $1 AND attention_next_shift` },
};
/**
 * ID arguments that are neither a place nor a site's record: people (held in competence for every site they
 * work at; which people one may name is each domain's rule), free references to another domain's record
 * (`recordId`, `sourceRecordId`, checked by the domain that owns the record), a client-chosen new id, and
 * and the competence domain's people, qualifications and records, which follow people rather than sites.
 */
const OTHER_IDS = new Set([
  'actorId', 'auditorId', 'investigatorId', 'ownerId', 'peopleInvolvedIds', 'performingAuthorityId', 'personId', 'recordId', 'requesterId',
  'reviewerIds', 'sourceRecordId',
]);
const UNSCOPED_TYPES = new Set(['Person', 'Qualification', 'CompetenceRecord']);
const recordTarget: IdClassifier = (leaf, field) => RECORD_ARGUMENTS[leaf] ?? (leaf === 'id' && RECORDS[getNamedType(field.type).name] ? getNamedType(field.type).name : undefined);

const definitions = { work: workService, permits: permitsService, competence: competenceService, documents: documentsService, hazards: hazardsService, change: changeService, compliance: complianceService };
/** Where each supporting service keeps what it knows of Work's items. */
const TRACKED: Record<string, string> = { permits: 'known_work_item', competence: 'open_work_item', documents: 'tracked_work_item', hazards: 'tracked_work_item', change: 'tracked_work_item', compliance: 'tracked_work_item' };

let services: Record<string, TestService>;
let gateway: TestGateway;
let green: Plant;
let blue: Plant;
const items = { host: '', x: '', y: '', blue: '' };
/** The second plant of records, seeded by every domain's demo seed, and its records' ids by kind. */
let demo: DemoPlant;
const demoRecords: Record<string, string[]> = {};

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
  const query = async (document: string, variables: Record<string, unknown> = {}, caller: Caller = demoPeople.admin) => {
    const res = await gateway.query(document, variables, caller);
    if (res.errors?.length) throw new Error(`${document.slice(0, 80)}…: ${JSON.stringify(res.errors)}`);
    return res.data;
  };
  demo = await seedDemoWork(query, 'SMD', 'Scope matrix demo plant');
  const whenKnown = <T>(call: () => Promise<T>) => eventually(() => call().catch((e: Error) => (/retry shortly/.test(e.message) ? null : Promise.reject(e))), 30_000);
  const seeds = { competence: competenceDemo, permits: permitsDemo, documents: documentsDemo, hazards: hazardsDemo, change: changeDemo, compliance: complianceDemo };
  await seedDemoDomains({ query, plant: demo, people: demoPeople, eventually: (check, timeoutMs = 30_000) => eventually(check, timeoutMs), whenKnown, log: () => {} }, Object.entries(seeds).map(([name, seed]) => ({ name, seed })));
  // The demo seeds no document review; one is asked for here so that reviews are probed too.
  const [document] = await services.documents.db.query(`SELECT id FROM document WHERE site_id = $1 ORDER BY id LIMIT 1`, [demo.siteId]);
  await query(`mutation($i: RequestDocumentReviewInput!) { requestDocumentReview(input: $i) { id } }`, {
    i: { documentId: document.id, reviewerIds: [demoPeople.supervisor.id], dueAt: new Date(Date.now() + 7 * 86_400_000).toISOString(), reason: 'scope matrix' },
  }, demoPeople.supervisor);
  // Nor does it hand over: a standing condition, a flagged note and a handover awaiting acceptance are made here.
  await query(`mutation($i: StandingConditionInput!) { recordStandingCondition(input: $i) { id } }`, { i: { siteId: demo.siteId, kind: 'DEVIATION', description: 'scope matrix' } }, demoPeople.supervisor);
  await query(`mutation($i: ShiftLogInput!) { addShiftLogEntry(input: $i) { id } }`, { i: { siteId: demo.siteId, shift: 'A', text: 'scope matrix', attentionNextShift: true } }, demoPeople.supervisor);
  await query(`mutation($i: StartHandoverInput!) { startHandover(input: $i) { id } }`, { i: { siteId: demo.siteId, shift: 'A', from: new Date(Date.now() - 3600_000).toISOString() } }, demoPeople.supervisor);
  for (const [kind, { service, sql }] of Object.entries(RECORDS)) {
    demoRecords[kind] = (await services[service].db.query(`${sql} ORDER BY 1 LIMIT 2`, [demo.siteId])).map((r: { id: string }) => r.id);
  }
  await settled();
}, 300_000);
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

/**
 * The rows of the other sites (blue and the demo plant) in every table with a site column, in every service,
 * as a count and a digest of their content: nothing of them may change, not even in place.
 */
async function foreignFootprint(): Promise<Record<string, string>> {
  const sites = [blue.siteId, demo.siteId];
  const footprint: Record<string, string> = {};
  for (const [name, service] of Object.entries(services)) {
    const tables: { table: string; column: string }[] = await service.db.query(
      `SELECT c.relname AS table, a.attname AS column FROM pg_class c JOIN pg_namespace n ON n.oid = c.relnamespace JOIN pg_attribute a ON a.attrelid = c.oid
        WHERE n.nspname = 'public' AND c.relkind = 'r' AND a.attname IN ('site_id', 'site_ids') AND NOT a.attisdropped AND c.relname <> 'known_location'`,
    );
    for (const { table, column } of tables) {
      const where = column === 'site_id' ? `site_id = ANY($1::uuid[])` : `site_ids::text[] && $1::text[]`;
      const [row] = await service.db.query(`SELECT count(*)::int AS n, md5(coalesce(string_agg(t::text, '|' ORDER BY t::text), '')) AS digest FROM ${table} t WHERE ${where}`, [sites]);
      footprint[`${name}.${table}`] = `${row.n} ${row.digest}`;
    }
  }
  const [children] = await services.work.db.query(
    `SELECT (SELECT count(*) FROM prerequisite p JOIN work_item w ON w.id = p.work_item_id WHERE w.site_id = ANY($1::uuid[])) AS prerequisites,
            (SELECT count(*) FROM transition t JOIN work_item w ON w.id = t.work_item_id WHERE w.site_id = ANY($1::uuid[])) AS transitions`,
    [sites],
  );
  footprint['work children'] = JSON.stringify(children);
  return footprint;
}

/** Waits until the demo plant's events have all been applied: the footprint stays the same for two seconds. */
async function settled(): Promise<void> {
  let last = JSON.stringify(await foreignFootprint());
  await eventually(async () => {
    await new Promise((resolve) => setTimeout(resolve, 2000));
    const now = JSON.stringify(await foreignFootprint());
    const same = now === last;
    last = now;
    return same;
  }, 60_000);
}

describe.each(subgraphDefinitions().map((d) => [d.name, d.typeDefs] as const))('%s', (_name, typeDefs) => {
  test('every ID argument is classified: a place, work item or site record (probed here), or another kind of id', () => {
    const classified = (a: { where: string; name: string; returns: string }) =>
      PLACE_ID_ARGUMENTS[a.name] || RECORD_ARGUMENTS[a.name] || OTHER_IDS.has(a.name) || (a.name === 'id' && (RECORDS[a.returns] || UNSCOPED_TYPES.has(a.returns)));
    expect(idArguments(typeDefs).filter((a) => !classified(a))).toEqual([]);
  });

  describe.each(Object.entries(scenarios))('%s', (_who, scenario) => {
    test("another site's (or company's) place or work item is answered as a random id, and nothing of it changes", async () => {
      const before = await foreignFootprint();
      const probes = scopeEscapeProbes(typeDefs, green.siteId);
      const failures: string[] = [];
      for (const probe of probes) {
        for (const foreignId of scenario.foreign()[probe.target as keyof ReturnType<Scenario["foreign"]>]) {
          const random = randomUUID();
          const [foreign, unknown] = [await gateway.query(probe.document, probe.variables(foreignId), scenario.caller()), await gateway.query(probe.document, probe.variables(random), scenario.caller())];
          const [a, b] = [shape(foreign, foreignId), shape(unknown, random)];
          if (JSON.stringify(a) !== JSON.stringify(b)) failures.push(`${probe.name} (${probe.target} ${foreignId}): ${JSON.stringify(a).slice(0, 300)} ≠ random ${JSON.stringify(b).slice(0, 300)}`);
        }
      }
      expect(failures).toEqual([]);
      expect(await foreignFootprint()).toEqual(before);
    });

    test("another site's records are answered as random ids, and nothing of them changes", async () => {
      const before = await foreignFootprint();
      const probes = scopeEscapeProbes(typeDefs, green.siteId, recordTarget);
      const failures: string[] = [];
      for (const probe of probes) {
        const theirs = demoRecords[probe.target] ?? [];
        if (!theirs.length) failures.push(`${probe.name}: the demo plant has no ${probe.target} to probe with`);
        for (const foreignId of theirs) {
          const random = randomUUID();
          const [foreign, unknown] = [await gateway.query(probe.document, probe.variables(foreignId), scenario.caller()), await gateway.query(probe.document, probe.variables(random), scenario.caller())];
          const [a, b] = [shape(foreign, foreignId), shape(unknown, random)];
          if (JSON.stringify(a) !== JSON.stringify(b)) failures.push(`${probe.name} (${probe.target} ${foreignId}): ${JSON.stringify(a).slice(0, 300)} ≠ random ${JSON.stringify(b).slice(0, 300)}`);
        }
      }
      expect(failures).toEqual([]);
      expect(await foreignFootprint()).toEqual(before);
    });

    test("no read at one's own site shows another site's or company's ids", async () => {
      const foreign = [...Object.values(scenario.foreign()).flat(), ...Object.values(demoRecords).flat()];
      const leaks: string[] = [];
      for (const read of readEverything(typeDefs, green.siteId, 3)) {
        const res = await gateway.query(read.document, read.variables, scenario.caller());
        const text = JSON.stringify(res.data ?? null);
        const seen = foreign.filter((id) => text.includes(id));
        if (seen.length) leaks.push(`${read.name}: ${seen.join(', ')}`);
      }
      expect(leaks).toEqual([]);
    });
  });
});
