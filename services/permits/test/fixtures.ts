import { randomUUID } from 'node:crypto';
import { eventually, knowPlaces, ok, people, person, startTestService, type DataSource, type TestService, recordedEvents } from '@opsgraph/testing';
import { service } from '../src/service';

export const PERMIT_FIELDS = `
  id number type status description valid validFrom validTo precautions conditions statusReason endedAt version
  site { id } area { id } assets { id } coveredWorkItems { id }
  requester { id } approvedBy { id } issuer { id } performingAuthority { id }
  isolations { id point method tag state asset { id } appliedBy { id } verifiedBy { id } removedBy { id } }
  gasTests { id o2 lel h2s co withinLimits failures expired limits { o2Min o2Max lelMax h2sMax coMax } testedBy { id } }
  history { from to actor { id } note }
`;

export const crew = {
  ...people,
  issuer: person('00000000-0000-4000-8000-0000000000a1', 'permit_issuer'),
  issuer2: person('00000000-0000-4000-8000-0000000000a2', 'permit_issuer'),
  hse: person('00000000-0000-4000-8000-0000000000a3', 'hse'),
  /** A supervisor who is also a permit issuer: may request and issue, never the same permit. */
  supervisingIssuer: person('00000000-0000-4000-8000-0000000000a4', ['supervisor', 'permit_issuer']),
  elsewhere: person('00000000-0000-4000-8000-0000000000a5', 'supervisor', ['4f4f4f4f-0000-4000-8000-000000000000']),
};

export interface Scope {
  siteId: string;
  siteCode: string;
  areaId: string;
  pumpId: string;
  valveId: string;
}

export const newScope = (siteCode = 'GRN'): Scope => ({ siteId: randomUUID(), siteCode, areaId: randomUUID(), pumpId: randomUUID(), valveId: randomUUID() });

/**
 * Makes scopes' places known to Permits as Work's `location.registered` events would (for tests that run
 * without Work): the site, its area, and the pump and the valve in that area.
 */
export async function knowScope(service: { db: DataSource }, ...scopes: Scope[]): Promise<void> {
  for (const s of scopes) {
    await knowPlaces(service.db, { siteId: s.siteId, areaId: s.areaId, assetId: s.pumpId }, { siteId: s.siteId, areaId: s.areaId, assetId: s.valveId });
  }
}

/** A new scope whose places Permits knows. */
export async function knownScope(service: { db: DataSource }, siteCode = 'GRN'): Promise<Scope> {
  const scope = newScope(siteCode);
  await knowScope(service, scope);
  return scope;
}

/**
 * New work items Permits has heard of, as Work's `work_item.created` would tell it (for tests that run without
 * Work): at the site, the host's own work or a contractor company's job.
 */
export async function knownWorkItems(service: { db: DataSource }, siteId: string, count = 1, contractorCompany: string | null = null): Promise<string[]> {
  const ids = Array.from({ length: count }, () => randomUUID());
  for (const id of ids) await service.db.query(`INSERT INTO known_work_item (work_item_id, site_id, contractor_company) VALUES ($1, $2, $3)`, [id, siteId, contractorCompany]);
  return ids;
}

/** One new work item Permits has heard of, at the site. */
export const knownWorkItem = async (service: { db: DataSource }, siteId: string, contractorCompany: string | null = null) => (await knownWorkItems(service, siteId, 1, contractorCompany))[0];

export async function startPermits() {
  return startTestService(service);
}

const hours = (n: number) => new Date(Date.now() + n * 3600_000).toISOString();

export async function createPermit(permits: TestService, scope: Scope, input: Record<string, unknown> = {}, caller = people.supervisor) {
  const res = await permits.query(`mutation($i: CreatePermitInput!) { createPermit(input: $i) { ${PERMIT_FIELDS} } }`, {
    i: {
      type: 'HOT_WORK',
      description: 'Weld bracket on P-301 discharge line',
      siteId: scope.siteId,
      siteCode: scope.siteCode,
      areaId: scope.areaId,
      assetIds: [scope.pumpId],
      validTo: hours(8),
      precautions: ['Fire watch for 30 minutes after', 'Remove combustibles within 10 m'],
      ...input,
    },
  }, caller);
  return ok(res).createPermit;
}

/** Calls a permit or isolation mutation by name with its arguments and returns the result. */
export async function act(permits: TestService, mutation: string, args: Record<string, unknown>, caller = people.supervisor, fields = PERMIT_FIELDS) {
  const types: Record<string, string> = { id: 'ID!', note: 'String', reason: 'String!', performingAuthorityId: 'ID', tag: 'String', workItemIds: '[ID!]!', permitId: 'ID!', input: mutation === 'recordGasTest' ? 'GasTestInput!' : 'IsolationInput!' };
  const params = Object.keys(args).map((k) => `${k}: $${k}`).join(', ');
  const decl = Object.keys(args).map((k) => `$${k}: ${types[k]}`).join(', ');
  return permits.query(`mutation(${decl}) { ${mutation}(${params}) { ${fields} } }`, args, caller);
}

export const ISOLATION_FIELDS = 'id state appliedBy { id } verifiedBy { id } removedBy { id }';
export const GAS_FIELDS = 'id withinLimits failures expired expiresAt';

/** Takes a permit from DRAFT to ISSUED: request, approve, apply and verify its isolations, issue. */
export async function issue(permits: TestService, permit: { id: string; isolations: { id: string }[] }, performingAuthorityId = people.technician.id) {
  ok(await act(permits, 'requestPermit', { id: permit.id }, people.supervisor));
  ok(await act(permits, 'approvePermit', { id: permit.id }, crew.hse));
  for (const iso of permit.isolations) {
    ok(await act(permits, 'applyIsolation', { id: iso.id }, people.technician, ISOLATION_FIELDS));
    ok(await act(permits, 'verifyIsolation', { id: iso.id }, crew.issuer, ISOLATION_FIELDS));
  }
  return ok(await act(permits, 'issuePermit', { id: permit.id, performingAuthorityId }, crew.issuer)).issuePermit;
}

/** The facts a service wrote to its outbox, oldest first. */
export const outbox = async (service: TestService, subject?: string) => (await recordedEvents(service, subject)).map(({ type, data }) => ({ type, data }));

/** Waits until Permits has heard of these work items from Work's events (when Work runs and publishes them). */
export async function untilWorkItemsKnown(service: { db: DataSource }, ids: string[]): Promise<void> {
  await eventually(async () => (await service.db.query(`SELECT count(*)::int AS n FROM known_work_item WHERE work_item_id = ANY($1::uuid[])`, [ids]))[0].n === new Set(ids).size);
}
