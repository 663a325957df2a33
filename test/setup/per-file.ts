import { randomBytes } from 'node:crypto';
import { afterAll, inject } from 'vitest';
import { dropDatabase, ensureDatabase, withDatabase } from '../../dev/postgres';
import { closeDb } from '#platform/db';
import { forgetConfig } from '#platform/config';

/**
 * Each test file gets its own database, cloned from the migrated template (a few ms), and the
 * emulator environment. DATABASE_URL is the owner's URL, as locally: handlers and domain code
 * connect to that database as rental_app / rental_reader (functions/platform/db.ts), as they
 * would in Lambda; only tests that need the owner use the URL itself (helpers/db.ts ownerUrl).
 */
const adminUrl = inject('adminDatabaseUrl');
const databaseName = `rental_test_${randomBytes(6).toString('hex')}`;
await ensureDatabase(adminUrl, databaseName, inject('templateDatabase'));

Object.assign(process.env, inject('stackEnv'), { DATABASE_URL: withDatabase(adminUrl, databaseName) });
forgetConfig();

afterAll(async () => {
  await closeDb();
  await dropDatabase(adminUrl, databaseName);
});
