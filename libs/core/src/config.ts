/** Configuration comes only from environment variables; this module is the one place that reads them. */
export interface PostgresConfig {
  host: string;
  port: number;
  user: string;
  password?: string;
}

export function env(name: string, fallback?: string): string {
  const value = process.env[name];
  if (value !== undefined && value !== '') return value;
  if (fallback !== undefined) return fallback;
  throw new Error(`missing environment variable ${name}`);
}

export function envInt(name: string, fallback: number): number {
  const raw = process.env[name];
  if (raw === undefined || raw === '') return fallback;
  const value = Number(raw);
  if (!Number.isInteger(value) || value < 0) throw new Error(`environment variable ${name} must be a whole number, got "${raw}"`);
  return value;
}

/** OPSGRAPH_PG_URL, e.g. postgres://postgres@127.0.0.1:5432, names the server; each service picks its own database on it. */
export function postgresConfig(): PostgresConfig {
  const url = new URL(env('OPSGRAPH_PG_URL', 'postgres://postgres@127.0.0.1:5432'));
  return {
    host: url.hostname,
    port: Number(url.port || 5432),
    user: decodeURIComponent(url.username || 'postgres'),
    password: url.password ? decodeURIComponent(url.password) : undefined,
  };
}

export const isProduction = () => process.env.NODE_ENV === 'production';
/** Development mode exposes error details; anything not explicitly development hides them. */
export const isDevelopment = () => process.env.NODE_ENV === 'development';

/** Shared secret the gateway signs the caller header with; subgraphs refuse requests without it. */
export const internalSecret = () => env('OPSGRAPH_INTERNAL_SECRET', isProduction() ? undefined : 'dev-internal-secret-change-me');

/** The default ports of every process, so the gateway, scripts and tests agree. */
export const SUBGRAPH_PORTS = {
  work: 4001,
  permits: 4002,
  competence: 4003,
  documents: 4004,
  hazards: 4005,
  change: 4006,
  compliance: 4007,
} as const;
export type SubgraphName = keyof typeof SUBGRAPH_PORTS;
export const SUBGRAPHS = Object.keys(SUBGRAPH_PORTS) as SubgraphName[];
export const GATEWAY_PORT = 4000;

export function subgraphUrl(name: SubgraphName): string {
  const envName = `OPSGRAPH_${name.toUpperCase()}_URL`;
  return env(envName, `http://127.0.0.1:${SUBGRAPH_PORTS[name]}/graphql`);
}

/** How spans leave the process: not at all (the default: nothing is registered), over OTLP/HTTP, or printed to stdout. */
export const TRACING_MODES = ['off', 'otlp', 'console'] as const;
export type TracingMode = (typeof TRACING_MODES)[number];
export interface TracingConfig {
  mode: TracingMode;
  /** OTLP/HTTP traces URL (only for `otlp`). */
  otlpTracesUrl: string;
}

/**
 * OPSGRAPH_TRACING=off|otlp|console (default off). For otlp, the standard OpenTelemetry variables name the
 * collector: OTEL_EXPORTER_OTLP_TRACES_ENDPOINT (the full URL), else OTEL_EXPORTER_OTLP_ENDPOINT + /v1/traces,
 * else http://localhost:4318/v1/traces.
 */
export function tracingConfig(): TracingConfig {
  const raw = process.env.OPSGRAPH_TRACING?.trim().toLowerCase() || 'off';
  if (!(TRACING_MODES as readonly string[]).includes(raw)) {
    throw new Error(`environment variable OPSGRAPH_TRACING must be one of ${TRACING_MODES.join(', ')}, got "${process.env.OPSGRAPH_TRACING}"`);
  }
  const url = (name: string, value: string) => {
    let parsed: URL;
    try {
      parsed = new URL(value);
    } catch {
      throw new Error(`environment variable ${name} must be an http(s) URL, got "${value}"`);
    }
    if (parsed.protocol !== 'http:' && parsed.protocol !== 'https:') throw new Error(`environment variable ${name} must be an http(s) URL, got "${value}"`);
    return value;
  };
  const mode = raw as TracingMode;
  if (mode !== 'otlp') return { mode, otlpTracesUrl: '' };
  const tracesEndpoint = process.env.OTEL_EXPORTER_OTLP_TRACES_ENDPOINT;
  const endpoint = process.env.OTEL_EXPORTER_OTLP_ENDPOINT;
  const otlpTracesUrl = tracesEndpoint
    ? url('OTEL_EXPORTER_OTLP_TRACES_ENDPOINT', tracesEndpoint)
    : endpoint
      ? `${url('OTEL_EXPORTER_OTLP_ENDPOINT', endpoint).replace(/\/+$/, '')}/v1/traces`
      : 'http://localhost:4318/v1/traces';
  return { mode, otlpTracesUrl };
}

export const EVENT_TASKS = ['relay', 'consume'] as const;
export type EventTaskName = (typeof EVENT_TASKS)[number];

/** OPSGRAPH_EVENT_TASKS: what of its event machinery a service process runs (default both). */
export function eventTasks(): EventTaskName[] {
  const raw = process.env.OPSGRAPH_EVENT_TASKS?.trim();
  if (!raw) return [...EVENT_TASKS];
  const names = raw.split(',').map((n) => n.trim().toLowerCase());
  if (names.some((n) => !(EVENT_TASKS as readonly string[]).includes(n))) {
    throw new Error(`environment variable OPSGRAPH_EVENT_TASKS must be a comma list of ${EVENT_TASKS.join(', ')}, got "${process.env.OPSGRAPH_EVENT_TASKS}"`);
  }
  return names as EventTaskName[];
}

const LOG_LEVELS = ['fatal', 'error', 'warn', 'info', 'debug', 'trace', 'silent'];

/** OPSGRAPH_LOG_LEVEL (LOG_LEVEL is still read); default info, and silent under NODE_ENV=test. */
export function logLevel(): string {
  const name = process.env.OPSGRAPH_LOG_LEVEL ? 'OPSGRAPH_LOG_LEVEL' : 'LOG_LEVEL';
  const raw = process.env[name]?.trim().toLowerCase();
  if (!raw) return process.env.NODE_ENV === 'test' ? 'silent' : 'info';
  if (!LOG_LEVELS.includes(raw)) throw new Error(`environment variable ${name} must be one of ${LOG_LEVELS.join(', ')}, got "${process.env[name]}"`);
  return raw;
}

const WHOLE_NUMBERS = [
  'OPSGRAPH_PG_POOL', 'OPSGRAPH_MAX_BODY_BYTES', 'OPSGRAPH_COMPRESS_MIN_BYTES', 'OPSGRAPH_MAX_DEPTH', 'OPSGRAPH_MAX_COST', 'OPSGRAPH_SHUTDOWN_GRACE_MS',
  'OPSGRAPH_SUBGRAPH_TIMEOUT_MS', 'OPSGRAPH_SUBGRAPH_CONNECTIONS', 'OPSGRAPH_LAG_TIMEOUT_MS', 'OPSGRAPH_JWKS_COOLDOWN_MS',
  'OPSGRAPH_GATEWAY_PORT', ...Object.keys(SUBGRAPH_PORTS).map((s) => `OPSGRAPH_${s.toUpperCase()}_PORT`),
  'OPSGRAPH_PERMIT_EXPIRY_INTERVAL_MS', 'OPSGRAPH_COMPETENCE_EXPIRY_INTERVAL_MS', 'OPSGRAPH_DOCUMENT_REVIEW_INTERVAL_MS',
  'OPSGRAPH_OBLIGATION_INTERVAL_MS', 'OPSGRAPH_TEMPORARY_CHANGE_INTERVAL_MS', 'OPSGRAPH_BUS_RETENTION_HOURS', 'OPSGRAPH_RELAY_LINGER_MS',
  'OPSGRAPH_OUTBOX_RETENTION_HOURS', 'OPSGRAPH_INBOX_RETENTION_HOURS', 'OPSGRAPH_IDEMPOTENCY_TTL_HOURS',
];
const FLAGS = ['OPSGRAPH_INTROSPECTION', 'OPSGRAPH_SHARE_SUBGRAPH_READS', 'OPSGRAPH_BATCH_SUBGRAPH_CALLS'];
const URLS: Record<string, string[]> = {
  OPSGRAPH_PG_URL: ['postgres:', 'postgresql:'],
  OPSGRAPH_JWKS_URL: ['http:', 'https:'],
  ...Object.fromEntries(Object.keys(SUBGRAPH_PORTS).map((s) => [`OPSGRAPH_${s.toUpperCase()}_URL`, ['http:', 'https:']])),
};

/**
 * Checks every environment variable a process reads, once at start, and fails with one message that names
 * each missing or wrong one: a mistyped setting stops the process before it serves, not at the first
 * request or scrape that reads it.
 */
export function checkConfiguration(role: 'gateway' | 'service'): void {
  const problems: string[] = [];
  const attempt = (check: () => unknown) => {
    try {
      check();
    } catch (e) {
      problems.push((e as Error).message.replace(/^environment variable /, ''));
    }
  };
  for (const name of WHOLE_NUMBERS) attempt(() => envInt(name, 0));
  for (const name of FLAGS) {
    const raw = process.env[name];
    if (raw !== undefined && raw !== '' && raw !== 'true' && raw !== 'false') problems.push(`${name} must be true or false, got "${raw}"`);
  }
  for (const [name, protocols] of Object.entries(URLS)) {
    const raw = process.env[name];
    if (raw === undefined || raw === '') continue;
    let protocol = '';
    try {
      protocol = new URL(raw).protocol;
    } catch {
      /* reported below */
    }
    if (!protocols.includes(protocol)) problems.push(`${name} must be a ${protocols.map((p) => p.replace(':', '')).join('/')} URL, got "${raw}"`);
  }
  const brokers = process.env.KAFKA_BROKERS;
  if (brokers && !brokers.split(',').every((b) => /^[^\s:,]+:\d+$/.test(b.trim()))) problems.push(`KAFKA_BROKERS must be a comma list of host:port, got "${brokers}"`);
  attempt(tracingConfig);
  attempt(logLevel);
  attempt(eventTasks);
  if (isProduction()) {
    attempt(internalSecret);
    if (role === 'gateway' && !process.env.OPSGRAPH_JWKS_URL) attempt(() => env('OPSGRAPH_JWT_SECRET'));
  }
  if (problems.length) throw new Error(`configuration: ${problems.length} problem(s):\n- ${problems.join('\n- ')}`);
}
