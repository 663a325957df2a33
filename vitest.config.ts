import { defineConfig } from 'vitest/config';

export default defineConfig({
  test: {
    include: ['test/**/*.test.ts'],
    // One embedded PostgreSQL and one set of emulators for the whole run …
    globalSetup: ['test/setup/global.ts'],
    // … and a fresh database per test file, cloned from a migrated template, so files run in parallel.
    setupFiles: ['test/setup/per-file.ts'],
    pool: 'forks',
    maxWorkers: 2,
    testTimeout: 30_000,
    hookTimeout: 120_000,
    env: { POWERTOOLS_LOG_LEVEL: 'SILENT', STAGE: 'test' },
  },
});
