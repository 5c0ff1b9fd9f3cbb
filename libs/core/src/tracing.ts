import {
  INVALID_SPAN_CONTEXT,
  ROOT_CONTEXT,
  SpanKind,
  SpanStatusCode,
  context,
  isSpanContextValid,
  propagation,
  trace,
  type Attributes,
  type Context,
  type Span,
  type Tracer,
} from '@opentelemetry/api';
import type { SpanExporter, SpanProcessor } from '@opentelemetry/sdk-trace';
import { tracingConfig, type TracingMode } from './config';
import { logger } from './logger';

/**
 * OpenTelemetry tracing, off unless OPSGRAPH_TRACING says otherwise. Off means nothing is registered with
 * @opentelemetry/api (no provider, no context manager, no propagator) and every helper here returns at once:
 * no spans, no `traceparent` on subgraph calls or events.
 *
 * On, one trace follows a request: the gateway's server span and Apollo Gateway's own spans
 * (`gateway.request`, `gateway.plan`, `gateway.fetch`…), `traceparent` on every subgraph call, the
 * subgraph's server span, its SQL (`pg.query:*`, instrumentation-pg), the event it records (the outbox
 * row keeps the trace context, the relay's `publish <topic>` span puts its own on the message) and the
 * consuming service's `consume <type>` span with that consumer's SQL.
 *
 * Several services may share one process (tests): the first `startTracing` registers, later ones share it,
 * and the last `shutdown` flushes and unregisters.
 */

export interface TracingOptions {
  /** Overrides OPSGRAPH_TRACING. */
  mode?: TracingMode;
  /** Test hook: spans go to this exporter, one by one as they end (tracing is on whatever the environment says). */
  exporter?: SpanExporter;
}

export interface Tracing {
  /** Whether this process traces (false: `OPSGRAPH_TRACING` is off and nothing was registered). */
  readonly enabled: boolean;
  /** Exports what has ended so far. */
  flush(): Promise<void>;
  /** Gives up this service's share; the last one flushes and unregisters. Idempotent. */
  shutdown(): Promise<void>;
}

interface Registered {
  users: number;
  provider: { forceFlush(): Promise<void>; shutdown(): Promise<void> };
  unpatchPg: () => void;
}

let registered: Registered | null = null;

/** True while a tracer provider of ours is registered: the cheap check every hot path makes first. */
export const tracingEnabled = (): boolean => registered !== null;

export const TRACER_NAME = 'opsgraph';
export const tracer = (): Tracer => trace.getTracer(TRACER_NAME);

/** Span attribute with the request id, on server spans (the id also in logs, the audit trail and events). */
export const REQUEST_ID_ATTRIBUTE = 'opsgraph.request_id';

const OFF: Tracing = { enabled: false, flush: async () => undefined, shutdown: async () => undefined };

/**
 * Starts tracing for a process (or joins the tracing another service in this process started). Reads
 * OPSGRAPH_TRACING (off | otlp | console) and, for otlp, OTEL_EXPORTER_OTLP_ENDPOINT; throws with a clear
 * message on a wrong value.
 */
export function startTracing(serviceName: string, options: TracingOptions = {}): Tracing {
  const mode: TracingMode = options.mode ?? tracingConfig().mode;
  if (!options.exporter && mode === 'off') return OFF;
  if (registered) {
    if (options.exporter) throw new Error('tracing is already started in this process: the test exporter would see nothing');
    registered.users++;
  } else {
    registered = register(serviceName, mode, options.exporter);
    if (!registered) return OFF;
  }
  const mine = registered;
  let done = false;
  return {
    enabled: true,
    flush: () => mine.provider.forceFlush(),
    async shutdown() {
      if (done) return;
      done = true;
      if (--mine.users > 0 || registered !== mine) return;
      registered = null;
      mine.unpatchPg();
      await mine.provider.shutdown().catch((err) => logger.warn({ err: (err as Error).message }, 'tracing: spans could not be flushed'));
      trace.disable();
      propagation.disable();
      context.disable();
    },
  };
}

function register(serviceName: string, mode: TracingMode, testExporter?: SpanExporter): Registered | null {
  // Loaded only when tracing is on: a process that does not trace does not even load the SDK.
  /* eslint-disable @typescript-eslint/no-require-imports */
  const sdk = require('@opentelemetry/sdk-trace') as typeof import('@opentelemetry/sdk-trace');
  const { AsyncLocalStorageContextManager } = require('@opentelemetry/context-async-hooks') as typeof import('@opentelemetry/context-async-hooks');
  const { W3CTraceContextPropagator } = require('@opentelemetry/core') as typeof import('@opentelemetry/core');
  const { resourceFromAttributes } = require('@opentelemetry/resources') as typeof import('@opentelemetry/resources');
  const { ATTR_SERVICE_NAME } = require('@opentelemetry/semantic-conventions') as typeof import('@opentelemetry/semantic-conventions');
  /* eslint-enable @typescript-eslint/no-require-imports */

  let processor: SpanProcessor;
  let target: string;
  if (testExporter) {
    processor = new sdk.SimpleSpanProcessor({ exporter: testExporter });
    target = 'test exporter';
  } else if (mode === 'otlp') {
    const { otlpTracesUrl } = tracingConfig();
    // eslint-disable-next-line @typescript-eslint/no-require-imports
    const { OTLPTraceExporter } = require('@opentelemetry/exporter-trace-otlp-http') as typeof import('@opentelemetry/exporter-trace-otlp-http');
    processor = new sdk.BatchSpanProcessor({ exporter: new OTLPTraceExporter({ url: otlpTracesUrl }) as unknown as SpanExporter });
    target = otlpTracesUrl;
  } else {
    processor = new sdk.BatchSpanProcessor({ exporter: new sdk.ConsoleSpanExporter() });
    target = 'stdout';
  }
  const provider = new sdk.TracerProvider({
    resource: resourceFromAttributes({ [ATTR_SERVICE_NAME]: serviceName, 'service.namespace': 'opsgraph' }),
    spanProcessors: [processor],
  });
  const contextManager = new AsyncLocalStorageContextManager().enable();
  if (!context.setGlobalContextManager(contextManager) || !propagation.setGlobalPropagator(new W3CTraceContextPropagator()) || !trace.setGlobalTracerProvider(provider)) {
    // Something else in the process registered OpenTelemetry first: leave it alone.
    logger.warn({ service: serviceName }, 'tracing: OpenTelemetry is already registered in this process; not starting ours');
    trace.disable();
    propagation.disable();
    context.disable();
    void provider.shutdown();
    return null;
  }
  const unpatchPg = instrumentPg(provider);
  logger.info({ service: serviceName, mode: testExporter ? 'test' : mode, exportTo: target }, 'tracing on');
  return { users: 1, provider, unpatchPg };
}

/**
 * SQL spans from @opentelemetry/instrumentation-pg. Its require hook only sees a `pg` loaded after it (and
 * never inside Jest's module registry), while libs/core loads `pg` at once; so the instrumentation's patch
 * is applied to the loaded module directly: `Client.prototype.query` is wrapped in place, which covers
 * every pool TypeORM creates. Only queries inside a span are traced (requireParentSpan): the relay's
 * polling and LISTEN connections make no traces of their own.
 */
function instrumentPg(provider: import('@opentelemetry/api').TracerProvider): () => void {
  /* eslint-disable @typescript-eslint/no-require-imports */
  const { PgInstrumentation } = require('@opentelemetry/instrumentation-pg') as typeof import('@opentelemetry/instrumentation-pg');
  const pg = require('pg');
  const version = (require('pg/package.json') as { version: string }).version;
  /* eslint-enable @typescript-eslint/no-require-imports */
  const instrumentation = new PgInstrumentation({ enabled: false, requireParentSpan: true });
  instrumentation.setTracerProvider(provider);
  const definition = instrumentation.getModuleDefinitions().find((d) => d.name === 'pg');
  if (!definition?.patch) {
    logger.warn('tracing: instrumentation-pg has no patch for pg; SQL is not traced');
    return () => undefined;
  }
  definition.patch(pg, version);
  return () => definition.unpatch?.(pg, version);
}

/** A carrier the W3C propagator writes into: a plain header record, or a fetch/undici `Headers`. */
type HeaderCarrier = Record<string, string> | { set(name: string, value: string): unknown };

/** Writes the trace context of `ctx` (default: the active one) as `traceparent` into outgoing headers; nothing when tracing is off. */
export function injectTraceContext(headers: HeaderCarrier, ctx: Context = context.active()): void {
  if (!registered) return;
  const set = typeof headers.set === 'function' ? (headers as { set(name: string, value: string): unknown }) : null;
  propagation.inject(ctx, headers, {
    set: (carrier, key, value) => (set ? set.set(key, value) : ((carrier as Record<string, string>)[key] = value)),
  });
}

/**
 * The `traceparent` of the active span, for records that outlive the request (outbox rows): `{}` when
 * tracing is off or nothing is being traced.
 */
export function traceHeaders(ctx: Context = context.active()): { traceparent?: string } {
  if (!registered) return {};
  const carrier: Record<string, string> = {};
  injectTraceContext(carrier, ctx);
  return carrier.traceparent ? { traceparent: carrier.traceparent } : {};
}

/** The trace context incoming headers carry (`traceparent`), to parent a server or consumer span on; the root context when off or absent. */
export function extractTraceContext(headers: Record<string, string | string[] | undefined>): Context {
  if (!registered) return ROOT_CONTEXT;
  return propagation.extract(ROOT_CONTEXT, headers);
}

/** Trace id of the active span, if tracing is on and a span is active. */
export function activeTraceId(): string | undefined {
  const span = trace.getSpan(context.active());
  const spanContext = span?.spanContext();
  return spanContext && isSpanContextValid(spanContext) ? spanContext.traceId : undefined;
}

const NOT_TRACED: Span = trace.wrapSpanContext(INVALID_SPAN_CONTEXT);

export interface InSpanOptions {
  kind?: SpanKind;
  attributes?: Attributes;
  /** Parent context; default the active one. */
  parent?: Context;
}

/**
 * Runs `work` inside a new active span (ended when it settles; a throw marks it as an error). With tracing
 * off, just runs `work` with a span that records nothing.
 */
export async function inSpan<T>(name: string, options: InSpanOptions, work: (span: Span) => Promise<T>): Promise<T> {
  if (!registered) return work(NOT_TRACED);
  const parent = options.parent ?? context.active();
  const span = tracer().startSpan(name, { kind: options.kind ?? SpanKind.INTERNAL, attributes: options.attributes }, parent);
  try {
    return await context.with(trace.setSpan(parent, span), () => work(span));
  } catch (err) {
    markFailed(span, err);
    throw err;
  } finally {
    span.end();
  }
}

/** Records an error on a span and marks it failed. */
export function markFailed(span: Span, err: unknown): void {
  span.recordException(err instanceof Error ? err : String(err));
  span.setStatus({ code: SpanStatusCode.ERROR, message: err instanceof Error ? err.message : String(err) });
}
