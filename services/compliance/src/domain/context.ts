import { inSiteScope, type Caller } from '@opsgraph/core';
import { recordEvent } from '@opsgraph/events';
import type { EntityManager } from 'typeorm';
import type { ComplianceAudit, Requirement } from '../entities';

/** What every change to this domain's records runs with: the transaction, who acts, the request id. */
export interface ComplianceContext {
  manager: EntityManager;
  caller: Caller;
  requestId?: string;
}

/** A requirement is visible to callers working at one of its sites; other records by their one site. */
export const canSeeRequirement = (caller: Caller, r: Pick<Requirement, 'siteIds'>) => r.siteIds.some((s) => inSiteScope(caller, s));
export const canSeeSite = (caller: Caller, record: { siteId: string }) => inSiteScope(caller, record.siteId);

export const auditNumber = (audit: Pick<ComplianceAudit, 'seq'>) => `AUD-${String(audit.seq).padStart(6, '0')}`;
export const findingNumber = (audit: Pick<ComplianceAudit, 'seq'>, seq: number) => `${auditNumber(audit)}-F${seq}`;

/** Records one of this domain's events, keyed by the record it is about. */
export function record(ctx: ComplianceContext, type: string, subject: string, data: Record<string, unknown>) {
  return recordEvent(ctx.manager, { domain: 'compliance', type, subject, data, requestId: ctx.requestId });
}
