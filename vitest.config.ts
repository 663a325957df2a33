import { defineConfig } from 'vitest/config';

/**
 * Three projects, each started with `vitest run --project <name>` (npm run test:unit, test:integration,
 * test:infra); `vitest run` runs them all. A global setup runs only when its project has files to run,
 * so the unit tests start no PostgreSQL and no emulators, and the CDK is synthesised only for infra.
 */
export default defineConfig({
  test: {
    pool: 'forks',
    maxWorkers: 2,
    testTimeout: 30_000,
    hookTimeout: 120_000,
    env: { POWERTOOLS_LOG_LEVEL: 'SILENT', STAGE: 'test' },
    projects: [
      {
        extends: true,
        // Pure logic and the HTTP stack in-process: nothing to start (a test that needs an emulator starts its own).
        test: { name: 'unit', include: ['test/unit/**/*.test.ts'] },
      },
      {
        extends: true,
        test: {
          name: 'integration',
          // Every other test directory too, so that a new one is never left out of `npm test`.
          include: ['test/**/*.test.ts'],
          exclude: ['test/unit/**', 'test/infra/**'],
          // One embedded PostgreSQL and one set of emulators for the whole run …
          globalSetup: ['test/setup/global.ts'],
          // … and a fresh database per test file, cloned from a migrated template, so files run in parallel.
          setupFiles: ['test/setup/per-file.ts'],
        },
      },
      {
        extends: true,
        // `cdk synth` of both stages once per run, through the pinned CLI; the files read its templates.
        test: { name: 'infra', include: ['test/infra/**/*.test.ts'], globalSetup: ['test/setup/infra.ts'] },
      },
    ],
  },
});
