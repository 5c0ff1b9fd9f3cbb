import { randomUUID } from 'node:crypto';
import { expectError, ok, people, person, type TestService, recordedEvents } from '@opsgraph/testing';
import { expireRecords } from '../src/domain/records';
import { PERSON_FIELDS, RECORD_FIELDS, createQualification, crew, daysFromNow, grant, knowSites, monthsAgo, registerPerson, requireQualification, startCompetence } from './fixtures';

let competence: TestService;
const siteA = randomUUID();
const siteB = randomUUID();
const siteC = randomUUID();

beforeAll(async () => {
  competence = await startCompetence();
  await knowSites(competence, siteA, siteB, siteC);
});
afterAll(() => competence.stop());

const facts = (subject?: string) => recordedEvents(competence, subject);

describe('people', () => {
  test('register, refuse duplicates and bad input, update', async () => {
    const id = randomUUID();
    const created = await registerPerson(competence, { id, name: 'Pat Fitter', company: 'Opsgraph Foods', roles: ['technician'], siteIds: [siteA] });
    expect(created).toEqual({ id, name: 'Pat Fitter', registered: true, company: 'Opsgraph Foods', contractor: false, roles: ['technician'], allSites: false, sites: [{ id: siteA }], competenceRecords: [] });
    const register = (i: Record<string, unknown>, caller = crew.hse) =>
      competence.query(`mutation($i: RegisterPersonInput!) { registerPerson(input: $i) { id } }`, { i: { id: randomUUID(), name: 'X', roles: ['operator'], siteIds: [siteA], ...i } }, caller);
    expectError(await register({ id }), 'CONFLICT');
    expectError(await register({ id: 'not-a-uuid' }), 'BAD_USER_INPUT');
    expectError(await register({ roles: ['wizard'] }), 'BAD_USER_INPUT');
    expectError(await register({ roles: ['contractor'] }), 'BAD_USER_INPUT'); // a contractor needs their company
    expectError(await register({ siteIds: ['*', siteA] }), 'BAD_USER_INPUT');
    expectError(await register({ siteIds: ['nowhere'] }), 'BAD_USER_INPUT');
    expectError(await register({}, people.technician), 'FORBIDDEN');

    const updated = ok(await competence.query(`mutation($id: ID!, $i: UpdatePersonInput!) { updatePerson(id: $id, input: $i) { ${PERSON_FIELDS} } }`, { id, i: { roles: ['technician', 'supervisor'], siteIds: ['*'] } }, crew.hse)).updatePerson;
    expect(updated).toMatchObject({ roles: ['technician', 'supervisor'], allSites: true, sites: [], name: 'Pat Fitter' });
    expectError(await competence.query(`mutation($id: ID!) { updatePerson(id: $id, input: { name: "Y" }) { id } }`, { id: randomUUID() }, crew.hse), 'NOT_FOUND');
    expect((await facts(id)).map((f) => f.type)).toEqual(['person.registered', 'person.updated']);
    expect(JSON.stringify(await facts(id))).not.toContain('Pat Fitter'); // names are personal data: not in events
  });

  test('a reference to an unregistered id resolves to an unnamed person, not an error', async () => {
    const id = randomUUID();
    await registerPerson(competence, { id, name: 'Rita Rigger', roles: ['technician'], siteIds: [siteA] });
    const refs = ok(await competence.query(`query($r: [_Any!]!) { _entities(representations: $r) { ... on Person { id name registered roles competenceRecords { id } } } }`, {
      r: [{ __typename: 'Person', id }, { __typename: 'Person', id: 'system' }, { __typename: 'Person', id: randomUUID() }],
    }))._entities;
    expect(refs[0]).toEqual({ id, name: 'Rita Rigger', registered: true, roles: ['technician'], competenceRecords: [] });
    expect(refs[1]).toEqual({ id: 'system', name: null, registered: false, roles: [], competenceRecords: [] });
    expect(refs[2]).toMatchObject({ name: null, registered: false });
  });

  test('lists filter by site, role, company, held qualification and name, within the caller\'s scope', async () => {
    const code = 'LIST-Q';
    await createQualification(competence, code, 'List qualification');
    const [ann, bob, cid, dan] = [randomUUID(), randomUUID(), randomUUID(), randomUUID()];
    await registerPerson(competence, { id: ann, name: 'Ann Listed', roles: ['operator'], siteIds: [siteB] });
    await registerPerson(competence, { id: bob, name: 'Bob Listed', roles: ['technician'], siteIds: [siteB] });
    await registerPerson(competence, { id: cid, name: 'Cid Listed', company: 'Acme', roles: ['contractor'], siteIds: [siteB] });
    await registerPerson(competence, { id: dan, name: 'Dan Listed', roles: ['technician'], siteIds: [siteC] });
    ok(await grant(competence, bob, code, monthsAgo(1)));
    const list = async (filter: Record<string, unknown>, caller = people.admin, first?: number, after?: string) =>
      ok(await competence.query(`query($f: PersonFilter, $n: Int, $a: String) { people(filter: $f, first: $n, after: $a) { totalCount edges { node { name } } pageInfo { hasNextPage endCursor } } }`, { f: filter, n: first, a: after }, caller)).people;
    const names = (c: any) => c.edges.map((e: any) => e.node.name);
    expect(names(await list({ siteId: siteB, text: 'listed' }))).toEqual(['Ann Listed', 'Bob Listed', 'Cid Listed']);
    expect(names(await list({ text: 'listed', role: 'technician' }))).toEqual(['Bob Listed', 'Dan Listed']);
    expect(names(await list({ text: 'listed', company: 'Acme' }))).toEqual(['Cid Listed']);
    expect(names(await list({ qualificationCode: code }))).toEqual(['Bob Listed']);
    const page = await list({ siteId: siteB, text: 'listed' }, people.admin, 2);
    expect(page.pageInfo.hasNextPage).toBe(true);
    expect(names(await list({ siteId: siteB, text: 'listed' }, people.admin, 2, page.pageInfo.endCursor))).toEqual(['Cid Listed']);
    // Someone working at site B sees B's people; Acme's contractor sees only Acme's.
    expect(names(await list({ text: 'listed' }, person(randomUUID(), 'supervisor', [siteB])))).toEqual(['Ann Listed', 'Bob Listed', 'Cid Listed']);
    expect(names(await list({ text: 'listed' }, person(randomUUID(), 'contractor', [siteB], 'Acme')))).toEqual(['Cid Listed']);
    expectError(await competence.query(`query($id: ID!) { person(id: $id) { id } }`, { id: dan }, person(randomUUID(), 'supervisor', [siteB])), 'NOT_FOUND');
  });
});

describe('qualifications and requirements', () => {
  test('codes are unique; a requirement names exactly one scope', async () => {
    const q = await createQualification(competence, 'hot-work', 'Hot work', 12);
    expect(q).toMatchObject({ code: 'HOT-WORK', validityMonths: 12 });
    const create = (i: Record<string, unknown>, caller = crew.hse) => competence.query(`mutation($i: CreateQualificationInput!) { createQualification(input: $i) { id } }`, { i: { code: 'Q-X', name: 'X', ...i } }, caller);
    expectError(await create({ code: 'HOT-WORK' }), 'CONFLICT');
    expectError(await create({ validityMonths: 0 }), 'BAD_USER_INPUT');
    expectError(await create({ code: 'no spaces' }), 'BAD_USER_INPUT');
    expectError(await create({}, people.supervisor), 'FORBIDDEN');

    expect(await requireQualification(competence, { qualificationCode: 'HOT-WORK', permitType: 'HOT_WORK' })).toMatchObject({ permitType: 'HOT_WORK', workType: null, assetClass: null, qualification: { code: 'HOT-WORK' } });
    expect(await requireQualification(competence, { qualificationCode: 'HOT-WORK', assetClass: 'boiler' })).toMatchObject({ assetClass: 'boiler' });
    const add = (i: Record<string, unknown>) => competence.query(`mutation($i: QualificationRequirementInput!) { addQualificationRequirement(input: $i) { id } }`, { i: { qualificationCode: 'HOT-WORK', ...i } }, crew.hse);
    expectError(await add({}), 'BAD_USER_INPUT');
    expectError(await add({ workType: 'MAINTENANCE', assetClass: 'pump' }), 'BAD_USER_INPUT');
    expectError(await add({ workType: 'GARDENING' }), 'BAD_USER_INPUT');
    expectError(await add({ permitType: 'PICNIC' }), 'BAD_USER_INPUT');
    expectError(await add({ permitType: 'HOT_WORK' }), 'CONFLICT');
    expectError(await add({ qualificationCode: 'NOPE', workType: 'MAINTENANCE' }), 'NOT_FOUND');
    const read = ok(await competence.query(`{ qualification(code: "hot-work") { code requirements { id permitType assetClass } } }`)).qualification;
    expect(read.requirements.map((r: any) => r.permitType ?? r.assetClass)).toEqual(['HOT_WORK', 'boiler']);
    const removed = ok(await competence.query(`mutation($id: ID!) { removeQualificationRequirement(id: $id) { requirements { assetClass } } }`, { id: read.requirements[1].id }, crew.hse)).removeQualificationRequirement;
    expect(removed.requirements).toEqual([{ assetClass: null }]);
  });
});

describe('competence records', () => {
  const holder = randomUUID();
  beforeAll(async () => {
    await registerPerson(competence, { id: holder, name: 'Hal Holder', roles: ['technician'], siteIds: [siteA] });
    await createQualification(competence, 'FIRST-AID', 'First aid at work', 36);
    await createQualification(competence, 'FORKLIFT', 'Counterbalance forklift', 24);
    await createQualification(competence, 'INDUCTION', 'Site induction', null);
  });

  test('expiry is computed from the validity, status from the dates', async () => {
    const achieved = new Date('2025-01-31T08:00:00.000Z');
    const firstAid = ok(await grant(competence, holder, 'FIRST-AID', achieved, { evidence: 'cert FA-2291' })).grantCompetence;
    expect(firstAid).toMatchObject({ expiresAt: '2028-01-31T08:00:00.000Z', status: 'VALID', evidence: 'cert FA-2291', grantedBy: { id: crew.hse.id } });
    const forklift = ok(await grant(competence, holder, 'FORKLIFT', monthsAgo(24), { expiresAt: daysFromNow(10).toISOString() })).grantCompetence;
    expect(forklift.status).toBe('EXPIRING');
    const induction = ok(await grant(competence, holder, 'INDUCTION', monthsAgo(60))).grantCompetence;
    expect(induction).toMatchObject({ expiresAt: null, status: 'VALID' });
    const other = randomUUID();
    await registerPerson(competence, { id: other, name: 'Old Timer', roles: ['technician'], siteIds: [siteA] });
    expect(ok(await grant(competence, other, 'FORKLIFT', monthsAgo(30))).grantCompetence.status).toBe('EXPIRED');
    const mine = ok(await competence.query(`query($id: ID!) { person(id: $id) { competenceRecords(status: [EXPIRING]) { qualification { code } } } }`, { id: holder })).person;
    expect(mine.competenceRecords).toEqual([{ qualification: { code: 'FORKLIFT' } }]);
    const expiring = ok(await competence.query(`query($s: ID) { expiringCompetence(siteId: $s, withinDays: 30) { person { id } qualification { code } status } }`, { s: siteA })).expiringCompetence;
    expect(expiring).toEqual([
      { person: { id: other }, qualification: { code: 'FORKLIFT' }, status: 'EXPIRED' },
      { person: { id: holder }, qualification: { code: 'FORKLIFT' }, status: 'EXPIRING' },
    ]);
  });

  test('nobody grants themselves; bad dates and unknown people or qualifications are refused', async () => {
    const self = person(holder, ['technician', 'hse']);
    expectError(await grant(competence, holder, 'FIRST-AID', monthsAgo(1), {}, self), 'SEPARATION_OF_DUTIES');
    expectError(await grant(competence, holder, 'FIRST-AID', daysFromNow(2)), 'BAD_USER_INPUT');
    expectError(await grant(competence, holder, 'FIRST-AID', monthsAgo(2), { expiresAt: monthsAgo(3).toISOString() }), 'BAD_USER_INPUT');
    expectError(await grant(competence, randomUUID(), 'FIRST-AID', monthsAgo(1)), 'NOT_FOUND');
    expectError(await grant(competence, holder, 'UNKNOWN', monthsAgo(1)), 'NOT_FOUND');
    expectError(await grant(competence, holder, 'FIRST-AID', monthsAgo(1), {}, people.technician), 'FORBIDDEN');
  });

  test('revoke, renew, and granting again renews the same record', async () => {
    const id = randomUUID();
    await registerPerson(competence, { id, name: 'Rev Oked', roles: ['operator'], siteIds: [siteA] });
    const record = ok(await grant(competence, id, 'FORKLIFT', monthsAgo(3))).grantCompetence;
    const revoke = (reason: string) => competence.query(`mutation($id: ID!, $r: String!) { revokeCompetence(id: $id, reason: $r) { ${RECORD_FIELDS} } }`, { id: record.id, r: reason }, crew.hse);
    expect(ok(await revoke('near miss with a pedestrian')).revokeCompetence).toMatchObject({ status: 'REVOKED', revokedReason: 'near miss with a pedestrian', revokedBy: { id: crew.hse.id } });
    expectError(await revoke('again'), 'ILLEGAL_TRANSITION');
    const renewed = ok(await competence.query(`mutation($id: ID!, $i: RenewCompetenceInput!) { renewCompetence(id: $id, input: $i) { ${RECORD_FIELDS} } }`, { id: record.id, i: { achievedAt: new Date().toISOString(), evidence: 'reassessed' } }, crew.hse2)).renewCompetence;
    expect(renewed).toMatchObject({ id: record.id, status: 'VALID', revokedReason: null, evidence: 'reassessed', grantedBy: { id: crew.hse2.id } });
    expect(ok(await grant(competence, id, 'FORKLIFT', new Date())).grantCompetence.id).toBe(record.id);
    expect((await facts(record.id)).map((f) => f.type)).toEqual(['competence_record.granted', 'competence_record.revoked', 'competence_record.renewed', 'competence_record.renewed']);
  });

  test('expireRecords lapses what is past its expiry at `now`, once', async () => {
    const id = randomUUID();
    await registerPerson(competence, { id, name: 'Lap Sed', roles: ['operator'], siteIds: [siteA] });
    const record = ok(await grant(competence, id, 'FORKLIFT', monthsAgo(1), { expiresAt: daysFromNow(5).toISOString() })).grantCompetence;
    const later = daysFromNow(6);
    const lapsed = await expireRecords(competence.db.manager, later);
    expect(lapsed.map((r) => r.id)).toContain(record.id);
    expect(await expireRecords(competence.db.manager, later)).toEqual([]);
    const after = ok(await competence.query(`query($id: ID!) { person(id: $id) { competenceRecords { status } } }`, { id })).person;
    expect(after.competenceRecords).toEqual([{ status: 'EXPIRED' }]); // lapsed by the rule, even before the date passes on this clock
    expect((await facts(record.id)).at(-1)).toMatchObject({ type: 'competence_record.expired', data: { recordId: record.id, personId: id, code: 'FORKLIFT', actorId: 'system' } });
  });
});
