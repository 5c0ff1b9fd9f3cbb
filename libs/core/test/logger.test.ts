/**
 * What a process prints: JSON lines in production (and wherever NODE_ENV is not development), readable lines in
 * development, as `npm run up` runs; OPSGRAPH_LOG_FORMAT overrides either way. Real processes, real stdout.
 */
import { spawnSync } from 'node:child_process';
import path from 'node:path';

const ROOT = path.resolve(__dirname, '..', '..', '..');
const SCRIPT = `
const { logger } = require('@opsgraph/core');
logger.info({ consumer: 'work', type: 'work.item.created', outcome: 'applied', requestId: 'r 1' }, 'event consumed');
logger.warn({ time: 812, query: 'SELECT 1' }, 'slow query');
logger.error({ err: new Error('boom') }, 'scheduled rule failed');
`;

function print(env: Record<string, string>): string[] {
  const result = spawnSync(process.execPath, ['--import', 'tsx', '-e', SCRIPT], {
    cwd: ROOT,
    env: { ...process.env, LOG_LEVEL: '', OPSGRAPH_LOG_LEVEL: 'info', OPSGRAPH_LOG_FORMAT: '', OPSGRAPH_SERVICE: 'work', ...env },
    encoding: 'utf8',
  });
  expect(result.status).toBe(0);
  return result.stdout.trimEnd().split('\n');
}

test('production writes one JSON line per entry', () => {
  const lines = print({ NODE_ENV: 'production' });
  expect(lines).toHaveLength(3);
  const [consumed, slow, failed] = lines.map((line) => JSON.parse(line));
  expect(consumed).toMatchObject({ level: 30, service: 'work', consumer: 'work', outcome: 'applied', msg: 'event consumed' });
  expect(slow).toMatchObject({ level: 40, query: 'SELECT 1', msg: 'slow query' });
  expect(failed.err).toMatchObject({ type: 'Error', message: 'boom' });
});

test('development writes readable lines, an error with its stack below', () => {
  const lines = print({ NODE_ENV: 'development' });
  expect(lines[0]).toMatch(/^\d\d:\d\d:\d\d\.\d{3} INFO {2}event consumed consumer=work type=work\.item\.created outcome=applied requestId="r 1"$/);
  // The entry's own `time` field is kept beside the clock pino stamps.
  expect(lines[1]).toMatch(/^\d\d:\d\d:\d\d\.\d{3} WARN {2}slow query query="SELECT 1" time=812$/);
  expect(lines[2]).toMatch(/^\d\d:\d\d:\d\d\.\d{3} ERROR scheduled rule failed$/);
  expect(lines[3]).toBe('    Error: boom');
  for (const line of lines) expect(line.startsWith('{')).toBe(false);
});

test('OPSGRAPH_LOG_FORMAT overrides the default both ways', () => {
  expect(() => print({ NODE_ENV: 'development', OPSGRAPH_LOG_FORMAT: 'json' }).map((line) => JSON.parse(line))).not.toThrow();
  expect(print({ NODE_ENV: 'production', OPSGRAPH_LOG_FORMAT: 'pretty' })[0]).toMatch(/ INFO {2}event consumed /);
});
