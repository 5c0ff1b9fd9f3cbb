import { type Caller, loaded } from '@opsgraph/core';
import DataLoader from 'dataloader';
import type { EntityManager } from 'typeorm';
import type { Document, DocumentAcknowledgement, DocumentRevision } from './entities';
import { appliesTo, atPlace, type Place, type WorkPlace } from './domain/applicability';
import { canSee } from './domain/common';
import { acknowledgementsOfRevisionLoader, pendingAcknowledgementsOfPeople } from './store/acknowledgements';
import { blockedWorkOfRevisionLoader } from './store/blocked-work';
import { documentLoader, documentsAt } from './store/documents';
import { reviewersOfReviewLoader, reviewsOfDocumentLoader } from './store/reviews';
import { revisionLoader, revisionsOfDocumentLoader, revisionsOfDocuments } from './store/revisions';
import { trackedWorkItemLoader, trackedWorkOfRequestLoader } from './store/tracked-work';

/**
 * Per-request batch loaders: every nested field of a list resolves in one statement per kind, whatever
 * the number of items. Documents the caller may not see are dropped.
 */
export function createLoaders(db: EntityManager, caller: Caller) {
  const visible = (document: Document | null) => (document && canSee(caller, document) ? document : null);
  const byDocument = (status: DocumentRevision['status'][]) =>
    new DataLoader<string, DocumentRevision | null>(async (documentIds) => {
      const rows = (await revisionsOfDocuments(db, documentIds)).filter((r) => status.includes(r.status));
      return documentIds.map((id) => rows.find((r) => r.documentId === id) ?? null);
    });
  const currentRevision = byDocument(['APPROVED']);
  /** Documents naming any of the places of a whole list (one statement), each place's own narrowed by `match`. */
  const documentsFor = <P extends Place>(match: (d: Document, place: P) => boolean) =>
    new DataLoader<P, Document[], string>(
      async (places) => {
        const rows = (await documentsAt(db, [...places])).filter((d) => canSee(caller, d));
        return places.map((place) => rows.filter((d) => match(d, place)));
      },
      { cacheKeyFn: (place) => JSON.stringify(place) },
    );
  const applicable = documentsFor<WorkPlace>(appliesTo);
  const atAsset = documentsFor<Place>(atPlace);
  const document = documentLoader(db);
  return {
    document: new DataLoader<string, Document | null>(async (ids) => (await document.loadMany(ids)).map((d) => (d instanceof Error ? d : visible(d)))),
    revision: revisionLoader(db),
    currentRevision,
    pendingRevision: byDocument(['DRAFT', 'IN_REVIEW']),
    revisionsByDocument: revisionsOfDocumentLoader(db),
    reviewsByDocument: reviewsOfDocumentLoader(db),
    reviewersByReview: reviewersOfReviewLoader(db),
    acknowledgementsByRevision: acknowledgementsOfRevisionLoader(db),
    /** The record of acknowledgement blockers raised for a revision, open and cleared. */
    blockedWorkByRevision: blockedWorkOfRevisionLoader(db),
    pendingAcknowledgementsByPerson: new DataLoader<string, DocumentAcknowledgement[]>(async (personIds) => {
      const rows = await pendingAcknowledgementsOfPeople(db, personIds);
      return personIds.map((id) => rows.filter((r) => r.personId === id));
    }),
    /** Work items as Work's events told us (where they are). */
    trackedWorkItem: trackedWorkItemLoader(db),
    /** Work Work created for our requests (review work), from the tracked view of its events. */
    trackedByRequest: trackedWorkOfRequestLoader(db),
    /** The current revision of each document that applies to a work item: two statements for a whole list. */
    workItemDocuments: async (place: WorkPlace): Promise<DocumentRevision[]> => {
      const documents = await applicable.load(place);
      const revisions = await currentRevision.loadMany(documents.map((d) => d.id));
      return loaded(revisions);
    },
    /** Documents in force at an asset: named for it, its area or its site, with a current revision. */
    assetDocuments: async (place: Place): Promise<Document[]> => {
      const documents = await atAsset.load(place);
      const revisions = await currentRevision.loadMany(documents.map((d) => d.id));
      return documents.filter((_, i) => loaded([revisions[i]]).length > 0);
    },
  };
}
export type Loaders = ReturnType<typeof createLoaders>;
