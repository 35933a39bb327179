/**
 * The fault suite (`npm run test:faults`): its own config so `npm test` (jest.config.js, `*.unit.test.ts`
 * and `*.int.test.ts`) never picks it up. One test file, minutes long, run alone.
 */
const path = require('node:path');

module.exports = {
  rootDir: path.resolve(__dirname, '..', '..'),
  testMatch: ['<rootDir>/test/faults/**/*.faults.test.ts'],
  transform: { '^.+\\.(t|j)sx?$': ['@swc/jest', { jsc: { target: 'es2022' }, module: { type: 'commonjs' } }] },
  transformIgnorePatterns: ['/node_modules/(?!(cookie|jose)/)'],
  testEnvironment: 'node',
  modulePathIgnorePatterns: ['<rootDir>/.stack/'],
  setupFiles: ['<rootDir>/test/setup-int.ts'],
  // the faults, the drain and the checks run in beforeAll and the tests; each bounds its own waits
  testTimeout: 20 * 60_000,
  reporters: ['default', '<rootDir>/test/summary-reporter.js'],
};
