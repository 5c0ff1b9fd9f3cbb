import type { SeedDemo } from '@opsgraph/testing';

const DAY = 86_400_000;

/**
 * Two changes on the demo plant:
 *  - MOC "fail-closed infeed valve on FL-303": approved by operations, engineering and safety, its
 *    implementation task verified done in Work, now in PRE_STARTUP_REVIEW with three open pre-startup
 *    checks on line 3, so "may we restart line 3?" answers no and lists them;
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
    tasks: [{ title: 'Fit fail-closed infeed valve on FL-303', assetId: plant.assets.filler, ownerId: p.technician.id, dueAt: new Date(Date.now() + DAY).toISOString() }],
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
  await run(taskItem, []);
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

  const readiness = await eventually(async () => {
    const r = (await query(`query($l: ID!) { restartReadiness(lineId: $l) { mayRestart blockers { kind } } }`, { l: plant.lines.line3 })).restartReadiness;
    return r.blockers.length === 4 && r;
  });
  await eventually(async () => {
    const { workItem } = await query(`query($id: ID!) { workItem(id: $id) { blockers { kind } } }`, { id: plant.workItems.conveyorGuard });
    return workItem.blockers.some((b: { kind: string }) => b.kind === 'CHANGE_APPROVED');
  });
  log(`change: ${valve.number} in PRE_STARTUP_REVIEW with 3 open checks (may restart line 3: ${readiness.mayRestart ? 'yes' : 'no'}); ${bypass.number} temporary bypass IN_REVIEW, CV-302 work waits for its approval`);
};
