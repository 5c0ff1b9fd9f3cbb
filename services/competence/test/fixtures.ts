import { knowPlaces, ok, people, person, startTestService, type TestService } from '@opsgraph/testing';
import { service as workService } from '../../work/src/service';
import { service } from '../src/service';

export { seedPlant, type Plant } from '../../work/test/fixtures';

export const crew = {
  ...people,
  hse: person('00000000-0000-4000-8000-0000000000b1', 'hse'),
  hse2: person('00000000-0000-4000-8000-0000000000b2', 'hse'),
};

export async function startCompetence() {
  return startTestService(service);
}

/** Work with its consumer and relay: competence's prerequisites land on real work items. */
export async function startWorkService() {
  return startTestService(workService);
}

export const PERSON_FIELDS = 'id name registered company contractor roles allSites sites { id } competenceRecords { id status qualification { code } expiresAt }';
export const RECORD_FIELDS = 'id status achievedAt expiresAt evidence revokedReason person { id } qualification { code } grantedBy { id } revokedBy { id }';

/** Makes sites known to competence's copy of Work's registry, as Work's `location.registered` events would (tests without Work). */
export const knowSites = (competence: Pick<TestService, 'db'>, ...siteIds: string[]) => knowPlaces(competence.db, ...siteIds.map((siteId) => ({ siteId })));

export async function registerPerson(competence: TestService, input: { id: string; name: string; company?: string | null; roles: string[]; siteIds: string[] }, caller = crew.hse) {
  return ok(await competence.query(`mutation($i: RegisterPersonInput!) { registerPerson(input: $i) { ${PERSON_FIELDS} } }`, { i: input }, caller)).registerPerson;
}

export async function createQualification(competence: TestService, code: string, name: string, validityMonths: number | null = 24) {
  return ok(await competence.query(`mutation($i: CreateQualificationInput!) { createQualification(input: $i) { id code name validityMonths } }`, { i: { code, name, validityMonths } }, crew.hse)).createQualification;
}

export async function requireQualification(competence: TestService, input: { qualificationCode: string; workType?: string; assetClass?: string; permitType?: string }) {
  return ok(await competence.query(`mutation($i: QualificationRequirementInput!) { addQualificationRequirement(input: $i) { id workType assetClass permitType qualification { code } } }`, { i: input }, crew.hse)).addQualificationRequirement;
}

export async function grant(competence: TestService, personId: string, qualificationCode: string, achievedAt: Date, extra: Record<string, unknown> = {}, caller = crew.hse) {
  return competence.query(`mutation($i: GrantCompetenceInput!) { grantCompetence(input: $i) { ${RECORD_FIELDS} } }`, { i: { personId, qualificationCode, achievedAt: achievedAt.toISOString(), ...extra } }, caller);
}

export const monthsAgo = (n: number) => {
  const d = new Date();
  d.setUTCMonth(d.getUTCMonth() - n);
  return d;
};
export const daysFromNow = (n: number) => new Date(Date.now() + n * 24 * 3600_000);
