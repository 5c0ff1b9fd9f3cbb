import { expectError, ok, person, startTestGateway, type TestGateway, type TestService } from '@opsgraph/testing';
import { createQualification, crew, grant, knowSites, registerPerson, startCompetence } from './fixtures';

/**
 * A time-driven rule runs on demand: an administrator of every site runs competence's expiry now instead of
 * waiting for its interval (an hour here, so only the on-demand run can have lapsed the record). The same
 * `run<Service>Schedules` mutation is on every subgraph (libs/core/src/scheduler.ts).
 */
let competence: TestService;
let gateway: TestGateway;
const SITE = '5c4e0000-0000-4000-8000-00000000000a';
const previous = process.env.OPSGRAPH_COMPETENCE_EXPIRY_INTERVAL_MS;

beforeAll(async () => {
  process.env.OPSGRAPH_COMPETENCE_EXPIRY_INTERVAL_MS = '3600000';
  competence = await startCompetence();
  gateway = await startTestGateway({ competence: competence.url });
  await knowSites(competence, SITE);
});
afterAll(async () => {
  process.env.OPSGRAPH_COMPETENCE_EXPIRY_INTERVAL_MS = previous;
  await gateway?.stop();
  await competence?.stop();
});

const RUN = `mutation { runCompetenceSchedules { schedule at changed } }`;
const expiredEvents = async () => (await competence.db.query(`SELECT count(*)::int AS n FROM outbox WHERE type = 'opsgraph.competence.competence_record.expired'`))[0].n as number;

test('an administrator of every site runs the expiry now; it lapses what has ended and says how many', async () => {
  const welder = await registerPerson(competence, { id: '5c4e0000-0000-4000-8000-000000000001', name: 'Wanda Welder', roles: ['technician'], siteIds: [SITE] });
  await createQualification(competence, 'WELD-SCHED', 'Welding (schedules test)');
  const record = ok(await grant(competence, welder.id, 'WELD-SCHED', new Date(Date.now() - 3600_000), { expiresAt: new Date(Date.now() + 1000).toISOString() })).grantCompetence;
  await new Promise((resolve) => setTimeout(resolve, 1200));
  const before = await expiredEvents();

  const runs = ok(await gateway.query(RUN, {}, crew.admin)).runCompetenceSchedules;
  expect(runs).toEqual([{ schedule: 'competence.expire', at: expect.any(String), changed: 1 }]);
  expect(await expiredEvents()).toBe(before + 1);
  const [row] = await competence.db.query(`SELECT lapsed_at FROM competence_record WHERE id = $1`, [record.id]);
  expect(row.lapsed_at).not.toBeNull();

  // Run again: nothing left to do, nothing published twice.
  expect(ok(await gateway.query(RUN, {}, crew.admin)).runCompetenceSchedules[0].changed).toBe(0);
  expect(await expiredEvents()).toBe(before + 1);
});

test('only an administrator of every site may run them: the rules act at every site', async () => {
  expectError(await gateway.query(RUN, {}, person('5c4e0000-0000-4000-8000-0000000000a1', 'administrator', [SITE])), 'FORBIDDEN');
  expectError(await gateway.query(RUN, {}, crew.hse), 'FORBIDDEN');
  expectError(await gateway.query(RUN, {}, null), 'UNAUTHENTICATED');
});
