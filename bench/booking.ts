/**
 * `npm run bench:booking [-- --stripe-latency=300]`: bookings through the real POST /bookings/
 * handler (middy stack, token verification, idempotency, the hold transaction, the Stripe call,
 * the attach transaction) against a real PostgreSQL and the local Stripe stand-in, in process,
 * with N requests in flight.
 *
 *   1. low contention: 2,000 cars, random dates over two years; target ≥ 1,000 bookings/s
 *   2. hot car: every request for one car in the next 60 days; most lose with 409
 *
 * --stripe-latency=MS (default 0) makes the stand-in wait that long before answering each
 * Stripe API call (its `latencyMs` fault, on this run's account), as a slow provider would.
 * Besides throughput and latency it reports how long each database transaction the booking
 * path opens stays open (BEGIN sent → COMMIT/ROLLBACK answered, or a statement sent outside
 * one → answered), the round trips per request, timed and counted by a hook on pg's client in
 * this process only, and the CPU time per request of this process and of PostgreSQL (from
 * /proc): on two cores shared by both, their sum bounds the throughput. Afterwards it checks
 * in SQL that no two date-holding reservations of a car overlap, and fails on any 5xx.
 * Options: BENCH_REQUESTS (default 6000), BENCH_CONCURRENCY (in flight, default 8), BENCH_POOL
 * (database connections, default = in flight), BENCH_CUSTOMERS (default 200), BENCH_PREPARED=1
 * (every statement a named prepared statement: see docs/benchmarks.md), DATABASE_URL.
 */
import { chmodSync, mkdtempSync, readdirSync, readFileSync, rmSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { AsyncLocalStorage } from 'node:async_hooks';
import { createHash, randomUUID } from 'node:crypto';
import { performance } from 'node:perf_hooks';
import { parseArgs } from 'node:util';
import pg from 'pg';
import { addDays, todayInBangkok } from '#core/availability/dates';
import { apiEvent, lambdaContext } from '../test/helpers/events';
import { dropDatabase, ensureDatabase } from '../dev/postgres';
import { migrate, startDatabase, startEmulators } from '../dev/stack';
import { insertBenchFleet } from './fleet';

const { values: options } = parseArgs({ options: { 'stripe-latency': { type: 'string', default: '0' } } });
const STRIPE_LATENCY_MS = Number(options['stripe-latency']);
if (!Number.isInteger(STRIPE_LATENCY_MS) || STRIPE_LATENCY_MS < 0) throw new Error('--stripe-latency takes whole milliseconds ≥ 0');
const REQUESTS = Number(process.env.BENCH_REQUESTS ?? 6000);
const CONCURRENCY = Number(process.env.BENCH_CONCURRENCY ?? 8);
const POOL = Number(process.env.BENCH_POOL ?? CONCURRENCY);
const CARS = 2000;
const PREPARED = process.env.BENCH_PREPARED === '1';
// Enough customers that each stays far below the raised hold limits, and that the per-customer
// row lock the limits take (functions/core/bookings/limits.ts) is rarely contended: with a
// handful, same-customer bookings queue on it and the transaction times measure that queue.
const CUSTOMERS = Number(process.env.BENCH_CUSTOMERS ?? 200);

/** What one request's transactions and round trips added up to; the hook finds it through the async context. */
interface RequestTransactions {
  count: number;
  openMs: number;
  roundTrips: number;
}
const currentRequest = new AsyncLocalStorage<RequestTransactions>();
/** Every transaction's open time (ms) while a run records; undefined between runs. */
let transactionTimes: number[] | undefined;

/**
 * Times every transaction by wrapping pg's Client#query in this process (production code is
 * untouched): an explicit one from the moment its BEGIN is sent to the moment its COMMIT or
 * ROLLBACK is answered (Kysely sends `begin`, then `commit` / `rollback` on the same client); a
 * statement sent outside one is a transaction of its own (the booking's hold_booking() call and
 * its attach), timed from sent to answered. Its locks are held at most that long. Also counts
 * each request's round trips (every statement sent).
 */
function timeTransactions(): void {
  const opened = new WeakMap<object, { at: number; request: RequestTransactions | undefined }>();
  // eslint-disable-next-line @typescript-eslint/unbound-method -- re-applied with the client as `this`
  const query = pg.Client.prototype.query as (...args: unknown[]) => unknown;
  const record = (at: number, request: RequestTransactions | undefined) => () => {
    const openMs = performance.now() - at;
    transactionTimes?.push(openMs);
    if (request) {
      request.count += 1;
      request.openMs += openMs;
    }
  };
  pg.Client.prototype.query = function timedQuery(this: pg.Client, ...args: unknown[]) {
    const first = args[0];
    const text = typeof first === 'string' ? first : (first as { text?: unknown } | null)?.text;
    const request = currentRequest.getStore();
    if (request) request.roundTrips += 1;
    const at = performance.now();
    // BENCH_PREPARED=1: each statement as a named prepared statement, parsed and planned once
    // per connection (docs/benchmarks.md: what planning costs; why the app does not do this
    // behind RDS Proxy). Counted and timed like the others.
    const prepared = PREPARED && typeof first === 'string' && Array.isArray(args[1]) && !/^\s*(begin|commit|rollback)/i.test(first);
    const result = prepared
      ? query.call(this, { name: `bench_${createHash('sha1').update(first).digest('hex').slice(0, 16)}`, text: first, values: args[1] })
      : query.apply(this, args);
    if (typeof text !== 'string') return result;
    if (/^\s*(begin|start transaction)\b/i.test(text)) {
      opened.set(this, { at, request });
    } else if (/^\s*(commit|rollback)\s*;?\s*$/i.test(text) && result instanceof Promise) {
      const transaction = opened.get(this);
      opened.delete(this);
      if (transaction) {
        const done = record(transaction.at, transaction.request);
        result.then(done, done);
      }
    } else if (!opened.has(this) && request && result instanceof Promise) {
      const done = record(at, request);
      result.then(done, done);
    }
    return result;
  } as typeof pg.Client.prototype.query;
}
timeTransactions();

/**
 * CPU time (ms, user + system) used so far by this run's PostgreSQL: its postmaster (found by
 * the data directory on its command line) and the postmaster's children, the backends that
 * serve the pool. From /proc, Linux only; undefined elsewhere or on an external server.
 */
function postgresCpuMs(dataDirectory: string): number | undefined {
  const ticksPerMs = 100 / 1000; // USER_HZ is 100 on Linux
  const stats: Array<{ pid: number; ppid: number; ticks: number; command: string }> = [];
  let pids: string[];
  try {
    pids = readdirSync('/proc').filter((entry) => /^\d+$/.test(entry));
  } catch {
    return undefined;
  }
  for (const pid of pids) {
    try {
      const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
      const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
      stats.push({
        pid: Number(pid),
        ppid: Number(fields[1]),
        ticks: Number(fields[11]) + Number(fields[12]),
        command: readFileSync(`/proc/${pid}/cmdline`, 'utf8'),
      });
    } catch {
      // gone meanwhile
    }
  }
  const postmaster = stats.find((process) => process.command.includes(dataDirectory) && process.command.includes('postgres'));
  if (!postmaster) return undefined;
  const ticks = stats.filter((process) => process.pid === postmaster.pid || process.ppid === postmaster.pid).reduce((sum, process) => sum + process.ticks, 0);
  return ticks / ticksPerMs;
}

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
  DB_POOL_MAX: String(POOL),
  POWERTOOLS_LOG_LEVEL: 'SILENT',
  STAGE: 'test',
  BOOKING_MAX_UNPAID_HOLDS: '100',
  BOOKING_MAX_PER_HOUR: '1000',
});

try {
  // The stand-in keeps faults per secret key (account): this run's key gets the provider latency.
  const faults = await fetch(`${process.env.STRIPE_STANDIN_URL}/_standin/faults`, {
    method: 'PUT',
    headers: { authorization: `Bearer ${process.env.STRIPE_SECRET_KEY}`, 'content-type': 'application/json' },
    body: JSON.stringify({ latencyMs: STRIPE_LATENCY_MS }),
  });
  if (!faults.ok) throw new Error(`the Stripe stand-in refused the latency: ${faults.status} ${await faults.text()}`);

  const pool = new pg.Pool({ connectionString: url, max: 2 });
  const cars = await insertBenchFleet(pool, CARS);

  // Real customers with real access tokens from the Cognito emulator.
  const { registerUser } = await import('#core/users/registration');
  const { cognitoIdentity } = await import('#platform/cognito');
  const { getDb, closeDb } = await import('#platform/db');
  const tokens: string[] = [];
  for (let batch = 0; batch < CUSTOMERS; batch += 10) {
    const indexes = Array.from({ length: Math.min(10, CUSTOMERS - batch) }, (_, offset) => batch + offset);
    const signedIn = await Promise.all(
      indexes.map(async (index) => {
        const email = `bench-${index}-${randomUUID().slice(0, 8)}@example.com`;
        await registerUser(getDb(), cognitoIdentity, { email, password: 'Bench-2027', fullName: `Bench ${index}`, role: 'customer' }, { preverified: true });
        return (await cognitoIdentity.signIn(email, 'Bench-2027')).accessToken;
      }),
    );
    tokens.push(...signedIn);
  }
  const { handler } = await import('#functions/api/bookings/create-booking');

  const today = todayInBangkok();
  const random = (max: number) => Math.floor(Math.random() * max);
  const percentile = (sorted: number[], q: number) => sorted[Math.min(sorted.length - 1, Math.floor(q * sorted.length))] ?? NaN;
  const transactionRows: string[] = [];
  const cpuRows: string[] = [];
  async function run(label: string, pickCar: () => string, horizonDays: number, maxDays: number) {
    const latencies: number[] = [];
    const statuses = new Map<number, number>();
    const perRequest: RequestTransactions[] = [];
    transactionTimes = [];
    let next = 0;
    const nodeCpuBefore = process.cpuUsage();
    const postgresCpuBefore = postgresCpuMs(dataDir);
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
          const transactions: RequestTransactions = { count: 0, openMs: 0, roundTrips: 0 };
          const t0 = performance.now();
          const result = await currentRequest.run(transactions, () => handler(event, lambdaContext('bench')));
          latencies.push(performance.now() - t0);
          perRequest.push(transactions);
          statuses.set(result.statusCode ?? 0, (statuses.get(result.statusCode ?? 0) ?? 0) + 1);
        }
      }),
    );
    const seconds = (performance.now() - started) / 1000;
    const nodeCpu = process.cpuUsage(nodeCpuBefore);
    const postgresCpuAfter = postgresCpuMs(dataDir);
    const cpuPerRequest = (ms: number | undefined) => (ms === undefined ? 'n/a' : (ms / REQUESTS).toFixed(2));
    cpuRows.push(
      `| ${label} | ${cpuPerRequest((nodeCpu.user + nodeCpu.system) / 1000)} | ${cpuPerRequest(postgresCpuBefore === undefined || postgresCpuAfter === undefined ? undefined : postgresCpuAfter - postgresCpuBefore)} | ${seconds.toFixed(1)} |`,
    );
    latencies.sort((a, b) => a - b);
    const at = (q: number) => percentile(latencies, q).toFixed(1);
    const created = statuses.get(201) ?? 0;
    console.log(
      `| ${label} | ${REQUESTS} | ${CONCURRENCY} | ${(REQUESTS / seconds).toFixed(0)} req/s | ${(created / seconds).toFixed(0)} bookings/s | ${at(0.5)} | ${at(0.95)} | ${at(0.99)} | ${[
        ...statuses,
      ]
        .sort()
        .map(([status, count]) => `${status}×${count}`)
        .join(' ')} |`,
    );
    // A settled COMMIT's callback may run just after the handler returned: let them land.
    await new Promise((resolve) => setImmediate(resolve));
    const times = transactionTimes.sort((a, b) => a - b);
    transactionTimes = undefined;
    const ms = (value: number) => value.toFixed(2);
    const perBooking = perRequest.map((request) => request.openMs).sort((a, b) => a - b);
    transactionRows.push(
      `| ${label} | ${times.length} | ${(times.length / REQUESTS).toFixed(2)} | ${ms(percentile(times, 0.5))} | ${ms(percentile(times, 0.95))} | ${ms(percentile(times, 0.99))} | ${ms(times.at(-1) ?? NaN)} | ${ms(percentile(perBooking, 0.5))} | ${ms(percentile(perBooking, 0.99))} | ${(perRequest.reduce((sum, request) => sum + request.roundTrips, 0) / REQUESTS).toFixed(2)} |`,
    );
    return statuses;
  }

  console.log(
    `\nPOST /bookings/ handler in process, ${CARS} cars, ${CUSTOMERS} customers, PostgreSQL pool ${POOL}, Stripe stand-in latency ${STRIPE_LATENCY_MS} ms, ${PREPARED ? 'named prepared statements, ' : ''}node ${process.version}, ${os.cpus().length} CPUs\n`,
  );
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
  console.log(
    '\nTransactions the booking path opened (BEGIN sent → COMMIT/ROLLBACK answered, or a lone statement sent → answered), ms, and round trips (statements sent) per request:\n',
  );
  console.log('| run | transactions | per request | p50 | p95 | p99 | max | per request, summed: p50 | p99 | round trips per request |');
  console.log('| --- | --- | --- | --- | --- | --- | --- | --- | --- | --- |');
  for (const row of transactionRows) console.log(row);
  console.log('\nCPU time per request (ms; this Node process, the Stripe stand-in in it included; PostgreSQL, all its processes):\n');
  console.log('| run | Node | PostgreSQL | seconds |');
  console.log('| --- | --- | --- | --- |');
  for (const row of cpuRows) console.log(row);
  console.log(
    `\noverlapping date-holding reservations: ${overlaps.rows[0]!.n}; 5xx answers: ${fiveHundreds}; load average ${os
      .loadavg()
      .map((load) => load.toFixed(2))
      .join(' / ')}`,
  );
  await pool.end();
  await closeDb();
  if (overlaps.rows[0]!.n > 0 || fiveHundreds > 0) process.exitCode = 1;
} finally {
  await emulators.stop();
  await database.stop();
  rmSync(dataDir, { recursive: true, force: true });
}
