import { Kysely, PostgresDialect } from 'kysely';
import pg from 'pg';
import { migrateToLatest } from '#migrations/index';
import { logger } from '#platform/logger';
import { getSecretString } from '#platform/secrets';

interface ClusterSecret {
  host: string;
  port: number;
  username: string;
  password: string;
  dbname?: string;
}

/**
 * Runs on every deploy that changes it (a CDK Trigger), before the API functions update:
 * migrates the database to the latest version through the cluster's WRITER endpoint with
 * the cluster's own secret. Not through RDS Proxy: the Migrator's advisory lock would pin
 * a proxy connection. A failed migration throws, which fails the deploy.
 */
export async function handler(): Promise<{ applied: string[] }> {
  const secretArn = process.env.DB_SECRET_ARN;
  if (!secretArn) throw new Error('DB_SECRET_ARN is not set');
  const secret = JSON.parse(await getSecretString(secretArn, { region: process.env.AWS_REGION ?? 'ap-southeast-1' })) as ClusterSecret;
  const pool = new pg.Pool({
    host: secret.host,
    port: secret.port,
    user: secret.username,
    password: secret.password,
    database: process.env.DB_NAME ?? secret.dbname ?? 'rental',
    // Verified against the RDS CA, which lib/migrations.ts loads through NODE_EXTRA_CA_CERTS
    // (an unverified TLS connection would hand the cluster's master password to anyone in the
    // middle). This job runs only in AWS: locally `npm run migrate` (dev/migrate.ts) migrates.
    ssl: { rejectUnauthorized: true },
    max: 1,
    connectionTimeoutMillis: 30_000, // an auto-paused Aurora takes ~15 s to resume
  });
  // A connection lost mid-migration (failover) fails the deploy through the query's error; an
  // unheard 'error' event would instead end the environment with an uncaught exception.
  const logLoss = (error: Error) => logger.warn('migration connection failed', { error: error.message });
  pool.on('error', logLoss);
  pool.on('connect', (client) => client.on('error', logLoss));
  const db = new Kysely<unknown>({ dialect: new PostgresDialect({ pool }) });
  try {
    const applied = await migrateToLatest(db);
    logger.info('migrations applied', { applied });
    return { applied };
  } finally {
    await db.destroy();
  }
}
