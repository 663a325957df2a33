/**
 * `npm run migrate [latest|down|status]` against DATABASE_URL, or the database of the running
 * `npm run dev` (its runtime file, dev/runtime-info.ts). In AWS the deploy runs `latest`
 * against the writer endpoint.
 */
import { Kysely, PostgresDialect } from 'kysely';
import pg from 'pg';
import { createMigrator, migrations } from '#migrations/index';
import { requireDevServices, unreachableMessage } from './runtime-info';

const command = process.argv[2] ?? 'latest';
if (!['latest', 'down', 'status'].includes(command)) {
  console.error('usage: npm run migrate -- [latest|down|status]');
  process.exit(2);
}
const { databaseUrl } = await requireDevServices(['databaseUrl']);
const pool = new pg.Pool({ connectionString: databaseUrl, max: 1 });
// A lost connection then fails the migration with its query's error, instead of an uncaught event.
pool.on('error', () => {});
pool.on('connect', (client) => client.on('error', () => {}));
const db = new Kysely<unknown>({ dialect: new PostgresDialect({ pool }) });
const migrator = createMigrator(db);

try {
  if (command === 'status') {
    for (const info of await migrator.getMigrations()) {
      console.log(`${info.executedAt ? `applied ${info.executedAt.toISOString()}` : 'pending                         '}  ${info.name}`);
    }
  } else {
    const { error, results } = command === 'latest' ? await migrator.migrateToLatest() : await migrator.migrateDown();
    for (const result of results ?? []) console.log(`${result.status.padEnd(8)} ${result.direction} ${result.migrationName}`);
    if (error) throw error as Error;
    if (!results?.length) console.log(`nothing to do (${Object.keys(migrations).length} migrations known)`);
  }
} catch (error) {
  const unreachable = unreachableMessage(error, 'npm run migrate', { service: 'databaseUrl', url: databaseUrl });
  if (unreachable) console.error(unreachable);
  else console.error('migration failed:', error);
  process.exitCode = 1;
} finally {
  await db.destroy();
}
