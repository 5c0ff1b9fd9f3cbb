import type { Caller } from '@opsgraph/core';
import { demoPeople, type DemoContext, type DemoPlant, type SeedDemo } from './demo';

/** GraphQL through the gateway as `caller` (the administrator by default); throws on any error. */
export type DemoQuery = <T = any>(query: string, variables?: Record<string, unknown>, caller?: Caller) => Promise<T>;

/**
 * The Work part of the demo plant, seeded through the gateway as people would: the registry and work in every
 * state. `scripts/demo.ts` seeds it as GRN; the scope matrix seeds a second one to probe another site's records.
 */
export async function seedDemoWork(query: DemoQuery, code = 'GRN', name = 'Greenfield plant'): Promise<DemoPlant> {
  const { createSite: site } = await query(`mutation($i: CreateSiteInput!) { createSite(input: $i) { id } }`, { i: { code, name } });
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
  // Work types with their own details: a round on its route (one reading out of limits raised follow-up work on
  // the boiler), two logistics moves needing bay B2 at the same time (flagged), a category A punch item and a
  // production action for a customer commitment.
  workItems.shiftRound = await create({
    type: 'ROUND', title: 'Shift round: feed pump, boiler, air receiver', areaId: areas.utilities, ownerId: p.operator.id, shift: 'A',
    details: { round: {
      route: [
        { name: 'Feed pump P-301', assetId: assets.pump, checks: [{ label: 'Discharge pressure', kind: 'READING', unit: 'bar', min: 4, max: 6 }, { label: 'Seal dry', kind: 'CHECK' }] },
        { name: 'Steam boiler B-100', assetId: assets.boiler, checks: [{ label: 'Steam pressure', kind: 'READING', unit: 'bar', min: 8, max: 10 }, { label: 'Water level visible in gauge glass', kind: 'CHECK' }] },
        { name: 'Air receiver V-101', assetId: assets.vessel, checks: [{ label: 'Receiver drain clear', kind: 'CHECK' }] },
      ],
      schedule: { starts: [{ at: '06:00', shift: 'A' }, { at: '14:00', shift: 'B' }, { at: '22:00', shift: 'C' }], allowedMinutes: 120 },
    } },
  });
  await run('startWork', '', p.operator, { id: workItems.shiftRound });
  const checkpoint = `mutation($id: ID!, $c: Int!, $r: [RoundReadingInput!]!) { recordRoundCheckpoint(workItemId: $id, checkpoint: $c, readings: $r) { id } }`;
  await query(checkpoint, { id: workItems.shiftRound, c: 1, r: [{ label: 'Discharge pressure', value: 5.1, unit: 'bar' }, { label: 'Seal dry', ok: true }] }, p.operator);
  await query(checkpoint, { id: workItems.shiftRound, c: 2, r: [{ label: 'Steam pressure', value: 11.2, unit: 'bar', note: 'safety valve simmering' }, { label: 'Water level visible in gauge glass', ok: true }] }, p.operator);
  const slot = (fromHours: number, toHours: number) => ({ slotStart: new Date(Date.now() + fromHours * hour).toISOString(), slotEnd: new Date(Date.now() + toHours * hour).toISOString() });
  workItems.filmDelivery = await create({
    type: 'LOGISTICS', title: 'Deliver film rolls to Line 3 bay B2', areaId: areas.packaging, ownerId: p.operator.id, shift: 'A',
    details: { logistics: { material: 'Stretch film rolls', quantity: 12, unit: 'pallet', from: { areaId: areas.process, dock: 'D1' }, to: { areaId: areas.packaging, bay: 'B2' }, vehicle: 'FLT-07', ...slot(1, 2) } },
  });
  workItems.palletCollection = await create({
    type: 'LOGISTICS', title: 'Collect finished pallets from bay B2 for dispatch', areaId: areas.packaging, ownerId: p.operator.id, shift: 'A',
    details: { logistics: { material: 'Finished goods, batch 2291', quantity: 20, unit: 'pallet', from: { areaId: areas.packaging, bay: 'B2' }, to: { areaId: areas.packaging, dock: 'D3' }, vehicle: 'FLT-04', ...slot(1.5, 2.5) } },
  });
  workItems.steamLineInsulation = await create({
    type: 'PUNCH_ITEM', title: 'Insulate steam line at the B-100 outlet', areaId: areas.utilities, ownerId: p.technician.id,
    details: { punchItem: { project: 'Boiler house revamp', system: 'Steam distribution', category: 'A', milestone: 'Boiler handover' } },
  });
  workItems.extraBatch = await create({
    type: 'PRODUCTION_ACTION', title: 'Run extra batch 2293 of oat base for NordMart', lineId: lines.line1, ownerId: p.supervisor.id, shift: 'B',
    details: { productionAction: { order: 'PO-7710', batch: '2293', product: 'Oat base 20 l', quantity: 400, unit: 'pcs', customerCommitment: { customer: 'NordMart', reference: 'SO-4471', dueAt: new Date(Date.now() + 48 * hour).toISOString() } } },
  });
  workItems.roundFollowUp = (await query(`query($r: ID!) { workItems(filter: { sourceDomain: WORK, sourceRecordId: $r }) { edges { node { id } } } }`, { r: workItems.shiftRound }, p.supervisor)).workItems.edges[0].node.id;

  await query(`mutation($i: ShiftLogInput!) { addShiftLogEntry(input: $i) { id } }`, {
    i: { siteId: site.id, areaId: areas.packaging, shift: 'A', text: 'P-301 seal weeping; spare seal on the bench. Filler CIP half done.', attentionNextShift: true, workItemIds: [workItems.sealReplacement, workItems.fillerClean] },
  }, p.operator);
  return { siteId: site.id, areas, lines, assets, workItems };
}

/** Runs the supporting domains' demo seeds after the Work part, competence first (the people the others name). */
export async function seedDemoDomains(ctx: DemoContext, seeds: { name: string; seed: SeedDemo }[]): Promise<void> {
  const ordered = [...seeds.filter((s) => s.name === 'competence'), ...seeds.filter((s) => s.name !== 'competence')];
  for (const { name, seed } of ordered) {
    await seed(ctx);
    ctx.log(`${name}: seeded`);
  }
}
