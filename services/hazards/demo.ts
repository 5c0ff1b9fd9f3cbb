import type { SeedDemo } from '@opsgraph/testing';

const HOUR = 3600_000;

/**
 * Hazards on the demo plant:
 *  - a register of three hazards (V-101 confined space atmosphere, CV-302 entanglement, hot CIP caustic);
 *  - a job risk assessment of Tina's CV-302 guard job: the lock-out is confirmed with evidence, the
 *    barrier is not yet, so the item shows a "hazard control in place" blocker;
 *  - an open incident (caustic spill at the FL-303 filler, under investigation by Eli) with a corrective
 *    and a preventive action: two CORRECTIVE_ACTION work items with the incident as their source.
 */
export const seedDemo: SeedDemo = async ({ query, people, plant, eventually, whenKnown, log }) => {
  const hazard = async (input: Record<string, unknown>) =>
    (await whenKnown(() => query(`mutation($i: RegisterHazardInput!) { registerHazard(input: $i) { id } }`, { i: { siteId: plant.siteId, ...input } }, people.hse))).registerHazard.id as string;
  await hazard({
    title: 'Oxygen-deficient or toxic atmosphere inside V-101',
    assetId: plant.assets.vessel,
    workTypes: ['INSPECTION', 'MAINTENANCE'],
    likelihood: 3, severity: 5, residualLikelihood: 1, residualSeverity: 5,
    controls: [
      { kind: 'ISOLATION', description: 'Inlet blinded and vessel vented before entry' },
      { kind: 'GAS_MONITORING', description: 'Continuous O2/LEL/H2S monitor at the manway' },
      { kind: 'SUPERVISION', description: 'Standby person at the manway for the whole entry' },
    ],
  });
  const entanglement = await hazard({
    title: 'Entanglement at the CV-302 tail pulley',
    assetId: plant.assets.conveyor,
    likelihood: 3, severity: 4, residualLikelihood: 1, residualSeverity: 4,
    controls: [
      { kind: 'ISOLATION', description: 'CV-302 drive locked out at MCC-2 and tried' },
      { kind: 'BARRIER', description: 'Hard barrier around the open tail section until the guard is refitted' },
    ],
  });
  await hazard({
    title: 'Hot caustic splashes during CIP',
    areaId: plant.areas.packaging,
    workTypes: ['CLEANING'],
    likelihood: 3, severity: 3, residualLikelihood: 2, residualSeverity: 2,
    controls: [{ kind: 'PPE', description: 'Face shield, chemical gloves and apron' }],
  });

  const assessment = (await whenKnown(() => query(`mutation($i: JobRiskAssessmentInput!) { assessJobRisk(input: $i) { hazards { controls { id kind } } } }`, {
    i: { workItemId: plant.workItems.conveyorGuard, hazards: [{ hazardId: entanglement }], notes: 'Guard panel off since the belt change.' },
  }, people.supervisor))).assessJobRisk;
  const lockout = assessment.hazards[0].controls.find((c: { kind: string }) => c.kind === 'ISOLATION');
  await query(`mutation($id: ID!, $e: HazardControlEvidenceInput!) { confirmHazardControl(id: $id, evidence: $e) { id } }`, {
    id: lockout.id, e: { note: 'MCC-2 breaker 4 locked (lock L-112), start button tried: no movement' },
  }, people.technician2);

  const incident = (await whenKnown(() => query(`mutation($i: ReportIncidentInput!) { reportIncident(input: $i) { id number } }`, {
    i: {
      type: 'SPILL',
      severity: 'MEDIUM',
      occurredAt: new Date(Date.now() - 20 * HOUR).toISOString(),
      siteId: plant.siteId,
      areaId: plant.areas.packaging,
      assetId: plant.assets.filler,
      title: 'Caustic spill at the FL-303 CIP return',
      description: 'Return hose coupling parted during the CIP of batch 2291; about 20 l of 2% caustic on the floor, contained by the bund.',
      peopleInvolvedIds: [people.operator.id],
      // Caustic at head height had the operator been at the bund: the worst credible outcome is an eye injury.
      potentialSeverity: 'HIGH',
      witnesses: [{ personId: people.supervisor.id, statement: 'Saw the hose part at the start of the caustic step' }],
    },
  }, people.operator))).reportIncident;
  await query(`mutation($id: ID!, $p: ID!) { startIncidentInvestigation(id: $id, investigatorId: $p) { id } }`, { id: incident.id, p: people.engineer.id }, people.hse);
  const action = (input: Record<string, unknown>) => query(`mutation($id: ID!, $i: IncidentActionInput!) { addIncidentAction(incidentId: $id, input: $i) { id } }`, { id: incident.id, i: input }, people.engineer);
  await action({
    kind: 'CORRECTIVE',
    title: 'Replace the FL-303 CIP return hose coupling with a locking type',
    ownerId: people.technician.id,
    dueAt: new Date(Date.now() + 72 * HOUR).toISOString(),
    // The proof Work will ask for; the preventive action below takes the default (a record and a signature).
    requiredOutcome: {
      acceptanceCriteria: 'Locking coupling fitted on the CIP return and holds at CIP supply pressure',
      evidence: [
        { kind: 'PHOTO', label: 'Locking coupling fitted' },
        { kind: 'MEASUREMENT', label: 'Hold pressure for 5 minutes', unit: 'bar', min: 3, max: 6 },
        { kind: 'SIGNATURE', label: 'Done and effective' },
      ],
    },
  });
  await action({ kind: 'PREVENTIVE', title: 'Add a coupling check to the CIP start-up checklist', ownerId: people.supervisor.id, dueAt: new Date(Date.now() + 14 * 24 * HOUR).toISOString() });

  await eventually(async () => {
    const { guard, spill } = await query(`query($w: ID!, $i: ID!) {
      guard: workItem(id: $w) { blockers { kind } }
      spill: incident(id: $i) { actions { id } }
    }`, { w: plant.workItems.conveyorGuard, i: incident.id });
    return guard.blockers.some((b: { kind: string }) => b.kind === 'HAZARD_CONTROL_IN_PLACE') && spill.actions.length === 2;
  });
  log(`hazards: register of 3 hazards; CV-302 guard job assessed, barrier not yet confirmed; ${incident.number} under investigation with 2 actions in Work`);
};
