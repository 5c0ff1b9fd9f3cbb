import { TrackedWorkItem, inSiteScope, loaderBy, loaderGrouped, selectRowsWhere, type Caller } from '@opsgraph/core';
import DataLoader from 'dataloader';
import type { EntityManager } from 'typeorm';
import { canSeeIncident } from './domain/permissions';
import { Hazard, HazardControl, Incident, IncidentAction, JobHazard, JobHazardControl, JobRiskAssessment } from './entities';

/**
 * Per-request batch loaders: every nested field of a list resolves in one statement per kind, whatever
 * the number of items. Records of sites outside the caller's scope are dropped (and, for a contractor,
 * the incidents they did not report).
 */
export function createLoaders(db: EntityManager, caller: Caller) {
  const scoped = <T extends { siteId: string }>(loader: DataLoader<string, T | null>) =>
    new DataLoader<string, T | null>(async (keys) => (await loader.loadMany(keys)).map((row) => (row instanceof Error || !row || inSiteScope(caller, row.siteId) ? row : null)));
  const incidents = loaderBy(db, Incident);
  return {
    hazard: scoped(loaderBy(db, Hazard)),
    controlsByHazard: loaderGrouped(db, HazardControl, 'hazardId', { position: 'ASC' }),
    assessmentByWorkItem: scoped(loaderBy(db, JobRiskAssessment, 'workItemId')),
    jobHazardsByWorkItem: loaderGrouped(db, JobHazard, 'workItemId', { position: 'ASC' }),
    jobHazardsByAssessment: loaderGrouped(db, JobHazard, 'assessmentId', { position: 'ASC' }),
    controlsByJobHazard: loaderGrouped(db, JobHazardControl, 'jobHazardId', { position: 'ASC' }),
    controlsByAssessment: loaderGrouped(db, JobHazardControl, 'assessmentId', { position: 'ASC' }),
    actionsByIncident: loaderGrouped(db, IncidentAction, 'incidentId', { number: 'ASC' }),
    /** Work Work created for our requests (incident actions), from the tracked view of its events. */
    trackedByRequest: loaderBy(db, TrackedWorkItem, 'requestId'),
    incident: new DataLoader<string, Incident | null>(async (keys) =>
      (await incidents.loadMany(keys)).map((row) => (row instanceof Error || !row || canSeeIncident(caller, row) ? row : null)),
    ),
    openIncidentsByArea: new DataLoader<string, Incident[]>(async (areaIds) => {
      const rows = await selectRowsWhere(db, Incident, `area_id = ANY($1) AND status <> 'CLOSED'`, [areaIds], { order: { serial: 'DESC' } });
      return areaIds.map((id) => rows.filter((i) => i.areaId === id && canSeeIncident(caller, i)));
    }),
  };
}
export type Loaders = ReturnType<typeof createLoaders>;
