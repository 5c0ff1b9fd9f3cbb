import { KnownLocation, TrackedWorkItem, WorkPerformer } from '@opsgraph/core';
import { inboxEntities, outboxEntities } from '@opsgraph/events';
import { Hazard, HazardControl } from './hazard';
import { Incident, IncidentAction, IncidentHistoryEntry } from './incident';
import { JobHazard, JobHazardControl, JobRiskAssessment } from './job';

export * from './hazard';
export * from './job';
export * from './incident';

export const entities = [Hazard, HazardControl, JobRiskAssessment, JobHazard, JobHazardControl, Incident, IncidentAction, IncidentHistoryEntry, TrackedWorkItem, WorkPerformer, KnownLocation, ...outboxEntities, ...inboxEntities];
