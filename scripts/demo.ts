/**
 * Seeds the demo plant through the gateway, as people would: the Work registry and work in every state,
 * then each supporting domain's `demo.ts`. Runs once: a second run finds the site and stops.
 */
import { existsSync } from 'node:fs';
import path from 'node:path';
import { GATEWAY_PORT, SUBGRAPHS, devToken, type Caller } from '@opsgraph/core';
import { demoPeople, type DemoContext, type DemoPlant, type SeedDemo } from '@opsgraph/testing';

const url = process.env.OPSGRAPH_GATEWAY_URL ?? `http://127.0.0.1:${GATEWAY_PORT}/graphql`;

async function query<T = any>(q: string, variables: Record<string, unknown> = {}, caller: Caller = demoPeople.admin): Promise<T> {
  const res = await fetch(url, {
    method: 'POST',
    headers: { 'content-type': 'application/json', authorization: `Bearer ${await devToken(caller)}` },
    body: JSON.stringify({ query: q, variables }),
  });
  const body = (await res.json()) as { data?: T; errors?: unknown[] };
  if (body.errors?.length) throw new Error(`${q.slice(0, 80)}…: ${JSON.stringify(body.errors)}`);
  return body.data as T;
}

async function eventually<T>(check: () => Promise<T | null | undefined | false>, timeoutMs = 20_000): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const value = await check();
    if (value) return value;
    if (Date.now() > deadline) throw new Error('demo: timed out waiting for an event to take effect');
    await new Promise((r) => setTimeout(r, 200));
  }
}

async function seedWork(): Promise<DemoPlant> {
  const { createSite: site } = await query(`mutation { createSite(input: { code: "GRN", name: "Greenfield plant" }) { id } }`);
  const area = async (code: string, name: string) => (await query(`mutation($i: CreateAreaInput!) { createArea(input: $i) { id } }`, { i: { siteId: site.id, code, name } })).createArea.id as string;
  const areas = { packaging: await area('PACK', 'Packaging hall'), utilities: await area('UTIL', 'Utilities'), process: await area('PROC', 'Process') };
  const line = async (areaId: string, code: string, name: string) => (await query(`mutation($i: CreateLineInput!) { createLine(input: $i) { id } }`, { i: { areaId, code, name } })).createLine.id as string;
  const lines = { line3: await line(areas.packaging, 'L3', 'Line 3'), line1: await line(areas.process, 'L1', 'Line 1') };
  const asset = async (i: Record<string, unknown>) => (await query(`mutation($i: CreateAssetInput!) { createAsset(input: $i) { id } }`, { i: { siteId: site.id, ...i } })).createAsset.id as string;
  const assets = {
    pump: await asset({ lineId: lines.line3, code: 'P-301', name: 'Line 3 feed pump', assetClass: 'pump' }),
    conveyor: await asset({ lineId: lines.line3, code: 'CV-302', name: 'Line 3 outfeed conveyor', assetClass: 'conveyor' }),
    filler: await asset({ lineId: lines.line3, code: 'FL-303', name: 'Line 3 filler', assetClass: 'filler' }),
    vessel: await asset({ areaId: areas.utilities, code: 'V-101', name: 'Compressed air receiver', assetClass: 'pressure_vessel' }),
    boiler: await asset({ areaId: areas.utilities, code: 'B-100', name: 'Steam boiler', assetClass: 'boiler' }),
  };
  const p = demoPeople;
  const create = async (i: Record<string, unknown>) =>
    (await query(`mutation($i: CreateWorkItemInput!) { createWorkItem(input: $i) { id } }`, { i: { siteId: site.id, ...i } }, p.supervisor)).createWorkItem.id as string;
  const run = (m: string, args: string, caller: Caller, vars: Record<string, unknown>) =>
    query(`mutation($id: ID!${'e' in vars ? ', $e: [EvidenceInput!]!' : ''}) { ${m}(id: $id${args}) { id } }`, vars, caller);
  const hour = 3600_000;
  const workItems: Record<string, string> = {};
  workItems.sealReplacement = await create({
    type: 'MAINTENANCE', title: 'Replace mechanical seal on P-301', assetId: assets.pump, ownerId: p.technician.id, priority: 'HIGH', shift: 'A',
    dueAt: new Date(Date.now() + 8 * hour).toISOString(),
    requiredOutcome: { acceptanceCriteria: 'No visible leak at operating pressure', evidence: [{ kind: 'PHOTO', label: 'Seal fitted' }, { kind: 'MEASUREMENT', label: 'Discharge pressure', unit: 'bar', min: 4, max: 6 }] },
  });
  workItems.conveyorGuard = await create({ type: 'PUNCH_ITEM', title: 'Refit guard on CV-302 tail pulley', assetId: assets.conveyor, ownerId: p.technician2.id, prerequisites: [{ kind: 'MATERIAL', description: 'Guard panel GP-12 from stores' }] });
  workItems.fillerClean = await create({ type: 'CLEANING', title: 'CIP clean of FL-303 after batch 2291', assetId: assets.filler, batch: '2291', ownerId: p.operator.id, shift: 'A' });
  workItems.round = await create({ type: 'ROUND', title: 'Utilities round: boiler and air receiver', areaId: areas.utilities, ownerId: p.operator.id, shift: 'A',
    requiredOutcome: { acceptanceCriteria: 'All readings taken', evidence: [{ kind: 'CHECKLIST', label: 'Round checks', questions: ['Boiler pressure normal?', 'Receiver drain clear?'] }] } });
  workItems.scaffold = await create({ type: 'CONTRACTOR_JOB', title: 'Erect scaffold at boiler B-100', assetId: assets.boiler, contractorCompany: 'Acme Scaffolding', ownerId: p.contractor.id, dueAt: new Date(Date.now() - 24 * hour).toISOString() });
  workItems.palletMove = await create({ type: 'LOGISTICS', title: 'Move finished pallets to dispatch bay', areaId: areas.packaging, vehicle: 'FLT-07', ownerId: p.operator.id });
  workItems.vesselInspection = await create({ type: 'INSPECTION', title: 'Visual inspection of V-101 before restart', assetId: assets.vessel, ownerId: p.technician2.id });
  workItems.duplicate = await create({ type: 'OTHER', title: 'Check lighting in packaging hall', areaId: areas.packaging });

  await run('startWork', '', p.operator, { id: workItems.fillerClean });
  await run('startWork', '', p.operator, { id: workItems.round });
  await run('completeWork', ', evidence: $e', p.operator, { id: workItems.round, e: [{ kind: 'CHECKLIST', label: 'Round checks', answers: [{ question: 'Boiler pressure normal?', answer: 'yes, 9.8 bar' }, { question: 'Receiver drain clear?', answer: 'yes' }] }] });
  await run('startWork', '', p.operator, { id: workItems.palletMove });
  await run('completeWork', ', evidence: $e', p.operator, { id: workItems.palletMove, e: [] });
  await run('verifyWork', ', accept: true', p.supervisor, { id: workItems.palletMove });
  await query(`mutation($id: ID!) { holdWork(id: $id, reason: "Line 3 running until the end of batch 2292") { id } }`, { id: workItems.vesselInspection }, p.supervisor);
  await query(`mutation($id: ID!) { cancelWork(id: $id, reason: "Duplicate of an electrical job") { id } }`, { id: workItems.duplicate }, p.supervisor);
  await query(`mutation($i: ShiftLogInput!) { addShiftLogEntry(input: $i) { id } }`, {
    i: { siteId: site.id, areaId: areas.packaging, shift: 'A', text: 'P-301 seal weeping; spare seal on the bench. Filler CIP half done.', attentionNextShift: true, workItemIds: [workItems.sealReplacement, workItems.fillerClean] },
  }, p.operator);
  return { siteId: site.id, areas, lines, assets, workItems };
}

async function main() {
  const existing = await query<{ sites: { code: string }[] }>(`{ sites { code } }`);
  if (existing.sites.some((s) => s.code === 'GRN')) return console.log('demo plant already seeded');
  const plant = await seedWork();
  const whenKnown = <T>(call: () => Promise<T>) => eventually(() => call().catch((e: Error) => (/retry shortly/.test(e.message) ? null : Promise.reject(e))));
  const ctx: DemoContext = { query, plant, people: demoPeople, eventually, whenKnown, log: (m) => console.log(`demo: ${m}`) };
  ctx.log('work: plant GRN with 3 areas, 2 lines, 5 assets and work in every state');
  // Competence first: the people and their qualifications the other domains refer to.
  const order = ['competence', ...SUBGRAPHS.filter((s) => s !== 'work' && s !== 'competence')];
  for (const name of order) {
    const file = path.join(__dirname, '..', 'services', name, 'demo.ts');
    if (!existsSync(file)) continue;
    const { seedDemo } = (await import(file)) as { seedDemo: SeedDemo };
    await seedDemo(ctx);
    ctx.log(`${name}: seeded`);
  }
  console.log('demo plant seeded');
}

main().catch((e) => {
  console.error(e);
  process.exit(1);
});
