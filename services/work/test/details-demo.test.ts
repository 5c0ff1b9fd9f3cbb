import { demoPeople, ok, seedDemoWork, startTestGateway, type DemoPlant, type TestGateway, type TestService } from '@opsgraph/testing';
import { startWork } from './fixtures';

/**
 * The demo plant's Work part has one item of each type with details, through the gateway: a round on its route
 * with a reading out of limits that raised follow-up work, two logistics moves flagged for bay B2, a category A
 * punch item and a production action; the board query of the README shows them.
 */
let work: TestService;
let gateway: TestGateway;
let demo: DemoPlant;

beforeAll(async () => {
  work = await startWork();
  gateway = await startTestGateway({ work: work.url });
  demo = await seedDemoWork(async (document, variables = {}, caller = demoPeople.admin) => ok(await gateway.query(document, variables, caller)) as never);
}, 60_000);
afterAll(async () => {
  await gateway?.stop();
  await work?.stop();
});

/** The README's board query (section "Querying the graph"). */
const BOARD = `query($s: ID!) {
  board(siteId: $s) {
    items { number title type status
      details {
        __typename
        ... on RoundDetails { recordedCount outOfLimitsCount
          route { checkpoint name recording { withinLimits readings { label value unit withinLimits }
                  followUp { number type source { domain reason } } } } }
        ... on LogisticsDetails { material quantity unit slotStart slotEnd from { bay dock } to { bay dock } vehicle
                                  bayConflicts { number title } }
        ... on PunchItemDetails { category project milestone }
        ... on ProductionActionDetails { order batch product quantity customerCommitment { customer reference } }
      } } } }`;

test('the demo plant has one of each; the board shows the round with its out-of-limit reading and the flagged moves', async () => {
  const { board } = ok(await gateway.query(BOARD, { s: demo.siteId }, demoPeople.supervisor));
  const byTitle = (t: string) => board.items.find((i: { title: string }) => i.title === t);
  const round = byTitle('Shift round: feed pump, boiler, air receiver');
  expect(round).toMatchObject({ type: 'ROUND', status: 'IN_PROGRESS', details: { __typename: 'RoundDetails', recordedCount: 2, outOfLimitsCount: 1 } });
  const boiler = round.details.route[1].recording;
  expect(boiler.readings[0]).toEqual({ label: 'Steam pressure', value: 11.2, unit: 'bar', withinLimits: false });
  expect(boiler.followUp).toMatchObject({ type: 'MAINTENANCE', source: { domain: 'WORK' } });
  expect(boiler.followUp.source.reason).toContain('Steam pressure 11.2 bar outside 8..10');
  expect(round.details.route[2].recording).toBeNull();

  const delivery = byTitle('Deliver film rolls to Line 3 bay B2');
  const collection = byTitle('Collect finished pallets from bay B2 for dispatch');
  expect(delivery.details.bayConflicts).toEqual([{ number: collection.number, title: collection.title }]);
  expect(collection.details.bayConflicts).toEqual([{ number: delivery.number, title: delivery.title }]);
  expect(byTitle('Insulate steam line at the B-100 outlet').details).toEqual({ __typename: 'PunchItemDetails', category: 'A', project: 'Boiler house revamp', milestone: 'Boiler handover' });
  expect(byTitle('Run extra batch 2293 of oat base for NordMart').details).toMatchObject({ order: 'PO-7710', batch: '2293', customerCommitment: { customer: 'NordMart', reference: 'SO-4471' } });
  expect(demo.workItems.roundFollowUp).toBeDefined();
  // The other types keep the common fields only.
  expect(byTitle('Replace mechanical seal on P-301').details).toBeNull();
});
