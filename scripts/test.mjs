// `npm test`: installs, provides Postgres (this machine's on 5432, else embedded) and a real Kafka
// broker (infra/kafka, when java+mvn exist, else the Postgres transport), type-checks, checks the
// generated code is fresh, runs every Jest test, and ends with `N passed, N failed`.
import { spawnSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { ROOT, ensureKafka, ensurePostgres, install, log } from './lib.mjs';

const args = process.argv.slice(2);
if (!process.env.OPSGRAPH_SKIP_INSTALL) install();

const run = (cmd, cmdArgs, env = {}) => spawnSync(cmd, cmdArgs, { cwd: ROOT, stdio: 'inherit', env: { ...process.env, ...env } }).status ?? 1;

let passed = 0;
let failed = 0;
const pg = await ensurePostgres({ preferLocal5432: true, dataDir: path.join(ROOT, '.data', 'postgres-test'), port: 5434 });
const kafkaDir = mkdtempSync(path.join(os.tmpdir(), 'opsgraph-kafka-'));
let kafka = { brokers: undefined, stop: async () => {} };
try {
  kafka = await ensureKafka({ port: Number(process.env.KAFKA_TEST_PORT ?? 19092), dataDir: kafkaDir, required: !!process.env.CI });
  const env = { OPSGRAPH_PG_URL: pg.url, NODE_ENV: 'test', ...(kafka.brokers ? { KAFKA_BROKERS: kafka.brokers } : {}) };

  // Resolver types are generated from the schemas, never written by hand nor checked in.
  log('generating resolver types and type-checking');
  if (run('npx', ['graphql-codegen', '--config', 'codegen.ts']) === 0 && run('npx', ['tsc', '-p', 'tsconfig.json']) === 0) passed++;
  else failed++;

  log('running the tests');
  const report = path.join(os.tmpdir(), `opsgraph-jest-${process.pid}.json`);
  run('npx', ['jest', '--maxWorkers=2', '--json', `--outputFile=${report}`, ...args], env);
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
console.log(`${passed} passed, ${failed} failed`);
process.exit(failed ? 1 : 0);
