import { randomUUID } from 'node:crypto';
import { TrackedWorkItem } from '@opsgraph/core';
import { knowPlaces, ok, people, person, startTestService, type TestService, recordedEvents } from '@opsgraph/testing';
import { service } from '../src/service';

export const HAZARD_FIELDS = `
  id title description active retiredReason workTypes version
  site { id } area { id } asset { id }
  risk { likelihood severity rating band } residualRisk { likelihood severity rating band }
  controls { id kind description }
`;

export const ASSESSMENT_FIELDS = `
  id notes residualBand controlsInPlace workItem { id } site { id } assessedBy { id }
  hazards { id hazard { id title } controls { id kind description state evidence evidenceUrl confirmedBy { id } reopenedReason } }
`;

export const INCIDENT_FIELDS = `
  id number type severity status occurredAt title description holdRequestedAt closedAt closingNote
  site { id } area { id } asset { id } reporter { id } closedBy { id }
  investigation { investigator { id } startedAt completedAt rootCauses findings }
  correctiveActions { id number kind title owner { id } workStatus done workItem { id } }
`;

export const crew = {
  ...people,
  hse: person('00000000-0000-4000-8000-0000000000e1', 'hse'),
  investigator: person('00000000-0000-4000-8000-0000000000e2', 'technician'),
  elsewhere: person('00000000-0000-4000-8000-0000000000e3', 'hse', ['4f4f4f4f-0000-4000-8000-000000000000']),
  issuer: person('00000000-0000-4000-8000-0000000000e4', 'permit_issuer'),
};

export interface Places {
  siteId: string;
  areaId: string;
  assetId: string;
}
export const newPlaces = (): Places => ({ siteId: randomUUID(), areaId: randomUUID(), assetId: randomUUID() });

/** New places, written into hazards' copy of Work's registry as Work's events would (tests without Work). */
export async function knownPlaces(hazards: TestService): Promise<Places> {
  const places = newPlaces();
  await knowPlaces(hazards.db, places);
  return places;
}

/**
 * A work item at `places`, written into hazards' tracked view (as the owner) as Work's `work_item.created`
 * would: assessJobRisk acts only on work it knows of. Returns its id.
 */
export async function trackWork(hazards: TestService, places: Pick<Places, 'siteId'> & Partial<Places>, workItemId: string = randomUUID()): Promise<string> {
  await hazards.db.getRepository(TrackedWorkItem).insert({
    workItemId,
    number: `TST-${workItemId.slice(0, 6)}`,
    workType: 'MAINTENANCE',
    status: 'OPEN',
    siteId: places.siteId,
    areaId: places.areaId ?? null,
    assetId: places.assetId ?? null,
    lastEventAt: new Date(),
  });
  return workItemId;
}

export const startHazards = () => startTestService(service);

export async function registerHazard(hazards: TestService, places: Places, input: Record<string, unknown> = {}, caller = crew.hse) {
  const res = await hazards.query(`mutation($i: RegisterHazardInput!) { registerHazard(input: $i) { ${HAZARD_FIELDS} } }`, {
    i: {
      title: 'Stored pressure in the pump casing',
      siteId: places.siteId,
      assetId: places.assetId,
      likelihood: 3,
      severity: 4,
      residualLikelihood: 1,
      residualSeverity: 4,
      controls: [
        { kind: 'ISOLATION', description: 'Suction and discharge valves locked closed, casing vented' },
        { kind: 'PPE', description: 'Face shield while opening the casing' },
      ],
      ...input,
    },
  }, caller);
  return ok(res).registerHazard;
}

export async function assess(hazards: TestService, workItemId: string, selections: Record<string, unknown>[], caller = people.supervisor) {
  const res = await hazards.query(`mutation($i: JobRiskAssessmentInput!) { assessJobRisk(input: $i) { ${ASSESSMENT_FIELDS} } }`, { i: { workItemId, hazards: selections } }, caller);
  return ok(res).assessJobRisk;
}

export async function reportIncident(hazards: TestService, places: Places, input: Record<string, unknown> = {}, caller = people.operator) {
  const res = await hazards.query(`mutation($i: ReportIncidentInput!) { reportIncident(input: $i) { ${INCIDENT_FIELDS} } }`, {
    i: {
      type: 'SPILL',
      severity: 'MEDIUM',
      occurredAt: new Date(Date.now() - 3600_000).toISOString(),
      siteId: places.siteId,
      areaId: places.areaId,
      title: 'Caustic spill at CIP skid',
      description: 'Hose coupling came loose during CIP; about 5 l of 2% caustic on the floor.',
      ...input,
    },
  }, caller);
  return ok(res).reportIncident;
}

/** Calls an incident mutation by name with its arguments. */
export function act(hazards: TestService, mutation: string, args: Record<string, unknown>, caller = crew.hse, fields = INCIDENT_FIELDS) {
  const types: Record<string, string> = {
    id: 'ID!', investigatorId: 'ID!', note: 'String', input: mutation === 'addIncidentAction' ? 'IncidentActionInput!' : 'IncidentInvestigationInput!', incidentId: 'ID!',
    reason: 'String!', evidence: 'HazardControlEvidenceInput!',
  };
  const params = Object.keys(args).map((k) => `${k}: $${k}`).join(', ');
  const decl = Object.keys(args).map((k) => `$${k}: ${types[k]}`).join(', ');
  return hazards.query(`mutation(${decl}) { ${mutation}(${params}) { ${fields} } }`, args, caller);
}

export const ACTION_FIELDS = 'id number kind title owner { id } workStatus done workItem { id }';

/** The facts a service wrote to its outbox, oldest first. */
export const outbox = (service: TestService, subject?: string) => recordedEvents(service, subject);
