import { entityRef, found, loaded } from '@opsgraph/core';
import { gasFailures, isolationState } from './entities';
import { addIsolation, applyIsolation, removeIsolation, verifyIsolation } from './domain/isolations';
import { recordGasTest } from './domain/gas-tests';
import * as permits from './domain/permits';
import * as queries from './domain/queries';
import { authorises, readinessOf } from './domain/readiness';
import type { Resolvers } from './generated/graphql';

export const resolvers: Resolvers = {
  Query: {
    permit: (_, { id }, { db, caller }) => queries.getPermit(db, caller, id),
    permitByNumber: (_, { number }, { db, caller }) => queries.getPermitByNumber(db, caller, number),
    permits: (_, { filter, first, after }, { db, caller }) => queries.listPermits(db, caller, filter, first, after),
  },

  Mutation: {
    createPermit: (_, { input }, { db, caller, requestId }) => permits.createPermit(db, caller, input, requestId),
    addPermitWorkItems: (_, { id, workItemIds }, { db, caller, requestId }) => permits.addPermitWorkItems(db, caller, id, workItemIds, requestId),
    requestPermit: (_, { id, note }, { db, caller, requestId }) => permits.requestPermit(db, caller, id, note, requestId),
    approvePermit: (_, { id, note }, { db, caller, requestId }) => permits.approvePermit(db, caller, id, note, requestId),
    issuePermit: (_, { id, performingAuthorityId, note, simopsDecision }, { db, caller, requestId }) => permits.issuePermit(db, caller, id, performingAuthorityId, note, requestId, simopsDecision),
    suspendPermit: (_, { id, reason }, { db, caller, requestId }) => permits.suspendPermit(db, caller, id, reason, requestId),
    reinstatePermit: (_, { id, note, simopsDecision }, { db, caller, requestId }) => permits.reinstatePermit(db, caller, id, note, requestId, simopsDecision),
    closePermit: (_, { id, note }, { db, caller, requestId }) => permits.closePermit(db, caller, id, note, requestId),
    cancelPermit: (_, { id, reason }, { db, caller, requestId }) => permits.cancelPermit(db, caller, id, reason, requestId),
    addIsolation: (_, { permitId, input }, { db, caller, requestId }) => addIsolation(db, caller, permitId, input, requestId),
    applyIsolation: (_, { id, tag }, { db, caller, requestId }) => applyIsolation(db, caller, id, tag, requestId),
    verifyIsolation: (_, { id }, { db, caller, requestId }) => verifyIsolation(db, caller, id, requestId),
    removeIsolation: (_, { id }, { db, caller, requestId }) => removeIsolation(db, caller, id, requestId),
    recordGasTest: (_, { permitId, input }, { db, caller, requestId }) => recordGasTest(db, caller, permitId, input, requestId),
  },

  Permit: {
    __resolveReference: (r, { loaders }) => loaders.permit.load(r.id),
    site: (p) => ({ id: p.siteId }),
    area: (p) => entityRef(p.areaId),
    assets: (p) => p.assetIds.map((id) => ({ id })),
    coveredWorkItems: (p) => p.workItemIds.map((id) => ({ id })),
    requester: (p) => ({ id: p.requesterId }),
    approvedBy: (p) => entityRef(p.approvedById),
    issuer: (p) => entityRef(p.issuerId),
    performingAuthority: (p) => entityRef(p.performingAuthorityId),
    valid: (p) => authorises(p, new Date()),
    isolations: (p, _, { loaders }) => loaders.isolationsByPermit.load(p.id),
    gasTests: (p, _, { loaders }) => loaders.gasTestsByPermit.load(p.id),
    history: (p, _, { loaders }) => loaders.historyByPermit.load(p.id),
    simultaneousOperations: (p, _, { loaders }) => loaders.simopsByPermit.load(p),
  },
  Isolation: {
    permit: (i, _, { loaders }) => found(loaders.permit.load(i.permitId), 'permit', i.permitId),
    asset: (i) => ({ id: i.assetId }),
    state: (i) => isolationState(i),
    appliedBy: (i) => entityRef(i.appliedById),
    verifiedBy: (i) => entityRef(i.verifiedById),
    removedBy: (i) => entityRef(i.removedById),
  },
  GasTest: {
    permit: (t, _, { loaders }) => found(loaders.permit.load(t.permitId), 'permit', t.permitId),
    failures: (t) => gasFailures(t, t.limits),
    testedBy: (t) => ({ id: t.testedById }),
    expired: (t) => t.expiresAt.getTime() <= Date.now(),
  },
  PermitTransition: {
    from: (t) => t.fromStatus,
    to: (t) => t.toStatus,
    actor: (t) => ({ id: t.actorId }),
    simopsDecision: async (t, _, { loaders }) => (await loaders.decisionsByPermit.load(t.permitId)).find((d) => String(d.transitionId) === String(t.id)) ?? null,
  },
  SimopsDecision: {
    permit: (d, _, { loaders }) => loaders.permit.load(d.permitId),
    conflictingPermits: async (d, _, { loaders }) => loaded(await loaders.permit.loadMany(d.conflictingPermitIds)),
    decidedBy: (d) => ({ id: d.decidedById }),
  },
  WorkItem: {
    __resolveReference: (r) => ({ id: r.id }),
    permits: (w, _, { loaders }) => loaders.permitsByWorkItem.load(w.id),
    permitReadiness: async (w, _, { loaders }) => readinessOf(await loaders.permitsByWorkItem.load(w.id), new Date()),
  },
  Asset: {
    __resolveReference: (r) => ({ id: r.id }),
    activeIsolations: (a, _, { loaders }) => loaders.activeIsolationsByAsset.load(a.id),
  },
};
