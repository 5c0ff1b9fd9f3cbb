import { randomUUID } from 'node:crypto';
import { In } from 'typeorm';
import { createTransport, type Transport } from '@opsgraph/events';
import { eventually, expectError, fakeWork, ok, people, person, startTestGateway, type TestGateway, type TestService } from '@opsgraph/testing';
import { OpenWorkItem } from '../src/entities';
import { PERSON_FIELDS, RECORD_FIELDS, createQualification, crew, grant, knowSites, monthsAgo, registerPerson, requireQualification, startCompetence } from './fixtures';

/**
 * Scope escapes in Competence: people of another site, another contractor company's people and jobs,
 * references made straight to the subgraph, nested records and counts, and changes to people one may
 * not see. Each asserts that nothing leaked and nothing changed. Work is stood in for by its events.
 */
let competence: TestService;
let gateway: TestGateway;
let transport: Transport;
let work: ReturnType<typeof fakeWork>;
const green = randomUUID();
const blue = randomUUID();
const gina = { id: randomUUID(), name: 'Gina Green', company: 'Opsgraph Foods', roles: ['technician'], siteIds: [green] };
const bert = { id: randomUUID(), name: 'Bert Blue', company: 'Opsgraph Foods', roles: ['technician'], siteIds: [blue] };
const alf = { id: randomUUID(), name: 'Alf Acme', company: 'Acme', roles: ['contractor'], siteIds: [green] };
const olga = { id: randomUUID(), name: 'Olga Other', company: 'Other Co', roles: ['contractor'], siteIds: [green] };
let bertRecord: string;
let ginaRecord: string;
const acmeJob = randomUUID();
const otherJob = randomUUID();

/** Someone who may change people and records, at the green site only. */
const greenHse = () => person('0000000c-0000-4000-8000-0000000000f1', ['hse', 'supervisor'], [green]);
const acme = () => person(alf.id, 'contractor', [green], 'Acme');

const job = (workItemId: string, contractorCompany: string, ownerId: string) => ({
  workItemId, number: `GRN-${workItemId.slice(0, 6)}`, workType: 'CONTRACTOR_JOB', status: 'OPEN', siteId: green, areaId: null, lineId: null, assetId: null,
  sourceDomain: 'MANUAL', sourceRecordId: null, ownerId, priority: 'MEDIUM', dueAt: null, contractorCompany, assetClass: 'scaffold',
});

beforeAll(async () => {
  competence = await startCompetence();
  gateway = await startTestGateway({ competence: competence.url });
  await knowSites(competence, green, blue);
  for (const p of [gina, bert, alf, olga]) await registerPerson(competence, p);
  await registerPerson(competence, { id: crew.hse.id, name: 'Hal HSE', roles: ['hse'], siteIds: [blue] }, people.admin);
  await createQualification(competence, 'SCAFF', 'Scaffold erection', 24);
  await requireQualification(competence, { qualificationCode: 'SCAFF', assetClass: 'scaffold' });
  bertRecord = ok(await grant(competence, bert.id, 'SCAFF', monthsAgo(23))).grantCompetence.id;
  ginaRecord = ok(await grant(competence, gina.id, 'SCAFF', monthsAgo(23))).grantCompetence.id;
  ok(await grant(competence, olga.id, 'SCAFF', monthsAgo(1)));
  ok(await grant(competence, alf.id, 'SCAFF', monthsAgo(1)));
  // Two contractor jobs at the green site, as Work announces them.
  transport = createTransport();
  work = fakeWork(transport);
  await work.publish('work_item.created', job(acmeJob, 'Acme', alf.id));
  await work.publish('work_item.created', job(otherJob, 'Other Co', olga.id));
  await eventually(async () => (await competence.db.getRepository(OpenWorkItem).countBy({ workItemId: In([acmeJob, otherJob]) })) === 2);
}, 60_000);
afterAll(async () => {
  await gateway?.stop();
  await transport?.close();
  await competence?.stop();
});

const admin = (query: string, variables: Record<string, unknown> = {}) => competence.query(query, variables, people.admin).then(ok);
const stateOf = async (id: string) => (await admin(`query($id: ID!) { person(id: $id) { ${PERSON_FIELDS} competenceRecords { ${RECORD_FIELDS} } } }`, { id })).person;
const WITHHELD = { registered: true, company: null, contractor: false, roles: [], allSites: false, sites: [], competenceRecords: [] };

describe('site scope', () => {
  test("another site's person is not found, through the gateway and on the subgraph, without a word about them", async () => {
    for (const res of [
      await gateway.query(`query($id: ID!) { person(id: $id) { name competenceRecords { id } } }`, { id: bert.id }, greenHse()),
      await competence.query(`query($id: ID!) { person(id: $id) { name } }`, { id: bert.id }, greenHse()),
    ]) {
      expectError(res, 'NOT_FOUND');
      expect(res.data ?? null).toBeNull();
      expect(JSON.stringify(res)).not.toMatch(/Bert|SCAFF/);
    }
    expect(ok(await gateway.query(`query($id: ID!) { person(id: $id) { name } }`, { id: gina.id }, greenHse())).person.name).toBe('Gina Green');
  });

  test('lists, counts and expiring records hold only the people of the caller\'s sites', async () => {
    const list = ok(await gateway.query(`{ people(first: 200) { totalCount edges { node { id sites { id } } } } }`, {}, greenHse())).people;
    expect(list.totalCount).toBe(list.edges.length);
    expect(list.edges.map((e: any) => e.node.id).sort()).toEqual([gina.id, alf.id, olga.id].sort());
    for (const filter of [{ siteId: blue }, { text: 'Bert' }, { qualificationCode: 'SCAFF', siteId: blue }]) {
      expect(ok(await gateway.query(`query($f: PersonFilter) { people(filter: $f) { totalCount edges { node { id } } } }`, { f: filter }, greenHse())).people).toEqual({ totalCount: 0, edges: [] });
    }
    const expiring = (siteId: string | null) => gateway.query(`query($s: ID) { expiringCompetence(siteId: $s, withinDays: 60) { id person { id } } }`, { s: siteId }, greenHse());
    expect(ok(await expiring(blue)).expiringCompetence).toEqual([]);
    expect(ok(await expiring(null)).expiringCompetence).toEqual([{ id: ginaRecord, person: { id: gina.id } }]);
    // Someone at every site does see Bert's lapsing record: the test can tell.
    expect(ok(await gateway.query(`query { expiringCompetence(withinDays: 60) { id } }`, {}, people.admin)).expiringCompetence.map((r: any) => r.id)).toContain(bertRecord);
  });

  test('a reference made straight to the subgraph for a person out of scope names them and nothing more', async () => {
    const query = `query($r: [_Any!]!) { _entities(representations: $r) { ... on Person { id name registered company contractor roles allSites sites { id } competenceRecords { id evidence } } } }`;
    const refs = [{ __typename: 'Person', id: bert.id }, { __typename: 'Person', id: gina.id }];
    const [out, within] = ok(await competence.query(query, { r: refs }, greenHse()))._entities;
    expect(out).toEqual({ id: bert.id, name: 'Bert Blue', ...WITHHELD });
    expect(within).toMatchObject({ id: gina.id, registered: true, company: 'Opsgraph Foods', roles: ['technician'], sites: [{ id: green }], competenceRecords: [{ id: ginaRecord, evidence: null }] });
    // Who granted a record is a person too: in scope in full, out of scope by name only.
    const grantedBy = async (site: string) => ok(await competence.query(`{ expiringCompetence(withinDays: 60) { grantedBy { id name roles } } }`, {}, person(randomUUID(), 'technician', [site]))).expiringCompetence;
    expect(await grantedBy(green)).toEqual([{ grantedBy: { id: crew.hse.id, name: 'Hal HSE', roles: [] } }]);
    expect(await grantedBy(blue)).toEqual([{ grantedBy: { id: crew.hse.id, name: 'Hal HSE', roles: ['hse'] } }]);
  });

  test("changing another site's person or their records is NOT_FOUND and changes nothing", async () => {
    const before = await stateOf(bert.id);
    for (const [query, variables] of [
      [`mutation($id: ID!) { updatePerson(id: $id, input: { name: "Hijacked" }) { id } }`, { id: bert.id }],
      [`mutation($id: ID!) { updatePerson(id: $id, input: { siteIds: ["${green}"] }) { id } }`, { id: bert.id }],
      [`mutation($id: ID!) { grantCompetence(input: { personId: $id, qualificationCode: "SCAFF", achievedAt: "2020-01-01T00:00:00Z" }) { id } }`, { id: bert.id }],
      [`mutation($id: ID!) { renewCompetence(id: $id, input: { achievedAt: "${new Date().toISOString()}" }) { id } }`, { id: bertRecord }],
      [`mutation($id: ID!) { revokeCompetence(id: $id, reason: "x") { id } }`, { id: bertRecord }],
    ] as const) {
      const res = await gateway.query(query, variables, greenHse());
      expectError(res, 'NOT_FOUND');
      expect(JSON.stringify(res)).not.toMatch(/Bert|SCAFF/);
    }
    expect(await stateOf(bert.id)).toEqual(before);
    const trail = (await admin(`query($a: ID) { competenceAuditTrail(actorId: $a, first: 5) { operation outcome errorCode } }`, { a: greenHse().id })).competenceAuditTrail;
    expect(trail.map((e: any) => [e.outcome, e.errorCode])).toEqual(Array(5).fill(['refused', 'NOT_FOUND']));
  });

  test('people are registered and moved only within the caller\'s own sites', async () => {
    const count = async () => (await admin(`{ people(first: 1) { totalCount } }`)).people.totalCount;
    const before = await count();
    const register = (siteIds: string[]) =>
      gateway.query(`mutation($i: RegisterPersonInput!) { registerPerson(input: $i) { id } }`, { i: { id: randomUUID(), name: 'Newcomer', roles: ['operator'], siteIds } }, greenHse());
    expectError(await register([blue]), 'NOT_FOUND');
    expectError(await register([green, blue]), 'NOT_FOUND');
    expectError(await register(['*']), 'FORBIDDEN');
    expect(await count()).toBe(before);
    ok(await register([green]));

    // Bea works at both sites: the green HSE may give or take away green, never blue.
    const both = await registerPerson(competence, { id: randomUUID(), name: 'Bea Both', roles: ['technician'], siteIds: [green, blue] });
    const move = (siteIds: string[]) => gateway.query(`mutation($id: ID!, $s: [String!]!) { updatePerson(id: $id, input: { siteIds: $s }) { sites { id } } }`, { id: both.id, s: siteIds }, greenHse());
    const beaBefore = await stateOf(both.id);
    expectError(await move([green]), 'NOT_FOUND'); // would take blue away
    expectError(await move(['*']), 'FORBIDDEN');
    expect(await stateOf(both.id)).toEqual(beaBefore);
    expectError(await gateway.query(`mutation($id: ID!, $s: [String!]!) { updatePerson(id: $id, input: { siteIds: $s }) { id } }`, { id: gina.id, s: [green, blue] }, greenHse()), 'NOT_FOUND');
    expect((await stateOf(gina.id)).sites).toEqual([{ id: green }]);
    expect(ok(await move([blue])).updatePerson.sites).toEqual([{ id: blue }]); // green taken away: theirs to take
  });
});

describe('contractor boundary', () => {
  test("a contractor sees only their own company's people", async () => {
    const seen = ok(await gateway.query(`{ people(first: 200) { totalCount edges { node { id } } } }`, {}, acme())).people;
    expect(seen).toEqual({ totalCount: 1, edges: [{ node: { id: alf.id } }] });
    for (const id of [olga.id, gina.id]) expectError(await gateway.query(`query($id: ID!) { person(id: $id) { id } }`, { id }, acme()), 'NOT_FOUND');
    const [other] = ok(await competence.query(`query($r: [_Any!]!) { _entities(representations: $r) { ... on Person { id name registered company contractor roles allSites sites { id } competenceRecords { id evidence } } } }`, {
      r: [{ __typename: 'Person', id: olga.id }],
    }, acme()))._entities;
    expect(other).toEqual({ id: olga.id, name: 'Olga Other', ...WITHHELD });
  });

  test("another company's job is unknown to a contractor: who could take it, what it requires, whether its owner is qualified", async () => {
    const who = (id: string) => gateway.query(`query($w: ID!) { qualifiedPeople(workItemId: $w) { id } }`, { w: id }, acme());
    const res = await who(otherJob);
    expectError(res, 'NOT_FOUND');
    expect(JSON.stringify(res)).not.toMatch(/Olga|SCAFF/);
    expect(ok(await who(acmeJob)).qualifiedPeople).toEqual([{ id: alf.id }]);
    const query = `query($r: [_Any!]!) { _entities(representations: $r) { ... on WorkItem { requiredQualifications { code } ownerQualified { qualified missing { code } } } } }`;
    const r = [{ __typename: 'WorkItem', id: otherJob }, { __typename: 'WorkItem', id: acmeJob }];
    expect(ok(await competence.query(query, { r }, acme()))._entities).toEqual([
      { requiredQualifications: [], ownerQualified: null },
      { requiredQualifications: [{ code: 'SCAFF' }], ownerQualified: { qualified: true, missing: [] } },
    ]);
    // The host sees both jobs: the test can tell.
    expect(ok(await competence.query(query, { r }, greenHse()))._entities[0]).toEqual({ requiredQualifications: [{ code: 'SCAFF' }], ownerQualified: { qualified: true, missing: [] } });
    // Another site's caller sees neither.
    expect(ok(await competence.query(query, { r }, person(randomUUID(), 'supervisor', [blue])))._entities).toEqual([
      { requiredQualifications: [], ownerQualified: null },
      { requiredQualifications: [], ownerQualified: null },
    ]);
  });
});

describe('separation of duties', () => {
  test('nobody grants, renews or revokes their own competence, administrators included', async () => {
    for (const self of [person(randomUUID(), ['hse', 'supervisor'], [green]), person(randomUUID(), 'administrator')]) {
      await registerPerson(competence, { id: self.id, name: `Self ${self.roles[0]}`, roles: ['technician'], siteIds: [green] });
      expectError(await grant(competence, self.id, 'SCAFF', monthsAgo(1), {}, self), 'SEPARATION_OF_DUTIES');
      const record = ok(await grant(competence, self.id, 'SCAFF', monthsAgo(1))).grantCompetence.id;
      const before = await stateOf(self.id);
      expectError(await gateway.query(`mutation($id: ID!) { renewCompetence(id: $id, input: { achievedAt: "${new Date().toISOString()}" }) { id } }`, { id: record }, self), 'SEPARATION_OF_DUTIES');
      expectError(await gateway.query(`mutation($id: ID!) { revokeCompetence(id: $id, reason: "x") { id } }`, { id: record }, self), 'SEPARATION_OF_DUTIES');
      expect(await stateOf(self.id)).toEqual(before);
    }
  });
});
