import { ok, people, startTestService, type TestService } from '@opsgraph/testing';
import { service } from '../src/service';

export const WORK_ITEM_FIELDS = `
  id number type title status priority blocked overdue version
  site { id code } area { id code } line { id code } asset { id code }
  owner { id } performer { id } verifiedBy { id }
  source { domain recordId reason }
  requiredOutcome { acceptanceCriteria evidence { kind label unit min max questions } }
  prerequisites { id kind state description sourceDomain sourceRecordId waivedReason }
  blockers { id kind description }
  evidence { kind label value unit withinLimits url text answers { question answer } }
  history { from to actor { id } note }
`;

export interface Plant {
  siteId: string;
  areaId: string;
  otherAreaId: string;
  lineId: string;
  assetId: string;
}

/** A small plant: one site with two areas, a line and an asset on it. */
export async function seedPlant(work: TestService, code = 'GRN'): Promise<Plant> {
  const site = ok(await work.query(`mutation($i: CreateSiteInput!) { createSite(input: $i) { id } }`, { i: { code, name: `${code} plant` } }, people.admin));
  const siteId = site.createSite.id;
  const area = (c: string) => work.query(`mutation($i: CreateAreaInput!) { createArea(input: $i) { id } }`, { i: { siteId, code: c, name: `Area ${c}` } }, people.admin);
  const areaId = ok(await area('PACK')).createArea.id;
  const otherAreaId = ok(await area('UTIL')).createArea.id;
  const lineId = ok(await work.query(`mutation($i: CreateLineInput!) { createLine(input: $i) { id } }`, { i: { areaId, code: 'L3', name: 'Line 3' } }, people.admin)).createLine.id;
  const assetId = ok(
    await work.query(`mutation($i: CreateAssetInput!) { createAsset(input: $i) { id } }`, { i: { siteId, lineId, code: 'P-301', name: 'Feed pump', assetClass: 'pump' } }, people.admin),
  ).createAsset.id;
  return { siteId, areaId, otherAreaId, lineId, assetId };
}

export async function startWork() {
  return startTestService(service);
}

export async function createItem(work: TestService, plant: Plant, input: Record<string, unknown> = {}, caller = people.supervisor) {
  const res = await work.query(`mutation($i: CreateWorkItemInput!) { createWorkItem(input: $i) { ${WORK_ITEM_FIELDS} } }`, {
    i: { type: 'MAINTENANCE', title: 'Replace seal on P-301', siteId: plant.siteId, assetId: plant.assetId, ...input },
  }, caller);
  return ok(res).createWorkItem;
}

export async function act(work: TestService, mutation: string, args: Record<string, unknown>, caller = people.technician) {
  const params = Object.keys(args).map((k) => `${k}: $${k}`).join(', ');
  const types: Record<string, string> = { id: 'ID!', note: 'String', reason: 'String!', accept: 'Boolean!', evidence: '[EvidenceInput!]!', ownerId: 'ID!', team: 'String' };
  const decl = Object.keys(args).map((k) => `$${k}: ${types[k]}`).join(', ');
  return work.query(`mutation(${decl}) { ${mutation}(${params}) { ${WORK_ITEM_FIELDS} } }`, args, caller);
}
