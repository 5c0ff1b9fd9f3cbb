import type { SeedDemo } from '@opsgraph/testing';

const DAY = 86_400_000;

/**
 * Three changes on the demo plant:
 *  - MOC "fail-closed infeed valve on FL-303": approved by operations, engineering and safety, its
 *    implementation task verified done in Work, now in PRE_STARTUP_REVIEW with three open pre-startup
 *    checks on line 3, so "may we restart line 3?" answers no and lists them. Its leak test needs a permit:
 *    its work item is blocked ("valid permit") and a line-breaking permit naming it is REQUESTED, not issued;
 *  - MOC "dosing pump stroke limit on line 1": its one pre-startup check verified done, so "may we restart
 *    line L1?" answers that start-up awaits authorization and who may give it (README: the authorization step);
 *  - a TEMPORARY change (bypass of the CV-302 tail guard interlock) in review, so open work on the
 *    conveyor carries a "change approved" blocker.
 */
export const seedDemo: SeedDemo = async ({ query, people, plant, eventually, whenKnown, log }) => {
  const p = people;
  const create = async (input: Record<string, unknown>) =>
    (await whenKnown(() => query(`mutation($i: CreateChangeRequestInput!) { createChangeRequest(input: $i) { id number } }`, { i: { siteIds: [plant.siteId], ...input } }, p.technician))).createChangeRequest as { id: string; number: string };
  const step = (mutation: string, id: string, caller: typeof p.admin) => query(`mutation($id: ID!) { ${mutation}(id: $id) { status } }`, { id }, caller);
  const decide = (id: string, role: string, caller: typeof p.admin, comment: string) =>
    query(`mutation($id: ID!, $r: ChangeApproverRole!, $c: String) { approveChangeRequest(id: $id, role: $r, comment: $c) { status } }`, { id, r: role, c: comment }, caller);
  const run = async (workItemId: string, evidence: unknown[]) => {
    await query(`mutation($id: ID!) { startWork(id: $id) { id } }`, { id: workItemId }, p.technician);
    await query(`mutation($id: ID!, $e: [EvidenceInput!]!) { completeWork(id: $id, evidence: $e) { id } }`, { id: workItemId, e: evidence }, p.technician);
    await query(`mutation($id: ID!) { verifyWork(id: $id, accept: true) { id } }`, { id: workItemId }, p.verifier);
  };

  const valve = await create({
    title: 'Fail-closed infeed valve on filler FL-303',
    description: 'Replace the manual infeed valve of FL-303 by an actuated valve that closes on loss of air or power.',
    type: 'PERMANENT',
    reason: 'Two product spills last quarter when the manual valve was left open during a stop.',
    areaIds: [plant.areas.packaging],
    lineIds: [plant.lines.line3],
    assetIds: [plant.assets.filler],
    riskAssessment: 'Line breaking on a product line: isolate, drain and blind before work; new valve is SIL-rated for the shutdown function.',
    riskRating: 'HIGH',
    ownerId: p.engineer.id,
    requiredApproverRoles: ['OPERATIONS', 'ENGINEERING', 'SAFETY'],
    tasks: [
      {
        title: 'Fit fail-closed infeed valve on FL-303',
        assetId: plant.assets.filler,
        ownerId: p.technician.id,
        dueAt: new Date(Date.now() + DAY).toISOString(),
        // Work will not take the task as done without this proof.
        requiredOutcome: {
          acceptanceCriteria: 'Actuated valve fitted as on the P&ID; closes on loss of instrument air within 2 s',
          evidence: [
            { kind: 'PHOTO', label: 'New valve fitted' },
            { kind: 'MEASUREMENT', label: 'Closing time on air loss', unit: 's', min: 0, max: 2 },
            { kind: 'SIGNATURE', label: 'Implemented as approved' },
          ],
        },
      },
    ],
    preStartupChecks: [
      {
        title: 'Inspect line 3 before restart',
        whatChanged: 'New actuated infeed valve on FL-303 and its air supply',
        lineId: plant.lines.line3,
        permitRequired: false,
        ownerId: p.operator.id,
        confirmations: ['Guards on FL-303 refitted?', 'No tools or blanks left in the line?', 'Area clean and walkways clear?'],
      },
      {
        title: 'Leak and function test of the new valve',
        whatChanged: 'Flanged joints broken and remade at the FL-303 infeed',
        assetId: plant.assets.filler,
        permitRequired: true,
        permitNote: 'line breaking permit for the test with product',
        ownerId: p.technician.id,
        confirmations: ['No leak at 6 bar for 10 minutes?', 'Valve closes on loss of instrument air?'],
      },
      {
        title: 'Operators briefed on the new valve',
        whatChanged: 'Infeed valve is now operated from the HMI; manual handle removed',
        lineId: plant.lines.line3,
        permitRequired: false,
        ownerId: p.supervisor.id,
        confirmations: ['Shift A briefed and signed?', 'Shift B briefed and signed?'],
      },
    ],
  });
  await step('submitChangeRequest', valve.id, p.technician);
  await step('startChangeReview', valve.id, p.supervisor);
  await decide(valve.id, 'OPERATIONS', p.supervisor, 'Fit during the planned stop on Thursday');
  await decide(valve.id, 'ENGINEERING', p.engineer, 'Valve spec checked against the P&ID');
  await decide(valve.id, 'SAFETY', p.hse, 'Isolation and drain plan agreed');
  await step('startChangeImplementation', valve.id, p.engineer);

  // The implementation task is done and verified in Work before the pre-startup review starts.
  const VIEW = `query($id: ID!) { changeRequest(id: $id) { tasks { workStatus workItem { id } } preStartupChecks { workItem { id } } } }`;
  const taskItem = await eventually(async () => (await query(VIEW, { id: valve.id })).changeRequest.tasks[0].workItem?.id as string | undefined);
  await eventually(async () => (await query(`query($id: ID!) { workItem(id: $id) { status } }`, { id: taskItem })).workItem.status === 'READY');
  await run(taskItem, [
    { kind: 'PHOTO', label: 'New valve fitted', url: 'https://files.example.com/demo/fl303-infeed-valve.jpg' },
    { kind: 'MEASUREMENT', label: 'Closing time on air loss', value: 1.2, unit: 's' },
    { kind: 'SIGNATURE', label: 'Implemented as approved', text: p.technician.name },
  ]);
  await eventually(async () => (await query(VIEW, { id: valve.id })).changeRequest.tasks[0].workStatus === 'DONE');
  await step('startPreStartupReview', valve.id, p.engineer);
  await eventually(async () => (await query(VIEW, { id: valve.id })).changeRequest.preStartupChecks.every((c: { workItem: unknown }) => c.workItem));

  const bypass = await create({
    title: 'Temporary bypass of the CV-302 tail guard interlock',
    description: 'Jumper the tail guard interlock of CV-302 while the guard panel is on order; a fixed barrier stands in.',
    type: 'TEMPORARY',
    endDate: new Date(Date.now() + 14 * DAY).toISOString(),
    reason: 'Guard panel GP-12 is back-ordered; the line must run for the customer order due this week.',
    lineIds: [plant.lines.line3],
    assetIds: [plant.assets.conveyor],
    riskAssessment: 'Fixed barrier and sign at the tail pulley; daily check by the shift leader.',
    riskRating: 'MEDIUM',
    requiredApproverRoles: ['OPERATIONS', 'SAFETY'],
  });
  await step('submitChangeRequest', bypass.id, p.technician);
  await step('startChangeReview', bypass.id, p.supervisor);
  await decide(bypass.id, 'OPERATIONS', p.supervisor, 'Needed for the customer order');

  // The leak test needs a permit: a line-breaking permit naming its work item, requested (issuing it is the
  // permit issuer's step), so the check shows both "valid permit" blockers.
  const leakTest = await eventually(async () => {
    const { changeRequest } = await query(`query($id: ID!) { changeRequest(id: $id) { preStartupChecks { permitRequired workItem { id } } } }`, { id: valve.id });
    return changeRequest.preStartupChecks.find((c: { permitRequired: boolean }) => c.permitRequired)?.workItem?.id as string | undefined;
  });
  const { site } = await query(`query($id: ID!) { site(id: $id) { code } }`, { id: plant.siteId });
  const permit = (await whenKnown(() => query(`mutation($i: CreatePermitInput!) { createPermit(input: $i) { id number } }`, {
    i: {
      type: 'LINE_BREAKING',
      description: 'Leak and function test of the new FL-303 infeed valve with product',
      siteId: plant.siteId,
      siteCode: site.code,
      areaId: plant.areas.packaging,
      assetIds: [plant.assets.filler],
      workItemIds: [leakTest],
      validTo: new Date(Date.now() + 12 * 3600_000).toISOString(),
      precautions: ['Line drained and flushed before the joint is opened', 'Drip tray under the flanges'],
      isolations: [{ assetId: plant.assets.filler, point: 'FL-303 infeed block valve XV-303', method: 'VALVE_LOCKED_CLOSED' }],
    },
  }, p.supervisor))).createPermit as { id: string; number: string };
  await query(`mutation($id: ID!) { requestPermit(id: $id) { id } }`, { id: permit.id }, p.supervisor);

  // A small change on line 1 whose pre-startup review is done: start-up awaits its authorization.
  const dosing = await create({
    title: 'Stroke limit on the line 1 dosing pump',
    description: 'Fit a mechanical stroke limiter on the caustic dosing pump of line 1 so it cannot overdose at full stroke.',
    type: 'PERMANENT',
    reason: 'An operator set full stroke during a CIP and the caustic concentration went out of specification.',
    areaIds: [plant.areas.process],
    lineIds: [plant.lines.line1],
    riskAssessment: 'Mechanical change only; the pump is isolated and flushed before fitting.',
    riskRating: 'MEDIUM',
    ownerId: p.engineer.id,
    requiredApproverRoles: ['OPERATIONS', 'SAFETY'],
    preStartupChecks: [
      {
        title: 'Dosing rate check on line 1',
        whatChanged: 'Stroke limiter fitted on the line 1 dosing pump',
        lineId: plant.lines.line1,
        permitRequired: false,
        ownerId: p.operator.id,
        confirmations: ['Limiter locked at 60 % stroke?', 'Dosing rate within 2-3 l/h at full setting?'],
      },
    ],
  });
  await step('submitChangeRequest', dosing.id, p.technician);
  await step('startChangeReview', dosing.id, p.supervisor);
  await decide(dosing.id, 'OPERATIONS', p.supervisor, 'Fit at the next CIP');
  await decide(dosing.id, 'SAFETY', p.hse, 'Agreed; caustic handling as per SOP');
  await step('startChangeImplementation', dosing.id, p.engineer);
  await step('startPreStartupReview', dosing.id, p.engineer);
  const rateCheck = await eventually(async () => (await query(VIEW, { id: dosing.id })).changeRequest.preStartupChecks[0].workItem?.id as string | undefined);
  await eventually(async () => (await query(`query($id: ID!) { workItem(id: $id) { status } }`, { id: rateCheck })).workItem.status === 'READY');
  await run(rateCheck, [
    { kind: 'CHECKLIST', label: 'Pre-startup confirmations', answers: [{ question: 'Limiter locked at 60 % stroke?', answer: 'yes, sealed' }, { question: 'Dosing rate within 2-3 l/h at full setting?', answer: 'yes, 2.6 l/h' }] },
    { kind: 'SIGNATURE', label: 'Released for restart', text: 'Olga Operator' },
  ]);
  await eventually(async () => {
    const r = (await query(`query($s: ID!) { restartReadiness(siteId: $s, lineCode: "L1") { blockers { kind } } }`, { s: plant.siteId })).restartReadiness;
    return r.blockers.length === 1 && r.blockers[0].kind === 'AWAITING_STARTUP_AUTHORIZATION';
  });

  const readiness = await eventually(async () => {
    const r = (await query(`query($l: ID!) { restartReadiness(lineId: $l) { mayRestart blockers { kind } } }`, { l: plant.lines.line3 })).restartReadiness;
    return r.blockers.length === 4 && r;
  });
  await eventually(async () => {
    const { workItem } = await query(`query($id: ID!) { workItem(id: $id) { blockers { kind } } }`, { id: plant.workItems.conveyorGuard });
    return workItem.blockers.some((b: { kind: string }) => b.kind === 'CHANGE_APPROVED');
  });
  log(`change: ${valve.number} in PRE_STARTUP_REVIEW with 3 open checks (may restart line 3: ${readiness.mayRestart ? 'yes' : 'no'}), its leak test waits for ${permit.number}; ${dosing.number} awaits start-up authorization on line 1; ${bypass.number} temporary bypass IN_REVIEW, CV-302 work waits for its approval`);
};
