import type { Role } from '@opsgraph/core';

/**
 * Who may do what in Permits, in one table: the domain functions check it, the README documents it and
 * the role-matrix test walks it. Administrators may do everything; scope (sites, the contractor
 * boundary) and separation of duties apply on top of roles.
 */
export const PERMIT_PERMISSIONS = {
  /** Draft a permit (the caller becomes its requester). */
  draftPermits: ['supervisor', 'technician', 'operator', 'contractor', 'permit_issuer', 'hse'],
  /** Request (submit) a draft someone else wrote; the requester may always request their own. */
  requestForOthers: ['supervisor'],
  /** Add work items to someone else's permit; the requester may always add to their own. */
  amendPermits: ['supervisor', 'permit_issuer'],
  /** Cancel someone else's permit before it is issued; the requester may always cancel their own. */
  cancelPermits: ['supervisor', 'permit_issuer', 'hse'],
  /** Approve a requested permit (area authority; never one the caller requested, put forward, added work to or will work under). */
  approvePermits: ['supervisor', 'hse'],
  /**
   * Issue and reinstate a permit (never one the caller requested, put forward, added work to, approved or will work under),
   * and so decide that it may be live beside conflicting live permits (simultaneous operations, domain/simops.ts).
   */
  issuePermits: ['permit_issuer'],
  /** Stop work under an issued permit. */
  suspendPermits: ['permit_issuer', 'hse', 'supervisor'],
  /** Close an issued or suspended permit. */
  closePermits: ['permit_issuer', 'supervisor'],
  /** Plan an isolation on a permit. */
  planIsolations: ['permit_issuer', 'supervisor', 'technician', 'hse'],
  /** Apply and remove isolations (lock out, restore energy). */
  applyIsolations: ['technician', 'operator', 'permit_issuer', 'supervisor'],
  /** Verify an applied isolation (never one the caller planned or applied). */
  verifyIsolations: ['permit_issuer', 'verifier', 'supervisor', 'hse'],
  /** Record a gas test. */
  recordGasTests: ['hse', 'permit_issuer', 'technician', 'supervisor'],
  /** Read the audit trail (`permitsAuditTrail`). */
  readAudit: ['auditor'],
} satisfies Record<string, Role[]>;
