import { readFileSync } from 'node:fs';
import { ROLES, type Caller, type Role } from '@opsgraph/core';
import type { TestGateway } from './gateway';
import { expectError, ok } from './services';
import { people } from './people';

/** What one call of a role matrix acts on: its variables, and how to read back all it could change. */
export interface MatrixFixture {
  variables: Record<string, unknown>;
  /** Everything the mutation could change (read as someone who sees it all, never the caller). */
  read: () => Promise<unknown>;
}

/** One mutation of a role matrix. */
export interface MatrixCase<P extends string = string> {
  /** The key of the service's permission table that allows the mutation. */
  permission: P;
  mutation: string;
  /** A fresh fixture for `caller` (null: for the call without a token). */
  setup: (caller: Caller | null) => Promise<MatrixFixture>;
  /** The operation on the audit trail when the case's name is not it (several cases of one mutation). */
  operation?: string;
  /** Records no event when allowed (with `events`). */
  silent?: boolean;
}

export interface RoleMatrix<P extends Record<string, readonly Role[]>, C extends MatrixCase<Extract<keyof P, string>>> {
  gateway: () => TestGateway;
  /** The service's permission table: administrators may do everything, every other role what it lists. */
  permissions: P;
  /** Mutation (or case) name → case; together they must cover every mutation of `schema`. */
  cases: Record<string, C>;
  /** The service's schema.graphql, whose every mutation the matrix must cover. */
  schema: string;
  /** The matrix caller holding `role`: in scope for the fixtures, so only the role decides. */
  callerOf: (role: Role) => Caller;
  /** The service's audit trail field, e.g. `permitsAuditTrail`. */
  auditTrail: string;
  /** A query of the service, which is UNAUTHENTICATED without a token too. */
  query: string;
  /** Counts the events the service recorded: refused calls record none, allowed ones some (unless `silent`). */
  events?: () => Promise<number>;
  /**
   * A fixture a refused call left unchanged (which the test asserts) serves the next test of the same
   * mutation: fewer, quicker setups. Only for setups that do not depend on the caller.
   */
  shareRefusedFixtures?: boolean;
  /** Checks the data of an allowed call, beyond it having no errors. */
  expectData?: (data: any, c: C, name: string) => void;
  /** More tests for each role, declared in its `role <role>` block after the matrix. */
  perRole?: (role: Role, caller: Caller) => void;
}

/** Whether `role` holds `permission` in a service's permission table (administrators hold them all). */
export const permitted = <P extends Record<string, readonly Role[]>>(permissions: P, role: Role, permission: keyof P) =>
  role === 'administrator' || permissions[permission].includes(role);

/** The mutations a schema.graphql declares. */
export function schemaMutations(schemaPath: string): string[] {
  const block = /type Mutation \{([\s\S]*?)\n\}/.exec(readFileSync(schemaPath, 'utf8'))![1];
  return [...block.matchAll(/^\s+(\w+)\(/gm)].map((m) => m[1]);
}

/**
 * The role matrix, through the real gateway: every role against every mutation of a service. For each
 * role and case, from a fixture: the call without a token is UNAUTHENTICATED and changes nothing; the
 * caller's call, when the permission table allows it, succeeds, changes the state (and records an event)
 * and is on the audit trail as `ok`; otherwise it fails with FORBIDDEN, changes nothing (no event either)
 * and is on the audit trail as `refused`. Declares, in this order:
 * - `the matrix covers every mutation of the schema`,
 * - `role <role> › <case>` for every role and case (then `perRole`'s tests),
 * - `no token › <case> is UNAUTHENTICATED and changes nothing` and `no token › queries are UNAUTHENTICATED too`.
 */
export function describeRoleMatrix<P extends Record<string, readonly Role[]>, C extends MatrixCase<Extract<keyof P, string>>>(matrix: RoleMatrix<P, C>) {
  const { cases, events } = matrix;
  const names = Object.keys(cases);
  const operation = (name: string) => cases[name].operation ?? name;

  /** Fixtures refused calls left unchanged, by case, for the next test of the case. */
  const unchanged = new Map<string, MatrixFixture>();
  const fixture = async (name: string, caller: Caller | null) => {
    const kept = unchanged.get(name);
    unchanged.delete(name);
    return kept ?? cases[name].setup(caller);
  };
  const keep = (name: string, f: MatrixFixture) => {
    if (matrix.shareRefusedFixtures) unchanged.set(name, f);
  };
  const snapshot = async (f: MatrixFixture) => ({ state: await f.read(), events: events ? await events() : 0 });
  /** The call without a token: refused by the gateway before anything reaches the subgraph. */
  const refusedWithoutToken = async (name: string, f: MatrixFixture) => {
    const before = await snapshot(f);
    expectError(await matrix.gateway().query(cases[name].mutation, f.variables, null), 'UNAUTHENTICATED');
    expect(await snapshot(f)).toEqual(before);
    return before;
  };
  const lastAudit = async (actorId: string) =>
    ok(await matrix.gateway().query(`query($a: ID) { t: ${matrix.auditTrail}(actorId: $a, first: 1) { operation outcome errorCode } }`, { a: actorId }, people.admin)).t;

  test('the matrix covers every mutation of the schema', () => {
    expect([...new Set(names.map(operation))].sort()).toEqual(schemaMutations(matrix.schema).sort());
  });

  describe.each(ROLES.map((r) => [r]))('role %s', (role) => {
    const caller = matrix.callerOf(role);
    test.each(names)('%s', async (name) => {
      const c = cases[name];
      const f = await fixture(name, caller);
      const before = await refusedWithoutToken(name, f);
      const res = await matrix.gateway().query(c.mutation, f.variables, caller);
      const after = await snapshot(f);
      const audit = await lastAudit(caller.id);
      if (permitted(matrix.permissions, role, c.permission)) {
        const data = ok(res);
        matrix.expectData?.(data, c, name);
        expect(after.state).not.toEqual(before.state);
        if (events && c.silent) expect(after.events).toBe(before.events);
        else if (events) expect(after.events).toBeGreaterThan(before.events);
        expect(audit).toEqual([{ operation: operation(name), outcome: 'ok', errorCode: null }]);
      } else {
        expectError(res, 'FORBIDDEN');
        expect(after).toEqual(before);
        expect(audit).toEqual([{ operation: operation(name), outcome: 'refused', errorCode: 'FORBIDDEN' }]);
        keep(name, f);
      }
    });
    matrix.perRole?.(role, caller);
  });

  describe('no token', () => {
    test.each(names)('%s is UNAUTHENTICATED and changes nothing', async (name) => {
      const f = await fixture(name, null);
      await refusedWithoutToken(name, f);
      keep(name, f);
    });
    test('queries are UNAUTHENTICATED too', async () => {
      expectError(await matrix.gateway().query(matrix.query, {}, null), 'UNAUTHENTICATED');
    });
  });
}
