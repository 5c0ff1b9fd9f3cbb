import { randomUUID } from 'node:crypto';
import { INTERNAL_HEADER, SYSTEM_CALLER, signInternalCaller, startService, type RunningService } from '@opsgraph/core';
import { createTransport, eventBackground, startRelay, type EventTask, type Relay, type Transport } from '@opsgraph/events';
import { eventually, ok, postGraphQL, scrapeMetrics, sleep, startTestProducer, startTestService, testBrokers, type TestProducer, type TestService } from '@opsgraph/testing';
import { workConsumer } from '../src/consumer';
import { service } from '../src/service';
import { seedPlant, type Plant } from './fixtures';

// Two Work instances on one database, each with Work's usual background on Kafka: an outbox relay and a
// member of the `work` consumer group. Smaller pools: two instances and a producer share the server.
process.env.OPSGRAPH_PG_POOL = '5';

/** Work as deployed, keeping a handle on its background so the test can tell what this instance did. */
const workInstance = (tasks: EventTask[]): typeof service => ({
  ...service,
  background: async (db) => {
    const started = await eventBackground({ consume: workConsumer })(db);
    tasks.push(...started);
    return started;
  },
});

const aTasks: EventTask[] = [];
const bTasks: EventTask[] = [];
let a: TestService;
let b: RunningService;
let plant: Plant;
let transport: Transport;
let hazards: TestProducer;
let hazardsRelay2: Relay;

beforeAll(async () => {
  testBrokers(); // both instances pick Kafka from KAFKA_BROKERS
  a = await startTestService(workInstance(aTasks));
  b = await startService(workInstance(bTasks), { port: 0, database: a.database });
  plant = await seedPlant(a);
  transport = createTransport();
  // The producing domain runs two replicas too: two relays on its outbox.
  hazards = await startTestProducer('hazards', transport);
  hazardsRelay2 = startRelay(hazards.db, transport);
});
afterAll(async () => {
  await hazardsRelay2?.stop();
  await hazards?.close();
  await transport?.close();
  await b?.stop();
  await a?.stop();
});

const statsOf = (tasks: EventTask[]) => tasks[0].consumer!.stats;
const queryB = async (query: string, variables: Record<string, unknown>) => postGraphQL(b.app.url, query, variables, { [INTERNAL_HEADER]: await signInternalCaller(SYSTEM_CALLER) });
const ITEM = `query($id: ID!) { workItem(id: $id) { id number title status source { domain recordId } } }`;

test('two Work instances in one consumer group: each request applied once, both serve the graph, and the survivor takes over when one stops mid-flow', async () => {
  const incidents: string[] = [];
  let appliedByB = 0;
  let producing = true;
  // Requests keep coming, as from a busy hazards service (random keys: all partitions get some).
  const produce = (async () => {
    while (producing) {
      const incidentId = randomUUID();
      await hazards.record('work.requested', incidentId, { requestId: `incident:${incidentId}:action`, siteId: plant.siteId, type: 'CORRECTIVE_ACTION', title: `Action ${incidents.length}`, sourceRecordId: incidentId });
      incidents.push(incidentId);
      await sleep(20);
    }
  })();
  try {
    // The group split the partitions: both instances apply requests, side by side.
    await eventually(() => statsOf(aTasks).applied >= 10 && statsOf(bTasks).applied >= 10, 60_000);

    // Both instances answer for the same data, whichever applied it.
    const [{ id }] = await a.db.query(`SELECT id FROM work_item WHERE source_domain = 'HAZARDS' LIMIT 1`);
    const viaA = ok(await a.query(ITEM, { id })).workItem;
    expect(viaA).toMatchObject({ id, source: { domain: 'HAZARDS' } });
    expect(ok(await queryB(ITEM, { id })).workItem).toEqual(viaA);

    // B stops in the middle of the flow; A gets its partitions and goes on.
    await b.stop();
    appliedByB = statsOf(bTasks).applied;
    const atStop = incidents.length;
    await eventually(() => incidents.length >= atStop + 40, 60_000);
  } finally {
    producing = false;
    await produce;
  }
  const total = incidents.length;

  // Nothing lost: every request became a work item…
  await eventually(async () => (await a.db.query(`SELECT count(*)::int AS n FROM work_request WHERE source_domain = 'HAZARDS'`))[0].n === total, 60_000, 200);
  // …exactly one each, and every event went through the inbox once, by one of the two instances.
  const perIncident: { n: number }[] = await a.db.query(`SELECT count(*)::int AS n FROM work_item WHERE source_domain = 'HAZARDS' AND source_record_id = ANY($1) GROUP BY source_record_id`, [incidents]);
  expect(perIncident).toHaveLength(total);
  expect(perIncident.filter((r) => r.n !== 1)).toEqual([]);
  const [{ n: inboxRows }] = await a.db.query(`SELECT count(*)::int AS n FROM inbox WHERE consumer = 'work' AND type = 'opsgraph.hazards.work.requested'`);
  expect(inboxRows).toBe(total);
  expect(statsOf(aTasks).applied + statsOf(bTasks).applied).toBe(total);
  expect(statsOf(bTasks).applied).toBe(appliedByB); // nothing after it stopped
  // The producer's two relays published each event once between them.
  expect(hazards.relay.stats.published + hazardsRelay2.stats.published).toBe(total);

  // Work's own events (one `work_item.created` per item, recorded with the effect) all went out; the
  // surviving instance's relay published what the stopped one left.
  const [{ n: created }] = await a.db.query(`SELECT count(*)::int AS n FROM outbox WHERE type = 'opsgraph.work.work_item.created' AND subject IN (SELECT id::text FROM work_item WHERE source_domain = 'HAZARDS')`);
  expect(created).toBe(total);
  await eventually(async () => (await a.db.query(`SELECT count(*)::int AS n FROM outbox_pending`))[0].n === 0, 30_000, 200);

  // The survivor still serves the graph, and its /metrics shows the group caught up on every partition.
  const listed = ok(await a.query(`query($f: WorkItemFilter) { workItems(filter: $f) { totalCount } }`, { f: { sourceDomain: 'HAZARDS' } })).workItems;
  expect(listed.totalCount).toBe(total);
  const metricsUrl = a.url.replace(/\/graphql$/, '/metrics');
  const caughtUp = await eventually(async () => {
    const m = await scrapeMetrics(metricsUrl);
    const lag = m.all('opsgraph_consumer_lag_messages', { consumer: 'work', topic: 'opsgraph.hazards.v1' });
    return lag.length === 3 && lag.every((s) => s.value === 0) && m.one('opsgraph_outbox_backlog_events', { database: a.database }) === 0 && m;
  }, 30_000, 200);
  expect(caughtUp.sum('opsgraph_events_consumed_total', { consumer: 'work', outcome: 'applied' })).toBe(total);
}, 180_000);
