/**
 * `npm run dev`: the whole API on this machine. Starts PostgreSQL (embedded, data kept in
 * .data/dev, unless DATABASE_URL names a server), migrates it, starts the Cognito, S3 and SES
 * emulators, seeds the demo catalogue into an empty database (dev/demo-data.ts; DEV_SEED=0
 * skips it), then serves every route of the table on http://127.0.0.1:${PORT:-3000}.
 * Ctrl-C stops the server, the emulators and PostgreSQL.
 */
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { addDays, todayInBangkok } from '#core/availability/dates';
import { ensureDatabase } from './postgres';
import { migrate, startDatabase, startEmulators } from './stack';

const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..');
const dataDir = path.join(root, '.data', 'dev');
const port = Number(process.env.PORT ?? 3000);
const verbose = process.env.DEV_VERBOSE === '1';
const log = verbose ? (message: string) => console.log(message.trimEnd()) : undefined;

const stoppers: Array<() => Promise<void>> = [];
let stopping = false;
async function shutdown(signal: string, code = 0) {
  if (stopping) return;
  stopping = true;
  if (signal) console.log(`\n${signal}: stopping …`);
  for (const stop of stoppers.reverse()) await stop().catch((error) => console.error(error));
  process.exit(code);
}
process.on('SIGINT', () => void shutdown('SIGINT'));
process.on('SIGTERM', () => void shutdown('SIGTERM'));

try {
  console.log('Starting PostgreSQL and the AWS emulators …');
  const database = await startDatabase({ dataDir, port: Number(process.env.DEV_PG_PORT ?? 54329), log });
  stoppers.push(database.stop);
  const databaseUrl = process.env.DATABASE_URL ?? database.urlFor('rental');
  if (!process.env.DATABASE_URL) await ensureDatabase(database.adminUrl, 'rental');
  const applied = await migrate(databaseUrl);
  if (applied.length > 0) console.log(`Migrations applied: ${applied.join(', ')}`);

  const emulators = await startEmulators({
    dataDir,
    ports: {
      cognito: Number(process.env.DEV_COGNITO_PORT ?? 9229),
      s3: Number(process.env.DEV_S3_PORT ?? 4569),
      ses: Number(process.env.DEV_SES_PORT ?? 8005),
    },
  });
  stoppers.push(emulators.stop);
  Object.assign(process.env, emulators.env, {
    DATABASE_URL: databaseUrl,
    STAGE: 'local',
    // Every route runs in this one process, so it gets a real pool instead of Lambda's single connection.
    DB_POOL_MAX: process.env.DB_POOL_MAX ?? '10',
    POWERTOOLS_LOG_LEVEL: process.env.POWERTOOLS_LOG_LEVEL ?? (verbose ? 'INFO' : 'WARN'),
  });

  // Imported only now, so the handlers' loggers and config see the environment above.
  const { createLocalServer, listen } = await import('./local-server');
  const { closeDb, getDb } = await import('#platform/db');
  const demo = await import('./demo-data');
  // A first start on an empty database gets the demo catalogue (DEV_SEED=0: start empty).
  if (process.env.DEV_SEED !== '0' && (await demo.isCatalogueEmpty(getDb()))) {
    const { cognitoIdentity } = await import('#platform/cognito');
    try {
      const seeded = await demo.seedDemoData(getDb(), cognitoIdentity, { today: todayInBangkok() });
      console.log(`Seeded the demo catalogue: ${seeded.agencies} agencies, ${seeded.cars} cars and scooters, ${seeded.bookings} bookings.`);
    } catch (error) {
      console.error('The demo catalogue could not be seeded (npm run seed -- --reset retries):', error);
    }
  }
  const demoLogin = await demo.hasDemoUsers(getDb());
  const server = createLocalServer();
  stoppers.push(async () => {
    server.close();
    server.closeAllConnections();
    await closeDb();
  });
  // What EventBridge and SQS do in AWS, in process: unpaid holds expire every minute, and the
  // outbox is delivered to the SES emulator every 3 s. Stopped before the pool closes.
  const { startLocalJobs } = await import('./jobs');
  stoppers.push(startLocalJobs());
  const baseUrl = await listen(server, port);
  console.log(`Phuket Rental API on ${baseUrl}/api/v1/   docs: ${baseUrl}/api/v1/docs/`);
  console.log(`  Cognito emulator ${emulators.env.COGNITO_ENDPOINT}   S3 emulator ${emulators.env.S3_ENDPOINT}   sent mail ${emulators.env.SES_ENDPOINT}/`);
  if (demoLogin) {
    console.log(`  Demo sign-in (password ${demo.DEMO_PASSWORD}): ${demo.DEMO_CUSTOMER} (customer), ${demo.DEMO_AGENCY_ADMIN} (agency admin)`);
    const [start, end] = [addDays(todayInBangkok(), 7), addDays(todayInBangkok(), 10)];
    console.log(`  Try: curl '${baseUrl}/api/v1/cars/?start_date=${start}&end_date=${end}&landmark=patong-beach'`);
  }
} catch (error) {
  console.error('npm run dev could not start:', error);
  await shutdown('', 1);
}
