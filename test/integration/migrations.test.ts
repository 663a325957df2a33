import { sql, type Kysely } from 'kysely';
import { afterAll, describe, expect, it } from 'vitest';
import { createMigrator, migrateToLatest, migrations } from '#migrations/index';
import { connect, createScratchDatabase } from '../helpers/db';

/** Tables the schema must have (later migrations may add more). */
const APP_TABLES = ['agencies', 'car_images', 'cars', 'idempotency_keys', 'notifications', 'payment_events', 'reservations', 'reviews', 'users'];
const CORE_TABLES = ['agencies', 'car_images', 'cars', 'reservations', 'users'];
const MIGRATION_NAMES = Object.keys(migrations);
const FIRST_MIGRATION = '2026_11_25_0001_core_schema';

type Scratch = Awaited<ReturnType<typeof createScratchDatabase>>;
const opened: Array<{ db: Kysely<any>; scratch: Scratch }> = [];

async function emptyDatabase(): Promise<Kysely<any>> {
  const scratch = await createScratchDatabase({ fromTemplate: false });
  const db = connect<any>(scratch.url, 2);
  opened.push({ db, scratch });
  return db;
}

afterAll(async () => {
  for (const { db, scratch } of opened) {
    await db.destroy();
    await scratch.drop();
  }
});

/** The application's tables (Kysely's own bookkeeping tables left out). */
async function appTables(db: Kysely<any>): Promise<string[]> {
  const { rows } = await sql<{ name: string }>`
    SELECT table_name AS name FROM information_schema.tables
    WHERE table_schema = 'public' AND table_name NOT LIKE 'kysely_%'
    ORDER BY table_name`.execute(db);
  return rows.map((row) => row.name);
}

/** Steps down one migration at a time until none is left; returns the names in the order undone. */
async function migrateAllTheWayDown(db: Kysely<any>): Promise<string[]> {
  const undone: string[] = [];
  const migrator = createMigrator(db);
  for (let step = 0; step <= MIGRATION_NAMES.length + 1; step++) {
    const { error, results } = await migrator.migrateDown();
    if (error) throw error as Error;
    expect(results?.every((result) => result.status === 'Success')).toBe(true);
    if (!results || results.length === 0) return undone;
    undone.push(...results.map((result) => result.migrationName));
  }
  throw new Error('migrateDown never ran out of migrations');
}

describe('migrations on an empty database', () => {
  it('migrate up to the latest, creating every table and the no-overlap constraint', async () => {
    const db = await emptyDatabase();
    expect(await appTables(db)).toEqual([]);

    expect(await migrateToLatest(db)).toEqual(MIGRATION_NAMES);
    expect(await appTables(db)).toEqual(expect.arrayContaining(APP_TABLES));

    const { rows } = await sql<{ name: string }>`
      SELECT conname AS name FROM pg_constraint WHERE conrelid = 'reservations'::regclass AND contype = 'x'`.execute(db);
    expect(rows.map((row) => row.name)).toEqual(['reservations_no_overlap']);

    // Nothing left to do the second time.
    expect(await migrateToLatest(db)).toEqual([]);
  });

  it('migrate all the way down (every table gone, in reverse order) and up again', async () => {
    const db = await emptyDatabase();
    await migrateToLatest(db);
    const everyTable = await appTables(db);
    expect(everyTable).toEqual(expect.arrayContaining(APP_TABLES));
    expect(await migrateAllTheWayDown(db)).toEqual([...MIGRATION_NAMES].reverse());
    expect(await appTables(db)).toEqual([]);

    expect(await migrateToLatest(db)).toEqual(MIGRATION_NAMES);
    expect(await appTables(db)).toEqual(everyTable);
  });

  it('migrate down one step, returning exactly to the schema before the last migration', async () => {
    const db = await emptyDatabase();
    const migrator = createMigrator(db);
    expect((await migrator.migrateTo(MIGRATION_NAMES.at(-2)!)).error).toBeUndefined();
    const before = await appTables(db);
    await migrateToLatest(db);
    const { error, results } = await migrator.migrateDown();
    expect(error).toBeUndefined();
    expect(results?.map((result) => result.migrationName)).toEqual([MIGRATION_NAMES.at(-1)]);
    expect(await appTables(db)).toEqual(before);
  });
});

describe('migrations on a database with data', () => {
  it('keep existing users, agencies, cars and reservations when migrating from the first migration to the latest', async () => {
    const db = await emptyDatabase();
    const { error, results } = await createMigrator(db).migrateTo(FIRST_MIGRATION);
    expect(error).toBeUndefined();
    expect(results?.map((result) => result.migrationName)).toEqual([FIRST_MIGRATION]);
    expect(await appTables(db)).toEqual(CORE_TABLES);

    const customer = await db
      .insertInto('users')
      .values({ cognito_sub: 'sub-customer', email: 'traveller@example.com', full_name: 'Traveller', role: 'customer' })
      .returning('id')
      .executeTakeFirstOrThrow();
    const admin = await db
      .insertInto('users')
      .values({ cognito_sub: 'sub-admin', email: 'admin@example.com', full_name: 'Admin', role: 'agency_admin' })
      .returning('id')
      .executeTakeFirstOrThrow();
    const agency = await db
      .insertInto('agencies')
      .values({ admin_user_id: admin.id, name: 'Kata Cars', phone: '+66 76 000 000', address: 'Kata', lat: 7.82, lng: 98.3 })
      .returning('id')
      .executeTakeFirstOrThrow();
    const car = await db
      .insertInto('cars')
      .values({
        agency_id: agency.id,
        make: 'Honda',
        model: 'Jazz',
        year: 2023,
        car_type: 'compact',
        transmission: 'automatic',
        seats: 5,
        fuel_type: 'petrol',
        daily_rate: 120_000,
        deposit_amount: 300_000,
      })
      .returning('id')
      .executeTakeFirstOrThrow();
    const reservation = await db
      .insertInto('reservations')
      .values({
        car_id: car.id,
        kind: 'booking',
        status: 'confirmed',
        start_date: '2027-01-10',
        end_date: '2027-01-12',
        customer_id: customer.id,
        days: 3,
        daily_rate_at_booking: 120_000,
        subtotal: 360_000,
        fees: 0,
        tax: 25_200,
        total_price: 385_200,
        deposit_amount: 300_000,
        payment_intent_id: 'pi_before_migration',
      })
      .returning('id')
      .executeTakeFirstOrThrow();

    expect(await migrateToLatest(db)).toEqual(MIGRATION_NAMES.slice(1));
    expect(await appTables(db)).toEqual(expect.arrayContaining(APP_TABLES));

    const users = await db.selectFrom('users').select(['id', 'email']).orderBy('email').execute();
    expect(users).toEqual([
      { id: admin.id, email: 'admin@example.com' },
      { id: customer.id, email: 'traveller@example.com' },
    ]);
    expect(await db.selectFrom('agencies').select(['id', 'admin_user_id']).execute()).toEqual([{ id: agency.id, admin_user_id: admin.id }]);
    expect(await db.selectFrom('cars').select(['id', 'agency_id', 'daily_rate']).execute()).toEqual([
      { id: car.id, agency_id: agency.id, daily_rate: 120_000 },
    ]);
    const kept = await db
      .selectFrom('reservations')
      .select(['id', 'status', 'total_price', 'payment_intent_id', sql<string>`start_date::text`.as('start'), sql<string>`end_date::text`.as('end')])
      .execute();
    expect(kept).toEqual([
      { id: reservation.id, status: 'confirmed', total_price: 385_200, payment_intent_id: 'pi_before_migration', start: '2027-01-10', end: '2027-01-12' },
    ]);

    // The new tables work with the old rows: once the rental is completed and its deposit
    // paid, it can be reviewed (a review of an unpaid one is refused by the database).
    await db.updateTable('reservations').set({ status: 'completed' }).where('id', '=', reservation.id).execute();
    const unpaidReview = db
      .insertInto('reviews')
      .values({ reservation_id: reservation.id, agency_id: agency.id, customer_id: customer.id, rating: 5 })
      .execute();
    await expect(unpaidReview).rejects.toMatchObject({ code: '23514' });
    await db.updateTable('reservations').set({ deposit_paid_at: new Date() }).where('id', '=', reservation.id).execute();
    await db
      .insertInto('reviews')
      .values({ reservation_id: reservation.id, agency_id: agency.id, customer_id: customer.id, rating: 5, comment: 'Great' })
      .execute();

    // The constraint still guards the old booking after the upgrade, completed as it now is.
    const overlap = db
      .insertInto('reservations')
      .values({ car_id: car.id, kind: 'block', status: 'confirmed', start_date: '2027-01-12', end_date: '2027-01-12' })
      .execute();
    await expect(overlap).rejects.toMatchObject({ code: '23P01' });
  });
});
