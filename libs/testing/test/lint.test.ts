import path from 'node:path';
import { ESLint } from 'eslint';

/** The house rules (eslint.config.mjs) hold on the whole tree: a lint error fails the run, in CI too. */
test('eslint finds no error in the tree', async () => {
  const eslint = new ESLint({ cwd: path.join(__dirname, '..', '..', '..') });
  const results = await eslint.lintFiles(['.']);
  const errors = results.flatMap((r) => r.messages.filter((m) => m.severity === 2).map((m) => `${path.relative(process.cwd(), r.filePath)}:${m.line} ${m.ruleId}: ${m.message}`));
  expect(errors).toEqual([]);
}, 300_000);
