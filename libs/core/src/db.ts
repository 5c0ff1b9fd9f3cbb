import 'reflect-metadata';
import { AsyncLocalStorage } from 'node:async_hooks';
import { Client, types } from 'pg';
import { DataSource, DefaultNamingStrategy, type EntitySchema, type Logger as OrmLogger, type MixedList, type NamingStrategyInterface } from 'typeorm';
import { postgresConfig, type PostgresConfig } from './config';
import { coreEntities, coreMigrations } from './audit';
import { logger } from './logger';
import { IdempotencySubscriber } from './idempotency';

/**
 * Counts SQL statements per unit of work (a GraphQL request, a consumed event). Tests and benchmarks read
 * it to prove that list-shaped queries are batched: the count must not grow with the number of items.
 */
export const statementScope = new AsyncLocalStorage<{ count: number }>();

/** Requests counting their statements right now (see `countStatements`). */
let counting = 0;

/**
 * Runs a request with its statements counted. Counting is asked for per request (tests, the benchmark's
 * checks, an operator diagnosing one query), never always on: while any AsyncLocalStorage is in use, Node 20
 * runs promise hooks on every promise of the process (about a tenth of a subgraph's CPU on a board), so the
 * storage is switched off again once the last counted request is done.
 */
export async function countStatements<T>(fn: (scope: { count: number }) => Promise<T>): Promise<T> {
  const scope = { count: 0 };
  counting++;
  try {
    return await statementScope.run(scope, () => fn(scope));
  } finally {
    if (--counting === 0) statementScope.disable();
  }
}

class StatementCountingLogger implements OrmLogger {
  logQuery(): void {
    const scope = statementScope.getStore();
    if (scope) scope.count++;
  }
  logQueryError(error: string | Error, query: string): void {
    logger.debug({ err: String(error), query }, 'query failed');
  }
  logQuerySlow(time: number, query: string): void {
    logger.warn({ time, query: query.slice(0, 500) }, 'slow query');
  }
  logSchemaBuild(): void {}
  logMigration(message: string): void {
    logger.info({ migration: message }, 'migration');
  }
  log(level: 'log' | 'info' | 'warn', message: unknown): void {
    if (level === 'warn') logger.warn({ message }, 'typeorm');
  }
}

/**
 * timestamptz columns are read by hand rather than by `postgres-date`'s regular expressions: the same Date at
 * a fraction of the cost (a board's subgraphs read thousands of timestamps). Postgres writes
 * `2026-11-26 06:57:13.261+00` (DateStyle ISO); anything else (infinity, BC, years before 100 or after 9999,
 * offsets with seconds) goes to pg's own parser.
 */
const parseTimestamptzSlowly = types.getTypeParser(types.builtins.TIMESTAMPTZ);
const digit = (text: string, at: number) => text.charCodeAt(at) - 48;
const twoDigits = (text: string, at: number) => digit(text, at) * 10 + digit(text, at + 1);
function parseTimestamptz(text: string): Date | number {
  const length = text.length;
  if (length < 22 || text.charCodeAt(10) !== 32 || text.charCodeAt(4) !== 45) return parseTimestamptzSlowly(text);
  const year = twoDigits(text, 0) * 100 + twoDigits(text, 2);
  let at = 19;
  let millis = 0;
  if (text.charCodeAt(at) === 46) {
    // Fraction: up to microseconds; Date keeps milliseconds (truncated, as pg's parser does).
    let scale = 100;
    for (at++; at < length; at++) {
      const d = digit(text, at);
      if (d < 0 || d > 9) break;
      millis += d * scale;
      scale /= 10;
    }
    millis = Math.floor(millis);
  }
  const sign = text.charCodeAt(at);
  const offsetLength = length - at;
  if (year < 100 || (sign !== 43 && sign !== 45) || (offsetLength !== 3 && offsetLength !== 6)) return parseTimestamptzSlowly(text);
  const offsetMinutes = (sign === 45 ? -1 : 1) * (twoDigits(text, at + 1) * 60 + (offsetLength === 6 ? twoDigits(text, at + 4) : 0));
  const utc = Date.UTC(year, twoDigits(text, 5) - 1, twoDigits(text, 8), twoDigits(text, 11), twoDigits(text, 14), twoDigits(text, 17), millis);
  return Number.isNaN(utc) ? parseTimestamptzSlowly(text) : new Date(utc - offsetMinutes * 60_000);
}
types.setTypeParser(types.builtins.TIMESTAMPTZ, parseTimestamptz);

const snake = (name: string) => name.replace(/([a-z0-9])([A-Z])/g, '$1_$2').toLowerCase();

/** Entities use camelCase properties; tables and columns are snake_case, as SQL readers expect. */
class SnakeNamingStrategy extends DefaultNamingStrategy implements NamingStrategyInterface {
  override tableName(className: string, customName?: string): string {
    return customName ?? snake(className);
  }
  override columnName(propertyName: string, customName: string | undefined, prefixes: string[]): string {
    return snake(prefixes.concat('').join('_')) + (customName ?? snake(propertyName));
  }
  override relationName(propertyName: string): string {
    return snake(propertyName);
  }
  override joinColumnName(relationName: string, referencedColumnName: string): string {
    return snake(`${relationName}_${referencedColumnName}`);
  }
}

export interface DataSourceOptions {
  database: string;
  // eslint-disable-next-line @typescript-eslint/no-unsafe-function-type
  entities: MixedList<Function | string | EntitySchema>;
  // eslint-disable-next-line @typescript-eslint/no-unsafe-function-type
  migrations: MixedList<Function | string>;
  server?: PostgresConfig;
  poolSize?: number;
}

/** Creates the database if it does not exist yet (idempotent; safe when several replicas race). */
export async function ensureDatabase(database: string, server: PostgresConfig = postgresConfig()): Promise<void> {
  const client = new Client({ ...server, database: 'postgres' });
  await client.connect();
  try {
    const { rowCount } = await client.query('SELECT 1 FROM pg_database WHERE datname = $1', [database]);
    if (!rowCount) {
      try {
        await client.query(`CREATE DATABASE "${database.replace(/"/g, '""')}"`);
      } catch (e) {
        // 42P04: another replica created it first.
        if ((e as { code?: string }).code !== '42P04' && (e as { code?: string }).code !== '23505') throw e;
      }
    }
  } finally {
    await client.end();
  }
}

export async function dropDatabase(database: string, server: PostgresConfig = postgresConfig()): Promise<void> {
  const client = new Client({ ...server, database: 'postgres' });
  await client.connect();
  try {
    await client.query(`DROP DATABASE IF EXISTS "${database.replace(/"/g, '""')}" WITH (FORCE)`);
  } finally {
    await client.end();
  }
}

export function createDataSource(options: DataSourceOptions): DataSource {
  const server = options.server ?? postgresConfig();
  return new DataSource({
    type: 'postgres',
    host: server.host,
    port: server.port,
    username: server.user,
    password: server.password,
    database: options.database,
    // The audit trail lives in every service's database; the shared mechanics add it here once.
    entities: [...coreEntities, ...(options.entities as unknown[])] as DataSourceOptions['entities'],
    migrations: [...coreMigrations, ...(options.migrations as unknown[])] as DataSourceOptions['migrations'],
    migrationsTransactionMode: 'all',
    // Records a request's Idempotency-Key in the transaction that commits its write (see idempotency.ts).
    subscribers: [IdempotencySubscriber],
    synchronize: false,
    uuidExtension: 'pgcrypto',
    namingStrategy: new SnakeNamingStrategy(),
    logger: new StatementCountingLogger(),
    maxQueryExecutionTime: 1000,
    poolSize: options.poolSize ?? 10,
    extra: { connectionTimeoutMillis: 5000, application_name: options.database },
  });
}

/** Key of the advisory lock that serialises migrations when several replicas start at once. */
const MIGRATION_LOCK = 7_243_117;

/** Creates the database, connects and applies pending migrations under an advisory lock. */
export async function openDatabase(options: DataSourceOptions): Promise<DataSource> {
  await ensureDatabase(options.database, options.server);
  const dataSource = createDataSource(options);
  await dataSource.initialize();
  const runner = dataSource.createQueryRunner();
  await runner.connect();
  try {
    await runner.query('SELECT pg_advisory_lock($1)', [MIGRATION_LOCK]);
    await dataSource.runMigrations({ transaction: 'all' });
  } finally {
    await runner.query('SELECT pg_advisory_unlock($1)', [MIGRATION_LOCK]).catch(() => undefined);
    await runner.release();
  }
  return dataSource;
}
