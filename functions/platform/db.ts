import { Kysely, PostgresDialect } from 'kysely';
import pg from 'pg';
import * as z from 'zod';
import type { Database } from '#core/database';
import { booleanFlag, defineConfig } from './config';
import { logger } from './logger';
import { DATABASE_USERS, type DatabaseAccess } from './route';

const databaseConfig = defineConfig(
  'database',
  z.object({
    // Either the owner's URL (local, tests, any external PostgreSQL), on whose server the
    // functions log in as the access's user (DATABASE_USERS) with the same password …
    DATABASE_URL: z.string().regex(/^postgres(ql)?:\/\//, 'must be a postgres:// URL').optional(),
    // … or the parts, as the CDK stack passes them for RDS Proxy with IAM authentication; DB_USER
    // is the user of the function's route (rental_reader or rental_app), the only one its IAM
    // role may connect as.
    DB_HOST: z.string().min(1).optional(),
    DB_PORT: z.coerce.number().int().positive().default(5432),
    DB_NAME: z.string().min(1).default('rental'),
    DB_USER: z.string().min(1).optional(),
    DB_IAM_AUTH: booleanFlag.default(false),
    // One connection per Lambda container (RDS Proxy multiplexes them); the local server,
    // which serves every route from one process, raises it.
    DB_POOL_MAX: z.coerce.number().int().min(1).max(100).default(1),
    DB_CONNECT_TIMEOUT_MS: z.coerce.number().int().min(100).default(5000),
    AWS_REGION: z.string().default('ap-southeast-1'),
  }),
);

// node-postgres returns int8 (bigint, count(*)) as strings; every int8 we read (counts,
// satang sums) fits in a double with room to spare.
pg.types.setTypeParser(pg.types.builtins.INT8, (value) => Number.parseInt(value, 10));
// numeric is only used for ratings (3 significant digits); money is integer satang.
pg.types.setTypeParser(pg.types.builtins.NUMERIC, (value) => Number.parseFloat(value));
// DATE stays a 'YYYY-MM-DD' string: a JS Date would shift it by the server's time zone.
pg.types.setTypeParser(pg.types.builtins.DATE, (value) => value);

/**
 * The user a pool logs in as. In AWS the function's DB_USER, set by the CDK stack from its
 * route's access (its IAM role may connect as no other). With DATABASE_URL, the access's role
 * on the URL's server: the URL is the owner's, for migrations and test setup, never the app's.
 */
export function databaseUser(access: DatabaseAccess): string {
  const config = databaseConfig();
  if (config.DATABASE_URL) return DATABASE_USERS[access];
  if (!config.DB_USER) throw new Error('Invalid database configuration: DB_HOST needs DB_USER');
  return config.DB_USER;
}

/** DATABASE_URL with the access's role as the user; the dev harness gave it the owner's password (dev/stack.ts). */
function urlFor(access: DatabaseAccess, ownerUrl: string): string {
  const url = new URL(ownerUrl);
  url.username = DATABASE_USERS[access];
  return url.toString();
}

export function createPool(access: DatabaseAccess): pg.Pool {
  const config = databaseConfig();
  const common = {
    max: config.DB_POOL_MAX,
    connectionTimeoutMillis: config.DB_CONNECT_TIMEOUT_MS,
    idleTimeoutMillis: 60_000,
  };
  let pool: pg.Pool;
  if (config.DATABASE_URL) {
    pool = new pg.Pool({ connectionString: urlFor(access, config.DATABASE_URL), ...common });
  } else {
    if (!config.DB_HOST) throw new Error('Invalid database configuration: set DATABASE_URL or DB_HOST');
    const user = databaseUser(access);
    pool = new pg.Pool({
      host: config.DB_HOST,
      port: config.DB_PORT,
      database: config.DB_NAME,
      user,
      // RDS Proxy with IAM auth: a fresh 15-minute token per new connection, signed locally
      // from the function's role (no network call, so no NAT needed for it).
      password: config.DB_IAM_AUTH ? () => iamAuthToken(config, user) : undefined,
      ssl: config.DB_IAM_AUTH ? { rejectUnauthorized: true } : undefined,
      ...common,
    });
  }
  // An idle client losing its connection (proxy restart, failover) must not crash the process.
  pool.on('error', (error) => logger.warn('idle database connection failed', { error: error.message }));
  return pool;
}

async function iamAuthToken(config: ReturnType<typeof databaseConfig>, username: string): Promise<string> {
  const { Signer } = await import('@aws-sdk/rds-signer');
  const signer = new Signer({
    hostname: config.DB_HOST!,
    port: config.DB_PORT,
    username,
    region: config.AWS_REGION,
  });
  return signer.getAuthToken();
}

/** One lazy Kysely per database user and process, created on first use and reused across invocations. */
const databases = new Map<string, Kysely<Database>>();

/**
 * The database as the given access's user: `read` SELECT only, `write` rows too (never the
 * owner). Handlers get theirs from endpoint(), for their route's declared access; jobs and
 * the dev harness ask for `write`. In AWS both name the function's one DB_USER.
 */
export function getDb(access: DatabaseAccess = 'write'): Kysely<Database> {
  const user = databaseUser(access);
  let db = databases.get(user);
  if (!db) {
    db = new Kysely<Database>({ dialect: new PostgresDialect({ pool: createPool(access) }) });
    databases.set(user, db);
  }
  return db;
}

/** Closes the process's pools (the local server on shutdown, tests between databases). */
export async function closeDb(): Promise<void> {
  const current = [...databases.values()];
  databases.clear();
  await Promise.all(current.map((db) => db.destroy()));
}
