/**
 * `npm run bench:search`: latency of public search at Phuket scale.
 *
 * Starts a throwaway embedded PostgreSQL (or uses DATABASE_URL's server, in a scratch database
 * it drops afterwards), migrates it, generates 10,000 cars across 200 agencies and 1,000,000
 * reservations (bench/generate.ts), then measures p50/p95/p99 of:
 *   (a) the fleet-wide 7-day search, no filter          (searchCars: the API's one query)
 *   (b) the same with a car type and a price band
 *   (c) a landmark radius search (5 km, the default)
 *   (d) (a) through the local HTTP server (DB_POOL_MAX=4) under 4 concurrent clients
 * and the naive formulation an ORM would write (NOT IN over a join) for (a)–(c), as a ratio.
 * Prints a Markdown report with EXPLAIN (ANALYZE, BUFFERS) of the main queries.
 *
 * Options: --quick (a tenth of the data, for trying the script), --keep (leave the database),
 * --sweep (instead: (a)–(c) and their naive forms at 1,000, 10,000 and 100,000 cars, 30
 * reservations a car, loaded without the exclusion constraint; prints the table and writes the
 * chart docs/search-sweep.svg; ≈ 8 minutes here, most of it loading 3,000,000 rows; with
 * --quick at 500, 1,000 and 2,000 cars, the chart in the temporary directory).
 */
import { spawn } from 'node:child_process';
import { chmodSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { createInterface } from 'node:readline';
import { fileURLToPath } from 'node:url';
import { Kysely, PostgresDialect, sql, type CompiledQuery } from 'kysely';
import pg from 'pg';
import { addDays, todayInBangkok } from '#core/availability/dates';
import type { CarType } from '#core/cars/table';
import type { Database } from '#core/database';
import { resolvePlace } from '#core/geo/landmarks';
import { DEFAULT_PRICING_RATES } from '#core/pricing/pricing';
import { searchCars, type SearchCriteria } from '#core/search/search-cars';
import { dropDatabase, ensureDatabase } from '../dev/postgres';
import { migrate, startDatabase } from '../dev/stack';
import { randomSource } from '../dev/catalog';
import { assertNoOverlaps, FULL_SIZE, generateBenchData, sweepSize, type BenchSize } from './generate';
import { sweepChart } from './sweep-chart';

const quick = process.argv.includes('--quick');
const keep = process.argv.includes('--keep');
const sweep = process.argv.includes('--sweep');
const SWEEP_FLEETS = quick ? [500, 1_000, 2_000] : [1_000, 10_000, 100_000];
const NAIVE_TIMEOUT_MS = 10_000;
const NAIVE_RUNS_AT_SCALE = 10;
const size: BenchSize = quick ? { agencies: 20, cars: 1_000, reservations: 100_000, customers: 100 } : FULL_SIZE;
const RUNS = { warmup: 100, fast: 1_000, naive: 100, http: 2_000 };
const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..');
const started = performance.now();
class RolledBack extends Error {}
const log = (message: string) => console.error(`[${((performance.now() - started) / 1000).toFixed(1).padStart(5)} s] ${message}`);

// ---------------------------------------------------------------- database
const dataDir = mkdtempSync(path.join(os.tmpdir(), 'rental-bench-'));
chmodSync(dataDir, 0o755); // as root, PostgreSQL runs as `postgres` and must reach it
const server = await startDatabase({ dataDir, throwaway: true });
let loggedQuery: CompiledQuery | undefined;
const opened: Array<{ name: string; db: Kysely<Database> }> = [];

/** A fresh, migrated scratch database with one connection, as a pool (the generator) and Kysely. */
async function openDatabase(name: string) {
  await ensureDatabase(server.adminUrl, name);
  const url = server.urlFor(name);
  const pool = new pg.Pool({ connectionString: url, max: 1 });
  // A lost connection then fails the run with its query's error, instead of an uncaught event.
  pool.on('error', () => {});
  pool.on('connect', (client) => client.on('error', () => {}));
  const db = new Kysely<Database>({
    dialect: new PostgresDialect({ pool }),
    log: (event) => {
      if (event.level === 'query') loggedQuery = event.query;
    },
  });
  opened.push({ name, db });
  log(`PostgreSQL ready; migrating ${name}`);
  await migrate(url);
  return { url, pool, db };
}

async function closeDatabase(name: string) {
  const index = opened.findIndex((entry) => entry.name === name);
  if (index < 0) return;
  const [entry] = opened.splice(index, 1);
  await entry!.db.destroy().catch(() => {});
  if (!keep) await dropDatabase(server.adminUrl, name).catch(() => {});
}

async function cleanUp() {
  for (const { name } of [...opened]) await closeDatabase(name);
  await server.stop();
  rmSync(dataDir, { recursive: true, force: true });
}

// ---------------------------------------------------------------- workloads
const bands: Array<{ carType: CarType; minPrice: number; maxPrice: number }> = [
  { carType: 'suv', minPrice: 150_000, maxPrice: 220_000 },
  { carType: 'economy', minPrice: 80_000, maxPrice: 100_000 },
  { carType: 'scooter', minPrice: 25_000, maxPrice: 40_000 },
  { carType: 'pickup', minPrice: 110_000, maxPrice: 150_000 },
  { carType: 'luxury', minPrice: 400_000, maxPrice: 800_000 },
];
const context = { rates: DEFAULT_PRICING_RATES, imageUrl: (key: string) => `https://images.example.com/${key}` };
const base = { ordering: 'price' as const, limit: 20 };

// The query an ORM writes for "cars not booked on these days" (Django: .exclude(reservations__…)
// with select_related('agency')): NOT IN over the reservations, the car's location computed per
// row for the radius.
const naive = (criteria: Partial<SearchCriteria> & { startDate: string; endDate: string; landmark?: string }) => sql`
    SELECT cars.*, agencies.*
    FROM cars INNER JOIN agencies ON agencies.id = cars.agency_id
    ${criteria.landmark ? sql`CROSS JOIN landmarks` : sql``}
    WHERE cars.is_published AND cars.deleted_at IS NULL
      ${criteria.carType ? sql`AND cars.car_type = ${criteria.carType} AND cars.daily_rate >= ${criteria.minPrice} AND cars.daily_rate <= ${criteria.maxPrice}` : sql``}
      ${
        criteria.landmark
          ? sql`AND landmarks.slug = ${criteria.landmark}
              AND earth_distance(ll_to_earth(landmarks.lat, landmarks.lng),
                                 ll_to_earth(coalesce(cars.lat, agencies.lat), coalesce(cars.lng, agencies.lng))) <= 5000`
          : sql``
      }
      AND NOT (cars.id IN (
        SELECT U1.car_id FROM reservations U1
        WHERE U1.end_date >= ${criteria.startDate} AND U1.start_date <= ${criteria.endDate}
          AND (U1.status IN ('confirmed', 'completed') OR (U1.status = 'pending' AND U1.expires_at > now()))))
    ORDER BY cars.daily_rate ASC, cars.id ASC
    LIMIT 21`;

/** (a)–(c) and their naive forms, each search 7 days starting 1–90 days ahead (seeded). */
async function workloadsOf(db: Kysely<Database>, today: string) {
  const random = randomSource(7);
  const sevenDays = () => {
    const start = addDays(today, random.int(1, 90));
    return { startDate: start, endDate: addDays(start, 6) };
  };
  const landmarks = (await db.selectFrom('landmarks').select('slug').execute()).map((row) => row.slug);
  const ours = {
    a: () => searchCars(db, { ...sevenDays(), ...base }, context),
    b: () => searchCars(db, { ...sevenDays(), ...random.pick(bands), ...base }, context),
    c: async () => {
      const place = await resolvePlace(db, { landmark: random.pick(landmarks) });
      return searchCars(db, { ...sevenDays(), place, ...base }, context);
    },
  };
  const naiveOn = (executor: Kysely<Database>) => ({
    a: () => naive(sevenDays()).execute(executor),
    b: () => naive({ ...sevenDays(), ...random.pick(bands) }).execute(executor),
    c: () => naive({ ...sevenDays(), landmark: random.pick(landmarks) }).execute(executor),
  });
  return { sevenDays, ours, naiveOn };
}

/** EXPLAIN (ANALYZE, BUFFERS) of the statement `run` sends (the last one it sends). */
async function explain(pool: pg.Pool, run: () => Promise<unknown>): Promise<{ sql: string; plan: string; planningMs: number; executionMs: number }> {
  await run();
  const query = loggedQuery!;
  const { rows } = await pool.query<{ 'QUERY PLAN': string }>(`EXPLAIN (ANALYZE, BUFFERS) ${query.sql}`, query.parameters as unknown[]);
  const plan = rows.map((row) => row['QUERY PLAN']).join('\n');
  const time = (label: string) => Number(plan.match(new RegExp(`${label} Time: ([\\d.]+) ms`))?.[1] ?? NaN);
  return { sql: query.sql.replace(/\n\s*\n/g, '\n').trim(), plan, planningMs: time('Planning'), executionMs: time('Execution') };
}

const machine = async (pool: pg.Pool) => {
  const {
    rows: [version],
  } = await pool.query<{ server_version: string }>('SHOW server_version');
  const cpu = os.cpus()[0]?.model ?? 'unknown CPU';
  return `${os.cpus().length} vCPU (${cpu}), ${(os.totalmem() / 2 ** 30).toFixed(0)} GiB; Node ${process.version}; PostgreSQL ${version!.server_version}${process.env.DATABASE_URL ? ' (DATABASE_URL)' : ' (embedded, fsync off)'}`;
};
const loadAverage = () =>
  os
    .loadavg()
    .map((load) => load.toFixed(2))
    .join(' / ');

try {
  if (sweep) await runSweep();
  else await runFull();
  log(`done in ${((performance.now() - started) / 1000).toFixed(0)} s`);
} catch (error) {
  console.error('benchmark failed:', error);
  process.exitCode = 1;
} finally {
  await cleanUp();
}

// ---------------------------------------------------------------- the full run
async function runFull() {
  const databaseName = `rental_bench_${process.pid}`;
  const { url, pool, db } = await openDatabase(databaseName);
  const today = todayInBangkok();
  log(`generating ${size.cars.toLocaleString('en')} cars, ${size.agencies} agencies, ${size.reservations.toLocaleString('en')} reservations`);
  const loadStarted = performance.now();
  await generateBenchData(pool, size, { today, log });
  await pool.query('VACUUM (ANALYZE)');
  const loadSeconds = (performance.now() - loadStarted) / 1000;
  log(`loaded and vacuumed in ${loadSeconds.toFixed(0)} s`);

  const { sevenDays, ours, naiveOn } = await workloadsOf(db, today);
  const results: Record<string, Percentiles> = {};
  for (const [name, run] of Object.entries(ours)) {
    await measure(run, RUNS.warmup);
    results[name] = await measure(run, RUNS.fast);
    log(`(${name}) ${format(results[name])}`);
  }
  for (const [name, run] of Object.entries(naiveOn(db))) {
    await measure(run, 5);
    results[`naive ${name}`] = await measure(run, RUNS.naive);
    log(`(${name}) naive ${format(results[`naive ${name}`]!)}`);
  }
  // The naive query on the schema an ORM project would have: the search indexes dropped
  // inside a transaction that is rolled back (plain indexes on daily_rate and car_type,
  // the exclusion constraint's GiST and reservations (car_id, start_date) remain).
  await db
    .transaction()
    .execute(async (trx) => {
      await sql`DROP INDEX reservations_holding_idx, cars_search_price_idx, cars_search_type_price_idx, cars_search_agency_price_idx`.execute(trx);
      for (const [name, run] of Object.entries(naiveOn(trx))) {
        await measure(run, 3);
        results[`bare ${name}`] = await measure(run, RUNS.naive / 2);
        log(`(${name}) naive without the search indexes ${format(results[`bare ${name}`]!)}`);
      }
      throw new RolledBack();
    })
    .catch((error: unknown) => {
      if (!(error instanceof RolledBack)) throw error;
    });

  // ------------------------------------------------------------ (d) over HTTP
  const http = await measureHttp(url, () => {
    const { startDate, endDate } = sevenDays();
    return `/api/v1/cars/?start_date=${startDate}&end_date=${endDate}`;
  });
  results.d = http;
  log(`(d) HTTP, 4 clients ${format(http)}`);

  // ------------------------------------------------------------ plans
  const window = { startDate: addDays(today, 15), endDate: addDays(today, 21) };
  const plans: Record<string, string> = {};
  const show = async (title: string, run: () => Promise<unknown>) => {
    const { sql: text, plan } = await explain(pool, run);
    plans[title] = `${text}\n\n${plan}`;
  };
  await show(`(a) fleet-wide, ${window.startDate} → ${window.endDate}`, () => searchCars(db, { ...window, ...base }, context));
  await show(`(b) suv, 1,500–2,200 THB`, () => searchCars(db, { ...window, ...bands[0]!, ...base }, context));
  const patong = await resolvePlace(db, { landmark: 'patong-beach' });
  await show('(c) 5 km around patong-beach', () => searchCars(db, { ...window, place: patong, ...base }, context));
  await show('naive (a)', () => naive(window).execute(db));

  // ------------------------------------------------------------ report
  const sizes = await sql<{ name: string; rows: number; size: string }>`
    SELECT relname AS name, reltuples::bigint AS rows, pg_size_pretty(pg_total_relation_size(oid)) AS size
    FROM pg_class WHERE relname IN ('cars', 'agencies', 'reservations', 'car_images') ORDER BY relname`.execute(db);
  const line = (name: string, label: string) => `| ${label} | ${format(results[name]!, '|')} |`;
  const times = (slower: string, faster: string, at: 'p50' | 'p99') => `${(results[slower]![at] / results[faster]![at]).toFixed(1)}×`;
  const ratio = (name: string) =>
    `| ${name} | ${times(`naive ${name}`, name, 'p50')} | ${times(`naive ${name}`, name, 'p99')} | ${times(`bare ${name}`, name, 'p50')} | ${times(`bare ${name}`, name, 'p99')} |`;
  console.log(`# Search benchmark, ${new Date().toISOString().slice(0, 10)} (today in Bangkok: ${today})

Machine: ${await machine(pool)}.
Load average at the end (1/5/15 min): ${loadAverage()} (anything else running skews the tails).
Data: ${sizes.rows.map((row) => `${row.name} ${Number(row.rows).toLocaleString('en')} rows (${row.size})`).join(', ')}; generated and loaded in ${loadSeconds.toFixed(0)} s.
Each search: 7 days starting 1–90 days ahead (random, seeded), ordering=price, limit 20. SQL latencies are
one connection, sequential, measured in Node around the whole call (round trip and result shaping included).

| workload | p50 ms | p95 ms | p99 ms | runs |
| --- | --- | --- | --- | --- |
${line('a', '(a) fleet-wide, no filter')}
${line('b', '(b) car type + price band')}
${line('c', '(c) landmark, 5 km')}
${line('d', '(d) = (a) over HTTP, 4 clients, DB_POOL_MAX=4')}
${line('naive a', 'naive (a): NOT IN over a join')}
${line('naive b', 'naive (b)')}
${line('naive c', 'naive (c)')}
${line('bare a', "naive (a) without this schema's search indexes")}
${line('bare b', 'naive (b) without them')}
${line('bare c', 'naive (c) without them')}

| naive ÷ ours | same schema, p50 | same schema, p99 | without the search indexes, p50 | without, p99 |
| --- | --- | --- | --- | --- |
${ratio('a')}
${ratio('b')}
${ratio('c')}

${Object.entries(plans)
  .map(([title, plan]) => `## ${title}\n\n\`\`\`\n${plan}\n\`\`\``)
  .join('\n\n')}
`);
}

// ---------------------------------------------------------------- the fleet-size sweep
/**
 * (a)–(c) and naive (a)–(c) at each fleet size, each on its own database loaded without the
 * exclusion constraint: its GiST index leads with the period, so checking one new row walks
 * every reservation of the fleet that overlaps it (~0.25 ms a row at 10,000 cars and growing
 * with the fleet, hours at 100,000; adding the constraint after the load took 9 minutes at
 * 1,000,000 rows). Search never reads that index; the generator makes no overlaps, and
 * assertNoOverlaps proves it after the load.
 */
async function runSweep() {
  const today = todayInBangkok();
  const window = { startDate: addDays(today, 15), endDate: addDays(today, 21) };
  const points: SweepPoint[] = [];
  let machineLine = '';
  for (const cars of SWEEP_FLEETS) {
    const fleet = sweepSize(cars);
    const name = `rental_bench_${process.pid}_${cars}`;
    const { pool, db } = await openDatabase(name);
    await pool.query('ALTER TABLE reservations DROP CONSTRAINT reservations_no_overlap');
    log(`generating ${cars.toLocaleString('en')} cars, ${fleet.agencies} agencies, ${fleet.reservations.toLocaleString('en')} reservations`);
    const loadStarted = performance.now();
    await generateBenchData(pool, fleet, { today, log });
    await pool.query('VACUUM (ANALYZE)');
    await assertNoOverlaps(pool);
    const loadSeconds = (performance.now() - loadStarted) / 1000;
    log(`loaded, vacuumed and checked in ${loadSeconds.toFixed(0)} s`);

    const { ours, naiveOn } = await workloadsOf(db, today);
    const results: Record<string, Percentiles> = {};
    for (const [shape, run] of Object.entries(ours)) {
      await measure(run, RUNS.warmup);
      results[shape] = await measure(run, RUNS.fast);
      log(`${cars} cars (${shape}) ${format(results[shape])}`);
    }
    // The naive NOT IN stops being hashed once the planner expects its subquery to outgrow
    // work_mem (at 100,000 cars), and then rescans it for every car it rejects: seconds to
    // minutes a query. Its own connection gives up after NAIVE_TIMEOUT_MS; such runs count as that.
    const naivePool = new pg.Pool({ connectionString: server.urlFor(name), max: 1, options: `-c statement_timeout=${NAIVE_TIMEOUT_MS}` });
    naivePool.on('error', () => {});
    const naiveDb = new Kysely<Database>({ dialect: new PostgresDialect({ pool: naivePool }) });
    const naiveRuns = cars >= 100_000 ? NAIVE_RUNS_AT_SCALE : RUNS.naive;
    try {
      for (const [shape, run] of Object.entries(naiveOn(naiveDb))) {
        await measureCapped(run, cars >= 100_000 ? 1 : 3);
        results[`naive ${shape}`] = await measureCapped(run, naiveRuns);
        log(`${cars} cars naive (${shape}) ${format(results[`naive ${shape}`]!)}`);
      }
    } finally {
      await naiveDb.destroy();
    }
    const patong = await resolvePlace(db, { landmark: 'patong-beach' });
    const plans = {
      a: await explain(pool, () => searchCars(db, { ...window, ...base }, context)),
      b: await explain(pool, () => searchCars(db, { ...window, ...bands[0]!, ...base }, context)),
      c: await explain(pool, () => searchCars(db, { ...window, place: patong, ...base }, context)),
    };
    const {
      rows: [counts],
    } = await pool.query<{ rows: string; holding: string }>(
      `SELECT count(*) AS rows, count(*) FILTER (WHERE status IN ('pending', 'confirmed', 'completed')) AS holding FROM reservations`,
    );
    machineLine ||= await machine(pool);
    points.push({ cars, fleet, loadSeconds, results, plans, reservations: Number(counts!.rows), holding: Number(counts!.holding), load: loadAverage() });
    await closeDatabase(name);
  }
  // A trial run (--quick) leaves the committed chart alone.
  const chartPath = quick ? path.join(os.tmpdir(), 'search-sweep.svg') : path.join(root, 'docs/search-sweep.svg');
  writeFileSync(chartPath, sweepChart(points.map((point) => ({ cars: point.cars, results: point.results }))));
  log(`wrote ${chartPath}`);
  console.log(sweepReport(points, today, machineLine));
}

interface SweepPoint {
  cars: number;
  fleet: BenchSize;
  loadSeconds: number;
  results: Record<string, Percentiles>;
  plans: Record<'a' | 'b' | 'c', { planningMs: number; executionMs: number; plan: string; sql: string }>;
  reservations: number;
  holding: number;
  load: string;
}

function sweepReport(points: SweepPoint[], today: string, machineLine: string): string {
  const ms = (value: number) => value.toFixed(2);
  const shapes = [
    ['a', '(a) fleet-wide'],
    ['b', '(b) type + price band'],
    ['c', '(c) landmark, 5 km'],
  ] as const;
  const rows = points.flatMap((point) =>
    shapes.map(([shape, label]) => {
      const ours = point.results[shape]!;
      const slow = point.results[`naive ${shape}`]!;
      const plan = point.plans[shape];
      const capped = (value: number) => (value >= NAIVE_TIMEOUT_MS ? `≥ ${ms(value)}` : ms(value));
      const cancelled = slow.timeouts ? ` (${slow.timeouts} of ${slow.runs} cancelled at ${NAIVE_TIMEOUT_MS / 1000} s)` : '';
      return `| ${point.cars.toLocaleString('en')} | ${label} | ${ms(ours.p50)} | ${ms(ours.p99)} | ${ms(plan.planningMs)} / ${ms(plan.executionMs)} | ${capped(slow.p50)}${cancelled} | ${capped(slow.p99)} | ${slow.p50 >= NAIVE_TIMEOUT_MS ? '≥ ' : ''}${times(slow.p50 / ours.p50)} |`;
    }),
  );
  const at = (cars: number) => points.find((point) => point.cars === cars);
  const [small, large] = [at(10_000), at(100_000)];
  const growth =
    small && large
      ? shapes.map(([shape, label]) => {
          const factor = large.results[shape]!.p50 / small.results[shape]!.p50;
          return `| ${label} | ${ms(small.results[shape]!.p50)} | ${ms(large.results[shape]!.p50)} | ${factor.toFixed(2)}× | ${factor <= 2 ? 'met' : '**not met**'} |`;
        })
      : [];
  const landmark = small?.results.c;
  return `# Search fleet-size sweep, ${new Date().toISOString().slice(0, 10)} (today in Bangkok: ${today})

Machine: ${machineLine}.
${points
  .map(
    (point) =>
      `- ${point.cars.toLocaleString('en')} cars, ${point.fleet.agencies.toLocaleString('en')} agencies: ${point.reservations.toLocaleString('en')} reservations (${point.holding.toLocaleString('en')} holding dates), loaded in ${point.loadSeconds.toFixed(0)} s; load average after measuring ${point.load}`,
  )
  .join('\n')}

Each search: 7 days starting 1–90 days ahead (random, seeded), ordering=price, limit 20; ours ${RUNS.fast} runs each,
naive ${RUNS.naive} (${NAIVE_RUNS_AT_SCALE} at 100,000 cars, each cancelled after ${NAIVE_TIMEOUT_MS / 1000} s). Latency in Node around the whole call; planning / execution from
one EXPLAIN ANALYZE of the week ${explainedWeek(today)} (around patong-beach for (c)).

| cars | search | p50 ms | p99 ms | plan / exec ms | naive p50 ms | naive p99 ms | naive ÷ ours, p50 |
| --- | --- | --- | --- | --- | --- | --- | --- |
${rows.join('\n')}

| target: p50 at 100,000 cars ≤ 2 × p50 at 10,000 | 10,000 cars | 100,000 cars | growth | |
| --- | --- | --- | --- | --- |
${growth.join('\n')}
${landmark ? `\nLandmark search p99 at 10,000 cars: ${ms(landmark.p99)} ms (target ≤ 10 ms: ${landmark.p99 <= 10 ? 'met' : '**not met**'}).\n` : ''}
${points
  .filter((point) => point.cars === SWEEP_FLEETS.at(-1))
  .flatMap((point) => shapes.map(([shape, label]) => `## ${label} at ${point.cars.toLocaleString('en')} cars\n\n\`\`\`\n${point.plans[shape].plan}\n\`\`\``))
  .join('\n\n')}
`;
}

function times(ratio: number): string {
  return `${ratio < 10 ? ratio.toFixed(1) : ratio.toFixed(0)}×`;
}

function explainedWeek(today: string): string {
  return `${addDays(today, 15)} → ${addDays(today, 21)}`;
}

// ---------------------------------------------------------------- helpers
interface Percentiles {
  p50: number;
  p95: number;
  p99: number;
  runs: number;
  /** Runs the server cancelled at NAIVE_TIMEOUT_MS (counted as that long). */
  timeouts?: number;
}

function percentiles(samples: number[]): Percentiles {
  const sorted = [...samples].sort((a, b) => a - b);
  const at = (q: number) => sorted[Math.min(sorted.length - 1, Math.ceil(q * sorted.length) - 1)]!;
  return { p50: at(0.5), p95: at(0.95), p99: at(0.99), runs: sorted.length };
}

function format(result: Percentiles, separator = ' '): string {
  const ms = (value: number) => value.toFixed(2);
  return separator === ' '
    ? `p50 ${ms(result.p50)} ms  p95 ${ms(result.p95)} ms  p99 ${ms(result.p99)} ms  (${result.runs} runs${result.timeouts ? `, ${result.timeouts} cancelled at ${NAIVE_TIMEOUT_MS / 1000} s` : ''})`
    : [ms(result.p50), ms(result.p95), ms(result.p99), String(result.runs)].join(' | ');
}

async function measure(run: () => Promise<unknown>, runs: number): Promise<Percentiles> {
  const samples: number[] = [];
  for (let i = 0; i < runs; i++) {
    const begin = performance.now();
    await run();
    samples.push(performance.now() - begin);
  }
  return percentiles(samples);
}

/** Like measure, but a statement cancelled by statement_timeout (57014) counts as NAIVE_TIMEOUT_MS. */
async function measureCapped(run: () => Promise<unknown>, runs: number): Promise<Percentiles> {
  const samples: number[] = [];
  let timeouts = 0;
  for (let i = 0; i < runs; i++) {
    const begin = performance.now();
    try {
      await run();
      samples.push(performance.now() - begin);
    } catch (error) {
      if ((error as { code?: string }).code !== '57014') throw error;
      timeouts++;
      samples.push(NAIVE_TIMEOUT_MS);
    }
  }
  return { ...percentiles(samples), timeouts };
}

/** Starts bench/http-server.ts on the database and sends (a) from 4 concurrent clients. */
async function measureHttp(databaseUrl: string, nextPath: () => string): Promise<Percentiles> {
  const child = spawn(process.execPath, ['--import', 'tsx', path.join(root, 'bench/http-server.ts')], {
    cwd: root,
    env: { ...process.env, DATABASE_URL: databaseUrl, DB_POOL_MAX: '4' },
    stdio: ['ignore', 'pipe', 'inherit'],
  });
  try {
    const baseUrl = await new Promise<string>((resolve, reject) => {
      child.once('exit', (code) => reject(new Error(`the HTTP server exited (${code})`)));
      createInterface({ input: child.stdout }).on('line', (line) => {
        if (line.startsWith('listening ')) resolve(line.slice('listening '.length));
      });
    });
    const request = async () => {
      const response = await fetch(`${baseUrl}${nextPath()}`);
      if (response.status !== 200) throw new Error(`HTTP ${response.status}: ${await response.text()}`);
      await response.arrayBuffer();
    };
    const clients = 4;
    const perClient = RUNS.http / clients;
    await Promise.all(Array.from({ length: clients }, () => measure(request, RUNS.warmup / clients)));
    const samples = await Promise.all(
      Array.from({ length: clients }, async () => {
        const mine: number[] = [];
        for (let i = 0; i < perClient; i++) {
          const begin = performance.now();
          await request();
          mine.push(performance.now() - begin);
        }
        return mine;
      }),
    );
    return percentiles(samples.flat());
  } finally {
    child.kill('SIGTERM');
  }
}
