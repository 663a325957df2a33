/**
 * `npm run bench:booking`: bookings through the real POST /bookings/ handler (middy stack,
 * token verification, idempotency, the booking transaction, the offline payment provider)
 * against a real PostgreSQL, in process, with N requests in flight.
 *
 *   1. low contention: 2,000 cars, random dates over two years; target ≥ 1,000 bookings/s
 *   2. hot car: every request for one car in the next 60 days; most lose with 409
 *
 * Afterwards it checks in SQL that no two date-holding reservations of a car overlap.
 * Options: BENCH_REQUESTS (default 6000), BENCH_CONCURRENCY (default 8), DATABASE_URL.
 */
import { chmodSync, mkdtempSync, rmSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { randomUUID } from 'node:crypto';
import { performance } from 'node:perf_hooks';
import pg from 'pg';
import { addDays, todayInBangkok } from '#core/availability/dates';
import { apiEvent, lambdaContext } from '../test/helpers/events';
import { dropDatabase, ensureDatabase } from '../dev/postgres';
import { migrate, startDatabase, startEmulators } from '../dev/stack';

const REQUESTS = Number(process.env.BENCH_REQUESTS ?? 6000);
const CONCURRENCY = Number(process.env.BENCH_CONCURRENCY ?? 8);
const CARS = 2000;
const CUSTOMERS = 16;

const dataDir = mkdtempSync(path.join(os.tmpdir(), 'bench-booking-'));
chmodSync(dataDir, 0o755);
const database = await startDatabase({ dataDir, throwaway: true });
const emulators = await startEmulators({ dataDir });
const name = 'rental_bench_booking';
await dropDatabase(database.adminUrl, name);
await ensureDatabase(database.adminUrl, name);
const url = database.urlFor(name);
await migrate(url);
// A few hundred customers make thousands of bookings here: the hold limits (docs/bookings.md)
// are still counted on every booking, under their lock, but set out of reach so they refuse none.
Object.assign(process.env, emulators.env, {
  DATABASE_URL: url,
  DB_POOL_MAX: String(CONCURRENCY),
  POWERTOOLS_LOG_LEVEL: 'SILENT',
  STAGE: 'test',
  BOOKING_MAX_UNPAID_HOLDS: '100',
  BOOKING_MAX_PER_HOUR: '1000',
});

try {
  const pool = new pg.Pool({ connectionString: url, max: 2 });
  await pool.query(`
    WITH admin AS (
      INSERT INTO users (cognito_sub, email, full_name, role, email_verified_at) VALUES ('bench-admin', 'admin@bench.example', 'Bench Admin', 'agency_admin', now()) RETURNING id
    ), agency AS (
      INSERT INTO agencies (admin_user_id, name, phone, address, lat, lng)
      SELECT id, 'Bench Rentals', '+66 76 000 000', 'Patong', 7.8961, 98.2967 FROM admin RETURNING id
    )
    INSERT INTO cars (agency_id, make, model, year, car_type, transmission, seats, fuel_type, daily_rate, deposit_amount, is_published)
    SELECT agency.id, 'Honda', 'Click ' || i, 2025, 'scooter', 'automatic', 2, 'petrol', 25000 + (i % 20) * 1000, 200000, true
    FROM agency, generate_series(1, ${CARS}) AS i`);
  const cars = (await pool.query<{ id: string }>('SELECT id FROM cars ORDER BY id')).rows.map((row) => row.id);

  // Real customers with real access tokens from the Cognito emulator.
  const { registerUser } = await import('#core/users/registration');
  const { cognitoIdentity } = await import('#platform/cognito');
  const { getDb, closeDb } = await import('#platform/db');
  const tokens: string[] = [];
  for (let index = 0; index < CUSTOMERS; index++) {
    const email = `bench-${index}-${randomUUID().slice(0, 8)}@example.com`;
    await registerUser(getDb(), cognitoIdentity, { email, password: 'Bench-2027', fullName: `Bench ${index}`, role: 'customer' }, { preverified: true });
    tokens.push((await cognitoIdentity.signIn(email, 'Bench-2027')).accessToken);
  }
  const { handler } = await import('#functions/api/bookings/create-booking');

  const today = todayInBangkok();
  const random = (max: number) => Math.floor(Math.random() * max);
  async function run(label: string, pickCar: () => string, horizonDays: number, maxDays: number) {
    const latencies: number[] = [];
    const statuses = new Map<number, number>();
    let next = 0;
    const started = performance.now();
    await Promise.all(
      Array.from({ length: CONCURRENCY }, async () => {
        while (next < REQUESTS) {
          next += 1;
          const start = addDays(today, 1 + random(horizonDays));
          const body = JSON.stringify({ car_id: pickCar(), start_date: start, end_date: addDays(start, random(maxDays)) });
          const event = apiEvent({
            method: 'POST',
            path: '/api/v1/bookings/',
            headers: { authorization: `Bearer ${tokens[random(tokens.length)]}`, 'content-type': 'application/json', 'idempotency-key': randomUUID() },
            body,
          });
          const t0 = performance.now();
          const result = await handler(event, lambdaContext('bench'));
          latencies.push(performance.now() - t0);
          statuses.set(result.statusCode ?? 0, (statuses.get(result.statusCode ?? 0) ?? 0) + 1);
        }
      }),
    );
    const seconds = (performance.now() - started) / 1000;
    latencies.sort((a, b) => a - b);
    const at = (q: number) => latencies[Math.min(latencies.length - 1, Math.floor(q * latencies.length))]!.toFixed(1);
    const created = statuses.get(201) ?? 0;
    console.log(
      `| ${label} | ${REQUESTS} | ${CONCURRENCY} | ${(REQUESTS / seconds).toFixed(0)} req/s | ${(created / seconds).toFixed(0)} bookings/s | ${at(0.5)} | ${at(0.95)} | ${at(0.99)} | ${[...statuses].sort().map(([status, count]) => `${status}×${count}`).join(' ')} |`,
    );
    return statuses;
  }

  console.log(`\nPOST /bookings/ handler in process, ${CARS} cars, PostgreSQL pool ${CONCURRENCY}, node ${process.version}, ${os.cpus().length} CPUs\n`);
  console.log('| run | requests | in flight | throughput | bookings | p50 ms | p95 ms | p99 ms | statuses |');
  console.log('| --- | --- | --- | --- | --- | --- | --- | --- | --- |');
  const low = await run('low contention (2,000 cars, 2 years)', () => cars[random(cars.length)]!, 700, 5);
  const hotCar = cars[0]!;
  const hot = await run('hot car (1 car, next 60 days)', () => hotCar, 60, 3);

  const overlaps = await pool.query<{ n: number }>(`
    SELECT count(*)::int AS n FROM reservations a JOIN reservations b
      ON a.car_id = b.car_id AND a.id < b.id AND a.period && b.period
    WHERE a.status IN ('pending', 'confirmed', 'completed') AND b.status IN ('pending', 'confirmed', 'completed')`);
  const fiveHundreds = [...low, ...hot].filter(([status]) => status >= 500).reduce((sum, [, count]) => sum + count, 0);
  console.log(`\noverlapping date-holding reservations: ${overlaps.rows[0]!.n}; 5xx answers: ${fiveHundreds}`);
  await pool.end();
  await closeDb();
  if (overlaps.rows[0]!.n > 0 || fiveHundreds > 0) process.exitCode = 1;
} finally {
  await emulators.stop();
  await database.stop();
  rmSync(dataDir, { recursive: true, force: true });
}
