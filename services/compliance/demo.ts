import type { SeedDemo } from '@opsgraph/testing';

const DAY = 86_400_000;

/**
 * Compliance on the demo plant, so the site status shows met, due and overdue with the work behind each:
 *  - a yearly pressure vessel inspection of V-101 coming due in 20 days: its inspection is raised in Work;
 *  - a yearly boiler safety valve test of B-100 overdue by 3 days (its inspection raised, not done);
 *  - a monthly extinguisher check in utilities, inspected and verified in Work: MET, with the evidence;
 *  - a statutory test before handover of repaired pumps: the P-301 seal job carries a compliance check;
 *  - an audit of utilities with a MAJOR finding against the vessel requirement and two open corrective actions.
 */
export const seedDemo: SeedDemo = async ({ query, people, plant, eventually, whenKnown, log }) => {
  const p = people;
  const requirement = async (input: Record<string, unknown>) =>
    (await whenKnown(() => query(`mutation($i: CreateRequirementInput!) { createRequirement(input: $i) { id reference } }`, { i: { siteIds: [plant.siteId], source: 'REGULATION', ...input } }, p.hse))).createRequirement as { id: string };
  const inspectionOf = (id: string) =>
    eventually(async () => (await query(`query($id: ID!) { requirement(id: $id) { obligations { workItem { id status } } } }`, { id })).requirement.obligations[0]?.workItem as { id: string; status: string } | undefined);

  const vessel = await requirement({
    reference: 'Pressure Equipment Directive 2014/68/EU',
    clause: 'Annex I 3.3',
    title: 'Yearly inspection of the compressed air receiver',
    text: 'Pressure vessels are inspected externally every year by a competent person; safety valve set pressure is verified.',
    assetIds: [plant.assets.vessel],
    assetClasses: ['pressure_vessel'],
    recurrenceMonths: 12,
    leadDays: 30,
    firstDueAt: new Date(Date.now() + 20 * DAY).toISOString(),
    acceptanceCriteria: 'No corrosion or damage; safety valve lifts between 9.5 and 10.5 bar',
    evidence: [
      { kind: 'MEASUREMENT', label: 'Safety valve set pressure', unit: 'bar', min: 9.5, max: 10.5 },
      { kind: 'DOCUMENT', label: 'Inspection report' },
    ],
    ownerId: p.technician2.id,
  });
  await requirement({
    reference: 'Boiler safety regulation',
    clause: '§ 12',
    title: 'Yearly safety valve test of the steam boiler',
    text: 'Boiler safety valves are tested every year.',
    assetIds: [plant.assets.boiler],
    recurrenceMonths: 12,
    leadDays: 30,
    firstDueAt: new Date(Date.now() - 3 * DAY).toISOString(),
    acceptanceCriteria: 'Safety valve lifts at its set pressure and reseats',
    evidence: [{ kind: 'MEASUREMENT', label: 'Lift pressure', unit: 'bar', min: 11, max: 12 }],
    ownerId: p.technician.id,
  });
  const extinguishers = await requirement({
    reference: 'GRN-HSE-007',
    title: 'Monthly fire extinguisher check in utilities',
    text: 'Every extinguisher in the area is present, sealed and in pressure range.',
    source: 'INTERNAL',
    areaIds: [plant.areas.utilities],
    recurrenceMonths: 1,
    leadDays: 7,
    firstDueAt: new Date(Date.now() + 2 * DAY).toISOString(),
    acceptanceCriteria: 'All extinguishers present, sealed, gauge in the green',
    evidence: [{ kind: 'CHECKLIST', label: 'Extinguisher check', questions: ['All present?', 'Seals intact?', 'Gauges in the green?'] }],
    ownerId: p.operator.id,
  });
  await requirement({
    reference: 'BetrSichV',
    clause: '§ 15',
    title: 'Test of repaired pumps before handover',
    text: 'A pump in hazardous service is pressure and leak tested by a qualified person after repair, before it is handed back.',
    assetClasses: ['pump'],
    workTypes: ['MAINTENANCE'],
    workCheck: 'Pressure and leak test by a qualified person before handover',
    acceptanceCriteria: 'Test passed and recorded',
  });

  // The extinguisher check is carried out and verified in Work: that requirement is met, with the evidence.
  const check = await inspectionOf(extinguishers.id);
  await eventually(async () => (await query(`query($id: ID!) { workItem(id: $id) { status } }`, { id: check.id })).workItem.status === 'READY');
  await query(`mutation($id: ID!) { startWork(id: $id) { id } }`, { id: check.id }, p.operator);
  await query(`mutation($id: ID!, $e: [EvidenceInput!]!) { completeWork(id: $id, evidence: $e) { id } }`, {
    id: check.id,
    e: [{ kind: 'CHECKLIST', label: 'Extinguisher check', answers: [{ question: 'All present?', answer: 'yes, 6 of 6' }, { question: 'Seals intact?', answer: 'yes' }, { question: 'Gauges in the green?', answer: 'yes' }] }],
  }, p.operator);
  await query(`mutation($id: ID!) { verifyWork(id: $id, accept: true) { id } }`, { id: check.id }, p.supervisor);
  await inspectionOf(vessel.id);

  const { recordAudit: audit } = await whenKnown(() => query(`mutation($i: RecordAuditInput!) { recordAudit(input: $i) { id number } }`, {
    i: { title: 'Utilities pressure systems audit', siteId: plant.siteId, areaIds: [plant.areas.utilities], scope: 'Pressure vessels, boilers and their inspection records', auditDate: new Date(Date.now() - 2 * DAY).toISOString() },
  }, p.auditor));
  const { recordAuditFinding: finding } = await query(`mutation($i: RecordAuditFindingInput!) { recordAuditFinding(input: $i) { id number } }`, {
    i: {
      auditId: audit.id,
      severity: 'MAJOR',
      requirementId: vessel.id,
      areaId: plant.areas.utilities,
      assetId: plant.assets.vessel,
      description: 'V-101 safety valve has no test tag; last test certificate could not be found.',
      correctiveActions: [
        {
          title: 'Test and tag the V-101 safety valve',
          ownerId: p.technician2.id,
          dueAt: new Date(Date.now() + 7 * DAY).toISOString(),
          // The proof Work will ask for; the second action takes the default (a record and a signature).
          requiredOutcome: {
            acceptanceCriteria: 'Safety valve lifts within its set pressure and carries a test tag',
            evidence: [
              { kind: 'MEASUREMENT', label: 'Lift pressure', unit: 'bar', min: 9.5, max: 10.5 },
              { kind: 'DOCUMENT', label: 'Test certificate' },
              { kind: 'PHOTO', label: 'Test tag fitted' },
            ],
          },
        },
        { title: 'File safety valve certificates in the inspection record', ownerId: p.hse.id, dueAt: new Date(Date.now() + 14 * DAY).toISOString() },
      ],
    },
  }, p.auditor);

  const status = await eventually(async () => {
    const s = (await query(`query($s: ID!) { complianceStatus(siteId: $s) { met due overdue } }`, { s: plant.siteId })).complianceStatus;
    return s.met >= 1 && s.overdue >= 1 && s.due >= 1 && s;
  });
  await eventually(async () => (await query(`query($id: ID!) { auditFinding(id: $id) { actions { id } } }`, { id: finding.id })).auditFinding.actions.length === 2);
  log(`compliance: ${status.met} met, ${status.due} due, ${status.overdue} overdue at GRN (V-101 inspection raised); ${finding.number} MAJOR with 2 open corrective actions`);
};
