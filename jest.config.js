/** One Jest run over every package; each test file gets its own freshly migrated database. */
const swc = [
  '@swc/jest',
  {
    jsc: {
      parser: { syntax: 'typescript', decorators: true },
      transform: { legacyDecorator: true, decoratorMetadata: true },
      target: 'es2022',
    },
    module: { type: 'commonjs' },
  },
];
module.exports = {
  testEnvironment: 'node',
  roots: ['<rootDir>/libs', '<rootDir>/services', '<rootDir>/gateway', '<rootDir>/infra'],
  testMatch: ['**/test/**/*.test.ts'],
  transform: { '^.+\\.ts$': swc },
  // Generous: a loaded 2-core machine runs real Postgres, Kafka and several services per file.
  testTimeout: 120_000,
  setupFiles: ['<rootDir>/libs/testing/src/jest-setup.ts'],
};
