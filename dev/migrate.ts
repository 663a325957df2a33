/**
 * `npm run migrate [latest|down|status]` against DATABASE_URL (or the dev database of
 * `npm run dev` when unset). In AWS the deploy runs `latest` against the writer endpoint.
 */
import { Kysely, PostgresDialect } from 'kysely';
import pg from 'pg';
import { createMigrator, migrations } from '#migrations/index';

const command = process.argv[2] ?? 'latest';
const url = process.env.DATABASE_URL ?? `postgres://postgres:postgres@127.0.0.1:${process.env.DEV_PG_PORT ?? 54329}/rental`;
const pool = new pg.Pool({ connectionString: url, max: 1 });
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
  } else if (command === 'latest' || command === 'down') {
    const { error, results } = command === 'latest' ? await migrator.migrateToLatest() : await migrator.migrateDown();
    for (const result of results ?? []) console.log(`${result.status.padEnd(8)} ${result.direction} ${result.migrationName}`);
    if (error) throw error;
    if (!results?.length) console.log(`nothing to do (${Object.keys(migrations).length} migrations known)`);
  } else {
    console.error('usage: npm run migrate -- [latest|down|status]');
    process.exitCode = 2;
  }
} catch (error) {
  console.error('migration failed:', error);
  process.exitCode = 1;
} finally {
  await db.destroy();
}
