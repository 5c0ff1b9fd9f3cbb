import { randomUUID } from 'node:crypto';
import { knowPlaces, ok, people, person, startTestService, type DataSource, type TestService, recordedEvents } from '@opsgraph/testing';
import { service } from '../src/service';

export const REQUIREMENT_FIELDS = `
  id reference clause title source workCheck status createdAt
  appliesTo { sites { id } areas { id } assets { id } assetClasses workTypes }
  recurrence { months leadDays }
  requiredOutcome { acceptanceCriteria evidence { kind label unit min max questions } }
  obligations { id targetKind dueAt status raisedAt metAt asset { id } workStatus workItem { id } }
  evidence { workItem { id } number verifiedAt verifiedBy { id } dueAt }
`;

export const FINDING_FIELDS = `
  id number severity status closable closedAt closeNote description
  audit { id number } requirement { id } area { id }
  correctiveActions { id title workStatus workItem { id } owner { id } }
`;

/** Who acts in compliance tests. */
export const crew = {
  ...people,
  hse: person('00000000-0000-4000-8000-0000000000e1', 'hse'),
  auditor: person('00000000-0000-4000-8000-0000000000e2', 'auditor'),
};

export interface Places {
  siteId: string;
  areaId: string;
  assetId: string;
  otherAssetId: string;
}
export const newPlaces = (): Places => ({ siteId: randomUUID(), areaId: randomUUID(), assetId: randomUUID(), otherAssetId: randomUUID() });

/**
 * Makes places known to compliance's copy of Work's registry, as Work's `location.registered` events would
 * (for tests without Work): the site, its area, and both assets in that area.
 */
export const knowAll = (db: DataSource, ...places: Places[]) =>
  knowPlaces(db, ...places.flatMap((p) => [p, { siteId: p.siteId, areaId: p.areaId, assetId: p.otherAssetId }]));

export const startCompliance = () => startTestService(service);

/** A yearly pressure vessel inspection on the given assets. */
export function vesselInspection(siteId: string, assetIds: string[], input: Record<string, unknown> = {}) {
  return {
    reference: 'Pressure Equipment Directive 2014/68/EU',
    clause: 'Annex I 3.3',
    title: 'Yearly inspection of pressure vessels',
    text: 'Pressure vessels are inspected externally every year by a competent person.',
    source: 'REGULATION',
    siteIds: [siteId],
    assetIds,
    assetClasses: ['pressure_vessel'],
    recurrenceMonths: 12,
    leadDays: 30,
    acceptanceCriteria: 'No corrosion, safety valve set pressure within limits',
    evidence: [
      { kind: 'MEASUREMENT', label: 'Safety valve set pressure', unit: 'bar', min: 9.5, max: 10.5 },
      { kind: 'DOCUMENT', label: 'Inspection report' },
    ],
    ownerId: crew.technician.id,
    ...input,
  };
}

export async function createRequirement(svc: { query: TestService['query'] }, input: Record<string, unknown>, caller = crew.hse) {
  return ok(await svc.query(`mutation($i: CreateRequirementInput!) { createRequirement(input: $i) { ${REQUIREMENT_FIELDS} } }`, { i: input }, caller)).createRequirement;
}

export async function recordAudit(svc: { query: TestService['query'] }, siteId: string, caller = crew.auditor) {
  return ok(await svc.query(`mutation($i: RecordAuditInput!) { recordAudit(input: $i) { id number site { id } auditor { id } } }`, {
    i: { title: 'Utilities safety audit', siteId, scope: 'Pressure systems and compressed air', auditDate: new Date().toISOString() },
  }, caller)).recordAudit;
}

/** The events the compliance service recorded about a record, oldest first. */
export const eventsOf = (svc: TestService, subject: string, type?: string) => recordedEvents(svc, subject, type);

export const DAY = 86_400_000;
