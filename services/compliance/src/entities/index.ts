import { KnownLocation, TrackedWorkItem, WorkPerformer } from '@opsgraph/core';
import { inboxEntities, outboxEntities } from '@opsgraph/events';
import { AuditFinding, ComplianceAudit, ComplianceFindingAction, FindingHistoryEntry } from './audit';
import { ComplianceCheck, ComplianceObligation, Requirement } from './requirement';

export * from './requirement';
export * from './audit';

export const entities = [Requirement, ComplianceObligation, ComplianceCheck, ComplianceAudit, AuditFinding, ComplianceFindingAction, FindingHistoryEntry, TrackedWorkItem, WorkPerformer, KnownLocation, ...outboxEntities, ...inboxEntities];
