import { inSiteScope, requirePlace, unknownLocation, type Caller } from '@opsgraph/core';
import { recordEvent } from '@opsgraph/events';
import type { EntityManager } from 'typeorm';
import type { AuditFinding, ComplianceAudit, Requirement } from '../entities';

/** What every change to this domain's records runs with: the transaction, who acts, the request id. */
export interface ComplianceContext {
  manager: EntityManager;
  caller: Caller;
  requestId?: string;
}

/** A requirement is visible to callers working at one of its sites; other records by their one site. */
export const canSeeRequirement = (caller: Caller, r: Pick<Requirement, 'siteIds'>) => r.siteIds.some((s) => inSiteScope(caller, s));
export const canSeeSite = (caller: Caller, record: { siteId: string }) => inSiteScope(caller, record.siteId);

/**
 * A site an input names: known from Work's registry (`known_location`) and in the caller's scope, else "not
 * found" exactly as a random id is (another site's is refused before any statement; the registry's row-level
 * security would hide it anyway). One registered in Work a moment ago may not be known yet: the same answer.
 */
export async function requireSite(manager: EntityManager, caller: Caller, siteId: string, field = 'siteId') {
  if (!inSiteScope(caller, siteId)) throw unknownLocation('SITE', siteId, field);
  await requirePlace(manager, { siteId }, { siteId: field });
}

export const auditNumber = (audit: Pick<ComplianceAudit, 'seq'>) => `AUD-${String(audit.seq).padStart(6, '0')}`;
export const findingNumber = (audit: Pick<ComplianceAudit, 'seq'>, seq: number) => `${auditNumber(audit)}-F${seq}`;

/** Records one of this domain's events, keyed by the record it is about. */
export function record(ctx: ComplianceContext, type: string, subject: string, data: Record<string, unknown>) {
  return recordEvent(ctx.manager, { domain: 'compliance', type, subject, data, requestId: ctx.requestId });
}

/** A finding's fact for events: ids, number, severity, status and place (never its description). */
export const findingFact = (audit: ComplianceAudit, f: AuditFinding) => ({
  findingId: f.id,
  auditId: audit.id,
  number: findingNumber(audit, f.seq),
  severity: f.severity,
  status: f.status,
  requirementId: f.requirementId,
  siteId: f.siteId,
  areaId: f.areaId,
  assetId: f.assetId,
  inspectionWorkItemId: f.inspectionWorkItemId,
});
