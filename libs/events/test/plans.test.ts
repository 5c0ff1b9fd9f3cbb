import { randomBytes } from 'node:crypto';
import { dropDatabase } from '@opsgraph/core';
import { PostgresTransport, startConsumer } from '@opsgraph/events';
import { eventually, queryPlan, startTestProducer } from '@opsgraph/testing';
import { consumerDatabase, effectConsumer, effectCounts, holdData } from './fixtures/effects';

/**
 * A consumer's hot statements must not depend on fresh planner statistics: a database analysed while small
 * (a new deployment, a benchmark's plant) then grown, with autovacuum not yet round, must still read by key.
 * The consumer's statement is caught from TypeORM's logger and explained with its own parameters.
 */
const busDatabase = `test_bus_plans_${randomBytes(4).toString('hex')}`;
let bus: PostgresTransport;
let effects: Awaited<ReturnType<typeof consumerDatabase>>;

beforeAll(async () => {
  bus = new PostgresTransport({ database: busDatabase, pollIntervalMs: 100 });
  effects = await consumerDatabase();
});
afterAll(async () => {
  await bus.close();
  await effects.close();
  await dropDatabase(busDatabase);
});

test('with a unit of work, the look for applied events and parked keys probes their keys, however much the inbox grew since it was analysed', async () => {
  const { db } = effects;
  await db.query('VACUUM ANALYZE inbox, parked_event');
  // 40,000 events applied since: the planner still believes the tables empty.
  await db.query(`INSERT INTO inbox (consumer, event_id, type) SELECT 'effects', gen_random_uuid()::text, 'opsgraph.permits.work.hold_requested' FROM generate_series(1, 40000)`);
  // And another group's backlog of parked events.
  await db.query(
    `INSERT INTO parked_event (consumer, event_id, topic, message_key, headers, value, source_partition, source_offset, reason)
     SELECT 'another', gen_random_uuid()::text, 'opsgraph.permits.v1', 'key-' || (g % 500), '{}', '\\x00', 0, g::text, 'waiting' FROM generate_series(1, 5000) AS g`,
  );

  const statements: [string, unknown[]][] = [];
  const logQuery = db.logger.logQuery.bind(db.logger);
  db.logger.logQuery = (query, parameters, runner) => {
    if (/ AS applied/.test(query)) statements.push([query, (parameters ?? []) as unknown[]]);
    return logQuery(query, parameters, runner);
  };
  const producer = await startTestProducer('permits', bus);
  const consumer = await startConsumer(db, bus, effectConsumer({ unitOfWork: async () => ({ flush: async () => undefined }) }));
  try {
    await producer.recordAll(Array.from({ length: 200 }, (_, i) => ({ type: 'work.hold_requested', subject: `permit-plan-${i}`, data: holdData(`plan-${i}`) })));
    await eventually(async () => (await effectCounts(db)).size === 200);
  } finally {
    await consumer.stop();
    await producer.close();
  }

  expect(statements.length).toBeGreaterThan(0);
  const [query, parameters] = statements[0];
  expect((parameters[2] as string[]).length).toBeGreaterThan(0); // the events' ids were looked up
  const plan = await queryPlan(db, query, parameters);
  expect(plan).toMatch(/(Index Only Scan|Index Scan|Bitmap Index Scan) (using|on) inbox_pkey/);
  expect(plan).not.toMatch(/inbox_processed|Seq Scan on inbox/);
  expect(plan).not.toMatch(/Seq Scan on parked_event/);
});
