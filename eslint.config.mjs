// The house rules, checked by libs/testing/test/lint.test.ts in every test run (so in CI) and by `npm run lint`.
// typescript-eslint's recommended rules, and the few choices below; generated files are left out.
import js from '@eslint/js';
import tseslint from 'typescript-eslint';

export default tseslint.config(
  { ignores: ['**/node_modules/**', '**/generated/**', '**/.cache/**', '**/.data/**', 'gateway/public/**', '**/dist/**', 'coverage/**'] },
  js.configs.recommended,
  ...tseslint.configs.recommended,
  {
    languageOptions: { globals: { process: 'readonly', console: 'readonly', Buffer: 'readonly', __dirname: 'readonly', require: 'readonly', module: 'readonly', setTimeout: 'readonly', clearTimeout: 'readonly', setInterval: 'readonly', clearInterval: 'readonly', setImmediate: 'readonly', URL: 'readonly', fetch: 'readonly', performance: 'readonly', AbortController: 'readonly', TextEncoder: 'readonly', TextDecoder: 'readonly', structuredClone: 'readonly', queueMicrotask: 'readonly', AbortSignal: 'readonly', WebSocket: 'readonly', EventSource: 'readonly', Response: 'readonly', Request: 'readonly', Headers: 'readonly', crypto: 'readonly' } },
    rules: {
      // Unused names are mistakes, except a deliberate `_` prefix (an argument a signature requires).
      '@typescript-eslint/no-unused-vars': ['error', { argsIgnorePattern: '^_', varsIgnorePattern: '^_', caughtErrors: 'none', ignoreRestSiblings: true }],
      // GraphQL answers and JSON are `any` at their edges; tests read them so.
      '@typescript-eslint/no-explicit-any': 'off',
      // Empty catch blocks say "nothing to do" with a comment.
      'no-empty': ['error', { allowEmptyCatch: true }],
      // Input checks match NUL and other control characters on purpose (text Postgres cannot store).
      'no-control-regex': 'off',
    },
  },
  {
    files: ['**/test/**/*.ts', 'bench/**/*.ts'],
    rules: { '@typescript-eslint/no-non-null-assertion': 'off' },
  },
);
