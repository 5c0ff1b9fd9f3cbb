import { randomBytes, randomUUID } from 'node:crypto';
import {
  INTERNAL_HEADER,
  STATEMENTS_HEADER,
  COUNT_STATEMENTS_HEADER,
  SYSTEM_CALLER,
  dropDatabase,
  openDatabase,
  signInternalCaller,
  startService,
  requestManager,
  applyLocationRegistered,
  type LocationRegistered,
  type Caller,
  type RunningService,
  type ServiceDefinition,
} from '@opsgraph/core';
import type { DataSource, EntityManager } from 'typeorm';


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
export function explainingSource(db: DataSource): { source: DataSource; manager: EntityManager; plans: string[] } {
  const plans: string[] = [];
  const query = async (sql: string, parameters: readonly unknown[] = []) => {
    plans.push(await queryPlan(db, sql, parameters));
    return [];
  };
  const explaining = <T extends object>(target: T): T => new Proxy(target, { get: (t, property) => (property === 'query' ? query : Reflect.get(t, property)) });
  return { source: explaining(db), manager: explaining(db.manager), plans };
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

/**
 * Runs `fn` with a manager exactly like a request's (the request role, the caller's scope): what a resolver
 * of this caller would see through `ctx.db`.
 */
export async function asCaller<T>(db: DataSource, caller: Caller, fn: (manager: EntityManager) => Promise<T>): Promise<T> {
  const scoped = requestManager(db, caller);
  try {
    return await fn(scoped.manager);
  } finally {
    await scoped.release();
  }
}

/** A place of Work's registry as a test names it (`Plant` of services/work/test/fixtures.ts has this shape). */
export interface KnownPlaceFixture {
  siteId: string;
  areaId?: string | null;
  otherAreaId?: string | null;
  lineId?: string | null;
  assetId?: string | null;
}

/**
 * Writes a plant's locations straight into a supporting service's `known_location` copy, as Work's
 * `location.registered` events would (for tests that run the service without Work). The line is taken to
 * be in the area, the asset on the line.
 */
export async function knowPlaces(db: DataSource, ...places: KnownPlaceFixture[]): Promise<void> {
  for (const p of places) {
    const rows: LocationRegistered[] = [{ locationId: p.siteId, kind: 'SITE', siteId: p.siteId, code: 'SITE', name: 'Site' }];
    if (p.areaId) rows.push({ locationId: p.areaId, kind: 'AREA', siteId: p.siteId, code: 'AREA', name: 'Area' });
    if (p.otherAreaId) rows.push({ locationId: p.otherAreaId, kind: 'AREA', siteId: p.siteId, code: 'AREA2', name: 'Other area' });
    if (p.lineId) rows.push({ locationId: p.lineId, kind: 'LINE', siteId: p.siteId, areaId: p.areaId ?? null, code: 'LINE', name: 'Line' });
    if (p.assetId) rows.push({ locationId: p.assetId, kind: 'ASSET', siteId: p.siteId, areaId: p.areaId ?? null, lineId: p.lineId ?? null, code: 'ASSET', name: 'Asset' });
    for (const row of rows) await applyLocationRegistered(db.manager, row);
  }
}

/** Waits until a supporting service's copy of the registry knows these locations (sent by Work's events). */
export async function untilPlacesKnown(db: DataSource, ids: (string | null | undefined)[], timeoutMs = 20_000): Promise<void> {
  const wanted = [...new Set(ids.filter((id): id is string => !!id))];
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const [{ n }] = await db.query(`SELECT count(*)::int AS n FROM known_location WHERE id = ANY($1::uuid[])`, [wanted]);
    if (n === wanted.length) return;
    if (Date.now() > deadline) throw new Error(`locations not known after ${timeoutMs} ms: ${wanted.join(', ')}`);
    await new Promise((resolve) => setTimeout(resolve, 50));
  }
}

/**
 * The NOT_FOUND error of a result with the id it names taken out of its message and extensions: what must be
 * the same for another site's (or company's) id and a random one, so the answer does not tell them apart.
 */
export function notFoundShape(result: GraphQLResult, id: string): { message: string; extensions: unknown } {
  const error = expectError(result, 'NOT_FOUND');
  const without = (text: string) => text.split(id).join('<id>');
  return { message: without(error.message), extensions: JSON.parse(without(JSON.stringify(error.extensions ?? {}))) };
}

/**
 * Calls with another site's (or company's) id and with a random one: both NOT_FOUND alike but for the id (the
 * error naming its id, with no data), and nothing written (`written` counts what a refused call must leave).
 * Returns the shape both answers share.
 */
export async function expectAlikeNotFound<W>(call: (id: string) => Promise<GraphQLResult>, theirs: string, written: () => Promise<W>) {
  const shape = (result: GraphQLResult, id: string) => {
    expect(result.errors).toHaveLength(1);
    expect(result.data ?? null).toBeNull();
    expect(result.errors![0].message).toContain(id);
    expect(result.errors![0].extensions?.id).toBe(id);
    return notFoundShape(result, id);
  };
  const before = await written();
  const random = randomUUID();
  const [a, b] = [shape(await call(theirs), theirs), shape(await call(random), random)];
  expect(a).toEqual(b);
  expect(await written()).toEqual(before);
  return a;
}
