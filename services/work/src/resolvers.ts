import { entityRef, found, loaded } from '@opsgraph/core';
import { OPEN_STATUSES, TERMINAL, WorkItem } from './entities';
import * as details from './domain/details';
import * as handovers from './domain/handover';
import * as locations from './domain/locations';
import * as queries from './domain/queries';
import { recordRoundCheckpoint } from './domain/rounds';
import { addShiftLogEntry } from './domain/shift-log';
import * as templates from './domain/templates';
import * as work from './domain/work-items';
import type { Resolvers } from './generated/graphql';

export const resolvers: Resolvers = {
  Query: {
    workItem: (_, { id }, { db, caller }) => queries.getWorkItem(db, caller, id),
    workItemByNumber: (_, { number }, { db, caller }) => queries.getWorkItemByNumber(db, caller, number),
    workItems: (_, { filter, first, after }, { db, caller }) => queries.listWorkItems(db, caller, filter, first, after),
    board: (_, { siteId, areaId, first }, { db, caller }) => queries.board(db, caller, siteId, areaId, first),
    handover: (_, args, { db, caller }) => handovers.handover(db, caller, args),
    handoverRecord: (_, { id }, { db, caller }) => handovers.getHandoverRecord(db, caller, id),
    handovers: (_, { siteId, areaId, first }, { db, caller }) => handovers.listHandovers(db, caller, siteId, areaId, first),
    handoverStatus: (_, { siteId }, { db, caller }) => handovers.handoverStatus(db, caller, siteId),
    sites: (_, __, { db, caller }) => queries.listSites(db, caller),
    site: (_, { id }, { db, caller }) => queries.getSite(db, caller, id),
    asset: (_, { id }, { db, caller }) => queries.getAsset(db, caller, id),
    workTemplates: (_, { siteId, type }, { db, caller }) => templates.listTemplates(db, caller, siteId, type),
  },

  Mutation: {
    createSite: (_, { input }, { db, caller, requestId }) => locations.createSite(db, caller, input, requestId),
    createArea: (_, { input }, { db, caller, requestId }) => locations.createArea(db, caller, input, requestId),
    createLine: (_, { input }, { db, caller, requestId }) => locations.createLine(db, caller, input, requestId),
    createAsset: (_, { input }, { db, caller, requestId }) => locations.createAsset(db, caller, input, requestId),
    createWorkItem: (_, { input }, { db, caller, requestId }) => work.createWorkItem(db, caller, input, requestId),
    assignWorkItem: (_, { id, ownerId, team, expectedVersion }, { db, caller, requestId }) => work.assignWorkItem(db, caller, id, ownerId, team, { requestId, expectedVersion }),
    startWork: (_, { id, note, expectedVersion }, { db, caller, requestId }) => work.startWork(db, caller, id, note, { requestId, expectedVersion }),
    holdWork: (_, { id, reason, expectedVersion }, { db, caller, requestId }) => work.holdWork(db, caller, id, reason, { requestId, expectedVersion }),
    resumeWork: (_, { id, note, override, expectedVersion }, { db, caller, requestId }) => work.resumeWork(db, caller, id, note, { requestId, expectedVersion, override }),
    completeWork: (_, { id, evidence, note, expectedVersion }, { db, caller, requestId }) => work.completeWork(db, caller, id, evidence, note, { requestId, expectedVersion }),
    verifyWork: (_, { id, accept, note, expectedVersion }, { db, caller, requestId }) => work.verifyWork(db, caller, id, accept, note, { requestId, expectedVersion }),
    cancelWork: (_, { id, reason, expectedVersion }, { db, caller, requestId }) => work.cancelWork(db, caller, id, reason, { requestId, expectedVersion }),
    tightenRequiredOutcome: (_, { id, input, reason, expectedVersion }, { db, caller, requestId }) =>
      work.tightenRequiredOutcome(db, caller, id, input as Parameters<typeof work.tightenRequiredOutcome>[3], reason, { requestId, expectedVersion }),
    addPrerequisite: (_, { workItemId, input }, { db, caller, requestId }) => work.addPrerequisite(db, caller, workItemId, input, requestId),
    satisfyPrerequisite: (_, { id, note }, { db, caller, requestId }) => work.satisfyPrerequisite(db, caller, id, note, requestId),
    waivePrerequisite: (_, { id, reason }, { db, caller, requestId }) => work.waivePrerequisite(db, caller, id, reason, requestId),
    addShiftLogEntry: (_, { input }, { db, caller }) => addShiftLogEntry(db, caller, input),
    startHandover: (_, { input }, { db, caller }) => handovers.startHandover(db, caller, input),
    acceptHandover: (_, { id, note }, { db, caller }) => handovers.acceptHandover(db, caller, id, note),
    refuseHandover: (_, { id, reason }, { db, caller }) => handovers.refuseHandover(db, caller, id, reason),
    recordStandingCondition: (_, { input }, { db, caller }) => handovers.recordStandingCondition(db, caller, input),
    clearStandingCondition: (_, { id, note }, { db, caller }) => handovers.clearStandingCondition(db, caller, id, note),
    updateWorkItemDetails: (_, { id, details: input, reason, expectedVersion }, { db, caller, requestId }) =>
      details.updateWorkItemDetails(db, caller, id, input as details.WorkDetailsInput, reason, { requestId, expectedVersion }),
    recordRoundCheckpoint: (_, { workItemId, checkpoint, readings, expectedVersion }, { db, caller, requestId }) =>
      recordRoundCheckpoint(db, caller, workItemId, checkpoint, readings, { requestId, expectedVersion }),
    createWorkTemplate: (_, { input }, { db, caller }) => templates.createWorkTemplate(db, caller, input as templates.WorkTemplateInput),
    createWorkItemFromTemplate: (_, { siteId, template, input }, { db, caller, requestId }) =>
      templates.createWorkItemFromTemplate(db, caller, siteId, template, input as templates.FromTemplateInput, requestId),
  },
  WorkTemplate: {
    site: (t, _, { loaders }) => found(loaders.site.load(t.siteId), 'site', t.siteId),
    details: (t) => details.detailsView({ id: t.id, lineId: null, details: t.details } as unknown as WorkItem) as never,
    createdBy: (t) => ({ id: t.createdById }),
  },

  Site: {
    __resolveReference: (ref, { loaders }) => loaders.site.load(ref.id),
    areas: (site, _, { loaders }) => loaders.areasBySite.load(site.id),
  },
  Area: {
    __resolveReference: (ref, { loaders }) => loaders.area.load(ref.id),
    site: (area, _, { loaders }) => found(loaders.site.load(area.siteId), 'site', area.siteId),
    lines: (area, _, { loaders }) => loaders.linesByArea.load(area.id),
    assets: (area, _, { loaders }) => loaders.assetsByArea.load(area.id),
  },
  Line: {
    __resolveReference: (ref, { loaders }) => loaders.line.load(ref.id),
    area: (line, _, { loaders }) => found(loaders.area.load(line.areaId), 'area', line.areaId),
    assets: (line, _, { loaders }) => loaders.assetsByLine.load(line.id),
  },
  Asset: {
    __resolveReference: (ref, { loaders }) => loaders.asset.load(ref.id),
    site: (asset, _, { loaders }) => found(loaders.site.load(asset.siteId), 'site', asset.siteId),
    area: (asset, _, { loaders }) => (asset.areaId ? loaders.area.load(asset.areaId) : null),
    line: (asset, _, { loaders }) => (asset.lineId ? loaders.line.load(asset.lineId) : null),
    parent: (asset, _, { loaders }) => (asset.parentId ? loaders.asset.load(asset.parentId) : null),
    children: (asset, _, { loaders }) => loaders.assetsByParent.load(asset.id),
    openWorkItems: (asset, _, { loaders }) => loaders.openWorkByAsset.load(asset.id),
  },

  Person: {
    workItems: (p, { status }, { loaders }) => loaders.ownedWork.load(JSON.stringify([p.id, status ?? OPEN_STATUSES])),
  },
  Permit: { workItems: (r, _, { loaders }) => loaders.workByRecord('PERMITS').load(r.id) },
  Document: { workItems: (r, _, { loaders }) => loaders.workByRecord('DOCUMENTS').load(r.id) },
  Incident: { actions: (r, _, { loaders }) => loaders.workByRecord('HAZARDS').load(r.id) },
  ChangeRequest: { workItems: (r, _, { loaders }) => loaders.workByRecord('CHANGE').load(r.id) },
  AuditFinding: { actions: (r, _, { loaders }) => loaders.workByRecord('COMPLIANCE').load(r.id) },
  Requirement: { workItems: (r, _, { loaders }) => loaders.workByRecord('COMPLIANCE').load(r.id) },

  WorkItem: {
    __resolveReference: (ref, { loaders }) => loaders.workItem.load(ref.id),
    // A condition past its validity blocks from that instant, before its lapse event arrives (see work.hasLapsed).
    status: (item, _, { loaders }) => work.statusAt(item, loaders.readAt()),
    blocked: (item, _, { loaders }) => work.blockedAt(item, loaders.readAt()),
    blockers: async (item, _, { loaders }) => (await loaders.prerequisitesByWorkItem.load(item.id)).filter((p) => p.state === 'OPEN' || work.hasLapsed(p, loaders.readAt())),
    site: (item, _, { loaders }) => found(loaders.site.load(item.siteId), 'site', item.siteId),
    area: (item, _, { loaders }) => (item.areaId ? loaders.area.load(item.areaId) : null),
    line: (item, _, { loaders }) => (item.lineId ? loaders.line.load(item.lineId) : null),
    asset: (item, _, { loaders }) => (item.assetId ? loaders.asset.load(item.assetId) : null),
    overdue: (item) => !!item.dueAt && item.dueAt < new Date() && !TERMINAL.includes(item.status) && item.status !== 'AWAITING_VERIFICATION',
    owner: (item) => entityRef(item.ownerId),
    performer: (item) => entityRef(item.performerId),
    verifiedBy: (item) => entityRef(item.verifiedById),
    source: (item) => ({ domain: item.sourceDomain, recordId: item.sourceRecordId, reason: item.sourceReason }),
    prerequisites: (item, _, { loaders }) => loaders.prerequisitesByWorkItem.load(item.id),
    evidence: (item, _, { loaders }) => loaders.evidenceByWorkItem.load(item.id),
    history: (item, _, { loaders }) => loaders.historyByWorkItem.load(item.id),
    details: (item) => details.detailsView(item) as never,
  },
  // The details views carry their item (`detailsView`), so nested fields resolve its places and conflicts.
  WorkItemDetails: {
    __resolveType: (d) => (d as unknown as DetailsView).__typename,
  },
  RoundDetails: {
    route: (d) => {
      const round = d as unknown as Extract<DetailsView, { __typename: 'RoundDetails' }>;
      return round.route.map((c) => ({ ...c, recording: round.recordings.find((r) => r.checkpoint === c.checkpoint) ?? null })) as never;
    },
    recordedCount: (d) => (d as unknown as details.RoundDetails).recordings.length,
    outOfLimitsCount: (d) => (d as unknown as details.RoundDetails).recordings.filter((r) => !r.withinLimits).length,
    schedule: (d) => ((d as unknown as details.RoundDetails).schedule ?? null) as never,
  },
  RoundSchedule: {
    nextRound: (s, _, { loaders }) => ((s as unknown as details.RoundSchedule).nextRoundId ? loaders.workItem.load((s as unknown as details.RoundSchedule).nextRoundId!) : null),
  },
  RoundCheckpoint: {
    asset: (c, _, { loaders }) => ((c as unknown as details.RoundCheckpoint).assetId ? loaders.asset.load((c as unknown as details.RoundCheckpoint).assetId!) : null),
    area: (c, _, { loaders }) => ((c as unknown as details.RoundCheckpoint).areaId ? loaders.area.load((c as unknown as details.RoundCheckpoint).areaId!) : null),
  },
  RoundCheckpointRecording: {
    recordedBy: (r) => ({ id: (r as unknown as details.CheckpointRecording).recordedById }),
    followUp: (r, _, { loaders }) => ((r as unknown as details.CheckpointRecording).followUpId ? loaders.workItem.load((r as unknown as details.CheckpointRecording).followUpId!) : null),
  },
  LogisticsDetails: {
    bayConflicts: (d, _, { loaders }) => loaders.bayConflicts.load((d as unknown as DetailsView).item.id),
  },
  LogisticsPlace: {
    area: (p, _, { loaders }) => loaders.area.load((p as unknown as details.LogisticsPlace).areaId),
  },
  ProductionActionDetails: {
    line: (d, _, { loaders }) => {
      const { item } = d as unknown as DetailsView;
      return item.lineId ? loaders.line.load(item.lineId) : null;
    },
  },
  Prerequisite: {
    __resolveReference: (ref, { loaders }) => loaders.prerequisite.load(ref.id),
    sourceRecordId: (p) => p.sourceRecordId || null,
    state: (p, _, { loaders }) => (work.hasLapsed(p, loaders.readAt()) ? 'OPEN' : p.state),
    reason: (p, _, { loaders }) => (work.hasLapsed(p, loaders.readAt()) ? work.lapseText(p.validUntil!) : p.reason),
    lapsed: (p, _, { loaders }) => work.readsLapsed(p, loaders.readAt()),
    waivedBy: (p) => entityRef(p.waivedById),
    workItem: (p, _, { loaders }) => found(loaders.workItem.load(p.workItemId), 'work item', p.workItemId),
  },
  Evidence: {
    submittedBy: (e) => ({ id: e.submittedById }),
  },
  Transition: {
    from: (t) => t.fromStatus,
    to: (t) => t.toStatus,
    actor: (t) => ({ id: t.actorId }),
  },
  HandoverChange: {
    workItem: (c, _, { loaders }) => (c.workItemId ? loaders.workItem.load(c.workItemId) : null),
  },
  StandingCondition: {
    since: (c) => c.raisedAt,
    raisedBy: (c) => entityRef(c.raisedById),
    site: (c, _, { loaders }) => found(loaders.site.load(c.siteId), 'site', c.siteId),
    area: (c, _, { loaders }) => (c.areaId ? loaders.area.load(c.areaId) : null),
    asset: (c, _, { loaders }) => (c.assetId ? loaders.asset.load(c.assetId) : null),
    workItems: async (c, _, { loaders }) => loaded(await loaders.workItem.loadMany(c.workItemIds)),
    clearedBy: (c) => entityRef(c.clearedById),
  },
  HandoverRecord: {
    site: (r, _, { loaders }) => found(loaders.site.load(r.siteId), 'site', r.siteId),
    area: (r, _, { loaders }) => (r.areaId ? loaders.area.load(r.areaId) : null),
    incomingPerson: (r) => entityRef(r.incomingPersonId),
    from: (r) => r.windowFrom,
    startedBy: (r) => ({ id: r.startedById }),
    acceptedBy: (r) => (r.status === 'ACCEPTED' ? entityRef(r.decidedById) : null),
    acceptedAt: (r) => (r.status === 'ACCEPTED' ? r.decidedAt : null),
    acceptanceNote: (r) => (r.status === 'ACCEPTED' ? r.decisionNote : null),
    refusedBy: (r) => (r.status === 'REFUSED' ? entityRef(r.decidedById) : null),
    refusedAt: (r) => (r.status === 'REFUSED' ? r.decidedAt : null),
    refusalReason: (r) => (r.status === 'REFUSED' ? r.decisionNote : null),
    picture: (r) => handovers.storedPicture(r) as never,
    canonicalPicture: (r) => r.picture,
    integrity: (r) => handovers.integrityOf(r),
    addedAfter: (r, _, { db }) => handovers.addedAfter(db, r),
  },
  HandoverItem: {
    workItem: (i, _, { loaders }) => loaders.workItem.load(i.id),
  },
  ShiftLogEntry: {
    site: (entry, _, { loaders }) => found(loaders.site.load(entry.siteId), 'site', entry.siteId),
    area: (entry, _, { loaders }) => (entry.areaId ? loaders.area.load(entry.areaId) : null),
    author: (entry) => ({ id: entry.authorId }),
    workItems: async (entry, _, { loaders }) => loaded(await loaders.workItem.loadMany(entry.workItemIds)),
  },
};

/** What `WorkItem.details` resolves to. */
type DetailsView = NonNullable<ReturnType<typeof details.detailsView>>;
