import { context, isSpanContextValid, trace } from '@opentelemetry/api';
import pino from 'pino';
import { logLevel } from './config';

export const LOG_FORMATS = ['json', 'pretty'] as const;
export type LogFormat = (typeof LOG_FORMATS)[number];

/** OPSGRAPH_LOG_FORMAT=json|pretty; default pretty under NODE_ENV=development (a person reads it), JSON anywhere else. */
export function logFormat(): LogFormat {
  const raw = process.env.OPSGRAPH_LOG_FORMAT?.trim().toLowerCase();
  if (!raw) return process.env.NODE_ENV === 'development' ? 'pretty' : 'json';
  if (!(LOG_FORMATS as readonly string[]).includes(raw)) throw new Error(`environment variable OPSGRAPH_LOG_FORMAT must be one of ${LOG_FORMATS.join(', ')}, got "${process.env.OPSGRAPH_LOG_FORMAT}"`);
  return raw as LogFormat;
}

const LEVEL_NAMES: Record<number, string> = { 10: 'TRACE', 20: 'DEBUG', 30: 'INFO', 40: 'WARN', 50: 'ERROR', 60: 'FATAL' };
const value = (v: unknown) => (typeof v === 'string' ? (/[\s"=]/.test(v) || v === '' ? JSON.stringify(v) : v) : JSON.stringify(v));

/**
 * One pino JSON line as a person reads it: `12:03:04.517 WARN  slow query time=812 query="SELECT …"`, an
 * error's stack on the lines after. The service is left out: the start command prefixes each process's lines with it.
 */
export function prettyLine(json: string): string {
  let entry: Record<string, unknown>;
  try {
    entry = JSON.parse(json);
  } catch {
    return json.endsWith('\n') ? json : `${json}\n`;
  }
  const { level, time, msg, service: _service, err, ...rest } = entry;
  // pino writes its own `time` first; a line may carry a `time` field of its own too (a slow query's duration).
  const logged = Number(/^\{"level":\d+,"time":(\d+)/.exec(json)?.[1] ?? time);
  if (time !== undefined && time !== logged) rest.time = time;
  const clock = Number.isFinite(logged) ? new Date(logged).toISOString().slice(11, 23) : '';
  const fields = Object.entries(rest)
    .filter(([, v]) => v !== undefined)
    .map(([k, v]) => `${k}=${value(v)}`);
  const error = err as { message?: string; stack?: string } | undefined;
  const head = [clock, (LEVEL_NAMES[level as number] ?? String(level)).padEnd(5), msg ?? '', ...fields, error && !error.stack ? `err=${value(error.message ?? error)}` : ''];
  const stack = error?.stack ? `\n    ${error.stack.split('\n').join('\n    ')}` : '';
  return `${head.filter(Boolean).join(' ')}${stack}\n`;
}

/** Where pretty lines go: stdout, written at once (no worker thread), so a crash's last lines are not lost. */
const prettyDestination = { write: (line: string) => void process.stdout.write(prettyLine(line)) };

/**
 * One structured logger for every process: JSON lines (production, tests, log shippers), or readable lines under
 * NODE_ENV=development (`npm run up`; OPSGRAPH_LOG_FORMAT overrides). Level from OPSGRAPH_LOG_LEVEL (or
 * LOG_LEVEL); silent under NODE_ENV=test unless set, so test output stays readable. A line written while a
 * span is active (tracing on) carries its `traceId` and `spanId`, so logs and traces join up; request lines
 * also carry `requestId`.
 */
export const logger = pino(
  {
    level: logLevel(),
    base: undefined,
    // The process's service comes from the mixin, not `base`, so a line that names its service (several share
    // one process in tests) has the key once.
    mixin() {
      const service = process.env.OPSGRAPH_SERVICE;
      const spanContext = trace.getSpan(context.active())?.spanContext();
      return spanContext && isSpanContextValid(spanContext) ? { service, traceId: spanContext.traceId, spanId: spanContext.spanId } : { service };
    },
  },
  // pino's own stdout destination for JSON; an unknown OPSGRAPH_LOG_FORMAT keeps JSON, the machine-readable form.
  (() => {
    try {
      return logFormat() === 'pretty' ? prettyDestination : undefined;
    } catch {
      return undefined;
    }
  })(),
);
export type Logger = typeof logger;
