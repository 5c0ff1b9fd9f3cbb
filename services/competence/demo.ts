import type { SeedDemo } from '@opsgraph/testing';

const DAY = 24 * 3600_000;
const daysAgo = (n: number) => new Date(Date.now() - n * DAY).toISOString();
const daysFromNow = (n: number) => new Date(Date.now() + n * DAY).toISOString();

/**
 * The demo plant's people as Person records, their qualifications and what the work demands: most are
 * in date, some expire within the month (EXPIRING), and the scaffold contractor's site induction has
 * lapsed, so the board shows his job blocked by a competence prerequisite.
 */
export const seedDemo: SeedDemo = async ({ query, people, plant, eventually, whenKnown, log }) => {
  for (const p of Object.values(people)) {
    await whenKnown(() => query(`mutation($i: RegisterPersonInput!) { registerPerson(input: $i) { id } }`, {
      i: { id: p.id, name: p.name, company: p.company ?? 'Greenfield Foods', roles: p.roles, siteIds: p.sites.includes('*') ? ['*'] : p.sites },
    }, people.hse));
  }

  const qualifications = [
    { code: 'PUMP-MECH', name: 'Pump mechanical seal fitting', validityMonths: 24, requiredFor: { assetClass: 'pump' } },
    { code: 'PV-INSPECT', name: 'Pressure vessel inspection', validityMonths: 60, requiredFor: { assetClass: 'pressure_vessel' } },
    { code: 'HOT-WORK', name: 'Hot work (welding and cutting)', validityMonths: 12, requiredFor: { permitType: 'HOT_WORK' } },
    { code: 'CONF-SPACE', name: 'Confined space entry', validityMonths: 12, requiredFor: { permitType: 'CONFINED_SPACE' } },
    { code: 'SITE-INDUCT', name: 'Contractor site safety induction', validityMonths: 12, requiredFor: { workType: 'CONTRACTOR_JOB' } },
  ];
  for (const q of qualifications) {
    await query(`mutation($i: CreateQualificationInput!) { createQualification(input: $i) { id } }`, { i: { code: q.code, name: q.name, validityMonths: q.validityMonths } }, people.hse);
  }

  const grant = (personId: string, code: string, achievedAt: string, expiresAt?: string) =>
    query(`mutation($i: GrantCompetenceInput!) { grantCompetence(input: $i) { id } }`, { i: { personId, qualificationCode: code, achievedAt, expiresAt, evidence: `training record ${code}` } }, people.hse);
  await grant(people.technician.id, 'PUMP-MECH', daysAgo(180));
  await grant(people.technician.id, 'HOT-WORK', daysAgo(345), daysFromNow(20)); // EXPIRING: renew this month
  await grant(people.technician.id, 'CONF-SPACE', daysAgo(60));
  await grant(people.technician2.id, 'PV-INSPECT', daysAgo(400));
  await grant(people.technician2.id, 'PUMP-MECH', daysAgo(720), daysFromNow(10)); // EXPIRING
  await grant(people.operator.id, 'CONF-SPACE', daysAgo(30));
  await grant(people.contractor.id, 'SITE-INDUCT', daysAgo(395)); // lapsed a month ago: his job is blocked

  // Requirements last, so each open item is weighed once against records that already exist.
  for (const q of qualifications) {
    await query(`mutation($i: QualificationRequirementInput!) { addQualificationRequirement(input: $i) { id } }`, { i: { qualificationCode: q.code, ...q.requiredFor } }, people.hse);
  }

  const scaffold = plant.workItems.scaffold;
  await eventually(async () => {
    const { workItem } = await query(`query($id: ID!) { workItem(id: $id) { blockers { kind } } }`, { id: scaffold });
    return workItem.blockers.some((b: { kind: string }) => b.kind === 'COMPETENCE_HELD');
  });
  log('competence: 11 people, 5 qualifications (2 records expiring this month), scaffold job blocked: contractor induction lapsed');
};
