import { spawn } from 'node:child_process';
import path from 'node:path';

/** Starts a real entry point with some settings and collects what it printed and how it ended. */
function start(entry: string, env: Record<string, string>, timeoutMs = 60_000) {
  const child = spawn(process.execPath, ['--import', 'tsx', path.join(__dirname, '..', '..', entry)], {
    env: { ...process.env, OPSGRAPH_LOG_LEVEL: 'fatal', ...env },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let output = '';
  child.stdout.on('data', (chunk) => (output += chunk));
  child.stderr.on('data', (chunk) => (output += chunk));
  return new Promise<{ code: number | null; output: string }>((resolve) => {
    const timer = setTimeout(() => child.kill('SIGKILL'), timeoutMs);
    child.once('exit', (code) => {
      clearTimeout(timer);
      resolve({ code, output });
    });
  });
}

test('the gateway refuses to start on wrong settings and names every one of them', async () => {
  const { code, output } = await start('gateway/src/main.ts', {
    OPSGRAPH_GATEWAY_PORT: '0',
    OPSGRAPH_MAX_DEPTH: 'deep',
    OPSGRAPH_SUBGRAPH_TIMEOUT_MS: '-5',
    OPSGRAPH_SHARE_SUBGRAPH_READS: 'yes',
    OPSGRAPH_WORK_URL: 'work:4001',
    KAFKA_BROKERS: 'localhost',
    OPSGRAPH_TRACING: 'jaeger',
    NODE_ENV: 'production',
    OPSGRAPH_INTERNAL_SECRET: '',
    OPSGRAPH_JWT_SECRET: '',
  });
  expect(code).toBe(1);
  expect(output).toContain('gateway could not start: configuration: 8 problem(s)');
  for (const expected of [
    'OPSGRAPH_MAX_DEPTH must be a whole number, got "deep"',
    'OPSGRAPH_SUBGRAPH_TIMEOUT_MS must be a whole number, got "-5"',
    'OPSGRAPH_SHARE_SUBGRAPH_READS must be true or false, got "yes"',
    'OPSGRAPH_WORK_URL must be a http/https URL, got "work:4001"',
    'KAFKA_BROKERS must be a comma list of host:port, got "localhost"',
    'OPSGRAPH_TRACING must be one of off, otlp, console, got "jaeger"',
    'missing environment variable OPSGRAPH_INTERNAL_SECRET',
    'missing environment variable OPSGRAPH_JWT_SECRET',
  ]) {
    expect(output).toContain(expected);
  }
});

test('a subgraph refuses to start on a wrong setting before it touches its database', async () => {
  const { code, output } = await start('services/work/src/main.ts', {
    OPSGRAPH_WORK_PORT: '0',
    OPSGRAPH_PG_POOL: 'ten',
    OPSGRAPH_EVENT_TASKS: 'relay,publish',
    // Nothing listens here: the check must fail first, or this start would fail on the connection instead.
    OPSGRAPH_PG_URL: 'postgres://postgres@127.0.0.1:1',
  });
  expect(code).toBe(1);
  expect(output).toContain('work could not start: configuration: 2 problem(s):\n- OPSGRAPH_PG_POOL must be a whole number, got "ten"');
  expect(output).toContain('- OPSGRAPH_EVENT_TASKS must be a comma list of relay, consume, got "relay,publish"');
  expect(output).not.toMatch(/ECONNREFUSED/);
});
