import type { Role } from '@opsgraph/core';

/**
 * Who may do what in Work, in one table: the domain functions check it, the README documents it and
 * the role-matrix test walks it. Administrators may do everything; scope (sites, the contractor
 * boundary) applies on top of roles.
 */
export const WORK_PERMISSIONS = {
  /** Site, area, line and asset registry. */
  manageRegistry: [],
  /** Raise new work and blockers on it, write the shift log. */
  raiseWork: ['operator', 'technician', 'supervisor', 'verifier', 'permit_issuer', 'hse', 'contractor'],
  /** Start, hold, resume and complete work; satisfy hand-raised blockers. */
  performWork: ['operator', 'technician', 'supervisor', 'contractor'],
  /** Accept or reject completed work (never one's own). */
  verifyWork: ['verifier', 'supervisor', 'hse'],
  /** Assign owners, cancel work, waive blockers. */
  superviseWork: ['supervisor'],
  /** Read the audit trail. */
  readAudit: ['auditor'],
} satisfies Record<string, Role[]>;
