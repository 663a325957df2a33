import { Kysely, PostgresDialect } from 'kysely';
import pg from 'pg';
import * as z from 'zod';
import type { Database } from '#core/database';
import { booleanFlag, defineConfig } from './config';
import { logger } from './logger';

const databaseConfig = defineConfig(
  'database',
  z.object({
    // Either a full URL (local, tests, any external PostgreSQL) …
    DATABASE_URL: z.string().regex(/^postgres(ql)?:\/\//, 'must be a postgres:// URL').optional(),
    // … or the parts, as the CDK stack passes them for RDS Proxy with IAM authentication.
    DB_HOST: z.string().min(1).optional(),
    DB_PORT: z.coerce.number().int().positive().default(5432),
    DB_NAME: z.string().min(1).default('rental'),
    DB_USER: z.string().min(1).default('app'),
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

export function createPool(): pg.Pool {
  const config = databaseConfig();
  const common = {
    max: config.DB_POOL_MAX,
    connectionTimeoutMillis: config.DB_CONNECT_TIMEOUT_MS,
    idleTimeoutMillis: 60_000,
  };
  let pool: pg.Pool;
  if (config.DATABASE_URL) {
    pool = new pg.Pool({ connectionString: config.DATABASE_URL, ...common });
  } else {
    if (!config.DB_HOST) throw new Error('Invalid database configuration: set DATABASE_URL or DB_HOST');
    pool = new pg.Pool({
      host: config.DB_HOST,
      port: config.DB_PORT,
      database: config.DB_NAME,
      user: config.DB_USER,
      // RDS Proxy with IAM auth: a fresh 15-minute token per new connection, signed locally
      // from the function's role (no network call, so no NAT needed for it).
      password: config.DB_IAM_AUTH ? () => iamAuthToken(config) : undefined,
      ssl: config.DB_IAM_AUTH ? { rejectUnauthorized: true } : undefined,
      ...common,
    });
  }
  // An idle client losing its connection (proxy restart, failover) must not crash the process.
  pool.on('error', (error) => logger.warn('idle database connection failed', { error: error.message }));
  return pool;
}

async function iamAuthToken(config: ReturnType<typeof databaseConfig>): Promise<string> {
  const { Signer } = await import('@aws-sdk/rds-signer');
  const signer = new Signer({
    hostname: config.DB_HOST!,
    port: config.DB_PORT,
    username: config.DB_USER,
    region: config.AWS_REGION,
  });
  return signer.getAuthToken();
}

let db: Kysely<Database> | undefined;

/** One lazy Kysely per process: created on first use, reused across invocations. */
export function getDb(): Kysely<Database> {
  db ??= new Kysely<Database>({ dialect: new PostgresDialect({ pool: createPool() }) });
  return db;
}

/** Closes the process's pool (the local server on shutdown, tests between databases). */
export async function closeDb(): Promise<void> {
  const current = db;
  db = undefined;
  await current?.destroy();
}
