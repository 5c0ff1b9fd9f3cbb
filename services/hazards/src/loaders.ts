import { inSiteScope, type Caller } from '@opsgraph/core';
import DataLoader from 'dataloader';
import type { EntityManager } from 'typeorm';
import { canSeeIncident } from './domain/permissions';
import type { Incident } from './entities';
import {
  assessmentOfWorkItemLoader,
  controlsOfAssessmentLoader,
  controlsOfJobHazardLoader,
  jobHazardsOfAssessmentLoader,
  jobHazardsOfWorkItemLoader,
} from './store/assessments';
import { controlsOfHazardLoader, hazardLoader } from './store/hazards';
import { actionsOfIncidentLoader, historyOfIncidentLoader, incidentLoader, openIncidentsInAreas } from './store/incidents';
import { trackedWorkOfRequestLoader } from './store/tracked-work';

/**
 * Per-request batch loaders: every nested field of a list resolves in one statement per kind, whatever
 * the number of items. Records of sites outside the caller's scope are dropped (and, for a contractor,
 * the incidents they did not report).
 */
export function createLoaders(db: EntityManager, caller: Caller) {
  const scoped = <T extends { siteId: string }>(loader: DataLoader<string, T | null>) =>
    new DataLoader<string, T | null>(async (keys) => (await loader.loadMany(keys)).map((row) => (row instanceof Error || !row || inSiteScope(caller, row.siteId) ? row : null)));
  const incidents = incidentLoader(db);
  return {
    hazard: scoped(hazardLoader(db)),
    controlsByHazard: controlsOfHazardLoader(db),
    assessmentByWorkItem: scoped(assessmentOfWorkItemLoader(db)),
    jobHazardsByWorkItem: jobHazardsOfWorkItemLoader(db),
    jobHazardsByAssessment: jobHazardsOfAssessmentLoader(db),
    controlsByJobHazard: controlsOfJobHazardLoader(db),
    controlsByAssessment: controlsOfAssessmentLoader(db),
    actionsByIncident: actionsOfIncidentLoader(db),
    historyByIncident: historyOfIncidentLoader(db),
    /** Work Work created for our requests (incident actions), from the tracked view of its events. */
    trackedByRequest: trackedWorkOfRequestLoader(db),
    incident: new DataLoader<string, Incident | null>(async (keys) =>
      (await incidents.loadMany(keys)).map((row) => (row instanceof Error || !row || canSeeIncident(caller, row) ? row : null)),
    ),
    openIncidentsByArea: new DataLoader<string, Incident[]>(async (areaIds) => {
      const rows = await openIncidentsInAreas(db, areaIds);
      return areaIds.map((id) => rows.filter((i) => i.areaId === id && canSeeIncident(caller, i)));
    }),
  };
}
export type Loaders = ReturnType<typeof createLoaders>;
