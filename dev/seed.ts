/**
 * `npm run seed [-- --reset]`: seeds the demo catalogue (dev/demo-data.ts) into the dev
 * database. Its PostgreSQL and Cognito emulator are DATABASE_URL's and COGNITO_ENDPOINT's when
 * set, else the running `npm run dev`'s (its runtime file, dev/runtime-info.ts); with no dev
 * server it starts the dev PostgreSQL (data in .data/dev or DEV_DATA_DIR) and a Cognito emulator
 * for the occasion, and stops them after. Without --reset it only seeds an empty database; with
 * it, it first empties the users, catalogue and bookings (and their Cognito identities).
 */
import path from 'node:path';
import { todayInBangkok } from '#core/availability/dates';
import { EMULATOR_CREDENTIALS, ensureCognitoPool, startCognito } from './emulators';
import { ensureDatabase } from './postgres';
import { freePort } from './ports';
import { devDataDir, devServices, unreachableMessage, type DevService } from './runtime-info';
import { migrate, startDatabase } from './stack';

const reset = process.argv.includes('--reset');
const dataDir = devDataDir();
const stoppers: Array<() => Promise<void>> = [];
/** The service being reached first, so that a refused connection can be named. */
let reaching: { service: DevService; url: string } | undefined;

try {
  const { values } = await devServices(['databaseUrl', 'cognitoEndpoint']);
  let databaseUrl = values.databaseUrl;
  if (!databaseUrl) {
    console.log('No dev server is running: starting the dev PostgreSQL for the occasion …');
    const database = await startDatabase({ dataDir, port: await freePort() });
    stoppers.push(database.stop);
    await ensureDatabase(database.adminUrl, 'rental');
    databaseUrl = database.urlFor('rental');
  }
  reaching = { service: 'databaseUrl', url: databaseUrl };
  await migrate(databaseUrl);

  let endpoint = values.cognitoEndpoint;
  if (!endpoint) {
    console.log('Starting the Cognito emulator for the occasion …');
    const cognito = await startCognito({ dataDir: path.join(dataDir, 'cognito'), port: await freePort() });
    stoppers.push(cognito.stop);
    endpoint = cognito.endpoint;
  }
  reaching = { service: 'cognitoEndpoint', url: endpoint };
  const pool = await ensureCognitoPool(endpoint);
  reaching = undefined; // from here on both are in use
  Object.assign(process.env, {
    DATABASE_URL: databaseUrl,
    STAGE: 'local',
    AWS_REGION: 'ap-southeast-1',
    AWS_ACCESS_KEY_ID: EMULATOR_CREDENTIALS.accessKeyId,
    AWS_SECRET_ACCESS_KEY: EMULATOR_CREDENTIALS.secretAccessKey,
    COGNITO_ENDPOINT: endpoint,
    COGNITO_USER_POOL_ID: pool.userPoolId,
    COGNITO_CLIENT_ID: pool.clientId,
    POWERTOOLS_LOG_LEVEL: 'WARN',
  });

  // Imported only now, so the database and Cognito clients see the environment above.
  const { getDb, closeDb } = await import('#platform/db');
  const { cognitoIdentity } = await import('#platform/cognito');
  const demo = await import('./demo-data');
  stoppers.push(closeDb);
  const db = getDb('write');
  if (reset) {
    await demo.resetDemoData(db, cognitoIdentity);
    console.log('Emptied users, agencies, cars and bookings.');
  }
  if (await demo.isCatalogueEmpty(db)) {
    const seeded = await demo.seedDemoData(db, cognitoIdentity, { today: todayInBangkok() });
    console.log(`Seeded ${seeded.agencies} agencies, ${seeded.cars} cars and scooters, ${seeded.bookings} bookings.`);
    console.log(`Sign in as ${demo.DEMO_CUSTOMER} (customer) or ${demo.DEMO_AGENCY_ADMIN} (agency admin), password ${demo.DEMO_PASSWORD}.`);
  } else {
    console.log('The database already has agencies: nothing seeded (npm run seed -- --reset starts over).');
  }
} catch (error) {
  const unreachable = unreachableMessage(error, 'npm run seed', reaching);
  if (unreachable) console.error(unreachable);
  else console.error('npm run seed failed:', error);
  process.exitCode = 1;
} finally {
  for (const stop of stoppers.reverse()) await stop().catch((error: unknown) => console.error(error));
}
