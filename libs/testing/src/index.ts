import { randomBytes } from 'node:crypto';
import {
  INTERNAL_HEADER,
  STATEMENTS_HEADER,
  COUNT_STATEMENTS_HEADER,
  SYSTEM_CALLER,
  dropDatabase,
  openDatabase,
  signInternalCaller,
  startService,
  type Caller,
  type RunningService,
  type ServiceDefinition,
} from '@opsgraph/core';
import type { DataSource } from 'typeorm';

export * from './people';

/** A unique database name per test file, so test files run in parallel without seeing each other. */
export const uniqueDatabase = (service: string) => `test_${service}_${randomBytes(4).toString('hex')}`;

/** A real, freshly migrated Postgres database for one test file (dropped by `close`). */
export async function testDatabase(definition: Pick<ServiceDefinition<unknown>, 'name' | 'entities' | 'migrations'>) {
  const database = uniqueDatabase(definition.name);
  const db = await openDatabase({ database, entities: definition.entities, migrations: definition.migrations, poolSize: 4 });
  return {
    db,
    database,
    async close() {
      await db.destroy();
      await dropDatabase(database);
    },
  };
}

/** Postgres' plan for a statement with these parameters (`EXPLAIN`, not run), as its lines joined. */
export async function queryPlan(db: DataSource, sql: string, parameters: readonly unknown[]): Promise<string> {
  const rows: { 'QUERY PLAN': string }[] = await db.query(`EXPLAIN ${sql}`, parameters as unknown[]);
  return rows.map((row) => row['QUERY PLAN']).join('\n');
}

/**
 * A stand-in for `db` whose statements are explained with their parameters instead of run (each answers no
 * rows): hand it to a loader or a row helper to see the plan of the very statement it sends.
 */
export function explainingSource(db: DataSource): { source: DataSource; plans: string[] } {
  const plans: string[] = [];
  const query = async (sql: string, parameters: readonly unknown[] = []) => {
    plans.push(await queryPlan(db, sql, parameters));
    return [];
  };
  return { source: new Proxy(db, { get: (target, property) => (property === 'query' ? query : Reflect.get(target, property)) }), plans };
}

export interface GraphQLResult<T = any> {
  data?: T;
  errors?: { message: string; path?: (string | number)[]; extensions?: Record<string, any> }[];
  /** SQL statements the request ran in the subgraph (read from the subgraph's response header). */
  statements: number;
  status: number;
}

/** POSTs a GraphQL request to a URL with the given headers. */
export async function postGraphQL<T = any>(url: string, query: string, variables: Record<string, unknown> = {}, headers: Record<string, string> = {}): Promise<GraphQLResult<T>> {
  const res = await fetch(url, {
    method: 'POST',
    // Tests check statement counts, so every test request asks for them.
    headers: { 'content-type': 'application/json', [COUNT_STATEMENTS_HEADER]: '1', ...headers },
    body: JSON.stringify({ query, variables }),
  });
  const body = (await res.json()) as GraphQLResult<T>;
  return { ...body, statements: Number(res.headers.get(STATEMENTS_HEADER) ?? NaN), status: res.status };
}

export interface TestService extends RunningService {
  url: string;
  database: string;
  /** Calls the subgraph as the gateway would, signed for `caller`. */
  query<T = any>(query: string, variables?: Record<string, unknown>, caller?: Caller): Promise<GraphQLResult<T>>;
}

/** Starts a service on a free port with its own fresh database, as the gateway would see it. */
export async function startTestService<L>(definition: ServiceDefinition<L>): Promise<TestService> {
  const database = uniqueDatabase(definition.name);
  const running = await startService(definition, { port: 0, database });
  return {
    ...running,
    url: running.app.url,
    database,
    async query(query, variables = {}, caller = SYSTEM_CALLER) {
      return postGraphQL(running.app.url, query, variables, { [INTERNAL_HEADER]: await signInternalCaller(caller) });
    },
    async stop() {
      await running.stop();
      await dropDatabase(database);
    },
  };
}

/** Asserts a GraphQL response failed with the given `extensions.code` and returns the first error. */
export function expectError(result: GraphQLResult, code: string) {
  if (!result.errors?.length) throw new Error(`expected error ${code}, got data ${JSON.stringify(result.data)}`);
  const codes = result.errors.map((e) => e.extensions?.code);
  if (!codes.includes(code)) throw new Error(`expected error ${code}, got ${JSON.stringify(result.errors)}`);
  return result.errors.find((e) => e.extensions?.code === code)!;
}

/** Returns data or throws with the errors, for steps that must succeed. */
export function ok<T>(result: GraphQLResult<T>): T {
  if (result.errors?.length) throw new Error(`unexpected errors: ${JSON.stringify(result.errors)}`);
  return result.data as T;
}

export type { DataSource };
export * from './gateway';
export * from './demo';
export * from './kafka';
export * from './postgres-server';
export * from './events';
export * from './work-events';
export * from './metrics';
export * from './role-matrix';
export * from './proxy';
export * from './logs';
export * from './probes';
