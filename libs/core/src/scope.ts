import type { DataSource, EntityManager, MigrationInterface, QueryRunner } from 'typeorm';
import { isContractorOnly, type Caller } from './auth';
import { isUuid } from './ids';
import { logger } from './logger';

/**
 * Scope by construction: the database, not each query, keeps a caller to their sites and, for a contractor,
 * to their company's jobs.
 *
 * - Every service database has the role `opsgraph_request` (created by the core migration below): no login,
 *   not a superuser, owner of nothing, without BYPASSRLS. Rows that belong to a site are protected by
 *   row-level security policies written with `siteScopePolicy` in each service's migrations.
 * - A request's statements run on one connection of the pool that is switched to that role for the request,
 *   with the caller's scope in `opsgraph.sites` (site ids, or `*`) and `opsgraph.company` (a contractor's
 *   company; empty for everyone else). `requestManager` does it; the switch is undone before the connection
 *   goes back to the pool. A query that forgets its `WHERE site_id …` returns nothing foreign.
 * - Migrations and background work (event relay, consumers, schedulers, seeders) run as the tables' owner,
 *   which row-level security does not restrict: the system scope, named `SYSTEM_CALLER` in code. They are
 *   handed the owner's DataSource, never a request's manager.
 */
export const REQUEST_ROLE = 'opsgraph_request';

/**
 * The system scope: the owner's manager, which row-level security does not restrict. For background work
 * (consumers, schedulers, seeders) only; requests get `requestManager`.
 */
export const systemScope = (db: DataSource): EntityManager => db.manager;

/**
 * Runs part of a request's transaction in the system scope, for an effect a person's action must have beyond
 * what that person may see (revoking a qualification updates the holder's work at every site, not only the
 * revoker's). Switches the transaction back to the tables' owner (`SET LOCAL ROLE NONE`), runs `fn`, and
 * switches back to the request role; `purpose` names why, in the log. Only inside the domain transaction.
 * What `fn` returns is the system's view: never hand it to the caller as it is.
 */
export async function withSystemScope<T>(manager: EntityManager, purpose: string, fn: (manager: EntityManager) => Promise<T>): Promise<T> {
  if (!manager.queryRunner?.isTransactionActive) throw new Error(`withSystemScope (${purpose}) must run inside the domain transaction`);
  const [{ role }]: { role: string }[] = await manager.query(`SELECT current_user AS role`);
  if (role !== REQUEST_ROLE) return fn(manager);
  logger.debug({ purpose }, 'system scope inside a request');
  await manager.query(`SELECT set_config('role', 'none', true)`);
  const restore = () => manager.query(`SELECT set_config('role', '${REQUEST_ROLE}', true)`);
  let result: T;
  try {
    result = await fn(manager);
  } catch (err) {
    // After a failed statement the transaction only rolls back, which undoes the switch too.
    await restore().catch(() => undefined);
    throw err;
  }
  await restore();
  return result;
}

/** What a caller's scope puts in the session: sites (`*` = all) and the contractor boundary (empty = none). */
export function scopeSettings(caller: Caller): { sites: string; company: string } {
  const sites = caller.sites.includes('*') ? '*' : caller.sites.filter(isUuid).map((s) => s.toLowerCase()).join(',');
  // A contractor without a company (tokens refuse it) sees no company's jobs rather than every company's.
  const company = isContractorOnly(caller) ? caller.company?.replace(/\u0000/g, '').trim() || '-' : '';
  return { sites, company };
}

const SCOPE_SQL = `SELECT set_config('role', '${REQUEST_ROLE}', false), set_config('opsgraph.sites', $1, false), set_config('opsgraph.company', $2, false)`;
const UNSCOPE_SQL = `RESET ROLE; RESET opsgraph.sites; RESET opsgraph.company`;
const SNAPSHOT_SQL = `BEGIN ISOLATION LEVEL REPEATABLE READ READ ONLY`;

interface PgClient {
  query(sql: string, params?: unknown[]): Promise<unknown>;
}

/**
 * The request's connection with its statements queued here, one at a time in the order sent: resolvers and
 * loaders of one request read in parallel, and pg deprecates queuing queries on a busy client.
 */
function oneAtATime(client: PgClient): PgClient {
  let last: Promise<unknown> = Promise.resolve();
  const query = (...args: unknown[]) => {
    const run = last.then(() => (client.query as (...a: unknown[]) => Promise<unknown>).apply(client, args));
    last = run.catch(() => undefined);
    return run;
  };
  return new Proxy(client, { get: (target, property) => (property === 'query' ? query : Reflect.get(target, property)) });
}

/**
 * The manager a request's resolvers and loaders use: its statements (transactions too) run on one connection,
 * taken from the pool at its first statement, as `opsgraph_request` with the caller's scope. `release` undoes
 * the switch and returns the connection; a connection whose switch cannot be undone is closed, never reused.
 * The statement that sets the scope goes to the connection directly: statement counts stay the request's own.
 *
 * A read (`readOnly()` before its first statement) runs in one REPEATABLE READ, READ ONLY transaction: every
 * statement of the request sees the same snapshot, so an answer never mixes two moments (an item's status
 * from before a change and its prerequisites from after it). `writable()` (a mutation) ends such a snapshot
 * before its own statements.
 */
export function requestManager(dataSource: DataSource, caller: Caller): { manager: EntityManager; readOnly(): void; writable(): void; release(): Promise<void> } {
  const runner = dataSource.createQueryRunner();
  const connect = runner.connect.bind(runner) as () => Promise<PgClient>;
  const { sites, company } = scopeSettings(caller);
  let snapshot: 'wanted' | 'open' | 'none' = 'none';
  let scoped: Promise<PgClient> | undefined;
  runner.connect = () =>
    (scoped ??= connect().then(async (client) => {
      if (snapshot === 'wanted') {
        await client.query(SNAPSHOT_SQL);
        snapshot = 'open';
      }
      // For the session, not the snapshot's transaction: a transaction of the request's own that ends the
      // snapshot early (a nested BEGIN is only a warning to Postgres, its COMMIT ends ours) keeps the scope.
      await client.query(SCOPE_SQL, [sites, company]);
      return oneAtATime(client);
    }));
  return {
    manager: runner.manager,
    readOnly() {
      if (!scoped && snapshot === 'none') snapshot = 'wanted';
    },
    writable() {
      if (snapshot === 'wanted') snapshot = 'none';
      else if (snapshot === 'open') {
        // Rare (a batch with a query before a mutation): the snapshot ends before the mutation's statements.
        snapshot = 'none';
        void scoped!.then((client) => client.query('COMMIT'));
      }
    },
    async release() {
      if (!scoped) return runner.release();
      let failure: unknown;
      try {
        const client = await scoped;
        if (snapshot === 'open') await client.query(`COMMIT; ${UNSCOPE_SQL}`);
        else {
          if (runner.isTransactionActive) await client.query('ROLLBACK');
          await client.query(UNSCOPE_SQL);
        }
      } catch (e) {
        failure = e ?? new Error('the request scope could not be undone');
      }
      // With an error, pg's pool destroys the connection instead of handing it to the next user.
      await (runner as unknown as { releasePostgresConnection(err?: unknown): Promise<void> }).releasePostgresConnection(failure);
    },
  };
}

/**
 * The row-level security policy of a table whose rows belong to a site (and, with `company`, to a contractor
 * company's job): visible and writable to a request only inside the caller's scope. `through` protects a
 * child table by its parent's row instead (the parent's own policy applies inside the check). The scope
 * functions are wrapped in sub-selects so Postgres evaluates them once per statement, not once per row.
 */
export function siteScopePolicy(
  table: string,
  options: { site?: string; siteType?: 'uuid' | 'text'; company?: string; through?: { table: string; key: string; parentKey?: string } } = {},
): string[] {
  const conditions: string[] = [];
  if (options.through) {
    const { table: parent, key, parentKey = 'id' } = options.through;
    conditions.push(`EXISTS (SELECT 1 FROM ${parent} p WHERE p.${parentKey} = ${table}.${key})`);
  } else {
    const site = options.site ?? 'site_id';
    // The cast makes `= ANY` take the sub-select's one value as the array (without it, Postgres reads the
    // sub-query form of ANY and compares each site with a whole array).
    const ids = options.siteType === 'text' ? '(SELECT opsgraph_site_ids())::text[]' : '(SELECT opsgraph_site_ids())::uuid[]';
    conditions.push(`((SELECT opsgraph_all_sites()) OR ${site} = ANY (${ids}))`);
  }
  if (options.company) conditions.push(`((SELECT opsgraph_company()) IS NULL OR ${options.company} = (SELECT opsgraph_company()))`);
  const rule = conditions.join(' AND ');
  return [
    `ALTER TABLE ${table} ENABLE ROW LEVEL SECURITY`,
    `DROP POLICY IF EXISTS ${table}_scope ON ${table}`,
    `CREATE POLICY ${table}_scope ON ${table} TO ${REQUEST_ROLE} USING (${rule}) WITH CHECK (${rule})`,
  ];
}

/** Runs `siteScopePolicy`'s statements in a migration. */
export async function protectBySite(q: QueryRunner, table: string, options?: Parameters<typeof siteScopePolicy>[1]): Promise<void> {
  for (const sql of siteScopePolicy(table, options)) await q.query(sql);
}

/** Undoes `protectBySite` (a migration's down). */
export async function unprotect(q: QueryRunner, table: string): Promise<void> {
  await q.query(`DROP POLICY IF EXISTS ${table}_scope ON ${table}`);
  await q.query(`ALTER TABLE ${table} DISABLE ROW LEVEL SECURITY`);
}

/**
 * Creates the request role (once per server: roles are shared by its databases, and several services may
 * migrate at the same moment), lets the migrating user switch to it, grants it the service's tables but not
 * the migration history, and defines the scope functions the policies call.
 */
export class CreateRequestRole1796900000000 implements MigrationInterface {
  name = 'CreateRequestRole1796900000000';
  async up(q: QueryRunner): Promise<void> {
    await q.query(`DO $$ BEGIN
      IF NOT EXISTS (SELECT 1 FROM pg_roles WHERE rolname = '${REQUEST_ROLE}') THEN
        BEGIN
          CREATE ROLE ${REQUEST_ROLE} NOLOGIN NOSUPERUSER NOBYPASSRLS NOCREATEDB NOCREATEROLE NOINHERIT;
        EXCEPTION WHEN duplicate_object OR unique_violation THEN NULL;
        END;
      END IF;
      IF NOT pg_has_role(current_user, '${REQUEST_ROLE}', 'MEMBER') THEN
        BEGIN
          EXECUTE format('GRANT ${REQUEST_ROLE} TO %I', current_user);
        EXCEPTION WHEN duplicate_object OR unique_violation OR internal_error THEN NULL;
        END;
      END IF;
    END $$`);
    await q.query(`GRANT USAGE ON SCHEMA public TO ${REQUEST_ROLE}`);
    await q.query(`GRANT SELECT, INSERT, UPDATE, DELETE ON ALL TABLES IN SCHEMA public TO ${REQUEST_ROLE}`);
    await q.query(`GRANT USAGE, SELECT, UPDATE ON ALL SEQUENCES IN SCHEMA public TO ${REQUEST_ROLE}`);
    await q.query(`ALTER DEFAULT PRIVILEGES IN SCHEMA public GRANT SELECT, INSERT, UPDATE, DELETE ON TABLES TO ${REQUEST_ROLE}`);
    await q.query(`ALTER DEFAULT PRIVILEGES IN SCHEMA public GRANT USAGE, SELECT, UPDATE ON SEQUENCES TO ${REQUEST_ROLE}`);
    await q.query(`REVOKE ALL ON migrations FROM ${REQUEST_ROLE}`);
    await q.query(`CREATE OR REPLACE FUNCTION opsgraph_all_sites() RETURNS boolean LANGUAGE sql STABLE
      AS $$ SELECT coalesce(current_setting('opsgraph.sites', true), '') = '*' $$`);
    await q.query(`CREATE OR REPLACE FUNCTION opsgraph_site_ids() RETURNS uuid[] LANGUAGE sql STABLE
      AS $$ SELECT CASE WHEN coalesce(current_setting('opsgraph.sites', true), '') IN ('', '*') THEN '{}'::uuid[]
                        ELSE string_to_array(current_setting('opsgraph.sites', true), ',')::uuid[] END $$`);
    await q.query(`CREATE OR REPLACE FUNCTION opsgraph_company() RETURNS text LANGUAGE sql STABLE
      AS $$ SELECT nullif(current_setting('opsgraph.company', true), '') $$`);
  }
  async down(q: QueryRunner): Promise<void> {
    await q.query(`DROP FUNCTION IF EXISTS opsgraph_company(), opsgraph_site_ids(), opsgraph_all_sites()`);
    await q.query(`ALTER DEFAULT PRIVILEGES IN SCHEMA public REVOKE ALL ON TABLES FROM ${REQUEST_ROLE}`);
    await q.query(`ALTER DEFAULT PRIVILEGES IN SCHEMA public REVOKE ALL ON SEQUENCES FROM ${REQUEST_ROLE}`);
    await q.query(`REVOKE ALL ON ALL TABLES IN SCHEMA public FROM ${REQUEST_ROLE}`);
    await q.query(`REVOKE ALL ON ALL SEQUENCES IN SCHEMA public FROM ${REQUEST_ROLE}`);
    await q.query(`REVOKE ALL ON SCHEMA public FROM ${REQUEST_ROLE}`);
  }
}
