import { randomBytes } from 'node:crypto';
import { Kysely, PostgresDialect, sql } from 'kysely';
import pg from 'pg';
import { inject } from 'vitest';
import type { Database } from '#core/database';
import { getDb } from '#platform/db';
import { dropDatabase, ensureDatabase, withDatabase } from '../../dev/postgres';

/**
 * The test file's own database as rental_app, through the same lazy Kysely the handlers of
 * `write` routes use: fixtures need the grants the app has, so a missing grant fails a test.
 */
export const testDb = (): Kysely<Database> => getDb('write');

/**
 * The URL of the test file's database as its owner (DATABASE_URL), for what the app's roles
 * may not do: DDL inside a test, or connecting as a role of one's choosing.
 */
export const ownerUrl = (): string => process.env.DATABASE_URL!;

/** The SQLSTATE and constraint a write was refused with, for tests of the database's own guarantees; throws if it was accepted. */
export async function rejection(write: Promise<unknown>): Promise<{ code: string; constraint?: string }> {
  try {
    await write;
  } catch (error) {
    const { code, constraint } = error as { code: string; constraint?: string };
    return { code, constraint };
  }
  throw new Error('expected the database to refuse this write, but it was accepted');
}

/** A Kysely on a URL with its own pool, for tests that need several connections at once. */
export function connect<T = Database>(url: string, max = 10): Kysely<T> {
  const pool = new pg.Pool({ connectionString: url, max });
  // A scratch database is dropped WITH (FORCE) at cleanup; a connection the pool is still
  // closing then dies with 57P01, which is expected and must not become an unhandled error.
  pool.on('error', () => {});
  return new Kysely<T>({ dialect: new PostgresDialect({ pool }) });
}

/** An extra database for tests that must start from nothing (migrations) or change the schema. */
export async function createScratchDatabase(options: { fromTemplate: boolean }) {
  const adminUrl = inject('adminDatabaseUrl');
  const name = `rental_scratch_${randomBytes(6).toString('hex')}`;
  await ensureDatabase(adminUrl, name, options.fromTemplate ? inject('templateDatabase') : undefined);
  const url = withDatabase(adminUrl, name);
  return { name, url, drop: () => dropWhenDisconnected(adminUrl, name) };
}

/**
 * Drops a scratch database once its sessions are gone: a pool's destroy() resolves before its
 * sockets have closed, and a forced drop would kill them mid-close. Forced after ~2 s anyway.
 */
async function dropWhenDisconnected(adminUrl: string, name: string): Promise<void> {
  const admin = connect<unknown>(adminUrl, 1);
  try {
    for (let tries = 0; tries < 200; tries++) {
      const { rows } = await sql<{ n: number }>`SELECT count(*)::int AS n FROM pg_stat_activity WHERE datname = ${name}`.execute(admin);
      if (rows[0]!.n === 0) break;
      await new Promise((resolve) => setTimeout(resolve, 10));
    }
  } finally {
    await admin.destroy();
  }
  await dropDatabase(adminUrl, name);
}
