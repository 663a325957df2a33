/**
 * `npm run seed [-- --reset]`: seeds the demo catalogue (dev/demo-data.ts) into the dev
 * database: DATABASE_URL's, or the one `npm run dev` keeps in .data/dev. Uses the running
 * dev server's PostgreSQL and Cognito emulator when they are up, else starts its own for the
 * occasion. Without --reset it only seeds an empty database; with it, it first empties the
 * users, catalogue and bookings (and their Cognito identities).
 */
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { todayInBangkok } from '#core/availability/dates';
import { EMULATOR_CREDENTIALS, ensureCognitoPool, startCognito } from './emulators';
import { ensureDatabase } from './postgres';
import { waitForPort } from './ports';
import { migrate, startDatabase } from './stack';

const reset = process.argv.includes('--reset');
const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..');
const dataDir = path.join(root, '.data', 'dev');
const pgPort = Number(process.env.DEV_PG_PORT ?? 54329);
const cognitoPort = Number(process.env.DEV_COGNITO_PORT ?? 9229);
const stoppers: Array<() => Promise<void>> = [];

const isListening = (port: number) => waitForPort(port, 300).then(() => true, () => false);

try {
  let databaseUrl = process.env.DATABASE_URL;
  if (!databaseUrl) {
    if (!(await isListening(pgPort))) {
      console.log('Starting the dev PostgreSQL …');
      const database = await startDatabase({ dataDir, port: pgPort });
      stoppers.push(database.stop);
    }
    databaseUrl = `postgres://postgres:postgres@127.0.0.1:${pgPort}/rental`;
    await ensureDatabase(`postgres://postgres:postgres@127.0.0.1:${pgPort}/postgres`, 'rental');
  }
  await migrate(databaseUrl);

  if (!(await isListening(cognitoPort))) {
    console.log('Starting the Cognito emulator …');
    const cognito = await startCognito({ dataDir: path.join(dataDir, 'cognito'), port: cognitoPort });
    stoppers.push(cognito.stop);
  }
  const endpoint = `http://127.0.0.1:${cognitoPort}`;
  const pool = await ensureCognitoPool(endpoint);
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
  console.error('npm run seed failed:', error);
  process.exitCode = 1;
} finally {
  for (const stop of stoppers.reverse()) await stop().catch((error: unknown) => console.error(error));
}
