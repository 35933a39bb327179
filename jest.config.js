/** Two levels, named in the file: `*.unit.test.ts` (pure, in-memory) and `*.int.test.ts` (real servers). */
const transform = { '^.+\\.(t|j)sx?$': ['@swc/jest', { jsc: { target: 'es2022' }, module: { type: 'commonjs' } }] };
const common = {
  transform,
  // fastify's inject pulls in `cookie` and @fastify/static `content-disposition`, which ship ESM only: let swc turn them into CommonJS for jest
  transformIgnorePatterns: ['/node_modules/(?!(cookie|jose|content-disposition)/)'],
  testEnvironment: 'node',
  modulePathIgnorePatterns: ['<rootDir>/.stack/'],
};

module.exports = {
  // integration tests start servers and wait for pipelines; per-project testTimeout is not honoured
  testTimeout: 120000,
  reporters: ['default', '<rootDir>/test/summary-reporter.js'],
  projects: [
    { ...common, displayName: 'unit', testMatch: ['<rootDir>/**/*.unit.test.ts'] },
    {
      ...common,
      displayName: 'integration',
      testMatch: ['<rootDir>/**/*.int.test.ts'],
      setupFiles: ['<rootDir>/test/setup-int.ts'],
    },
  ],
};
