import { devToken, type HttpApp, type UserTokenConfig } from '@opsgraph/core';
import { composeSupergraph, startGateway } from '@opsgraph/gateway';
import { expectError, ok, people, postGraphQL, type GraphQLResult, type TestService } from '@opsgraph/testing';
import { startWork } from '../../services/work/test/fixtures';

/**
 * The abuse limits gateway.test.ts does not cover: introspection off in production (or when turned off),
 * and unexpected errors that say `internal error` with no stack or SQL outside development.
 */

/** Sets environment variables for the duration of `fn` (the gateway reads its settings when it starts). */
async function withEnv<T>(env: Record<string, string>, fn: () => Promise<T>): Promise<T> {
  const saved = Object.fromEntries(Object.keys(env).map((k) => [k, process.env[k]]));
  Object.assign(process.env, env);
  try {
    return await fn();
  } finally {
    for (const [k, v] of Object.entries(saved)) {
      if (v === undefined) delete process.env[k];
      else process.env[k] = v;
    }
  }
}

// Production refuses to start without a configured user-token secret; this one is for these tests only.
const PROD_TOKENS: UserTokenConfig = { issuer: 'opsgraph-prod-test', audience: 'opsgraph', secret: 'production-mode-test-secret' };
// Production requires the internal secret too; the subgraphs here run with the dev one.
const PROD_ENV = { NODE_ENV: 'production', OPSGRAPH_INTERNAL_SECRET: 'dev-internal-secret-change-me', OPSGRAPH_JWT_SECRET: PROD_TOKENS.secret!, OPSGRAPH_JWT_ISSUER: PROD_TOKENS.issuer, OPSGRAPH_JWT_AUDIENCE: PROD_TOKENS.audience };

const INTROSPECTION = `{ __schema { queryType { name } types { name } } }`;
const TYPE_INTROSPECTION = `{ __type(name: "WorkItem") { fields { name } } }`;

let work: TestService;
let supergraphSdl: string;
let dev: HttpApp; // the test default: NODE_ENV=test
let production: HttpApp;
let introspectionOff: HttpApp;

const asAdmin = async (app: HttpApp, query: string, config?: UserTokenConfig) =>
  postGraphQL(app.url, query, {}, { authorization: `Bearer ${await devToken(people.admin, { config })}` });

beforeAll(async () => {
  supergraphSdl = composeSupergraph();
  work = await startWork();
  const start = () => startGateway({ port: 0, supergraphSdl, subgraphUrls: { work: work.url } });
  dev = await start();
  production = await withEnv(PROD_ENV, start);
  introspectionOff = await withEnv({ OPSGRAPH_INTROSPECTION: 'false' }, start);
});
afterAll(async () => {
  await Promise.all([dev, production, introspectionOff].map((app) => app?.close()));
  await work?.stop();
});

describe('introspection', () => {
  test('is answered outside production', async () => {
    const schema = ok(await asAdmin(dev, INTROSPECTION)).__schema;
    expect(schema.queryType).toEqual({ name: 'Query' });
    expect(schema.types.map((t: { name: string }) => t.name)).toContain('WorkItem');
    expect(ok(await asAdmin(dev, TYPE_INTROSPECTION)).__type.fields.length).toBeGreaterThan(0);
  });

  test('is refused when NODE_ENV=production, even to an administrator; ordinary queries still work', async () => {
    for (const query of [INTROSPECTION, TYPE_INTROSPECTION, `{ sites { id } a: __schema { types { name } } }`]) {
      const res = await asAdmin(production, query, PROD_TOKENS);
      expect(res.data).toBeUndefined();
      expectError(res, 'GRAPHQL_VALIDATION_FAILED');
      expect(JSON.stringify(res)).not.toMatch(/WorkItem|stacktrace/);
    }
    expect(ok(await asAdmin(production, `{ sites { id } }`, PROD_TOKENS)).sites).toEqual(expect.any(Array));
    // Production still verifies user tokens with its own secret: a dev token is not accepted there.
    expectError(await asAdmin(production, `{ sites { id } }`), 'UNAUTHENTICATED');
  });

  test('is refused when OPSGRAPH_INTROSPECTION=false', async () => {
    const res = await asAdmin(introspectionOff, INTROSPECTION);
    expect(res.data).toBeUndefined();
    expectError(res, 'GRAPHQL_VALIDATION_FAILED');
  });
});

describe('unexpected errors', () => {
  // A real fault in the subgraph: a column the service selects is gone, so Postgres fails the query.
  beforeAll(() => work.db.query(`ALTER TABLE "site" RENAME COLUMN "name" TO "name_gone"`));
  afterAll(() => work.db.query(`ALTER TABLE "site" RENAME COLUMN "name_gone" TO "name"`));
  const QUERY = `{ sites { id name } }`;

  const expectOpaque = (res: GraphQLResult) => {
    const error = expectError(res, 'INTERNAL_SERVER_ERROR');
    expect(error.message).toBe('internal error');
    expect(error.extensions).toEqual({ code: 'INTERNAL_SERVER_ERROR' });
    expect(JSON.stringify(res)).not.toMatch(/stacktrace|exception|does not exist|name_gone|"site"|select|\.ts:\d|at \w+ \(/i);
  };

  test('say only "internal error" through the gateway, with no stack or SQL (test and production modes)', async () => {
    expectOpaque(await asAdmin(dev, QUERY));
    expectOpaque(await asAdmin(production, QUERY, PROD_TOKENS));
  });

  test('in development the same fault shows its details (so the check above is not vacuous)', async () => {
    const res = await withEnv({ NODE_ENV: 'development' }, () => asAdmin(dev, QUERY));
    const error = expectError(res, 'INTERNAL_SERVER_ERROR');
    expect(error.message).toMatch(/does not exist/);
  });
});
