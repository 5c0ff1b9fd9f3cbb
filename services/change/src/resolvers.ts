import { entityRef, isContractorOnly, isUuid, requestedWorkStatus, type Caller } from '@opsgraph/core';
import * as changes from './domain/changes';
import { canSee, changeNumber } from './domain/context';
import * as queries from './domain/queries';
import type { VerifiedCheck } from './entities';
import type { Resolvers } from './generated/graphql';
import type { Loaders } from './loaders';

const refs = (ids: string[]) => ids.map((id) => ({ id }));

/** A verified check as the start-up authorization stored it. */
const stored = (v: unknown) => v as VerifiedCheck;

/**
 * What a contractor reads of a change. The database shows a contractor-only caller only the changes behind
 * their company's jobs (policy `change_request_contractor`); of those they read what the job needs: what the
 * change is, where, and where it stands (title, description, type, status, scope, dates, the roles still to
 * approve), and of its tasks and pre-startup checks only those that are their company's work. Why it is made,
 * its risk assessment and rating, approvals with their comments, history, the reason it ended, and who asked
 * for it, owns it or owns a task or check: null or empty for them (schema.graphql says so field by field).
 */
const hiddenFromContractor = <T, H>(caller: Caller, value: T, hidden: H): T | H => (isContractorOnly(caller) ? hidden : value);

/** Of a change's tasks or checks, those a contractor may read: their company's work (as Work reported it). */
async function contractorsOwnWork<T extends { requestId: string | null }>(caller: Caller, loaders: Loaders, rows: T[]): Promise<T[]> {
  if (!isContractorOnly(caller)) return rows;
  const theirs = await Promise.all(rows.map((r) => (r.requestId ? loaders.companyWorkByRequest.load(r.requestId) : false)));
  return rows.filter((_, i) => theirs[i]);
}

export const resolvers: Resolvers = {
  Query: {
    changeRequest: (_, { id }, { db, caller }) => queries.getChangeRequest(db, caller, id),
    changeRequests: (_, { filter, first, after }, { db, caller }) => queries.listChangeRequests(db, caller, filter, first, after),
    restartReadiness: (_, question, { db, caller }) => queries.restartReadiness(db, caller, question),
  },

  Mutation: {
    createChangeRequest: (_, { input }, { db, caller, requestId }) => changes.createChangeRequest(db, caller, input, requestId),
    submitChangeRequest: (_, { id }, { db, caller, requestId }) => changes.submitChangeRequest(db, caller, id, requestId),
    startChangeReview: (_, { id }, { db, caller, requestId }) => changes.startChangeReview(db, caller, id, requestId),
    approveChangeRequest: (_, { id, role, comment }, { db, caller, requestId }) => changes.decideChangeApproval(db, caller, id, role, true, comment, requestId),
    rejectChangeRequest: (_, { id, role, comment }, { db, caller, requestId }) => changes.decideChangeApproval(db, caller, id, role, false, comment, requestId),
    startChangeImplementation: (_, { id }, { db, caller, requestId }) => changes.startChangeImplementation(db, caller, id, requestId),
    startPreStartupReview: (_, { id }, { db, caller, requestId }) => changes.startPreStartupReview(db, caller, id, requestId),
    closeChangeRequest: (_, { id, note }, { db, caller, requestId }) => changes.closeChangeRequest(db, caller, id, note, requestId),
    authorizeStartup: (_, { id, note, expectedVersion }, { db, caller, requestId }) => changes.authorizeStartup(db, caller, id, note, expectedVersion, requestId),
    cancelChangeRequest: (_, { id, reason }, { db, caller, requestId }) => changes.cancelChangeRequest(db, caller, id, reason, requestId),
    addChangeTask: (_, { changeId, input }, { db, caller, requestId }) => changes.addChangeTask(db, caller, changeId, input, requestId),
    addPreStartupCheck: (_, { changeId, input }, { db, caller, requestId }) => changes.addPreStartupCheck(db, caller, changeId, input, requestId),
    reraisePreStartupCheck: (_, { id, reason }, { db, caller, requestId }) => changes.reraisePreStartupCheck(db, caller, id, reason, requestId),
  },

  ChangeRequest: {
    __resolveReference: async (r, { loaders, caller }) => {
      const change = await loaders.change.load(r.id);
      return change && canSee(caller, change) ? change : null;
    },
    number: (c) => changeNumber(c),
    scope: (c) => ({ sites: refs(c.siteIds), areas: refs(c.areaIds), lines: refs(c.lineIds), assets: refs(c.assetIds), documents: refs(c.documentIds) }),
    temporaryExpired: (c) => c.type === 'TEMPORARY' && !!c.endDate && c.endDate <= new Date(),
    reason: (c, _, { caller }) => hiddenFromContractor(caller, c.reason, null),
    riskAssessment: (c, _, { caller }) => hiddenFromContractor(caller, c.riskAssessment, null),
    riskRating: (c, _, { caller }) => hiddenFromContractor(caller, c.riskRating, null),
    endReason: (c, _, { caller }) => hiddenFromContractor(caller, c.endReason, null),
    requester: (c, _, { caller }) => hiddenFromContractor(caller, { id: c.requesterId }, null),
    owner: (c, _, { caller }) => hiddenFromContractor(caller, { id: c.ownerId }, null),
    approvals: (c, _, { loaders, caller }) => (isContractorOnly(caller) ? [] : loaders.approvalsByChange.load(c.id)),
    pendingApproverRoles: async (c, _, { loaders }) => {
      const decided = new Set((await loaders.approvalsByChange.load(c.id)).map((a) => a.role));
      return c.requiredApproverRoles.filter((r) => !decided.has(r));
    },
    tasks: async (c, _, { loaders, caller }) => contractorsOwnWork(caller, loaders, await loaders.tasksByChange.load(c.id)),
    preStartupChecks: async (c, _, { loaders, caller }) => contractorsOwnWork(caller, loaders, await loaders.checksByChange.load(c.id)),
    history: (c, _, { loaders, caller }) => (isContractorOnly(caller) ? [] : loaders.historyByChange.load(c.id)),
    startupAuthorization: (c, _, { loaders, caller }) => (isContractorOnly(caller) ? null : loaders.startupAuthorizationByChange.load(c.id)),
  },
  StartupAuthorization: {
    authorizedBy: (a) => ({ id: a.authorizedById }),
    // Stored rows (VerifiedCheck), resolved field by field below.
    verifiedChecks: (a) => a.verifiedChecks as never,
  },
  VerifiedPreStartupCheck: {
    check: async (v, _, { loaders }) => (await loaders.checkById.load(stored(v).checkId))!,
    workItem: (v) => ({ id: stored(v).workItemId }),
    verifiedAt: (v) => (stored(v).verifiedAt ? new Date(stored(v).verifiedAt!) : null),
    verifiedBy: (v) => entityRef(stored(v).verifierId),
  },
  ChangeApproval: {
    approver: (a) => ({ id: a.approverId }),
  },
  ChangeTransition: {
    from: (t) => t.fromStatus,
    to: (t) => t.toStatus,
    actor: (t) => ({ id: t.actorId }),
  },
  ChangeTask: {
    site: (t) => ({ id: t.siteId }),
    area: (t) => entityRef(t.areaId),
    line: (t) => entityRef(t.lineId),
    asset: (t) => entityRef(t.assetId),
    owner: (t, _, { caller }) => hiddenFromContractor(caller, entityRef(t.ownerId), null),
    workType: (t) => t.workType as never,
    workItem: async (t, _, { loaders }) => entityRef((await loaders.workByRequest.load(t.requestId))?.workItemId),
    workStatus: async (t, _, { loaders }) => requestedWorkStatus(await loaders.workByRequest.load(t.requestId)),
    workStatusAsOf: async (t, _, { loaders }) => (await loaders.workByRequest.load(t.requestId))?.lastEventAt ?? null,
  },
  PreStartupCheck: {
    change: async (c, _, { loaders }) => (await loaders.change.load(c.changeId))!,
    documents: (c) => refs(c.documentIds),
    site: (c) => ({ id: c.siteId }),
    area: (c) => entityRef(c.areaId),
    line: (c) => entityRef(c.lineId),
    asset: (c) => entityRef(c.assetId),
    owner: (c, _, { caller }) => hiddenFromContractor(caller, entityRef(c.ownerId), null),
    workItem: async (c, _, { loaders }) => (c.requestId ? entityRef((await loaders.workByRequest.load(c.requestId))?.workItemId) : null),
    workStatus: async (c, _, { loaders }) => requestedWorkStatus(c.requestId ? await loaders.workByRequest.load(c.requestId) : null),
    workStatusAsOf: async (c, _, { loaders }) => (c.requestId ? ((await loaders.workByRequest.load(c.requestId))?.lastEventAt ?? null) : null),
    done: async (c, _, { loaders }) => !!c.requestId && (await loaders.workByRequest.load(c.requestId))?.status === 'DONE',
    verifiedAt: async (c, _, { loaders }) => (c.requestId ? ((await loaders.workByRequest.load(c.requestId))?.verifiedAt ?? null) : null),
  },
  WorkItem: {
    // Work sends the source this field requires; only work raised by a change has one here. A contractor's
    // request finds the change only when it is behind their company's work (row-level security).
    change: async (item, _, { loaders, caller }) => {
      const source = (item as { source?: { domain?: string; recordId?: string | null } }).source;
      if (source?.domain !== 'CHANGE' || !isUuid(source.recordId)) return null;
      const change = await loaders.change.load(source.recordId.toLowerCase());
      return change && canSee(caller, change) ? change : null;
    },
  },
};
