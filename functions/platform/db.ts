import { Kysely, PostgresDialect, type PostgresPool, type PostgresPoolClient } from 'kysely';
import pg from 'pg';
import * as z from 'zod';
import type { Database } from '#core/database';
import { credentialsFromEnvironment, presignRootUrl, type AwsCredentials } from './aws-signing';
import { booleanFlag, defineConfig } from './config';
import { isDatabaseUnavailable, sqlState } from './database-errors';
import { logger } from './logger';
import { DATABASE_USERS, type DatabaseAccess } from './route';

const databaseConfig = defineConfig(
  'database',
  z.object({
    // Either the owner's URL (local, tests, any external PostgreSQL), on whose server the
    // functions log in as the access's user (DATABASE_USERS) with the same password …
    DATABASE_URL: z
      .string()
      .regex(/^postgres(ql)?:\/\//, 'must be a postgres:// URL')
      .optional(),
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
    // The client's side of the time budget (docs/operations.md#time-budgets): a server that
    // stops answering (frozen, black-holed) never fires its own statement_timeout, so the client
    // gives up: on connecting after this long …
    DB_CONNECT_TIMEOUT_MS: z.coerce.number().int().min(100).default(3000),
    // … and on a query after this long, a little above the roles' statement_timeout (5 s,
    // migrations/2026_12_03_0010_time_budgets.ts) so that a slow query is cancelled by the server
    // first, cleanly, and this only fires when the server is gone.
    DB_QUERY_TIMEOUT_MS: z.coerce.number().int().min(100).default(6000),
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
    query_timeout: config.DB_QUERY_TIMEOUT_MS,
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
  // A connection that dies (server killed, failover, RDS Proxy dropping it) emits 'error' on its
  // client; unheard, that ends the process (in Lambda: the execution environment). The pool
  // listens only while a client is idle in it …
  pool.on('error', (error) => logger.warn('idle database connection failed', { error: error.message }));
  // … so every client also gets a listener of its own for while it is checked out, e.g. between
  // a transaction's queries. The request holding it learns of the loss from its next query
  // ("not queryable" → 503), and the pool drops the client on release.
  pool.on('connect', (client) => {
    client.on('error', (error) => logger.warn('database connection failed while in use', { error: error.message }));
  });
  return pool;
}

function iamAuthToken(config: ReturnType<typeof databaseConfig>, username: string): string {
  return rdsAuthToken({ hostname: config.DB_HOST!, port: config.DB_PORT, username, region: config.AWS_REGION, credentials: credentialsFromEnvironment() });
}

/**
 * An RDS IAM auth token: the presigned `connect` action of the rds-db service, valid 15
 * minutes, signed with the function role's credentials from the environment (what
 * @aws-sdk/rds-signer does, without its credential-provider chain in the bundle).
 */
export function rdsAuthToken(options: { hostname: string; port: number; username: string; region: string; credentials: AwsCredentials; date?: Date }): string {
  const host = `${options.hostname}:${options.port}`;
  const scope = { service: 'rds-db', region: options.region, credentials: options.credentials, ...(options.date ? { date: options.date } : {}) };
  return presignRootUrl(
    scope,
    host,
    [
      ['Action', 'connect'],
      ['DBUser', options.username],
    ],
    900,
  );
}

/**
 * The pool as Kysely sees it, except that a client whose query failed because the server was
 * unreachable or silent is destroyed on release instead of going back to the pool: after a
 * client-side query timeout its connection still waits for the old answer (a frozen server
 * would hold the next request too), and a connection reset is no better. The next request
 * then connects afresh, which is what recovers once the database is back.
 */
function discardingBrokenClients(pool: pg.Pool): PostgresPool {
  const wrappers = new WeakMap<pg.PoolClient, { wrapper: PostgresPoolClient; broken: boolean }>();
  const wrap = (client: pg.PoolClient) => {
    const state = {
      broken: false,
      wrapper: {
        get processID() {
          return (client as unknown as { processID?: number }).processID;
        },
        query: ((...args: Parameters<pg.PoolClient['query']>) => {
          const result = (client.query as (...a: unknown[]) => unknown)(...args);
          // A cursor (streaming) is returned as is; a query's promise is watched.
          if (result instanceof Promise) {
            return result.catch((error: unknown) => {
              // Not when the server answered with an error (a SQLSTATE, e.g. its statement_timeout):
              // it is alive and the connection is fine.
              if (isDatabaseUnavailable(error) && sqlState(error) === undefined) state.broken = true;
              throw error;
            });
          }
          return result;
        }) as PostgresPoolClient['query'],
        release: (destroy?: boolean) => client.release(destroy || state.broken),
      } as PostgresPoolClient,
    };
    return state;
  };
  return {
    options: pool.options,
    connect: async () => {
      const client = await pool.connect();
      // One wrapper per pg client, so Kysely's per-client connection cache still works.
      let state = wrappers.get(client);
      if (!state) wrappers.set(client, (state = wrap(client)));
      state.broken = false;
      return state.wrapper;
    },
    end: () => pool.end(),
  };
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
    db = new Kysely<Database>({ dialect: new PostgresDialect({ pool: discardingBrokenClients(createPool(access)) }) });
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
