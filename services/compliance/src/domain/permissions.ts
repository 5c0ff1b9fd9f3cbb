import { requireRole, type Caller, type Role } from '@opsgraph/core';

/**
 * Who may do what in compliance, in one table: the domain functions check it, the README documents it
 * and the role-matrix test walks it. Administrators may do everything; site scope applies on top of roles.
 */
export const COMPLIANCE_PERMISSIONS = {
  /** Record requirements (and so their recurring obligations and work checks). */
  manageRequirements: ['hse'],
  /**
   * Record audits and their findings, and close findings once their actions are verified (never one the
   * caller recorded, or whose corrective action they own or did).
   */
  recordAudits: ['auditor', 'hse'],
  /** Reopen a closed finding with a reason (a recurrence, new facts): the loop of actions, close and check starts again. */
  reopenFindings: ['auditor', 'hse'],
  /** Add a corrective action to an open finding. */
  addFindingActions: ['auditor', 'hse', 'supervisor'],
  /** Confirm a statutory check on a work item (its COMPLIANCE_CHECK prerequisite; never on work the caller owns or did). */
  confirmChecks: ['hse', 'verifier'],
} satisfies Record<string, Role[]>;

export type CompliancePermission = keyof typeof COMPLIANCE_PERMISSIONS;

export const requirePermission = (caller: Caller, permission: CompliancePermission) => requireRole(caller, ...COMPLIANCE_PERMISSIONS[permission]);
