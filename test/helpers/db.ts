import { randomBytes } from 'node:crypto';
import { Kysely, PostgresDialect } from 'kysely';
import pg from 'pg';
import { inject } from 'vitest';
import type { Database } from '#core/database';
import { dropDatabase, ensureDatabase, withDatabase } from '../../dev/postgres';

/** The test file's own database, through the same lazy Kysely the handlers use. */
export { getDb as testDb } from '#platform/db';

/** A Kysely on a URL with its own pool, for tests that need several connections at once. */
export function connect<T = Database>(url: string, max = 10): Kysely<T> {
  return new Kysely<T>({ dialect: new PostgresDialect({ pool: new pg.Pool({ connectionString: url, max }) }) });
}

/** An extra database for tests that must start from nothing (migrations) or change the schema. */
export async function createScratchDatabase(options: { fromTemplate: boolean }) {
  const adminUrl = inject('adminDatabaseUrl');
  const name = `rental_scratch_${randomBytes(6).toString('hex')}`;
  await ensureDatabase(adminUrl, name, options.fromTemplate ? inject('templateDatabase') : undefined);
  const url = withDatabase(adminUrl, name);
  return { name, url, drop: () => dropDatabase(adminUrl, name) };
}
