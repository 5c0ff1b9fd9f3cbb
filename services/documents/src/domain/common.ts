import { forbidden, hasRole, inSiteScope, isContractorOnly, notFound, requireRole, type Caller, type TrackedWorkItem } from '@opsgraph/core';
import { recordEvent } from '@opsgraph/events';
import type { EntityManager } from 'typeorm';
import type { Document } from '../entities';
import { lockDocument as lockDocumentRow } from '../store/documents';
import { DOCUMENT_PERMISSIONS } from './permissions';

/** What a change runs with: the transaction, who asked and the request id that travels into events. */
export interface ChangeContext {
  manager: EntityManager;
  caller: Caller;
  requestId?: string;
}

/** Records a documents event in the caller's transaction (validated against libs/events/src/schemas/documents.ts). */
export const emit = (ctx: ChangeContext, type: string, subject: string, data: Record<string, unknown>) =>
  recordEvent(ctx.manager, { domain: 'documents', type, subject, data, requestId: ctx.requestId });

/** Document control: registering documents, drafting and approving revisions, asking for reviews. */
export const requireDocumentControl = (caller: Caller) => requireRole(caller, ...DOCUMENT_PERMISSIONS.controlDocuments);

/** Whether the caller may see another person's acknowledgements (everyone sees their own). */
export const seesAcknowledgementsOf = (caller: Caller, personId: string) =>
  personId === caller.id || hasRole(caller, 'administrator', ...DOCUMENT_PERMISSIONS.seeAcknowledgementsOfOthers);

export function requireAcknowledgementsOf(caller: Caller, personId: string) {
  if (!seesAcknowledgementsOf(caller, personId)) throw forbidden("only supervisors, HSE and auditors see other people's acknowledgements");
}

/**
 * Whether the caller may see a work item the documents domain names (an acknowledgement's blocked work,
 * a reviewer's review work): at one of their sites, as Work's events told us. A contractor sees only
 * their own (the view does not know whose jobs the others are).
 */
export const workVisible = (caller: Caller, item: Pick<TrackedWorkItem, 'siteId'> | null, own: boolean) =>
  !!item && inSiteScope(caller, item.siteId) && (own || !isContractorOnly(caller));

/** A document's places by site must be the caller's own: another site is "not found". */
export function requireSitesInScope(caller: Caller, siteIds: string[]) {
  for (const siteId of siteIds) if (!inSiteScope(caller, siteId)) throw notFound('site', siteId);
}

/** A document is visible where it is held and wherever it applies by site. */
export const canSee = (caller: Caller, document: Pick<Document, 'siteId' | 'siteIds'>) =>
  inSiteScope(caller, document.siteId) || document.siteIds.some((siteId) => inSiteScope(caller, siteId));

/** Loads a document for change, locked; changes need the scope of the site that holds it. */
export async function lockDocument(manager: EntityManager, caller: Caller, id: string): Promise<Document> {
  const document = await lockDocumentRow(manager, id);
  if (!document || !inSiteScope(caller, document.siteId)) throw notFound('document', id);
  return document;
}

/** Unique violations become a clear refusal instead of a driver error. */
export async function unique<T>(refusal: () => Error, insert: () => Promise<T>): Promise<T> {
  try {
    return await insert();
  } catch (e) {
    if ((e as { code?: string }).code === '23505') throw refusal();
    throw e;
  }
}

export const iso = (date: Date | null | undefined) => (date ? date.toISOString() : null);
