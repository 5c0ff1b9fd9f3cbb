import { SpanKind, trace, type Span } from '@opentelemetry/api';
import { extractTraceContext, inSpan, logger, markFailed, traceHeaders, tracer, tracingEnabled } from '@opsgraph/core';
import { CE_EXTENSIONS, extensionsOf } from './envelope';
import type { ReceivedMessage, Transport, TransportMessage } from './transport';

/**
 * Tracing of the event flow (see libs/core/src/tracing.ts): the outbox row keeps the `traceparent` of the
 * change that recorded it; the relay publishes it under a `publish <topic>` producer span, child of that
 * context, and puts the span's own `traceparent` on the message; the consumer handles it under a
 * `consume <type>` span, child of the message's context, so the handler's SQL and the events it records
 * in turn stay in the request's trace. With tracing off, messages go as they are.
 */

const messagingAttributes = (transport: Transport['kind'], message: TransportMessage) => ({
  'messaging.system': transport,
  'messaging.destination.name': message.topic,
  'messaging.message.id': message.headers.ce_id,
  'cloudevents.event_id': message.headers.ce_id,
  'cloudevents.event_type': message.headers.ce_type,
  'cloudevents.event_subject': message.headers.ce_subject,
});

/** Publishes a batch, each message that carries a trace context under a producer span of its own. */
export async function publishTraced(transport: Transport, messages: TransportMessage[]): Promise<void> {
  if (!tracingEnabled()) return transport.publish(messages);
  const spans: Span[] = [];
  const traced = messages.map((message) => {
    // A row recorded outside any trace (tracing off in its process, a scheduled job) starts none here.
    const extensions = extensionsOf(message.headers);
    if (!extensions.traceparent) return message;
    const parent = extractTraceContext(extensions);
    const span = tracer().startSpan(`publish ${message.topic}`, { kind: SpanKind.PRODUCER, attributes: { 'messaging.operation.type': 'send', ...messagingAttributes(transport.kind, message) } }, parent);
    spans.push(span);
    const own = traceHeaders(trace.setSpan(parent, span));
    return { ...message, headers: { ...message.headers, ...(own.traceparent ? { [CE_EXTENSIONS.traceparent]: own.traceparent } : {}) } };
  });
  try {
    await transport.publish(traced);
  } catch (err) {
    for (const span of spans) markFailed(span, err);
    throw err;
  } finally {
    for (const span of spans) span.end();
  }
}

/**
 * Handles one received message under a `consume <type>` span (child of its `traceparent`, when tracing is
 * on) and writes the consumer's log line for it, with the request id and (tracing on) trace id.
 */
export function consumeTraced<T extends string>(consumer: string, transport: Transport['kind'], message: ReceivedMessage, handle: () => Promise<T>): Promise<T> {
  const type = message.headers.ce_type ?? 'unknown';
  const started = performance.now();
  const run = async (span: Span) => {
    let outcome: T | 'unfinished' = 'unfinished';
    try {
      outcome = await handle();
      span.setAttribute('opsgraph.event.outcome', outcome);
      return outcome;
    } finally {
      // Events a consumer has no use for (or has seen) are routine: only applied, parked and failed ones are worth a line at info.
      logger[outcome === 'ignored' || outcome === 'duplicate' ? 'debug' : 'info'](
        { consumer, type, eventId: message.headers.ce_id, topic: message.topic, partition: message.partition, offset: message.offset, requestId: extensionsOf(message.headers).requestid, outcome, durationMs: Math.round(performance.now() - started) },
        'event consumed',
      );
    }
  };
  // The span's options only when tracing is on: they cost a few microseconds per event for nothing otherwise.
  const options = tracingEnabled()
    ? {
        kind: SpanKind.CONSUMER,
        parent: extractTraceContext(extensionsOf(message.headers)),
        attributes: { 'messaging.operation.type': 'process', 'messaging.consumer.group.name': consumer, ...messagingAttributes(transport, message) },
      }
    : {};
  return inSpan(`consume ${type}`, options, run);
}
