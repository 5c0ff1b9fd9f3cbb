import type { Incident } from '../entities';
import { classify } from './recordability';

export const incidentNumber = (incident: Pick<Incident, 'serial'>) => `INC-${String(incident.serial).padStart(6, '0')}`;

/** Ids, classification, place and time: never the description or the people involved. */
export function incidentFact(incident: Incident, actorId: string, extra: Record<string, unknown> = {}) {
  return {
    incidentId: incident.id,
    number: incidentNumber(incident),
    incidentType: incident.type,
    severity: incident.severity,
    status: incident.status,
    occurredAt: incident.occurredAt.toISOString(),
    siteId: incident.siteId,
    areaId: incident.areaId,
    assetId: incident.assetId,
    actorId,
    at: new Date().toISOString(),
    ...extra,
  };
}

/** What an incident's classification says to regulators, for events: flags, deadline and a count, no person. */
export function classificationFact(incident: Incident) {
  const c = classify(incident.occurredAt, incident.injuries);
  return {
    potentialSeverity: incident.potentialSeverity,
    recordable: c.recordable,
    reportable: c.reportable,
    reportDeadline: c.reportDeadline?.toISOString() ?? null,
    injuryCount: incident.injuries.length,
  };
}
