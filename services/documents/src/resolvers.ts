import { entityRef, found, isUuid, requestedWorkStatus } from '@opsgraph/core';
import { acknowledgeRevision, pendingAcknowledgements, visibleAcknowledgements, visibleBlockedWork, visibleWorkItems } from './domain/acknowledgements';
import { requireAcknowledgementsOf, workVisible } from './domain/common';
import { registerDocument, updateDocument } from './domain/documents';
import * as queries from './domain/queries';
import { nextReviewDue, requestReview } from './domain/reviews';
import { approveRevision, draftRevision, returnRevision, submitRevision, updateRevision } from './domain/revisions';
import type { Document, DocumentBlockedWork } from './entities';
import type { Loaders } from './loaders';
import type { Resolvers, WorkItemType } from './generated/graphql';

/** What Work sends with a reference for the fields that @require it. */
interface WorkItemRepresentation {
  id: string;
  type: WorkItemType;
  site: { id: string };
  area?: { id: string } | null;
  asset?: { id: string } | null;
}
/** The blockers on record for a revision (of one person, if given) that the caller may see. */
async function blockedWorkOf(loaders: Loaders, caller: Parameters<typeof visibleBlockedWork>[0], revisionId: string, personId?: string): Promise<DocumentBlockedWork[]> {
  const rows = (await loaders.blockedWorkByRevision.load(revisionId)).filter((r) => !personId || r.personId === personId);
  return visibleBlockedWork(caller, rows, await loaders.trackedWorkItem.loadMany(rows.map((r) => r.workItemId)));
}

interface AssetRepresentation {
  id: string;
  site: { id: string };
  area?: { id: string } | null;
}

export const resolvers: Resolvers = {
  Query: {
    document: (_, { id }, { db, caller }) => queries.getDocument(db, caller, id),
    documentByNumber: (_, { number }, { db, caller }) => queries.getDocumentByNumber(db, caller, number),
    documents: (_, { filter, first, after }, { db, caller }) => queries.listDocuments(db, caller, filter, first, after),
    documentRevision: (_, { id }, { db, caller }) => queries.getRevision(db, caller, id),
    documentReview: (_, { id }, { db, caller }) => queries.getReview(db, caller, id),
    pendingAcknowledgements: (_, { personId }, { db, caller }) => pendingAcknowledgements(db, caller, personId),
  },

  Mutation: {
    registerDocument: (_, { input }, { db, caller, requestId }) => registerDocument(db, caller, input, requestId),
    updateDocument: (_, { id, input }, { db, caller, requestId }) => updateDocument(db, caller, id, input, requestId),
    draftDocumentRevision: (_, { input }, { db, caller, requestId }) => draftRevision(db, caller, input, requestId),
    updateDocumentRevision: (_, { id, input }, { db, caller, requestId }) => updateRevision(db, caller, id, input, requestId),
    submitDocumentRevision: (_, { id }, { db, caller, requestId }) => submitRevision(db, caller, id, requestId),
    returnDocumentRevision: (_, { id, reason }, { db, caller, requestId }) => returnRevision(db, caller, id, reason, requestId),
    approveDocumentRevision: (_, { id }, { db, caller, requestId }) => approveRevision(db, caller, id, requestId),
    requestDocumentReview: (_, { input }, { db, caller, requestId }) => requestReview(db, caller, input, requestId),
    acknowledgeDocumentRevision: (_, { revisionId }, { db, caller, requestId }) => acknowledgeRevision(db, caller, revisionId, requestId),
  },

  Person: {
    __resolveReference: (r) => ({ id: r.id }),
    pendingAcknowledgements: async (p, _, { loaders, caller }) => {
      requireAcknowledgementsOf(caller, p.id);
      const rows = await loaders.pendingAcknowledgementsByPerson.load(p.id);
      const documents = await loaders.document.loadMany(rows.map((r) => r.documentId));
      return rows.filter((_, i) => documents[i] && !(documents[i] instanceof Error));
    },
  },
  Asset: {
    __resolveReference: (r) => r,
    documents: (a, _, { loaders }) => {
      const asset = a as unknown as AssetRepresentation;
      return loaders.assetDocuments({ siteId: asset.site.id, areaId: asset.area?.id ?? null, assetId: asset.id });
    },
  },
  WorkItem: {
    __resolveReference: (r) => r,
    documents: (w, _, { loaders }) => {
      const item = w as unknown as WorkItemRepresentation;
      return loaders.workItemDocuments({ siteId: item.site.id, areaId: item.area?.id ?? null, assetId: item.asset?.id ?? null, workType: item.type });
    },
  },

  Document: {
    __resolveReference: (r, { loaders }) => loaders.document.load(r.id),
    owner: (d) => ({ id: d.ownerId }),
    site: (d) => ({ id: d.siteId }),
    applicability: (d: Document) => ({
      sites: d.siteIds.map((id) => ({ id })),
      areas: d.areaIds.map((id) => ({ id })),
      assets: d.assetIds.map((id) => ({ id })),
      workTypes: d.workTypes as WorkItemType[],
    }),
    currentRevision: (d, _, { loaders }) => loaders.currentRevision.load(d.id),
    pendingRevision: (d, _, { loaders }) => loaders.pendingRevision.load(d.id),
    revisions: (d, _, { loaders }) => loaders.revisionsByDocument.load(d.id),
    nextReviewDue: (d) => nextReviewDue(d),
    reviews: (d, _, { loaders }) => loaders.reviewsByDocument.load(d.id),
  },
  DocumentRevision: {
    __resolveReference: async (r, { loaders }) => {
      const revision = await loaders.revision.load(r.id);
      return revision && (await loaders.document.load(revision.documentId)) ? revision : null;
    },
    document: (r, _, { loaders }) => found(loaders.document.load(r.documentId), 'document', r.documentId),
    current: (r) => r.status === 'APPROVED',
    author: (r) => ({ id: r.authorId }),
    approvedBy: (r) => entityRef(r.approvedById),
    acknowledgements: async (r, { state }, { loaders, caller }) => visibleAcknowledgements(caller, await loaders.acknowledgementsByRevision.load(r.id)).filter((a) => !state || a.state === state),
    blockedWork: (r, _, { loaders, caller }) => blockedWorkOf(loaders, caller, r.id),
  },
  DocumentReview: {
    document: (r, _, { loaders }) => found(loaders.document.load(r.documentId), 'document', r.documentId),
    requestedBy: (r) => entityRef(isUuid(r.requestedById) ? r.requestedById : null),
    reviewers: (r, _, { loaders }) => loaders.reviewersByReview.load(r.id),
  },
  DocumentReviewer: {
    person: (r) => ({ id: r.personId }),
    workItem: async (r, _, { loaders, caller }) => {
      const tracked = await loaders.trackedByRequest.load(r.requestId);
      return workVisible(caller, tracked, r.personId === caller.id) ? entityRef(tracked!.workItemId) : null;
    },
    workStatus: async (r, _, { loaders }) => requestedWorkStatus(await loaders.trackedByRequest.load(r.requestId)),
  },
  DocumentAcknowledgement: {
    revision: (a, _, { loaders }) => found(loaders.revision.load(a.revisionId), 'document revision', a.revisionId),
    person: (a) => ({ id: a.personId }),
    workItems: async (a, _, { loaders, caller }) => visibleWorkItems(caller, a, await loaders.trackedWorkItem.loadMany(a.workItemIds)).map((id) => ({ id })),
    blockedWork: (a, _, { loaders, caller }) => blockedWorkOf(loaders, caller, a.revisionId, a.personId),
  },
  DocumentBlockedWork: {
    workItem: (b) => ({ id: b.workItemId }),
    person: (b) => ({ id: b.personId }),
    clearedByRevision: (b, _, { loaders }) => (b.clearedByRevisionId ? loaders.revision.load(b.clearedByRevisionId) : null),
  },
};
