import { execFile } from 'node:child_process';
import path from 'node:path';
import { promisify } from 'node:util';

/**
 * The house rules (eslint.config.mjs) hold on the whole tree: a lint error fails the run, in CI too. ESLint
 * runs as its own process (its config is an ES module, which Jest's CommonJS runtime cannot load).
 */
test('eslint finds no error in the tree', async () => {
  const root = path.join(__dirname, '..', '..', '..');
  const bin = path.join(path.dirname(require.resolve('eslint/package.json', { paths: [root] })), 'bin', 'eslint.js');
  const { stdout } = await promisify(execFile)(process.execPath, [bin, '.', '--format', 'json'], { cwd: root, maxBuffer: 100_000_000 }).catch((err: { stdout?: string }) => ({ stdout: err.stdout ?? '[]' }));
  const results: { filePath: string; messages: { severity: number; line: number; ruleId: string | null; message: string }[] }[] = JSON.parse(stdout);
  const errors = results.flatMap((r) => r.messages.filter((m) => m.severity === 2).map((m) => `${path.relative(root, r.filePath)}:${m.line} ${m.ruleId}: ${m.message}`));
  expect(errors).toEqual([]);
}, 300_000);
