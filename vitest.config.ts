import { defineConfig } from 'vitest/config';

// Run through `npm test` (scripts/test.mjs), which installs what the tests need first and prints
// the `N passed, N failed` line; `--project unit|contract|integration` picks one project.
const serverTests = {
  // Real servers start slowly and child processes need their own process: one fork per file.
  pool: 'forks',
  testTimeout: 60_000,
  hookTimeout: 120_000,
} as const;

export default defineConfig({
  test: {
    environment: 'node',
    projects: [
      {
        extends: true,
        test: {
          name: 'unit',
          include: ['test/unit/**/*.spec.ts'],
          testTimeout: 10_000,
        },
      },
      {
        extends: true,
        test: {
          name: 'contract',
          include: ['test/contract/**/*.spec.ts'],
          ...serverTests,
        },
      },
      {
        extends: true,
        test: {
          name: 'integration',
          include: ['test/integration/**/*.spec.ts', 'test/chaos/**/*.spec.ts', 'test/e2e/**/*.spec.ts'],
          ...serverTests,
        },
      },
    ],
  },
});
