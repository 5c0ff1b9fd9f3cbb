import { badInput, inSiteScope, notFound, oneOf, requireText, requireUuid, uuidList, type Caller } from '@opsgraph/core';
import { WORK_ITEM_TYPES } from '@opsgraph/events';
import { DOCUMENT_TYPES, type DocumentType } from '@opsgraph/events';
import type { EntityManager } from 'typeorm';
import type { Document } from '../entities';
import { insertDocument, saveDocument } from '../store/documents';
import { currentRevisionOfDocument } from '../store/revisions';
import { openWorkAt } from './applicability';
import { emit, iso, lockDocument, requireDocumentControl, requireSitesInScope, unique, type ChangeContext } from './common';
import { reconcileAcknowledgements } from './acknowledgements';
import { requireNamedPlaces } from './places';

export interface ApplicabilityInput {
  siteIds?: string[] | null;
  areaIds?: string[] | null;
  assetIds?: string[] | null;
  workTypes?: string[] | null;
}

export interface RegisterDocumentInput {
  number: string;
  title: string;
  type: DocumentType;
  ownerId: string;
  siteId: string;
  applicability: ApplicabilityInput;
  reviewIntervalDays?: number | null;
}

export interface UpdateDocumentInput {
  title?: string | null;
  ownerId?: string | null;
  applicability?: ApplicabilityInput | null;
  /** null stops periodic reviews; absent leaves the interval as it is. */
  reviewIntervalDays?: number | null;
}

const NUMBER = /^[A-Z0-9][A-Z0-9._/-]{1,49}$/;
const MAX_PLACES = 200;

function documentNumber(value: unknown): string {
  const number = requireText(value, 'number', { max: 50 }).toUpperCase();
  if (!NUMBER.test(number)) throw badInput('number must be 2-50 letters, digits, . _ / or -', { field: 'number' });
  return number;
}

function applicabilityOf(input: ApplicabilityInput) {
  const places = {
    siteIds: uuidList(input.siteIds, 'applicability.siteIds', MAX_PLACES),
    areaIds: uuidList(input.areaIds, 'applicability.areaIds', MAX_PLACES),
    assetIds: uuidList(input.assetIds, 'applicability.assetIds', MAX_PLACES),
  };
  if (!places.siteIds.length && !places.areaIds.length && !places.assetIds.length) {
    throw badInput('a document must apply somewhere: give at least one site, area or asset', { field: 'applicability' });
  }
  const workTypes = [...new Set((input.workTypes ?? []).map((t, i) => oneOf(WORK_ITEM_TYPES, t, `applicability.workTypes[${i}]`)))];
  return { ...places, workTypes };
}

function reviewInterval(value: unknown): number | null {
  if (value === null || value === undefined) return null;
  if (typeof value !== 'number' || !Number.isInteger(value) || value < 1 || value > 3650) {
    throw badInput('reviewIntervalDays must be a whole number of days between 1 and 3650', { field: 'reviewIntervalDays' });
  }
  return value;
}

export const documentFact = (document: Document, actorId: string) => ({
  documentId: document.id,
  number: document.number,
  documentType: document.type,
  siteId: document.siteId,
  ownerId: document.ownerId,
  siteIds: document.siteIds,
  areaIds: document.areaIds,
  assetIds: document.assetIds,
  workTypes: document.workTypes,
  reviewIntervalDays: document.reviewIntervalDays,
  actorId,
  at: iso(new Date()),
});

export async function registerDocument(db: EntityManager, caller: Caller, input: RegisterDocumentInput, requestId?: string): Promise<Document> {
  requireDocumentControl(caller);
  const fields = {
    number: documentNumber(input.number),
    title: requireText(input.title, 'title', { max: 300 }),
    type: oneOf(DOCUMENT_TYPES, input.type, 'type'),
    ownerId: requireUuid(input.ownerId, 'ownerId'),
    siteId: requireUuid(input.siteId, 'siteId'),
    ...applicabilityOf(input.applicability ?? {}),
    reviewIntervalDays: reviewInterval(input.reviewIntervalDays),
  };
  if (!inSiteScope(caller, fields.siteId)) throw notFound('site', fields.siteId);
  requireSitesInScope(caller, fields.siteIds);
  return db.transaction(async (manager) => {
    const ctx = { manager, caller, requestId };
    // The sites, areas and assets it names are known here, in the caller's scope (areas and assets of its own site).
    await requireNamedPlaces(manager, { holdingSiteId: fields.siteId, siteOfAreas: fields.siteId, siteIds: fields.siteIds, areaIds: fields.areaIds, assetIds: fields.assetIds });
    const document = await unique(
      () => badInput(`a document numbered ${fields.number} already exists`, { field: 'number' }),
      () => insertDocument(manager, { ...fields, lastReviewedAt: null }),
    );
    await emit(ctx, 'document.registered', document.id, documentFact(document, caller.id));
    return document;
  });
}

/**
 * Changes a document's title, owner, applicability or review interval. When the applicability changes,
 * the acknowledgement blockers of its current revision follow: raised on work it now applies to, released
 * on work it no longer does.
 */
export async function updateDocument(db: EntityManager, caller: Caller, id: string, input: UpdateDocumentInput, requestId?: string): Promise<Document> {
  requireDocumentControl(caller);
  const documentId = requireUuid(id);
  const title = input.title === undefined || input.title === null ? undefined : requireText(input.title, 'title', { max: 300 });
  const ownerId = input.ownerId === undefined || input.ownerId === null ? undefined : requireUuid(input.ownerId, 'ownerId');
  const places = input.applicability ? applicabilityOf(input.applicability) : undefined;
  const interval = input.reviewIntervalDays === undefined ? undefined : reviewInterval(input.reviewIntervalDays);
  return db.transaction(async (manager) => {
    const ctx: ChangeContext = { manager, caller, requestId };
    const document = await lockDocument(manager, caller, documentId);
    // Sites the document applies at outside the caller's own are neither added nor taken away.
    if (places) {
      requireSitesInScope(caller, [...places.siteIds.filter((s) => !document.siteIds.includes(s)), ...document.siteIds.filter((s) => !places.siteIds.includes(s))]);
      // What it newly names is known here and in the caller's scope, as when registering (areas and assets of
      // its own site); what it already named stays as it is, and taking a place away needs no check.
      const added = (now: string[], had: string[]) => now.filter((id) => !had.includes(id));
      await requireNamedPlaces(manager, {
        siteOfAreas: document.siteId,
        siteIds: added(places.siteIds, document.siteIds),
        areaIds: added(places.areaIds, document.areaIds),
        assetIds: added(places.assetIds, document.assetIds),
      });
    }
    const before = { siteIds: document.siteIds, areaIds: document.areaIds, assetIds: document.assetIds, workTypes: document.workTypes };
    Object.assign(document, {
      ...(title !== undefined ? { title } : {}),
      ...(ownerId !== undefined ? { ownerId } : {}),
      ...(places ?? {}),
      ...(interval !== undefined ? { reviewIntervalDays: interval } : {}),
    });
    await saveDocument(manager, document);
    if (places) {
      const current = await currentRevisionOfDocument(manager, document.id);
      const work = await openWorkAt(manager, [before, document]);
      await reconcileAcknowledgements(ctx, document, current, work);
    }
    await emit(ctx, 'document.updated', document.id, documentFact(document, caller.id));
    return document;
  });
}
