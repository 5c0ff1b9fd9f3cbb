// `npm test`: installs, provides Postgres (this machine's on 5432, else embedded) and a real Kafka broker
// (KAFKA_BROKERS, else infra/kafka when java+mvn exist), type-checks, checks the generated code is fresh, runs
// every Jest test, and ends with `N passed, N failed`. Without a broker it stops at once and says what it needs;
// OPSGRAPH_WITHOUT_KAFKA=1 runs everything else and names the Kafka suites it skipped.
import { spawnSync } from 'node:child_process';
import { mkdtempSync, readdirSync, readFileSync, rmSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { ROOT, ensureKafka, ensurePostgres, hasJavaAndMaven, install, log } from './lib.mjs';

const args = process.argv.slice(2);

/** The test files that need a broker: they take the run's (`testBrokers()`) or start their own. */
function kafkaSuites() {
  const roots = ['libs', 'services', 'gateway', 'infra'];
  const files = [];
  const walk = (dir) => {
    for (const entry of readdirSync(dir, { withFileTypes: true })) {
      if (entry.name === 'node_modules' || entry.name.startsWith('.')) continue;
      const full = path.join(dir, entry.name);
      if (entry.isDirectory()) walk(full);
      else if (entry.name.endsWith('.test.ts') && full.split(path.sep).includes('test')) files.push(full);
    }
  };
  for (const root of roots) walk(path.join(ROOT, root));
  return files.filter((file) => /\b(testBrokers|startPrivateKafka|startKafka)\(|kafka\/cli\.mjs/.test(readFileSync(file, 'utf8'))).map((file) => path.relative(ROOT, file)).sort();
}

// Before anything slow: where the Kafka suites get their broker.
const withoutKafka = /^(1|true|yes)$/i.test(process.env.OPSGRAPH_WITHOUT_KAFKA ?? '');
const broker = process.env.KAFKA_BROKERS ? 'given' : hasJavaAndMaven() ? 'local' : null;
if (!broker && (!withoutKafka || process.env.CI)) {
  console.error(
    [
      '[opsgraph] npm test needs a Kafka broker for its Kafka suites, and none is available here:',
      '  - install Java 17+ and Maven (`java` and `mvn` on PATH): the tests then run a real broker from infra/kafka',
      '    (its jars come from Maven Central on the first run, about 50 MB), or',
      '  - point KAFKA_BROKERS at a broker you run: KAFKA_BROKERS=127.0.0.1:9092 npm test, or',
      process.env.CI
        ? '  - (CI proves the Kafka path: OPSGRAPH_WITHOUT_KAFKA is refused when CI is set)'
        : '  - run the rest without it: OPSGRAPH_WITHOUT_KAFKA=1 npm test (the Kafka suites are skipped, by name).',
    ].join('\n'),
  );
  process.exit(1);
}
const skipped = broker ? [] : kafkaSuites();
if (skipped.length) log(`no Kafka broker (OPSGRAPH_WITHOUT_KAFKA=1): skipping ${skipped.length} Kafka suites`);

if (!process.env.OPSGRAPH_SKIP_INSTALL) install();

const run = (cmd, cmdArgs, env = {}) => spawnSync(cmd, cmdArgs, { cwd: ROOT, stdio: 'inherit', env: { ...process.env, ...env } }).status ?? 1;
const escape = (s) => s.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');

let passed = 0;
let failed = 0;
const pg = await ensurePostgres({ preferLocal5432: true, dataDir: path.join(ROOT, '.data', 'postgres-test'), port: 5434 });
const kafkaDir = mkdtempSync(path.join(os.tmpdir(), 'opsgraph-kafka-'));
let kafka = { brokers: undefined, stop: async () => {} };
try {
  if (broker) kafka = await ensureKafka({ port: Number(process.env.KAFKA_TEST_PORT ?? 19092), dataDir: kafkaDir, required: true });
  const env = { OPSGRAPH_PG_URL: pg.url, NODE_ENV: 'test', KAFKA_BROKERS: kafka.brokers ?? '' };

  // Resolver types are generated from the schemas, never written by hand nor checked in.
  log('generating resolver types and type-checking');
  if (run('npx', ['graphql-codegen', '--config', 'codegen.ts']) === 0 && run('npx', ['tsc', '-p', 'tsconfig.json']) === 0) passed++;
  else failed++;

  log('running the tests');
  const report = path.join(os.tmpdir(), `opsgraph-jest-${process.pid}.json`);
  // Last: the option takes a list, and would swallow test paths given after it.
  const ignore = skipped.length ? [`--testPathIgnorePatterns=/node_modules/|${skipped.map((f) => `${escape(f)}$`).join('|')}`] : [];
  run('npx', ['jest', '--maxWorkers=2', '--json', `--outputFile=${report}`, ...args, ...ignore], env);
  try {
    const result = JSON.parse(readFileSync(report, 'utf8'));
    passed += result.numPassedTests;
    failed += result.numFailedTests + (result.numRuntimeErrorTestSuites ?? 0);
    if (result.numTotalTests === 0) failed++;
  } catch {
    failed++;
    console.error('jest produced no report');
  }
} finally {
  await kafka.stop();
  await pg.stop();
  rmSync(kafkaDir, { recursive: true, force: true });
}
if (skipped.length) console.log(`skipped, no Kafka broker (OPSGRAPH_WITHOUT_KAFKA=1): ${skipped.join(', ')}`);
// The closing line CI reads (.ci/run): `N passed, N failed`, and the skipped Kafka suites when there were any.
console.log(`${passed} passed, ${failed} failed${skipped.length ? `, ${skipped.length} skipped` : ''}`);
process.exit(failed ? 1 : 0);
