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

const LOG_LEVELS = ['fatal', 'error', 'warn', 'info', 'debug', 'trace', 'silent'];

/** OPSGRAPH_LOG_LEVEL (LOG_LEVEL is still read); default info, and silent under NODE_ENV=test. */
export function logLevel(): string {
  const name = process.env.OPSGRAPH_LOG_LEVEL ? 'OPSGRAPH_LOG_LEVEL' : 'LOG_LEVEL';
  const raw = process.env[name]?.trim().toLowerCase();
  if (!raw) return process.env.NODE_ENV === 'test' ? 'silent' : 'info';
  if (!LOG_LEVELS.includes(raw)) throw new Error(`environment variable ${name} must be one of ${LOG_LEVELS.join(', ')}, got "${process.env[name]}"`);
  return raw;
}
