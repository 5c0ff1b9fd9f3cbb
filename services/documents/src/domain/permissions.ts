import type { Role } from '@opsgraph/core';

/**
 * Who may do what in Documents, in one table: the domain functions check it, the README documents it and
 * the role-matrix test walks it. Administrators may do everything; scope (the sites holding a document or
 * where it applies) and "never approve a revision one wrote, edited or submitted" apply on top of roles.
 */
export const DOCUMENT_PERMISSIONS = {
  /**
   * Document control: register and change documents, draft, edit, submit, return and approve revisions
   * (never one the caller wrote, edited or submitted), ask for reviews.
   */
  controlDocuments: ['supervisor', 'hse'],
  /** Acknowledge ("read and understood") an approved revision, for oneself: everyone who does work. */
  acknowledge: ['operator', 'technician', 'supervisor', 'verifier', 'permit_issuer', 'hse', 'contractor'],
  /** See other people's acknowledgements (pending or done); everyone sees their own. */
  seeAcknowledgementsOfOthers: ['supervisor', 'hse', 'auditor'],
  /** Read the audit trail (`documentsAuditTrail`). */
  readAudit: ['auditor'],
} satisfies Record<string, Role[]>;
