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
