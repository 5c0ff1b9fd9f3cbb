import type { Role } from '@opsgraph/core';

/**
 * Who may do what in Competence, in one table: the domain functions check it, the README documents it and
 * the role-matrix test walks it. Administrators may do everything; scope (the people of one's sites, a
 * contractor's own company) and "nobody vouches for themselves" apply on top of roles.
 */
export const COMPETENCE_PERMISSIONS = {
  /** Register people and change their name, company, roles and sites (within one's own sites). */
  managePeople: ['hse', 'supervisor'],
  /** Define qualifications and what work, asset classes and permit types demand them. */
  manageQualifications: ['hse'],
  /** Grant and renew someone's competence (never one's own). */
  grantCompetence: ['hse', 'supervisor'],
  /** Revoke someone's competence (never one's own). */
  revokeCompetence: ['hse'],
  /** Read the audit trail (`competenceAuditTrail`). */
  readAudit: ['auditor'],
} satisfies Record<string, Role[]>;
