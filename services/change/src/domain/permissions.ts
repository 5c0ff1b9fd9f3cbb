import { hasRole, requireRole, type Caller, type Role } from '@opsgraph/core';
import type { ApproverRole } from '../entities';

/**
 * Who may do what in management of change, in one table: the domain functions check it, the README
 * documents it and the role-matrix test walks it. Administrators may do everything; site scope applies on
 * top of roles. Some actions also follow from a relation to the change (its requester or owner), for
 * people holding a role that may propose changes.
 */
export const CHANGE_PERMISSIONS = {
  /** Propose a change (createChangeRequest); also what the requester or owner must hold to steer their own change. */
  proposeChange: ['operator', 'technician', 'supervisor', 'verifier', 'permit_issuer', 'hse'],
  /** Submit a draft: only its requester or owner (holding `proposeChange`); no role submits others' changes. */
  submitChange: [],
  /**
   * Steer any change through its lifecycle: start implementation and pre-startup review, close, cancel, add
   * tasks and checks, raise a check again. Its requester and owner (holding `proposeChange`) may as well.
   */
  steerChange: ['supervisor'],
  /** SUBMITTED → IN_REVIEW. */
  startReview: ['supervisor', 'hse'],
  /** Approve or reject for the OPERATIONS role. */
  approveOperations: ['supervisor'],
  /** Approve or reject for the ENGINEERING role. */
  approveEngineering: ['supervisor', 'verifier'],
  /** Approve or reject for the SAFETY role. */
  approveSafety: ['hse'],
  /**
   * Authorize start-up once every pre-startup check is verified done: an operations or engineering lead (the
   * roles that approve for OPERATIONS and ENGINEERING), never the change's requester or owner.
   */
  authorizeStartup: ['supervisor', 'verifier'],
} satisfies Record<string, Role[]>;

export type ChangePermission = keyof typeof CHANGE_PERMISSIONS;

/** Which permission decides for each approver role. */
export const APPROVER_PERMISSION: Record<ApproverRole, ChangePermission> = {
  OPERATIONS: 'approveOperations',
  ENGINEERING: 'approveEngineering',
  SAFETY: 'approveSafety',
};

export const requirePermission = (caller: Caller, permission: ChangePermission) => requireRole(caller, ...CHANGE_PERMISSIONS[permission]);

export const hasPermission = (caller: Caller, permission: ChangePermission) => hasRole(caller, 'administrator', ...CHANGE_PERMISSIONS[permission]);
