import { expectError, ok, people, person, startTestGateway, type TestGateway, type TestService } from '@opsgraph/testing';
import { seedPlant, startWork, type Plant } from './fixtures';

/**
 * Templates per type through the real gateway: a supervisor describes a job once (steps, outcome, default blockers,
 * details); items raised from it carry all of it with their own place and times, the template in their links; bad
 * templates, another site's and names taken are refused.
 */
let work: TestService;
let gateway: TestGateway;
let plant: Plant;
let other: Plant;

beforeAll(async () => {
  work = await startWork();
  gateway = await startTestGateway({ work: work.url });
  plant = await seedPlant(work, 'TPL');
  other = await seedPlant(work, 'TPO');
});
afterAll(async () => {
  await gateway?.stop();
  await work?.stop();
});

const TEMPLATE = `id name type title description priority requiredOutcome { acceptanceCriteria evidence { kind label } } blockers { kind description }
  details { __typename ... on RoundDetails { route { checkpoint name checks { label } } schedule { allowedMinutes } } ... on ProductionActionDetails { product line { id } } }`;
const createTemplate = (input: Record<string, unknown>, caller = people.supervisor) =>
  gateway.query(`mutation($i: WorkTemplateInput!) { createWorkTemplate(input: $i) { ${TEMPLATE} } }`, { i: { siteId: plant.siteId, ...input } }, caller);
const fromTemplate = (template: { name: string; siteId?: string }, input: Record<string, unknown>, caller = people.operator) =>
  gateway.query(`mutation($s: ID!, $t: String!, $i: TemplateWorkItemInput!) { createWorkItemFromTemplate(siteId: $s, template: $t, input: $i) {
    id type title description priority status blocked shift dueAt line { id } requiredOutcome { acceptanceCriteria } blockers { kind description } links { domain recordId relation }
    details { __typename ... on RoundDetails { route { checkpoint name asset { id } } schedule { allowedMinutes occurrence } } ... on ProductionActionDetails { product quantity line { id } } } } }`, { s: template.siteId ?? plant.siteId, t: template.name, i: input }, caller);

const roundTemplate = {
  type: 'ROUND',
  name: 'Utilities shift round',
  title: 'Utilities shift round',
  description: '1. Walk the route clockwise. 2. Record every reading at the point.',
  priority: 'HIGH',
  requiredOutcome: { acceptanceCriteria: 'Every checkpoint recorded', evidence: [{ kind: 'SIGNATURE', label: 'Round walked' }] },
  blockers: [{ kind: 'COMPETENCE_HELD', description: 'Boiler attendant qualification' }],
  details: { round: { route: [{ name: 'Feed pump', assetId: '', checks: [{ label: 'Discharge pressure', kind: 'READING', unit: 'bar', min: 2, max: 6 }] }], schedule: { starts: [{ at: '06:00', shift: 'A' }, { at: '18:00', shift: 'B' }], allowedMinutes: 60 } } },
};

test('a supervisor describes a job once; items raised from it carry its steps, outcome, blockers and details, with their own place and times', async () => {
  const input = { ...roundTemplate, details: { round: { ...roundTemplate.details.round, route: [{ ...roundTemplate.details.round.route[0], assetId: plant.assetId }] } } };
  const template = ok(await createTemplate(input)).createWorkTemplate;
  expect(template).toMatchObject({ name: 'Utilities shift round', type: 'ROUND', priority: 'HIGH', blockers: input.blockers, details: { __typename: 'RoundDetails', route: [{ checkpoint: 1, name: 'Feed pump' }], schedule: { allowedMinutes: 60 } } });
  const due = new Date(Date.now() + 3600_000).toISOString();
  const a = ok(await fromTemplate(template, { shift: 'A', dueAt: due })).createWorkItemFromTemplate;
  expect(a).toMatchObject({
    type: 'ROUND', title: 'Utilities shift round', description: input.description, priority: 'HIGH', status: 'OPEN', blocked: true, shift: 'A', dueAt: due,
    requiredOutcome: { acceptanceCriteria: 'Every checkpoint recorded' },
    blockers: [{ kind: 'COMPETENCE_HELD', description: 'Boiler attendant qualification' }],
    links: [{ domain: 'WORK', recordId: template.id, relation: 'template "Utilities shift round"' }],
    details: { __typename: 'RoundDetails', route: [{ checkpoint: 1, name: 'Feed pump', asset: { id: plant.assetId } }], schedule: { allowedMinutes: 60 } },
  });
  // The same job raised again is described the same way; a title of its own wins.
  const b = ok(await fromTemplate(template, { title: 'Utilities round (extra, after the trip)' })).createWorkItemFromTemplate;
  expect(b.title).toBe('Utilities round (extra, after the trip)');
  expect(b.details.route).toEqual(a.details.route);
  expect(ok(await gateway.query(`query($s: ID!) { workTemplates(siteId: $s, type: ROUND) { id } }`, { s: plant.siteId }, people.operator)).workTemplates).toEqual([{ id: template.id }]);

  // A production action template: each item gives its line.
  const batch = ok(await createTemplate({ type: 'PRODUCTION_ACTION', name: 'Extra batch', title: 'Run an extra batch', details: { productionAction: { batch: 'NEXT', product: 'Oat base 20 l', quantity: 400, unit: 'pcs' } } })).createWorkTemplate;
  expect(batch.details).toEqual({ __typename: 'ProductionActionDetails', product: 'Oat base 20 l', line: null });
  expect(expectError(await fromTemplate(batch, {}), 'BAD_USER_INPUT').extensions?.field).toBe('lineId');
  expect(ok(await fromTemplate(batch, { lineId: plant.lineId })).createWorkItemFromTemplate.details).toEqual({ __typename: 'ProductionActionDetails', product: 'Oat base 20 l', quantity: 400, line: { id: plant.lineId } });
});

test('bad templates, a name taken, other roles and another site\'s templates are refused', async () => {
  const field = async (input: Record<string, unknown>) => expectError(await createTemplate(input), 'BAD_USER_INPUT').extensions?.field;
  expect(await field({ type: 'LOGISTICS', name: 'x', title: 'x', details: { punchItem: { project: 'p', system: 's', category: 'A', milestone: 'm' } } })).toBe('details.punchItem');
  expect(await field({ type: 'ROUND', name: 'x', title: 'x', details: { round: { route: [{ name: 'P', areaId: other.areaId, checks: [{ label: 'Ok', kind: 'CHECK' }] }] } } })).toBe('details.round.route[0].areaId');
  expect(await field({ type: 'OTHER', name: 'x', title: 'x', blockers: [{ kind: 'PERMIT_VALID', description: ' ' }] })).toBe('blockers[0].description');
  ok(await createTemplate({ type: 'CLEANING', name: 'CIP filler', title: 'CIP clean of the filler' }));
  expectError(await createTemplate({ type: 'CLEANING', name: 'CIP filler', title: 'again' }), 'CONFLICT');
  expectError(await createTemplate({ type: 'CLEANING', name: 'CIP 2', title: 'x' }, people.operator), 'FORBIDDEN');
  ok(await gateway.query(`mutation($i: WorkTemplateInput!) { createWorkTemplate(input: $i) { id } }`, { i: { siteId: other.siteId, type: 'CLEANING', name: 'Theirs', title: 'x' } }, people.admin));
  const atPlant = person('0000000f-0000-4000-8000-0000000000aa', 'operator', [plant.siteId]);
  expectError(await fromTemplate({ name: 'Theirs', siteId: other.siteId }, {}, atPlant), 'NOT_FOUND');
  // By name within the site: another site's name is not this site's template.
  expectError(await fromTemplate({ name: 'Theirs' }, {}, atPlant), 'NOT_FOUND');
  expectError(await gateway.query(`query($s: ID!) { workTemplates(siteId: $s) { id } }`, { s: other.siteId }, atPlant), 'NOT_FOUND');
  expectError(await createTemplate({ siteId: other.siteId, type: 'CLEANING', name: 'x', title: 'x' }, person('0000000f-0000-4000-8000-0000000000ab', 'supervisor', [plant.siteId])), 'NOT_FOUND');
});
