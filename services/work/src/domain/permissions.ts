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
  /** Make the required outcome of work not yet started stricter (never looser). */
  tightenOutcome: ['supervisor'],
  /** Change the details of work not yet started (a move's slot or bay, a punch item's category, a round's route). */
  changeDetails: ['supervisor'],
  /** Describe a recurring job once as a template of its type (items are raised from it by whoever raises work). */
  manageTemplates: ['supervisor'],
  /** Record a round's checkpoints as they are walked. */
  recordRound: ['operator', 'technician', 'supervisor', 'contractor'],
  /** Start a shift handover: the outgoing shift. */
  startHandover: ['operator', 'technician', 'supervisor'],
  /** Accept or refuse a handover: the incoming responsible it names, or a supervisor; never whoever started it. */
  acceptHandover: ['operator', 'technician', 'supervisor'],
  /** Record a standing condition of a place, and clear one (a recorded condition or a flagged shift note). */
  keepConditions: ['operator', 'technician', 'supervisor', 'permit_issuer', 'hse'],
  /** Read the audit trail. */
  readAudit: ['auditor'],
} satisfies Record<string, Role[]>;
