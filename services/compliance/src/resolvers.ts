import { entityRef, isUuid, requestedWorkStatus } from '@opsgraph/core';
import * as audits from './domain/audits';
import { auditNumber, canSeeRequirement, canSeeSite, findingNumber } from './domain/context';
import { evidenceList, evidenceOf, inspectionOutcome, listObligations, occurrenceStatus } from './domain/obligations';
import * as requirements from './domain/requirements';
import { complianceStatus, visibleRequirementStatus } from './domain/status';
import type { Resolvers } from './generated/graphql';

const refs = (ids: string[]) => ids.map((id) => ({ id }));

/** What `WorkItem.complianceRequirements` receives from Work (the fields it @requires). */
interface WorkRepresentation {
  id: string;
  type?: string;
  site?: { id: string };
  area?: { id: string } | null;
  asset?: { id: string; assetClass?: string | null } | null;
  source?: { domain?: string; recordId?: string | null };
}

export const resolvers: Resolvers = {
  Query: {
    requirement: (_, { id }, { db, caller }) => requirements.getRequirement(db, caller, id),
    requirements: (_, { siteId }, { db, caller }) => requirements.listRequirements(db, caller, siteId),
    complianceStatus: (_, { siteId }, { db, caller }) => complianceStatus(db, caller, siteId),
    obligations: (_, { filter }, { db, caller }) => listObligations(db, caller, filter),
    audit: (_, { id }, { db, caller }) => audits.getAudit(db, caller, id),
    audits: (_, { siteId }, { db, caller }) => audits.listAudits(db, caller, siteId),
    auditFinding: (_, { id }, { db, caller }) => audits.getAuditFinding(db, caller, id),
  },

  Mutation: {
    createRequirement: (_, { input }, { db, caller, requestId }) => requirements.createRequirement(db, caller, input, requestId),
    recordAudit: (_, { input }, { db, caller, requestId }) => audits.recordAudit(db, caller, input, requestId),
    recordAuditFinding: (_, { input }, { db, caller, requestId }) => audits.recordAuditFinding(db, caller, input, requestId),
    addFindingAction: (_, { findingId, input }, { db, caller, requestId }) => audits.addFindingAction(db, caller, findingId, input, requestId),
    closeAuditFinding: (_, { id, note, effectivenessCheckDays }, { db, caller, requestId }) => audits.closeAuditFinding(db, caller, id, note, requestId, effectivenessCheckDays),
    reopenAuditFinding: (_, { id, reason }, { db, caller, requestId }) => audits.reopenAuditFinding(db, caller, id, reason, requestId),
    confirmComplianceCheck: (_, { requirementId, workItemId, note }, { db, caller, requestId }) =>
      requirements.confirmComplianceCheck(db, caller, requirementId, workItemId, note, requestId),
  },

  Requirement: {
    __resolveReference: async (r, { loaders, caller }) => {
      const requirement = await loaders.requirement.load(r.id);
      return requirement && canSeeRequirement(caller, requirement) ? requirement : null;
    },
    appliesTo: (r) => ({ sites: refs(r.siteIds), areas: refs(r.areaIds), assets: refs(r.assetIds), assetClasses: r.assetClasses, workTypes: r.workTypes as never }),
    recurrence: (r) => (r.recurrenceMonths ? { months: r.recurrenceMonths, leadDays: r.leadDays } : null),
    requiredOutcome: (r) => inspectionOutcome(r),
    owner: (r) => entityRef(r.ownerId),
    status: async (r, _, { loaders, caller }) => {
      const [occurrences, checks] = await Promise.all([loaders.obligationsByRequirement.load(r.id), loaders.checksByRequirement.load(r.id)]);
      return visibleRequirementStatus(caller, r, occurrences, checks, new Date());
    },
    obligations: async (r, _, { loaders, caller }) => {
      const occurrences = (await loaders.obligationsByRequirement.load(r.id)).filter((o) => canSeeSite(caller, o));
      return [...occurrences.filter((o) => o.status === 'OPEN'), ...occurrences.filter((o) => o.status !== 'OPEN')];
    },
    evidence: async (r, _, { loaders, caller }) => evidenceList((await loaders.obligationsByRequirement.load(r.id)).filter((o) => canSeeSite(caller, o))),
    checks: async (r, _, { loaders, caller }) => (await loaders.checksByRequirement.load(r.id)).filter((c) => canSeeSite(caller, c)),
  },
  ComplianceObligation: {
    requirement: async (o, _, { loaders }) => (await loaders.requirement.load(o.requirementId))!,
    site: (o) => ({ id: o.siteId }),
    area: (o) => entityRef(o.areaId),
    asset: (o) => entityRef(o.assetId),
    status: async (o, _, { loaders }) => occurrenceStatus(o, (await loaders.requirement.load(o.requirementId))?.leadDays ?? 0, new Date()),
    workItem: async (o, _, { loaders }) => entityRef(o.evidenceWorkItemId ?? (o.requestId ? (await loaders.workByRequest.load(o.requestId))?.workItemId : null)),
    workStatus: async (o, _, { loaders }) => {
      if (o.status === 'MET') return 'DONE';
      return o.requestId ? requestedWorkStatus(await loaders.workByRequest.load(o.requestId)) : null;
    },
    evidence: (o) => evidenceOf(o),
    failedInspection: async (o, _, { loaders }) => (o.inspectionId ? loaders.audit.load(o.inspectionId) : null),
    nonConformance: async (o, _, { loaders }) => (o.findingId ? loaders.finding.load(o.findingId) : null),
  },
  ComplianceCheck: {
    requirement: async (c, _, { loaders }) => (await loaders.requirement.load(c.requirementId))!,
    workItem: (c) => ({ id: c.workItemId }),
    confirmedBy: (c) => entityRef(c.confirmedById),
  },
  ComplianceAudit: {
    number: (a) => auditNumber(a),
    site: (a) => ({ id: a.siteId }),
    areas: (a) => refs(a.areaIds),
    auditor: (a) => ({ id: a.auditorId }),
    findings: (a, _, { loaders }) => loaders.findingsByAudit.load(a.id),
    inspection: async (a, _, { loaders }) =>
      a.kind === 'INSPECTION' && a.inspectionWorkItemId
        ? {
            workItem: { id: a.inspectionWorkItemId },
            number: a.inspectionWorkItemNumber,
            obligation: a.obligationId ? await loaders.obligation.load(a.obligationId) : null,
            readings: a.readings,
          }
        : null,
  },
  AuditFinding: {
    __resolveReference: async (r, { loaders, caller }) => {
      const finding = await loaders.finding.load(r.id);
      return finding && canSeeSite(caller, finding) ? finding : null;
    },
    number: async (f, _, { loaders }) => findingNumber((await loaders.audit.load(f.auditId))!, f.seq),
    audit: async (f, _, { loaders }) => (await loaders.audit.load(f.auditId))!,
    requirement: async (f, _, { loaders, caller }) => {
      const requirement = f.requirementId ? await loaders.requirement.load(f.requirementId) : null;
      return requirement && canSeeRequirement(caller, requirement) ? requirement : null;
    },
    site: (f) => ({ id: f.siteId }),
    area: (f) => entityRef(f.areaId),
    asset: (f) => entityRef(f.assetId),
    correctiveActions: (f, _, { loaders }) => loaders.actionsByFinding.load(f.id),
    closable: async (f, _, { loaders }) => {
      const actions = await loaders.actionsByFinding.load(f.id);
      const work = await loaders.workByRequest.loadMany(actions.map((a) => a.requestId));
      return audits.closability(f, actions.map((action, i) => ({ action, work: work[i] instanceof Error ? null : (work[i] as never) }))).closable;
    },
    closedBy: (f) => entityRef(f.closedById),
    sourceInspection: (f) => entityRef(f.inspectionWorkItemId),
    effectiveness: async (f, _, { loaders }) => {
      if (!f.effectivenessStatus) return null;
      const work = f.effectivenessRequestId ? await loaders.workByRequest.load(f.effectivenessRequestId) : null;
      return {
        status: f.effectivenessStatus,
        checkDays: f.effectivenessCheckDays,
        checkAt: f.effectivenessCheckAt,
        raisedAt: f.effectivenessRaisedAt,
        workItem: entityRef(f.effectivenessWorkItemId ?? work?.workItemId),
        workStatus: f.effectivenessWorkItemId ? 'DONE' : f.effectivenessRequestId ? requestedWorkStatus(work) : null,
        checkedAt: f.effectivenessCheckedAt,
        checkedBy: entityRef(f.effectivenessCheckedById),
      };
    },
    closedEffective: (f) => f.status === 'CLOSED' && f.effectivenessStatus === 'EFFECTIVE',
    history: (f, _, { loaders }) => loaders.historyByFinding.load(f.id),
  },
  FindingHistoryEntry: {
    actor: (h) => (isUuid(h.actorId) ? { id: h.actorId } : null),
    workItem: (h) => entityRef(h.workItemId),
  },
  ComplianceFindingAction: {
    owner: (a) => entityRef(a.ownerId),
    workItem: async (a, _, { loaders }) => entityRef((await loaders.workByRequest.load(a.requestId))?.workItemId),
    workStatus: async (a, _, { loaders }) => requestedWorkStatus(await loaders.workByRequest.load(a.requestId)),
    verifiedAt: async (a, _, { loaders }) => (await loaders.workByRequest.load(a.requestId))?.verifiedAt ?? null,
  },
  WorkItem: {
    complianceRequirements: (item, _, { loaders }) => {
      const w = item as WorkRepresentation;
      if (!w.site?.id || !w.type) return [];
      return loaders.requirementsForWork.load(
        JSON.stringify({
          workItemId: w.id,
          siteId: w.site.id,
          areaId: w.area?.id ?? null,
          assetId: w.asset?.id ?? null,
          assetClass: w.asset?.assetClass ?? null,
          workType: w.type,
          sourceDomain: w.source?.domain ?? null,
          sourceRecordId: isUuid(w.source?.recordId) ? w.source!.recordId!.toLowerCase() : null,
        }),
      );
    },
    complianceChecks: async (item, _, { loaders, caller }) => (await loaders.checksByWorkItem.load(item.id)).filter((c) => canSeeSite(caller, c)),
  },
};
