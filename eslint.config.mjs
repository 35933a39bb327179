// Lint: floating promises are errors everywhere; workflow code may not import Node builtins or I/O clients
// (workflows must stay deterministic: all I/O goes through activities).
import tseslint from 'typescript-eslint';
import { builtinModules } from 'node:module';

const banned = [
  ...builtinModules,
  ...builtinModules.map((m) => `node:${m}`),
  '@aws-sdk/*',
  'mongodb',
  'fastify',
  '@temporalio/client',
  '@temporalio/worker',
  '@temporalio/activity',
];

export default tseslint.config(
  { ignores: ['node_modules/**', '.stack/**', '.scratch/**', '.agents/**', 'dist/**', 'coverage/**', '**/*.js', '**/*.mjs', '**/*.cjs', 'cdk.out/**'] },
  ...tseslint.configs.recommended,
  {
    languageOptions: { parserOptions: { projectService: true, tsconfigRootDir: import.meta.dirname } },
    rules: {
      '@typescript-eslint/no-floating-promises': 'error',
      '@typescript-eslint/no-unused-vars': ['error', { argsIgnorePattern: '^_', varsIgnorePattern: '^_' }],
    },
  },
  {
    files: ['domain/**/*.ts'],
    rules: { '@typescript-eslint/no-explicit-any': 'error' },
  },
  {
    files: ['workflows/**/*.ts'],
    ignores: ['workflows/**/*.test.ts'],
    rules: {
      'no-restricted-imports': ['error', { paths: banned.filter((b) => !b.includes('*')), patterns: ['@aws-sdk/*'] }],
    },
  },
);
