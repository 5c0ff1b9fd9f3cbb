import { REQUEST_ROLE } from '@opsgraph/core';
import { testDatabase } from '@opsgraph/testing';
import { service as change } from '../../../services/change/src/service';
import { service as competence } from '../../../services/competence/src/service';
import { service as compliance } from '../../../services/compliance/src/service';
import { service as documents } from '../../../services/documents/src/service';
import { service as hazards } from '../../../services/hazards/src/service';
import { service as permits } from '../../../services/permits/src/service';
import { service as work } from '../../../services/work/src/service';

/**
 * Scope by construction, checked over every service's schema as migrated: a table with a site column
 * (`site_id`, `site_ids`) is protected by row-level security with a policy for the request role, so a new
 * table cannot be added without one. Requests run as a role that owns nothing and is not a superuser, and
 * cannot touch the migration history.
 */
const services = [work, permits, documents, hazards, change, compliance, competence];

/** Tables with a site column that requests may read whatever the site, and why. */
const UNPROTECTED: Record<string, string> = {
  'competence.person':
    "people named by other domains' records (who approved a permit, who granted a record) resolve to their id and name whatever the reader's sites; what more of a person a caller sees is decided by personVisible, and their records are protected by the person's sites",
};

/**
 * Tables only background work reads and writes (as the owner), with no access for requests at all, and why.
 * - `prerequisite_fact` (Work): the latest state supporting records told Work for blockers not raised yet (a
 *   permit suspended, a change rejected); it names no site, so a request must not read it: only Work's event
 *   consumer applies it, to blockers of the record's own site.
 */
const BACKGROUND_ONLY = ['prerequisite_fact'];

describe.each(services.map((s) => [s.name, s] as const))('%s', (_name, definition) => {
  let database: Awaited<ReturnType<typeof testDatabase>>;
  beforeAll(async () => {
    database = await testDatabase(definition);
  });
  afterAll(() => database?.close());

  test('every table with a site column has row-level security and a policy for requests', async () => {
    const tables: { table: string; rls: boolean; policies: number }[] = await database.db.query(
      `SELECT c.relname AS table, c.relrowsecurity AS rls,
              (SELECT count(*)::int FROM pg_policy p WHERE p.polrelid = c.oid AND (p.polroles = '{0}' OR (SELECT oid FROM pg_roles WHERE rolname = $1) = ANY (p.polroles))) AS policies
         FROM pg_class c JOIN pg_namespace n ON n.oid = c.relnamespace
        WHERE n.nspname = 'public' AND c.relkind = 'r'
          AND EXISTS (SELECT 1 FROM pg_attribute a WHERE a.attrelid = c.oid AND a.attname IN ('site_id', 'site_ids') AND NOT a.attisdropped)
        ORDER BY 1`,
      [REQUEST_ROLE],
    );
    expect(tables.length).toBeGreaterThan(0);
    const unprotected = tables.filter((t) => !UNPROTECTED[`${definition.name}.${t.table}`] && (!t.rls || t.policies === 0)).map((t) => t.table);
    expect(unprotected).toEqual([]);
  });

  test('requests run as a role that is not a superuser, owns no table, cannot change the migration history and only appends events', async () => {
    const [role] = await database.db.query(`SELECT rolsuper, rolbypassrls, rolcanlogin FROM pg_roles WHERE rolname = $1`, [REQUEST_ROLE]);
    expect(role).toEqual({ rolsuper: false, rolbypassrls: false, rolcanlogin: false });
    const owned = await database.db.query(`SELECT tablename FROM pg_tables WHERE tableowner = $1`, [REQUEST_ROLE]);
    expect(owned).toEqual([]);
    const [grants] = await database.db.query(
      `SELECT has_table_privilege($1, 'migrations', 'SELECT') AS migrations,
              has_table_privilege($1, 'outbox', 'INSERT') AS "appendsEvents",
              has_table_privilege($1, 'outbox', 'SELECT') OR has_table_privilege($1, 'outbox', 'UPDATE') OR has_table_privilege($1, 'outbox', 'DELETE') AS "readsEvents",
              bool_and(has_table_privilege($1, format('%I', tablename), 'SELECT,INSERT,UPDATE,DELETE'))
                FILTER (WHERE tablename NOT IN ('migrations', 'outbox', 'outbox_pending', 'inbox', 'parked_event', ${BACKGROUND_ONLY.map((t) => `'${t}'`).join(', ')})) AS others
         FROM pg_tables WHERE schemaname = 'public'`,
      [REQUEST_ROLE],
    );
    expect(grants).toEqual({ migrations: false, appendsEvents: true, readsEvents: false, others: true });
    const [background] = await database.db.query(
      `SELECT bool_or(has_table_privilege($1, format('%I', tablename), 'SELECT,INSERT,UPDATE,DELETE')) AS any FROM pg_tables WHERE schemaname = 'public' AND tablename = ANY($2)`,
      [REQUEST_ROLE, BACKGROUND_ONLY],
    );
    expect(background.any ?? false).toBe(false);
  });
});
