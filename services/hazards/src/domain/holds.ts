import type { Incident } from '../entities';
import { emit, type ChangeContext } from './common';
import { incidentNumber } from './facts';

/**
 * A serious incident holds the work on its asset in Work until it is closed: open work goes on hold, work
 * created there meanwhile starts held, and a supervisor resumes it only once the incident is closed (or
 * overrides the hold with a reason). Sent again when a closed incident is reopened.
 */
export async function holdAssetWork(ctx: ChangeContext, incident: Incident) {
  if (!incident.assetId) return;
  await emit(ctx, 'work.hold_requested', incident.id, {
    assetId: incident.assetId,
    siteId: incident.siteId,
    reason: `${incidentNumber(incident)}: ${incident.severity.toLowerCase()} severity ${incident.type.toLowerCase().replace(/_/g, ' ')} on this asset; work stays on hold until the incident is closed (a supervisor may override with a reason)`,
    sourceRecordId: incident.id,
    resumeRoles: ['supervisor'],
  });
}
