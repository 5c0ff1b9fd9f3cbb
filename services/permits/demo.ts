import type { SeedDemo } from '@opsgraph/testing';

const HOUR = 3600_000;

/**
 * Two permits on the demo plant: a hot-work permit for the P-301 seal job with its isolations applied,
 * verified and ISSUED (the job may go on), and a confined-space permit for the V-101 inspection still
 * REQUESTED (no gas test yet), so that item shows blocked by "valid permit" on the board.
 */
export const seedDemo: SeedDemo = async ({ query, people, plant, eventually, whenKnown, log }) => {
  const { site } = await query(`query($id: ID!) { site(id: $id) { code } }`, { id: plant.siteId });
  const create = async (input: Record<string, unknown>) =>
    (await whenKnown(() => query(`mutation($i: CreatePermitInput!) { createPermit(input: $i) { id number isolations { id } } }`, { i: { siteId: plant.siteId, siteCode: site.code, ...input } }, people.supervisor))).createPermit;
  const step = (mutation: string, id: string, caller: typeof people.admin, args = '') => query(`mutation($id: ID!) { ${mutation}(id: $id${args}) { id } }`, { id }, caller);

  const hotWork = await create({
    type: 'HOT_WORK',
    description: 'Replace mechanical seal on P-301; grind and weld the discharge flange bracket',
    areaId: plant.areas.packaging,
    assetIds: [plant.assets.pump],
    workItemIds: [plant.workItems.sealReplacement],
    performingAuthorityId: people.technician.id,
    validTo: new Date(Date.now() + 10 * HOUR).toISOString(),
    precautions: ['Fire watch during and 30 minutes after hot work', 'Combustibles removed within 10 m', 'Extinguisher at the job'],
    conditions: 'Stop on any gas alarm in the packaging hall.',
    isolations: [
      { assetId: plant.assets.pump, point: 'MCC-3 breaker 12 (P-301 motor)', method: 'ELECTRICAL_LOCKOUT', tag: 'L-041' },
      { assetId: plant.assets.pump, point: 'Suction valve XV-301', method: 'VALVE_LOCKED_CLOSED', tag: 'L-042' },
    ],
  });
  await step('requestPermit', hotWork.id, people.supervisor);
  await step('approvePermit', hotWork.id, people.hse);
  for (const isolation of hotWork.isolations) {
    await step('applyIsolation', isolation.id, people.technician);
    await step('verifyIsolation', isolation.id, people.permitIssuer); // someone other than who applied it
  }
  await step('issuePermit', hotWork.id, people.permitIssuer); // never the requester

  const confinedSpace = await create({
    type: 'CONFINED_SPACE',
    description: 'Enter the V-101 air receiver for the internal visual inspection',
    areaId: plant.areas.utilities,
    assetIds: [plant.assets.vessel],
    workItemIds: [plant.workItems.vesselInspection],
    validTo: new Date(Date.now() + 24 * HOUR).toISOString(),
    precautions: ['Continuous gas monitoring', 'Standby person at the manway', 'Rescue tripod rigged'],
    isolations: [{ assetId: plant.assets.vessel, point: 'Inlet valve XV-101 blinded', method: 'BLIND_OR_SPADE' }],
  });
  await step('requestPermit', confinedSpace.id, people.supervisor);

  await eventually(async () => {
    const { seal, vessel } = await query(`query($s: ID!, $v: ID!) {
      seal: workItem(id: $s) { prerequisites { kind state } }
      vessel: workItem(id: $v) { blockers { kind } }
    }`, { s: plant.workItems.sealReplacement, v: plant.workItems.vesselInspection });
    const permitOf = (list: { kind: string; state?: string }[]) => list.filter((p) => p.kind === 'PERMIT_VALID');
    return permitOf(seal.prerequisites).some((p) => p.state === 'SATISFIED') && permitOf(vessel.blockers).length > 0;
  });
  log(`permits: ${hotWork.number} hot work ISSUED with 2 verified isolations on P-301; ${confinedSpace.number} confined space REQUESTED, V-101 inspection blocked`);
};
