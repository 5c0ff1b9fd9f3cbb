import { entityRef, found, isUuid, requestedWorkStatus } from '@opsgraph/core';
import { assessJobRisk, confirmControl, getAssessment, reopenControl } from './domain/assessments';
import * as incidents from './domain/incidents';
import { getHazard, listHazards, reassessHazard, registerHazard, retireHazard } from './domain/register';
import { classify } from './domain/recordability';
import { bandOf, highestBand, riskOf } from './domain/risk';
import type { Resolvers, WorkItemType } from './generated/graphql';

export const resolvers: Resolvers = {
  Query: {
    hazard: (_, { id }, { db, caller }) => getHazard(db, caller, id),
    hazards: (_, { filter, first, after }, { db, caller }) => listHazards(db, caller, filter, first, after),
    jobRiskAssessment: (_, { workItemId }, { db, caller }) => getAssessment(db, caller, workItemId),
    incident: (_, { id }, { db, caller }) => incidents.getIncident(db, caller, id),
    incidentByNumber: (_, { number }, { db, caller }) => incidents.getIncidentByNumber(db, caller, number),
    incidents: (_, { filter, first, after }, { db, caller }) => incidents.listIncidents(db, caller, filter, first, after),
  },

  Mutation: {
    registerHazard: (_, { input }, { db, caller, requestId }) => registerHazard(db, caller, input, requestId),
    reassessHazard: (_, { id, input }, { db, caller, requestId }) => reassessHazard(db, caller, id, input, requestId),
    retireHazard: (_, { id, reason }, { db, caller, requestId }) => retireHazard(db, caller, id, reason, requestId),
    assessJobRisk: (_, { input }, { db, caller, requestId }) => assessJobRisk(db, caller, input, requestId),
    confirmHazardControl: (_, { id, evidence }, { db, caller, requestId }) => confirmControl(db, caller, id, evidence, requestId),
    reopenHazardControl: (_, { id, reason }, { db, caller, requestId }) => reopenControl(db, caller, id, reason, requestId),
    reportIncident: (_, { input }, { db, caller, requestId }) => incidents.reportIncident(db, caller, input, requestId),
    startIncidentInvestigation: (_, { id, investigatorId }, { db, caller, requestId }) => incidents.startInvestigation(db, caller, id, investigatorId, requestId),
    completeIncidentInvestigation: (_, { id, input }, { db, caller, requestId }) => incidents.completeInvestigation(db, caller, id, input, requestId),
    addIncidentAction: (_, { incidentId, input }, { db, caller, requestId }) => incidents.addAction(db, caller, incidentId, input, requestId),
    closeIncident: (_, { id, note, noActionJustification, effectivenessCheckDays }, { db, caller, requestId }) =>
      incidents.closeIncident(db, caller, id, { note, noActionJustification, effectivenessCheckDays }, requestId),
    reopenIncident: (_, { id, reason }, { db, caller, requestId }) => incidents.reopenIncident(db, caller, id, reason, requestId),
    recordIncidentDetails: (_, { id, input }, { db, caller, requestId }) => incidents.recordIncidentDetails(db, caller, id, input, requestId),
  },

  Area: {
    __resolveReference: (r) => ({ id: r.id }),
    openIncidents: (a, _, { loaders }) => loaders.openIncidentsByArea.load(a.id),
  },
  WorkItem: {
    __resolveReference: (r) => ({ id: r.id }),
    hazards: async (w, _, { loaders }) => ((await loaders.assessmentByWorkItem.load(w.id)) ? loaders.jobHazardsByWorkItem.load(w.id) : []),
    riskAssessment: (w, _, { loaders }) => loaders.assessmentByWorkItem.load(w.id),
  },

  Hazard: {
    site: (h) => ({ id: h.siteId }),
    area: (h) => entityRef(h.areaId),
    asset: (h) => entityRef(h.assetId),
    workTypes: (h) => h.workTypes as WorkItemType[],
    risk: (h) => riskOf(h.likelihood, h.severity),
    residualRisk: (h) => riskOf(h.residualLikelihood, h.residualSeverity),
    controls: (h, _, { loaders }) => loaders.controlsByHazard.load(h.id),
    createdBy: (h) => ({ id: h.createdById }),
  },
  JobRiskAssessment: {
    workItem: (a) => ({ id: a.workItemId }),
    site: (a) => ({ id: a.siteId }),
    assessedBy: (a) => ({ id: a.assessedById }),
    hazards: (a, _, { loaders }) => loaders.jobHazardsByAssessment.load(a.id),
    residualBand: async (a, _, { loaders }) => {
      const hazards = await loaders.hazard.loadMany((await loaders.jobHazardsByAssessment.load(a.id)).map((j) => j.hazardId));
      return highestBand(hazards.flatMap((h) => (h && !(h instanceof Error) ? [bandOf(h.residualRating)] : [])));
    },
    controlsInPlace: async (a, _, { loaders }) => (await loaders.controlsByAssessment.load(a.id)).every((c) => c.state === 'CONFIRMED'),
  },
  JobHazard: {
    hazard: (j, _, { loaders }) => found(loaders.hazard.load(j.hazardId), 'hazard', j.hazardId),
    controls: (j, _, { loaders }) => loaders.controlsByJobHazard.load(j.id),
  },
  JobHazardControl: {
    confirmedBy: (c) => entityRef(c.confirmedById),
    workItem: (c) => ({ id: c.workItemId }),
  },
  Incident: {
    __resolveReference: (r, { loaders }) => loaders.incident.load(r.id),
    number: (i) => incidents.incidentNumber(i),
    site: (i) => ({ id: i.siteId }),
    area: (i) => entityRef(i.areaId),
    asset: (i) => entityRef(i.assetId),
    reporter: (i) => ({ id: i.reporterId }),
    peopleInvolved: (i, _, { caller }) => incidents.peopleInvolved(caller, i).map((id) => ({ id })),
    investigation: (i) => ({
      investigator: entityRef(i.investigatorId),
      startedAt: i.investigationStartedAt,
      completedAt: i.investigationCompletedAt,
      rootCauses: i.rootCauses,
      findings: i.findings,
      rootCauseCategories: i.rootCauseCategories,
      whys: i.whys,
    }),
    injuries: (i, _, { caller }) => incidents.personalDetails(caller, i, 'injuries').map(({ personId, ...injury }) => ({ ...injury, person: { id: personId } })),
    witnesses: (i, _, { caller }) => incidents.personalDetails(caller, i, 'witnesses').map(({ personId, statement }) => ({ person: { id: personId }, statement })),
    regulatory: (i) => classify(i.occurredAt, i.injuries),
    effectiveness: async (i, _, { loaders }) => {
      if (!i.effectivenessStatus) return null;
      const work = i.effectivenessRequestId ? await loaders.trackedByRequest.load(i.effectivenessRequestId) : null;
      return {
        status: i.effectivenessStatus,
        checkDays: i.effectivenessCheckDays,
        checkAt: i.effectivenessCheckAt,
        raisedAt: i.effectivenessRaisedAt,
        workItem: entityRef(i.effectivenessWorkItemId ?? work?.workItemId),
        workStatus: i.effectivenessWorkItemId ? 'DONE' : i.effectivenessRequestId ? requestedWorkStatus(work) : null,
        checkedAt: i.effectivenessCheckedAt,
        checkedBy: entityRef(i.effectivenessCheckedById),
      };
    },
    closedEffective: (i) => i.status === 'CLOSED' && i.effectivenessStatus === 'EFFECTIVE',
    history: (i, _, { loaders }) => loaders.historyByIncident.load(i.id),
    correctiveActions: (i, _, { loaders }) => loaders.actionsByIncident.load(i.id),
    closedBy: (i) => entityRef(i.closedById),
  },
  IncidentHistoryEntry: {
    actor: (h) => (isUuid(h.actorId) ? { id: h.actorId } : null),
    workItem: (h) => entityRef(h.workItemId),
  },
  IncidentAction: {
    owner: (a) => ({ id: a.ownerId }),
    workItem: async (a, _, { loaders }) => entityRef((await loaders.trackedByRequest.load(a.requestId))?.workItemId),
    workStatus: async (a, _, { loaders }) => requestedWorkStatus(await loaders.trackedByRequest.load(a.requestId)),
    done: async (a, _, { loaders }) => requestedWorkStatus(await loaders.trackedByRequest.load(a.requestId)) === 'DONE',
  },
};
