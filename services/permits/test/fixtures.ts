import { randomUUID } from 'node:crypto';
import { ok, people, person, startTestService, type TestService, recordedEvents } from '@opsgraph/testing';
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
