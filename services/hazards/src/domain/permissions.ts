import { hasRole, inSiteScope, isContractorOnly, requireRole, type Caller, type Role } from '@opsgraph/core';

/**
 * Who may do what in hazards and incidents, in one table: the domain functions check it, the README
 * documents it and the role-matrix test walks it. Administrators may do everything; scope (sites, and
 * for contractors the incidents they reported themselves) applies on top of roles.
 */
export const HAZARDS_PERMISSIONS = {
  /** Keep the register: registerHazard, reassessHazard, retireHazard. */
  keepRegister: ['hse', 'supervisor'],
  /** Assess the risk of a job (its controls become blockers on the work item). */
  assessJobRisk: ['supervisor', 'hse', 'permit_issuer', 'technician'],
  /** Confirm with evidence that a job's control is in place. */
  confirmControl: ['operator', 'technician', 'supervisor', 'hse', 'permit_issuer'],
  /** Re-open a confirmed control (it is no longer in place). */
  reopenControl: ['supervisor', 'hse', 'permit_issuer'],
  /** Report an incident (the caller is its reporter). */
  reportIncident: ['operator', 'technician', 'supervisor', 'hse', 'permit_issuer', 'verifier', 'contractor'],
  /**
   * Start an incident's investigation (naming an investigator not involved in it) and close the incident
   * (never one the caller investigated, was involved in, or whose action they own or did).
   */
  manageIncidents: ['hse', 'supervisor'],
  /** Complete an investigation: these roles, and the appointed investigator (never someone involved). */
  completeInvestigation: ['hse'],
  /** Add corrective and preventive actions: these roles, and the appointed investigator. */
  addIncidentAction: ['hse', 'supervisor'],
  /** Reopen a closed incident with a reason (a recurrence, new facts): the investigation, actions, close and check start again. */
  reopenIncident: ['hse', 'supervisor'],
  /** Record potential severity, injuries and witnesses: these roles, and the appointed investigator. */
  recordIncidentDetails: ['hse', 'supervisor'],
  /** See `Incident.peopleInvolved` (personal data): these roles, the investigator and the reporter. */
  seePeopleInvolved: ['hse', 'supervisor'],
} satisfies Record<string, Role[]>;

export type HazardsPermission = keyof typeof HAZARDS_PERMISSIONS;

/** Refuses with FORBIDDEN unless the caller holds one of the permission's roles (or is an administrator). */
export const requirePermission = (caller: Caller, permission: HazardsPermission) => requireRole(caller, ...HAZARDS_PERMISSIONS[permission]);

export const hasPermission = (caller: Caller, permission: HazardsPermission) => hasRole(caller, 'administrator', ...HAZARDS_PERMISSIONS[permission]);

/**
 * Whether the caller may see an incident: its site is in their scope, and a contractor (without a wider
 * role) sees only the incidents they reported themselves. Others are "not found".
 */
export const canSeeIncident = (caller: Caller, incident: { siteId: string; reporterId: string }) =>
  inSiteScope(caller, incident.siteId) && (!isContractorOnly(caller) || incident.reporterId === caller.id);
