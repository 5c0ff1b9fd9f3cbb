import { context, isSpanContextValid, trace } from '@opentelemetry/api';
import pino from 'pino';
import { logLevel } from './config';

/**
 * One structured JSON logger for every process. Level from OPSGRAPH_LOG_LEVEL (or LOG_LEVEL); silent under
 * NODE_ENV=test unless set, so test output stays readable. A line written while a span is active (tracing
 * on) carries its `traceId` and `spanId`, so logs and traces join up; request lines also carry `requestId`.
 */
export const logger = pino({
  level: logLevel(),
  base: undefined,
  // The process's service comes from the mixin, not `base`, so a line that names its service (several share
  // one process in tests) has the key once.
  mixin() {
    const service = process.env.OPSGRAPH_SERVICE;
    const spanContext = trace.getSpan(context.active())?.spanContext();
    return spanContext && isSpanContextValid(spanContext) ? { service, traceId: spanContext.traceId, spanId: spanContext.spanId } : { service };
  },
});
export type Logger = typeof logger;
