import { randomBytes } from 'node:crypto';
import { SpanKind } from '@opentelemetry/api';
import { InMemorySpanExporter, type ReadableSpan } from '@opentelemetry/sdk-trace';
import { dropDatabase, inSpan, startTracing, type Tracing } from '@opsgraph/core';
import { OutboxEvent, PostgresTransport, startConsumer, type Consumer } from '@opsgraph/events';
import { eventually, startTestProducer, type TestProducer } from '@opsgraph/testing';
import { HOLD, consumerDatabase, effectConsumer, effectCounts, holdData } from './fixtures/effects';

/**
 * The trace context through the event flow on the Postgres bus (the Kafka path is covered end to end in
 * services/work/test/tracing.test.ts): the outbox row keeps the recording span's `traceparent`, the relay
 * publishes under a producer span, and the consumer handles the event under a consumer span in that
 * trace, the handler's SQL included, also when the event was parked and is applied later.
 */

const database = `test_bus_${randomBytes(4).toString('hex')}`;
let bus: PostgresTransport;
let producer: TestProducer;
let effects: Awaited<ReturnType<typeof consumerDatabase>>;
let consumer: Consumer;
let tracing: Tracing;
const exporter = new InMemorySpanExporter();

beforeAll(async () => {
  tracing = startTracing('events-test', { exporter });
  bus = new PostgresTransport({ database, pollIntervalMs: 200 });
  producer = await startTestProducer('permits', bus, { pollIntervalMs: 200 });
  effects = await consumerDatabase();
  consumer = await startConsumer(effects.db, bus, effectConsumer({ groupId: 'traced', parkedRetryMs: 300 }));
});
afterAll(async () => {
  await consumer?.stop();
  await producer?.close();
  await effects?.close();
  await bus?.close();
  await dropDatabase(database);
  await tracing?.shutdown();
});

const spans = () => exporter.getFinishedSpans();
const parentOf = (s: ReadableSpan) => spans().find((p) => p.spanContext().spanId === s.parentSpanContext?.spanId);
const consumeSpans = (eventId: string) => spans().filter((s) => s.kind === SpanKind.CONSUMER && s.attributes['cloudevents.event_id'] === eventId);
const isSql = (s: ReadableSpan) => s.instrumentationScope.name === '@opentelemetry/instrumentation-pg';

/** Records one hold request inside a server span of its own, as a subgraph request would; returns the event id and that span's trace. */
async function recordInRequest(record: string, reason?: string) {
  return inSpan('request', { kind: SpanKind.SERVER }, async (span) => ({
    eventId: await producer.record('work.hold_requested', `permit-${record}`, holdData(record, reason)),
    traceId: span.spanContext().traceId,
    spanId: span.spanContext().spanId,
  }));
}

test('outbox → relay → Postgres bus → consumer stays in the trace of the request that recorded the event', async () => {
  const { eventId, traceId, spanId } = await recordInRequest('traced-1');
  const row = await producer.db.getRepository(OutboxEvent).findOneByOrFail({ eventId });
  expect(row.headers.traceparent).toBe(`00-${traceId}-${spanId}-01`);

  const consumed = await eventually(() => consumeSpans(eventId).find((s) => s.attributes['opsgraph.event.outcome'] === 'applied'), 30_000);
  expect(consumed.name).toBe(`consume ${HOLD}`);
  expect(consumed.attributes).toMatchObject({ 'messaging.system': 'postgres', 'messaging.consumer.group.name': 'traced', 'messaging.destination.name': 'opsgraph.permits.v1' });
  expect(consumed.spanContext().traceId).toBe(traceId);
  const publish = parentOf(consumed)!;
  expect(publish).toMatchObject({ name: 'publish opsgraph.permits.v1', kind: SpanKind.PRODUCER });
  expect(publish.parentSpanContext?.spanId).toBe(spanId);
  // The handler's SQL runs inside the consumer span.
  const handlerSql = spans().filter((s) => isSql(s) && s.parentSpanContext?.spanId === consumed.spanContext().spanId);
  expect(handlerSql.map((s) => String(s.attributes['db.query.text']))).toContainEqual(expect.stringMatching(/^INSERT INTO effect/));
  expect((await effectCounts(effects.db)).get('traced-1')).toBe(1);
});

test('an event parked until another arrives is applied later in its own trace', async () => {
  const waiting = await recordInRequest('traced-3', 'after:traced-2');
  await eventually(() => consumeSpans(waiting.eventId).some((s) => s.attributes['opsgraph.event.outcome'] === 'parked'), 30_000);
  const cause = await recordInRequest('traced-2');
  expect(cause.traceId).not.toBe(waiting.traceId);

  const applied = await eventually(() => consumeSpans(waiting.eventId).find((s) => s.attributes['opsgraph.event.outcome'] === 'applied'), 30_000);
  expect(applied.spanContext().traceId).toBe(waiting.traceId);
  const causeSpan = consumeSpans(cause.eventId).find((s) => s.attributes['opsgraph.event.outcome'] === 'applied');
  expect(causeSpan?.spanContext().traceId).toBe(cause.traceId);
  const counts = await effectCounts(effects.db);
  expect([counts.get('traced-2'), counts.get('traced-3')]).toEqual([1, 1]);
});
