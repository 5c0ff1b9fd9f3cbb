import http from 'node:http';
import net, { type AddressInfo } from 'node:net';
import path from 'node:path';
import { ROOT_CONTEXT, SpanKind, context, createContextKey, propagation, trace } from '@opentelemetry/api';
import { InMemorySpanExporter, type ReadableSpan } from '@opentelemetry/sdk-trace';
import { REQUEST_ID_ATTRIBUTE, devToken, startTracing, tracingEnabled, type Caller } from '@opsgraph/core';
import { OutboxEvent } from '@opsgraph/events';
import { captureLogs, eventually, exitSignal, ok, people, spawnTs, startTestGateway, startTestService, untilPlacesKnown, type TestGateway, type TestService } from '@opsgraph/testing';
import { service as permitsService } from '../../permits/src/service';
import { service as workService } from '../src/service';
import { seedPlant, type Plant } from './fixtures';

/**
 * Tracing and request logs, end to end: the real gateway, Permits and Work (each with its relay and
 * consumer on the run's event transport, Kafka when KAFKA_BROKERS is set), real Postgres. Subgraph calls
 * go through a pass-through HTTP recorder, to see what the gateway actually sends.
 *
 * Off (the default), nothing is registered with OpenTelemetry and no trace context travels. On (with an
 * in-memory exporter), one mutation through the gateway is one trace: gateway spans → the Permits server
 * span → its SQL → the relay's publish → Work's consume span → Work's SQL.
 */

delete process.env.OPSGRAPH_TRACING;

interface Recorder {
  url: string;
  /** Headers of every request passed through, oldest first. */
  seen: http.IncomingHttpHeaders[];
  close(): Promise<void>;
}

/** A plain HTTP pass-through in front of a subgraph that remembers the request headers it forwarded. */
async function recorder(target: string): Promise<Recorder> {
  const seen: http.IncomingHttpHeaders[] = [];
  const server = http.createServer((req, res) => {
    seen.push(req.headers);
    const upstream = http.request(new URL(req.url ?? '/', target), { method: req.method, headers: req.headers }, (answer) => {
      res.writeHead(answer.statusCode ?? 502, answer.headers);
      answer.pipe(res);
    });
    upstream.on('error', () => {
      res.writeHead(502);
      res.end();
    });
    req.pipe(upstream);
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  return {
    url: `http://127.0.0.1:${(server.address() as AddressInfo).port}/graphql`,
    seen,
    close: () =>
      new Promise<void>((resolve) => {
        server.close(() => resolve());
        server.closeAllConnections();
      }),
  };
}

function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const server = net.createServer();
    server.once('error', reject);
    server.listen(0, '127.0.0.1', () => {
      const { port } = server.address() as AddressInfo;
      server.close(() => resolve(port));
    });
  });
}

let work: TestService;
let permits: TestService;
let workRecorder: Recorder;
let permitsRecorder: Recorder;
let gateway: TestGateway;
let plant: Plant;

beforeAll(async () => {
  [work, permits] = await Promise.all([startTestService(workService), startTestService(permitsService)]);
  [workRecorder, permitsRecorder] = await Promise.all([recorder(work.url), recorder(permits.url)]);
  gateway = await startTestGateway({ work: workRecorder.url, permits: permitsRecorder.url });
  plant = await seedPlant(work);
}, 90_000);
afterAll(async () => {
  await gateway?.stop();
  await Promise.all([workRecorder?.close(), permitsRecorder?.close()]);
  await Promise.all([work?.stop(), permits?.stop()]);
});

/** A GraphQL call through the gateway as a client makes it; returns the data and the request id the gateway answered with. */
async function viaGateway(query: string, variables: Record<string, unknown>, caller: Caller = people.supervisor) {
  const res = await fetch(gateway.url, {
    method: 'POST',
    headers: { 'content-type': 'application/json', authorization: `Bearer ${await devToken(caller)}` },
    body: JSON.stringify({ query, variables }),
  });
  const body = (await res.json()) as { data?: any; errors?: unknown[] };
  if (body.errors?.length) throw new Error(`unexpected errors: ${JSON.stringify(body.errors)}`);
  return { data: body.data, requestId: res.headers.get('x-request-id') ?? '', response: res };
}

const createWorkItem = (title: string) =>
  viaGateway(`mutation($i: CreateWorkItemInput!) { createWorkItem(input: $i) { id } }`, { i: { type: 'MAINTENANCE', title, siteId: plant.siteId, assetId: plant.assetId } });

test('off by default: nothing is registered, no traceparent travels, and the request log lines carry the request id', async () => {
  expect(tracingEnabled()).toBe(false);
  // No tracer provider: spans record nothing and have no ids.
  const probe = trace.getTracer('probe').startSpan('probe');
  expect(probe.isRecording()).toBe(false);
  expect(trace.isSpanContextValid(probe.spanContext())).toBe(false);
  probe.end();
  // No propagator, no context manager (so no AsyncLocalStorage on any request).
  expect(propagation.fields()).toEqual([]);
  const key = createContextKey('probe');
  expect(context.with(ROOT_CONTEXT.setValue(key, 1), () => context.active().getValue(key))).toBeUndefined();

  const logs = captureLogs();
  let created;
  try {
    created = await createWorkItem('Tracing off: check the seal');
  } finally {
    logs.stop();
  }
  const { requestId, response } = created;
  expect(requestId).toMatch(/^[0-9a-f-]{36}$/);
  expect(response.headers.get('traceparent')).toBeNull();

  // The gateway told Work the request id, and nothing about traces.
  const call = workRecorder.seen.find((h) => h['x-request-id'] === requestId);
  expect(call).toBeDefined();
  expect(call!.traceparent).toBeUndefined();
  // The event keeps the request id, and no trace context.
  const [row] = await work.db.getRepository(OutboxEvent).findBy({ subject: created.data.createWorkItem.id, type: 'opsgraph.work.work_item.created' });
  expect(row.headers).toEqual({ requestid: requestId });

  // One "request completed" line in the gateway and one in Work, with the request id the gateway assigned.
  const requestLines = logs.lines.filter((l) => l.msg === 'request completed' && l.requestId === requestId);
  expect(requestLines).toHaveLength(2);
  for (const line of requestLines) {
    expect(line).toMatchObject({ level: 30, method: 'POST', path: '/graphql', status: 200 });
    expect(typeof line.durationMs).toBe('number');
    expect(line.traceId).toBeUndefined();
  }
});

test('on: one mutation through the gateway is one trace, from the gateway through Permits, its SQL and the event to Work’s consumer', async () => {
  // The job first, known to Permits (from Work's events) before the permit names it.
  const job = (await createWorkItem('Weld the bracket on P-301')).data.createWorkItem.id as string;
  await untilPlacesKnown(permits.db, [plant.siteId]);
  await eventually(async () => (await permits.db.query(`SELECT 1 FROM known_work_item WHERE work_item_id = $1`, [job])).length > 0);
  const exporter = new InMemorySpanExporter();
  const tracing = startTracing('opsgraph-test', { exporter });
  expect(tracing.enabled).toBe(true);
  expect(tracingEnabled()).toBe(true);
  const logs = captureLogs();
  try {
    const { data, requestId } = await viaGateway(`mutation($i: CreatePermitInput!) { createPermit(input: $i) { id number } }`, {
      i: { type: 'HOT_WORK', description: 'Cut and weld P-301 discharge bracket', siteId: plant.siteId, siteCode: 'GRN', workItemIds: [job], validTo: new Date(Date.now() + 8 * 3600_000).toISOString() },
    });
    const permitId = data.createPermit.id as string;

    // Work applies the permit's "valid permit" prerequisite: its consumer span ends after the commit.
    const consumeName = 'consume opsgraph.permits.prerequisite.required';
    await eventually(() => exporter.getFinishedSpans().some((s) => s.name === consumeName && s.attributes['cloudevents.event_subject'] === permitId), 60_000);
    await tracing.flush();
    const item = ok(await work.query(`query($id: ID!) { workItem(id: $id) { prerequisites { kind sourceDomain sourceRecordId } } }`, { id: job })).workItem;
    expect(item.prerequisites).toContainEqual({ kind: 'PERMIT_VALID', sourceDomain: 'PERMITS', sourceRecordId: permitId });

    const spans = exporter.getFinishedSpans();
    const byId = new Map(spans.map((s) => [s.spanContext().spanId, s]));
    const parentOf = (s: ReadableSpan) => (s.parentSpanContext ? byId.get(s.parentSpanContext.spanId) : undefined);
    const descends = (s: ReadableSpan, ancestor: ReadableSpan): boolean => {
      for (let p = parentOf(s); p; p = parentOf(p)) if (p === ancestor) return true;
      return false;
    };

    // The gateway's server span is the root, and names the request id it assigned.
    const root = spans.find((s) => s.kind === SpanKind.SERVER && s.attributes[REQUEST_ID_ATTRIBUTE] === requestId && !s.attributes['opsgraph.service']);
    expect(root).toBeDefined();
    expect(root!.parentSpanContext).toBeUndefined();
    const traceId = root!.spanContext().traceId;
    const inTrace = spans.filter((s) => s.spanContext().traceId === traceId);

    // Apollo Gateway's own spans, under ours.
    const fetches = inTrace.filter((s) => s.name === 'gateway.fetch' && s.attributes.service === 'permits');
    expect(fetches.length).toBeGreaterThan(0);
    for (const f of fetches) expect(descends(f, root!)).toBe(true);

    // Permits' server span, child of the gateway's fetch: the gateway sent `traceparent` (seen on the wire).
    const permitsServer = inTrace.find((s) => s.kind === SpanKind.SERVER && s.attributes['opsgraph.service'] === 'permits');
    expect(permitsServer).toBeDefined();
    expect(permitsServer!.attributes[REQUEST_ID_ATTRIBUTE]).toBe(requestId);
    expect(fetches).toContain(parentOf(permitsServer!));
    const sent = permitsRecorder.seen.find((h) => h['x-request-id'] === requestId);
    expect(sent?.traceparent).toBe(`00-${traceId}-${permitsServer!.parentSpanContext!.spanId}-01`);

    // Its SQL, the outbox insert among it.
    const isSql = (s: ReadableSpan) => s.instrumentationScope.name === '@opentelemetry/instrumentation-pg' && s.kind === SpanKind.CLIENT;
    const sqlText = (s: ReadableSpan) => String(s.attributes['db.query.text'] ?? s.attributes['db.statement'] ?? '');
    const permitsSql = inTrace.filter((s) => isSql(s) && descends(s, permitsServer!));
    expect(permitsSql.some((s) => /INSERT INTO "outbox"/i.test(sqlText(s)))).toBe(true);

    // The relay's publish, under the request that recorded the event; Work's consumer under the publish.
    const publish = inTrace.find((s) => s.kind === SpanKind.PRODUCER && s.name === 'publish opsgraph.permits.v1' && s.attributes['cloudevents.event_type'] === 'opsgraph.permits.prerequisite.required');
    expect(publish).toBeDefined();
    expect(descends(publish!, permitsServer!)).toBe(true);
    const consume = inTrace.find((s) => s.kind === SpanKind.CONSUMER && s.name === consumeName && s.attributes['messaging.consumer.group.name'] === 'work');
    expect(consume).toBeDefined();
    expect(parentOf(consume!)).toBe(publish);
    expect(consume!.attributes['opsgraph.event.outcome']).toBe('applied');
    // …and Work's SQL under its consumer span: the inbox row and the prerequisite.
    const workSql = inTrace.filter((s) => isSql(s) && descends(s, consume!)).map(sqlText);
    expect(workSql.some((q) => /INSERT INTO inbox/i.test(q))).toBe(true);
    expect(workSql.some((q) => /INSERT INTO "prerequisite"/i.test(q))).toBe(true);

    // The log lines of the request and of its consequence carry the request id and the trace id.
    const requestLines = logs.lines.filter((l) => l.msg === 'request completed' && l.requestId === requestId);
    expect(requestLines).toHaveLength(2); // the gateway's and Permits'
    for (const line of requestLines) expect(line.traceId).toBe(traceId);
    const consumed = logs.lines.find((l) => l.msg === 'event consumed' && l.consumer === 'work' && l.type === 'opsgraph.permits.prerequisite.required' && l.requestId === requestId);
    expect(consumed).toMatchObject({ traceId, outcome: 'applied' });
  } finally {
    logs.stop();
    await tracing.shutdown();
  }
  // Shut down, tracing unregisters: the process is back to no tracing at all.
  expect(tracingEnabled()).toBe(false);
  expect(trace.getTracer('probe').startSpan('probe').isRecording()).toBe(false);
});

test('OPSGRAPH_TRACING=otlp: a gateway process exports its spans to OTEL_EXPORTER_OTLP_ENDPOINT and sends traceparent on; wrong values are refused', async () => {
  const saved = { mode: process.env.OPSGRAPH_TRACING, endpoint: process.env.OTEL_EXPORTER_OTLP_ENDPOINT };
  try {
    process.env.OPSGRAPH_TRACING = 'jaeger';
    expect(() => startTracing('gateway')).toThrow('environment variable OPSGRAPH_TRACING must be one of off, otlp, console, got "jaeger"');
    process.env.OPSGRAPH_TRACING = 'otlp';
    process.env.OTEL_EXPORTER_OTLP_ENDPOINT = 'collector:4318';
    expect(() => startTracing('gateway')).toThrow('environment variable OTEL_EXPORTER_OTLP_ENDPOINT must be an http(s) URL, got "collector:4318"');
    expect(tracingEnabled()).toBe(false);
  } finally {
    for (const [name, value] of [['OPSGRAPH_TRACING', saved.mode], ['OTEL_EXPORTER_OTLP_ENDPOINT', saved.endpoint]] as const) {
      if (value === undefined) delete process.env[name];
      else process.env[name] = value;
    }
  }

  // A collector that accepts OTLP/HTTP JSON.
  const received: { path: string; contentType: string; body: any }[] = [];
  const collector = http.createServer((req, res) => {
    const chunks: Buffer[] = [];
    req.on('data', (c: Buffer) => chunks.push(c));
    req.on('end', () => {
      received.push({ path: req.url ?? '', contentType: req.headers['content-type'] ?? '', body: JSON.parse(Buffer.concat(chunks).toString('utf8')) });
      res.writeHead(200, { 'content-type': 'application/json' });
      res.end('{}');
    });
  });
  await new Promise<void>((resolve) => collector.listen(0, '127.0.0.1', resolve));
  // The real gateway in a process of its own (OTLP/HTTP needs a plain Node runtime, not Jest's), configured by environment only.
  const port = await freePort();
  const child = spawnTs(path.join(__dirname, 'fixtures', 'gateway-process.ts'), {
    OPSGRAPH_TRACING: 'otlp',
    OTEL_EXPORTER_OTLP_ENDPOINT: `http://127.0.0.1:${(collector.address() as AddressInfo).port}`,
    OPSGRAPH_GATEWAY_PORT: String(port),
    OPSGRAPH_WORK_URL: workRecorder.url,
    OPSGRAPH_PERMITS_URL: permitsRecorder.url,
    APOLLO_TELEMETRY_DISABLED: 'true',
  });
  const exited = exitSignal(child);
  try {
    const url = `http://127.0.0.1:${port}/graphql`;
    await eventually(async () => (await fetch(`http://127.0.0.1:${port}/health`)).ok, 60_000, 200);
    const res = await fetch(url, {
      method: 'POST',
      headers: { 'content-type': 'application/json', authorization: `Bearer ${await devToken(people.supervisor)}` },
      body: JSON.stringify({ query: `query($id: ID!) { site(id: $id) { id code } }`, variables: { id: plant.siteId } }),
    });
    expect(await res.json()).toEqual({ data: { site: { id: plant.siteId, code: 'GRN' } } });
    const requestId = res.headers.get('x-request-id');
    const sent = workRecorder.seen.find((h) => h['x-request-id'] === requestId);
    expect(sent?.traceparent).toMatch(/^00-[0-9a-f]{32}-[0-9a-f]{16}-01$/);

    child.kill('SIGTERM'); // graceful: the last spans are flushed before the process exits
    expect(await exited).toBeNull();
    expect(child.exitCode).toBe(0);

    expect(received.map((r) => [r.path, r.contentType])).toContainEqual(['/v1/traces', 'application/json']);
    const resourceSpans = received.flatMap((r) => r.body.resourceSpans as any[]);
    expect(resourceSpans[0].resource.attributes).toContainEqual({ key: 'service.name', value: { stringValue: 'gateway' } });
    const spans = resourceSpans.flatMap((rs) => rs.scopeSpans.flatMap((ss: any) => ss.spans as any[]));
    const server = spans.find((s) => s.kind === 2 && s.attributes.some((a: any) => a.key === REQUEST_ID_ATTRIBUTE && a.value.stringValue === requestId));
    expect(server).toBeDefined();
    // The traceparent Work received names this trace and the gateway's fetch span for Work.
    const [, traceId, parentId] = sent!.traceparent!.toString().split('-');
    expect(server.traceId).toBe(traceId);
    expect(spans.find((s) => s.spanId === parentId)).toMatchObject({ name: 'gateway.fetch', traceId });
  } finally {
    if (child.exitCode === null && child.signalCode === null) child.kill('SIGKILL');
    await exited;
    await new Promise<void>((resolve) => {
      collector.close(() => resolve());
      collector.closeAllConnections();
    });
  }
});
