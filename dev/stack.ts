import path from 'node:path';
import { Kysely, PostgresDialect, sql } from 'kysely';
import pg from 'pg';
import { migrateToLatest } from '#migrations/index';
import { DATABASE_USERS } from '#platform/route';
import { EMULATOR_CREDENTIALS, IMAGES_BUCKET, ensureCognitoPool, startCognito, startS3, startSes, startStripe, type Emulator } from './emulators';
import { freePort } from './ports';
import { LOCAL_WEBHOOK_SECRET } from './runtime-info';
import { STANDIN_SECRET_KEY } from './stripe-standin';
import { startEmbeddedPostgres, withDatabase } from './postgres';

/**
 * Runs migrations on a database through a short-lived connection (as the URL's user, the
 * owner), then lets the functions' database users log in on this local server.
 */
export async function migrate(url: string): Promise<string[]> {
  const pool = new pg.Pool({ connectionString: url, max: 1 });
  // A lost connection then fails the migration with its query's error, instead of an uncaught event.
  pool.on('error', () => {});
  pool.on('connect', (client) => client.on('error', () => {}));
  const db = new Kysely<unknown>({ dialect: new PostgresDialect({ pool }) });
  try {
    const applied = await migrateToLatest(db);
    await setLocalRolePasswords(db, decodeURIComponent(new URL(url).password));
    return applied;
  } finally {
    await db.destroy();
  }
}

/**
 * Locally the app connects as rental_app / rental_reader (functions/platform/db.ts swaps the
 * owner URL's user for them, keeping its password), so they get the owner's password: the
 * harness knows no other, and it opens nothing the owner's URL did not. Only here, never in a
 * migration: in Aurora they log in with IAM tokens and have no password.
 */
async function setLocalRolePasswords(db: Kysely<unknown>, password: string): Promise<void> {
  if (!password) return; // a server that trusts local connections needs none
  for (const user of Object.values(DATABASE_USERS)) {
    const alter = sql`ALTER ROLE ${sql.id(user)} PASSWORD ${sql.lit(password)}`;
    // Roles are cluster-wide: two harnesses migrating on one server at once can collide on
    // the role's row ("tuple concurrently updated"); the second try sees the first's result.
    await alter.execute(db).catch(() => alter.execute(db));
  }
}

export interface Emulators {
  env: Record<string, string>;
  stop: () => Promise<void>;
}

/**
 * The AWS stand-ins (Cognito, S3, SES), the Stripe stand-in, and the environment that points the
 * SDK clients at them.
 */
export async function startEmulators(options: { dataDir: string; ports?: { cognito: number; s3: number; ses: number; stripe: number } }): Promise<Emulators> {
  const ports = options.ports ?? { cognito: await freePort(), s3: await freePort(), ses: await freePort(), stripe: await freePort() };
  const started = await Promise.allSettled([
    startCognito({ dataDir: path.join(options.dataDir, 'cognito'), port: ports.cognito }),
    startS3({ dataDir: path.join(options.dataDir, 's3'), port: ports.s3 }),
    startSes({ port: ports.ses }),
    startStripe({ dataDir: path.join(options.dataDir, 'stripe'), port: ports.stripe }),
  ]);
  const running = started.flatMap((result) => (result.status === 'fulfilled' ? [result.value] : []));
  const stop = async () => {
    await Promise.all(running.map((emulator: Emulator) => emulator.stop()));
  };
  const failure = started.find((result) => result.status === 'rejected');
  if (failure) {
    await stop();
    throw failure.reason;
  }
  const [cognito, s3, ses, stripe] = running as [Emulator, Emulator, Emulator, Emulator];
  try {
    const pool = await ensureCognitoPool(cognito.endpoint);
    return {
      stop,
      env: {
        AWS_REGION: 'ap-southeast-1',
        AWS_ACCESS_KEY_ID: EMULATOR_CREDENTIALS.accessKeyId,
        AWS_SECRET_ACCESS_KEY: EMULATOR_CREDENTIALS.secretAccessKey,
        COGNITO_ENDPOINT: cognito.endpoint,
        COGNITO_USER_POOL_ID: pool.userPoolId,
        COGNITO_CLIENT_ID: pool.clientId,
        S3_ENDPOINT: s3.endpoint,
        IMAGES_BUCKET,
        IMAGES_PUBLIC_BASE_URL: `${s3.endpoint}/${IMAGES_BUCKET}`,
        SES_ENDPOINT: ses.endpoint,
        EMAIL_FROM: 'bookings@phuket-rental.local',
        STRIPE_WEBHOOK_SECRET: process.env.STRIPE_WEBHOOK_SECRET ?? LOCAL_WEBHOOK_SECRET,
        // The real Stripe SDK, pointed at the stand-in; its control API is on the same port.
        STRIPE_SECRET_KEY: STANDIN_SECRET_KEY,
        STRIPE_API_URL: stripe.endpoint,
        STRIPE_STANDIN_URL: stripe.endpoint,
      },
    };
  } catch (error) {
    await stop();
    throw error;
  }
}

export interface LocalDatabase {
  /** URL of a database this user may create databases from (the server's `postgres` db, or DATABASE_URL). */
  adminUrl: string;
  urlFor: (database: string) => string;
  stop: () => Promise<void>;
}

/**
 * The PostgreSQL server: DATABASE_URL's when set (nothing is started), otherwise a real
 * embedded server from npm with its data under dataDir.
 */
export async function startDatabase(options: { dataDir: string; port?: number; throwaway?: boolean; log?: (message: string) => void }): Promise<LocalDatabase> {
  const external = process.env.DATABASE_URL;
  if (external) {
    return { adminUrl: external, urlFor: (database) => withDatabase(external, database), stop: async () => {} };
  }
  const server = await startEmbeddedPostgres({
    dataDir: path.join(options.dataDir, 'postgres'),
    port: options.port ?? (await freePort()),
    throwaway: options.throwaway,
    log: options.log,
  });
  return { adminUrl: server.adminUrl, urlFor: server.urlFor, stop: server.stop };
}
