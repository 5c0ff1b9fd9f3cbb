import { KnownLocation, TrackedWorkItem } from '@opsgraph/core';
import { inboxEntities, outboxEntities } from '@opsgraph/events';
import { DocumentAcknowledgement, DocumentBlockedWork } from './acknowledgement';
import { Document, DocumentRevision } from './document';
import { DocumentReview, DocumentReviewer } from './review';

export * from './document';
export * from './review';
export * from './acknowledgement';

export const entities = [Document, DocumentRevision, DocumentReview, DocumentReviewer, DocumentAcknowledgement, DocumentBlockedWork, TrackedWorkItem, KnownLocation, ...outboxEntities, ...inboxEntities];
