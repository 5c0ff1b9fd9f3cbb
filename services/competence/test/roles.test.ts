import { randomUUID } from 'node:crypto';
import path from 'node:path';
import { ROLES, type Role } from '@opsgraph/core';
import { OutboxEvent } from '@opsgraph/events';
import { describeRoleMatrix, expectError, ok, people, person, startTestGateway, type MatrixCase, type TestGateway, type TestService } from '@opsgraph/testing';
import { COMPETENCE_PERMISSIONS } from '../src/domain/permissions';
import { createQualification, crew, grant, knowSites, monthsAgo, registerPerson, startCompetence } from './fixtures';

/**
 * The role matrix, through the real gateway: every role against every Competence mutation. Allowed calls
 * succeed; the others fail with FORBIDDEN (UNAUTHENTICATED without a token), are on the audit trail as
 * refused, and change nothing.
 */
let competence: TestService;
let gateway: TestGateway;
const site = randomUUID();
let host: string;
let acmeFitter: string;

const idOf = (role: Role) => `0000${ROLES.indexOf(role).toString().padStart(4, '0')}-0000-4000-8000-0000000000c0`;
const callerOf = (role: Role) => person(idOf(role), role, ['*'], role === 'contractor' ? 'Acme' : undefined);

beforeAll(async () => {
  competence = await startCompetence();
  gateway = await startTestGateway({ competence: competence.url });
  await knowSites(competence, site);
  host = (await registerPerson(competence, { id: randomUUID(), name: 'Harriet Host', company: 'Opsgraph Foods', roles: ['technician'], siteIds: [site] })).id;
  acmeFitter = (await registerPerson(competence, { id: randomUUID(), name: 'Alf Acme', company: 'Acme', roles: ['contractor'], siteIds: [site] })).id;
});
afterAll(async () => {
  await gateway?.stop();
  await competence?.stop();
});

const read = async (query: string, variables: Record<string, unknown> = {}) => ok(await competence.query(query, variables, people.admin));
let n = 0;
const code = () => `ROLE-Q${n++}`;
const newPerson = async () => (await registerPerson(competence, { id: randomUUID(), name: `Pat ${n++}`, roles: ['technician'], siteIds: [site] })).id as string;
const newRecord = async () => {
  const q = await createQualification(competence, code(), 'Role qualification');
  const personId = await newPerson();
  return { personId, recordId: ok(await grant(competence, personId, q.code, monthsAgo(2))).grantCompetence.id as string };
};
const personState = (id: string) => read(`query($id: ID!) { person(id: $id) { name company roles sites { id } competenceRecords { id status achievedAt expiresAt revokedReason grantedBy { id } } } }`, { id });
const qualificationState = (c: string) => read(`query($c: String!) { qualification(code: $c) { name requirements { id workType } } }`, { c });

type Case = MatrixCase<keyof typeof COMPETENCE_PERMISSIONS>;

const cases: Record<string, Case> = {
  registerPerson: {
    permission: 'managePeople',
    setup: async () => ({ variables: { i: { id: randomUUID(), name: 'New Starter', roles: ['operator'], siteIds: [site] } }, read: () => read(`{ people(first: 1) { totalCount } }`) }),
    mutation: `mutation($i: RegisterPersonInput!) { registerPerson(input: $i) { id } }`,
  },
  updatePerson: {
    permission: 'managePeople',
    setup: async () => {
      const id = await newPerson();
      return { variables: { id, i: { name: 'Renamed', roles: ['technician', 'operator'] } }, read: () => personState(id) };
    },
    mutation: `mutation($id: ID!, $i: UpdatePersonInput!) { updatePerson(id: $id, input: $i) { id } }`,
  },
  createQualification: {
    permission: 'manageQualifications',
    setup: async () => ({ variables: { i: { code: code(), name: 'Forklift', validityMonths: 36 } }, read: () => read(`{ qualifications { code } }`) }),
    mutation: `mutation($i: CreateQualificationInput!) { createQualification(input: $i) { id } }`,
  },
  addQualificationRequirement: {
    permission: 'manageQualifications',
    setup: async () => {
      const q = await createQualification(competence, code(), 'Role qualification');
      return { variables: { i: { qualificationCode: q.code, workType: 'INSPECTION' } }, read: () => qualificationState(q.code) };
    },
    mutation: `mutation($i: QualificationRequirementInput!) { addQualificationRequirement(input: $i) { id } }`,
  },
  removeQualificationRequirement: {
    permission: 'manageQualifications',
    setup: async () => {
      const q = await createQualification(competence, code(), 'Role qualification');
      const requirement = ok(await competence.query(`mutation($c: String!) { addQualificationRequirement(input: { qualificationCode: $c, assetClass: "crane" }) { id } }`, { c: q.code }, crew.hse));
      return { variables: { id: requirement.addQualificationRequirement.id }, read: () => qualificationState(q.code) };
    },
    mutation: `mutation($id: ID!) { removeQualificationRequirement(id: $id) { id } }`,
  },
  grantCompetence: {
    permission: 'grantCompetence',
    setup: async () => {
      const q = await createQualification(competence, code(), 'Role qualification');
      const personId = await newPerson();
      return { variables: { i: { personId, qualificationCode: q.code, achievedAt: monthsAgo(1).toISOString(), evidence: 'cert 1' } }, read: () => personState(personId) };
    },
    mutation: `mutation($i: GrantCompetenceInput!) { grantCompetence(input: $i) { id } }`,
  },
  renewCompetence: {
    permission: 'grantCompetence',
    setup: async () => {
      const { personId, recordId } = await newRecord();
      return { variables: { id: recordId, i: { achievedAt: new Date().toISOString(), evidence: 'reassessed' } }, read: () => personState(personId) };
    },
    mutation: `mutation($id: ID!, $i: RenewCompetenceInput!) { renewCompetence(id: $id, input: $i) { id } }`,
  },
  revokeCompetence: {
    permission: 'revokeCompetence',
    setup: async () => {
      const { personId, recordId } = await newRecord();
      return { variables: { id: recordId }, read: () => personState(personId) };
    },
    mutation: `mutation($id: ID!) { revokeCompetence(id: $id, reason: "failed reassessment") { id } }`,
  },
};

describeRoleMatrix({
  gateway: () => gateway,
  permissions: COMPETENCE_PERMISSIONS,
  cases,
  schema: path.join(__dirname, '../src/schema.graphql'),
  callerOf,
  auditTrail: 'competenceAuditTrail',
  query: `{ qualifications { code } }`,
  events: () => competence.db.getRepository(OutboxEvent).count(),
  shareRefusedFixtures: true,
  expectData: (data, _c, name) => expect(data[name].id).toEqual(expect.any(String)),
  perRole: (role, caller) => {
    test('reads: people within scope (a contractor only their own company), the catalogue for all, the audit trail for auditors', async () => {
      const names = ok(await gateway.query(`query($s: ID) { people(filter: { siteId: $s }) { totalCount edges { node { id } } } }`, { s: site }, caller)).people;
      const ids = names.edges.map((e: { node: { id: string } }) => e.node.id);
      expect(names.totalCount).toBe(ids.length);
      const hostRes = await gateway.query(`query($id: ID!) { person(id: $id) { name competenceRecords { id } } }`, { id: host }, caller);
      if (role === 'contractor') {
        expect(ids).toEqual([acmeFitter]);
        expectError(hostRes, 'NOT_FOUND');
      } else {
        expect(ids).toEqual(expect.arrayContaining([host, acmeFitter]));
        expect(ok(hostRes).person).toEqual({ name: 'Harriet Host', competenceRecords: [] });
      }
      expect(ok(await gateway.query(`{ qualifications { code } }`, {}, caller)).qualifications.length).toBeGreaterThan(0);
      const trail = await gateway.query(`{ competenceAuditTrail(first: 1) { operation } }`, {}, caller);
      if (role === 'auditor' || role === 'administrator') expect(ok(trail).competenceAuditTrail).toHaveLength(1);
      else expectError(trail, 'FORBIDDEN');
    });
  },
});
