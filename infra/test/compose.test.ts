/**
 * docker-compose.yml, the Dockerfile and .dockerignore, checked without Docker (none on these machines): the
 * compose file against the Compose Specification's JSON Schema (infra/docker/compose-spec.json, see
 * infra/README.md for its source), every variable it gives a process read by the code, every command a file,
 * a healthcheck on every app service, no secret with a working default, one Kafka version, and an image whose
 * final stage runs on production dependencies only.
 */
import { existsSync, readdirSync, readFileSync } from 'node:fs';
import { builtinModules } from 'node:module';
import path from 'node:path';
import Ajv from 'ajv';
import draft07 from 'ajv/dist/refs/json-schema-draft-07.json';
import addFormats from 'ajv-formats';
import { parse } from 'yaml';
import { GATEWAY_PORT, SUBGRAPHS, SUBGRAPH_PORTS } from '@opsgraph/core';

const ROOT = path.resolve(__dirname, '..', '..');
const read = (file: string) => readFileSync(path.join(ROOT, file), 'utf8');
const compose = parse(read('docker-compose.yml'), { merge: true }) as { services: Record<string, Service>; [key: string]: unknown };

interface Service {
  image?: string;
  build?: { context: string; target?: string };
  command?: string[];
  environment?: Record<string, string | number>;
  healthcheck?: { test: string[] };
  depends_on?: Record<string, { condition: string }>;
  ports?: string[];
  profiles?: string[];
}

/** The services built from this repository (the rest are Postgres and Kafka images). */
const built = Object.entries(compose.services).filter(([, s]) => s.build);
/** Those that serve: every process but the tools run on demand. */
const app = built.filter(([, s]) => !s.profiles);

/** Every file of the code a process runs (tests, benchmarks and generated code aside). */
function sourceFiles(): string[] {
  const files: string[] = [];
  const walk = (dir: string) => {
    for (const entry of readdirSync(path.join(ROOT, dir), { withFileTypes: true })) {
      const rel = path.join(dir, entry.name);
      if (entry.isDirectory()) {
        if (!['node_modules', 'test', 'generated'].includes(entry.name)) walk(rel);
      } else if (/\.(ts|mjs)$/.test(entry.name)) files.push(rel);
    }
  };
  for (const dir of ['libs', 'services', 'gateway', 'scripts']) walk(dir);
  return files;
}

/** The environment variables the code reads by name: `process.env.X`, `process.env['X']`, `env('X')`, `envInt('X')`, and `OPSGRAPH_<SUBGRAPH>_URL|PORT`. */
function variablesRead(): Set<string> {
  const names = new Set<string>();
  for (const file of sourceFiles()) {
    const text = read(file);
    for (const m of text.matchAll(/process\.env(?:\.([A-Z][A-Z0-9_]*)|\[\s*['"]([A-Z][A-Z0-9_]*)['"]\s*\])|\benv(?:Int)?\(\s*['"]([A-Z][A-Z0-9_]*)['"]/g)) names.add(m[1] ?? m[2] ?? m[3]);
    for (const suffix of ['URL', 'PORT']) {
      if (text.includes(`\`OPSGRAPH_\${name.toUpperCase()}_${suffix}\``)) for (const s of SUBGRAPHS) names.add(`OPSGRAPH_${s.toUpperCase()}_${suffix}`);
    }
  }
  return names;
}

test('docker-compose.yml is valid against the Compose Specification schema', () => {
  const ajv = new Ajv({ strict: false, allErrors: true });
  addFormats(ajv);
  // The schema names draft-07 by its https address; Ajv knows the same meta-schema by the http one.
  ajv.addMetaSchema({ ...draft07, $id: 'https://json-schema.org/draft-07/schema' });
  const validate = ajv.compile(JSON.parse(read('infra/docker/compose-spec.json')));
  const valid = validate(compose);
  expect(validate.errors ?? []).toEqual([]);
  expect(valid).toBe(true);
  // It can fail: a misspelt key is refused.
  expect(validate({ services: { work: { ...compose.services.work, healtcheck: {} } } })).toBe(false);
});

test('compose runs every subgraph and the gateway, each command a file of the repository', () => {
  expect(app.map(([name]) => name).sort()).toEqual([...SUBGRAPHS, 'gateway'].sort());
  for (const [name, service] of app) {
    expect([name, service.command]).toEqual([name, [name === 'gateway' ? 'gateway/src/main.ts' : `services/${name}/src/main.ts`]]);
  }
  for (const [name, service] of built) {
    const entry = service.command?.[0];
    expect([name, entry && existsSync(path.join(ROOT, entry))]).toEqual([name, true]);
  }
  // The image's default command and the tools' documented ones are files too.
  for (const [, file] of read('Dockerfile').matchAll(/^CMD \["([^"]+)"/gm)) expect(existsSync(path.join(ROOT, file))).toBe(true);
  for (const file of ['scripts/token.ts', 'scripts/demo.ts']) expect(existsSync(path.join(ROOT, file))).toBe(true);
});

test('every app service has a healthcheck on its own /ready, and the gateway waits until every subgraph is healthy', () => {
  const ports: Record<string, number> = { ...SUBGRAPH_PORTS, gateway: GATEWAY_PORT };
  for (const [name, service] of app) {
    expect([name, service.healthcheck?.test]).toEqual([name, ['CMD', 'node', 'infra/docker/ready.mjs', String(ports[name])]]);
  }
  expect(read('infra/docker/ready.mjs')).toMatch(/\/ready`/);
  const gateway = compose.services.gateway;
  for (const subgraph of SUBGRAPHS) {
    expect([subgraph, gateway.depends_on?.[subgraph]?.condition]).toEqual([subgraph, 'service_healthy']);
    expect(gateway.environment?.[`OPSGRAPH_${subgraph.toUpperCase()}_URL`]).toBe(`http://${subgraph}:${ports[subgraph]}/graphql`);
  }
  expect(gateway.ports).toEqual([`${GATEWAY_PORT}:${GATEWAY_PORT}`]);
});

test('every environment variable compose gives a process is read by the code', () => {
  const readNames = variablesRead();
  // The scan finds what it must (it can fail): a few names read in different ways.
  for (const name of ['OPSGRAPH_PG_URL', 'KAFKA_BROKERS', 'OPSGRAPH_HOST', 'OPSGRAPH_WORK_URL', 'OPSGRAPH_GATEWAY_URL']) expect(readNames).toContain(name);
  expect(readNames).not.toContain('OPSGRAPH_NOT_A_SETTING');
  for (const [name, service] of built) {
    for (const variable of Object.keys(service.environment ?? {})) expect([name, variable, readNames.has(variable)]).toEqual([name, variable, true]);
  }
});

test('no secret ships with a value: each is required from .env (listed, empty, in .env.example)', () => {
  const text = read('docker-compose.yml');
  const interpolations = [...text.matchAll(/\$\{([A-Z0-9_]+)(:?[-?+])?([^}]*)\}/g)];
  expect(interpolations.length).toBeGreaterThan(0);
  for (const [whole, , operator] of interpolations) expect([whole, operator]).toEqual([whole, ':?']);
  const required = new Set(interpolations.map((m) => m[1]));
  expect([...required].sort()).toEqual(['OPSGRAPH_INTERNAL_SECRET', 'OPSGRAPH_JWT_SECRET', 'POSTGRES_PASSWORD']);
  // Every variable naming a secret or a password, and every URL with a password in it, comes from such an interpolation.
  for (const [name, service] of Object.entries(compose.services)) {
    for (const [variable, value] of Object.entries(service.environment ?? {})) {
      if (/SECRET|PASSWORD|TOKEN|_KEY$/.test(variable)) expect([name, variable, String(value)]).toEqual([name, variable, expect.stringMatching(/^\$\{[A-Z0-9_]+:\?[^}]+\}$/)]);
      const credentials = /\/\/[^/:@]+:([^@]+)@/.exec(String(value));
      if (credentials) expect([name, variable, credentials[1]]).toEqual([name, variable, expect.stringMatching(/^\$\{POSTGRES_PASSWORD:\?[^}]+\}$/)]);
    }
  }
  expect(text).not.toMatch(/change-me|dev-[a-z]+-secret/);
  const example = Object.fromEntries(
    read('.env.example')
      .split('\n')
      .filter((line) => /^[A-Z]/.test(line))
      .map((line) => line.split('=', 2) as [string, string]),
  );
  expect(Object.keys(example).sort()).toEqual([...required].sort());
  for (const value of Object.values(example)) expect(value).toBe('');
  expect(read('.gitignore').split('\n')).toContain('.env');
});

test('Kafka: the version the tests run, an internal listener for the containers and an external one for the host', () => {
  const tested = /<kafka\.version>([^<]+)<\/kafka\.version>/.exec(read('infra/kafka/pom.xml'))![1];
  expect(compose.services.kafka.image).toBe(`apache/kafka:${tested}`);
  const env = compose.services.kafka.environment!;
  const advertised = Object.fromEntries(String(env.KAFKA_ADVERTISED_LISTENERS).split(',').map((l) => l.split('://') as [string, string]));
  expect(advertised.INTERNAL).toBe('kafka:9092');
  expect(advertised.EXTERNAL).toMatch(/^localhost:\d+$/);
  const hostPort = advertised.EXTERNAL.split(':')[1];
  // What the broker tells a host client to connect to is where the host reaches it.
  expect(compose.services.kafka.ports).toEqual([`127.0.0.1:${hostPort}:${hostPort}`]);
  expect(String(env.KAFKA_LISTENERS)).toContain(`EXTERNAL://:${hostPort}`);
  expect(env.KAFKA_INTER_BROKER_LISTENER_NAME).toBe('INTERNAL');
  for (const [name, service] of app) expect([name, service.environment?.KAFKA_BROKERS]).toEqual([name, advertised.INTERNAL]);
  // The README names both addresses.
  const readme = read('README.md');
  expect(readme).toContain('`kafka:9092`');
  expect(readme).toContain(`\`localhost:${hostPort}\``);
});

describe('the image', () => {
  const dockerfile = read('Dockerfile');
  const stages = [...dockerfile.matchAll(/^FROM (\S+)(?: AS (\S+))?$/gm)].map((m) => ({ from: m[1], name: m[2], at: m.index! }));
  const final = stages[stages.length - 1];
  const finalStage = dockerfile.slice(final.at);

  test('is built in stages from a pinned Node new enough for the code, and runs as a non-root user', () => {
    const base = /^ARG NODE_IMAGE=(\S+)$/m.exec(dockerfile)?.[1];
    expect(base).toMatch(/^node:20\.\d+\.\d+-bookworm-slim(@sha256:[0-9a-f]{64})?$/);
    const [minor, patch] = /^node:20\.(\d+)\.(\d+)/.exec(base!)!.slice(1).map(Number);
    const engines = /^>=20\.(\d+)$/.exec(JSON.parse(read('package.json')).engines.node)!;
    expect(minor).toBeGreaterThanOrEqual(Number(engines[1]));
    expect(patch).toBeGreaterThanOrEqual(0);
    expect(stages.length).toBeGreaterThanOrEqual(3);
    for (const stage of stages) expect([stage.name, stage.from === '${NODE_IMAGE}' || stages.some((s) => s.name === stage.from)]).toEqual([stage.name, true]);
    expect(final.name).toBe('runtime');
    expect(compose.services.gateway.build?.target).toBe('runtime');
    expect(compose.services.tools.build?.target).toBe('tools');
    expect(finalStage).toMatch(/^USER node$/m);
  });

  test('its final stage holds production dependencies only, and tsx, which runs the code, is one', () => {
    expect(finalStage).toMatch(/^COPY --from=production-dependencies /m);
    expect(dockerfile).toMatch(/^FROM manifests AS production-dependencies\nRUN pnpm install --frozen-lockfile --prod$/m);
    expect(finalStage).not.toMatch(/all-dependencies/);
    expect(finalStage).toMatch(/^ENTRYPOINT \["node", "--import", "tsx"\]$/m);
    const manifest = JSON.parse(read('package.json'));
    expect(Object.keys(manifest.dependencies)).toContain('tsx');
    // Every workspace package a process needs has its manifest copied before the install.
    for (const dir of ['libs/core', 'libs/events', 'gateway', ...SUBGRAPHS.map((s) => `services/${s}`)]) expect(dockerfile).toContain(`COPY ${dir}/package.json ${dir}/`);
  });

  test('what a process imports is there with production dependencies only', () => {
    // pnpm --prod installs the root's dependencies and, per workspace package, its own dependencies.
    const root = JSON.parse(read('package.json'));
    const builtins = new Set([...builtinModules, ...builtinModules.map((m) => `node:${m}`)]);
    const missing: string[] = [];
    for (const file of sourceFiles().filter((f) => !f.startsWith('libs/testing/') && !f.startsWith('scripts/'))) {
      const manifestDir = ['libs/core', 'libs/events', 'gateway', ...SUBGRAPHS.map((s) => `services/${s}`)].find((d) => file.startsWith(`${d}/`));
      const own = manifestDir ? Object.keys(JSON.parse(read(`${manifestDir}/package.json`)).dependencies ?? {}) : [];
      const text = read(file).replace(/^\s*import type [^;]+;/gm, '').replace(/^\s*export type [^;]+;/gm, '');
      for (const m of text.matchAll(/(?:^|\n)\s*(?:import|export)\s[^'";]*?from\s+['"]([^'"]+)['"]|\bimport\(\s*['"]([^'"]+)['"]\s*\)|\brequire\(\s*['"]([^'"]+)['"]\s*\)/g)) {
        const spec = m[1] ?? m[2] ?? m[3];
        if (spec.startsWith('.') || builtins.has(spec)) continue;
        const pkg = spec.startsWith('@') ? spec.split('/').slice(0, 2).join('/') : spec.split('/')[0];
        const available = own.includes(pkg) || (!pkg.startsWith('@opsgraph/') && pkg in root.dependencies);
        if (!available) missing.push(`${file}: ${spec}`);
      }
    }
    expect(missing).toEqual([]);
  });

  test('.dockerignore keeps installed dependencies, local data, the Kafka jars, git and secrets out of the build', () => {
    const ignored = read('.dockerignore').split('\n').map((l) => l.trim());
    for (const entry of ['**/node_modules', '.data', 'infra/kafka/.cache', '.git', '.env']) expect(ignored).toContain(entry);
    // But not what the image runs: the healthcheck probe and the sources.
    for (const kept of ['infra', 'infra/docker', 'libs', 'services', 'gateway', 'scripts']) expect(ignored).not.toContain(kept);
  });
});
