/**
 * `npm run bench:coldstart [-- options]`: bundles every Lambda function the way the CDK stack
 * does (lib/api-function.ts BUNDLING and BUNDLE_ALIASES: ESM, minified, node24, mainFields
 * module,main, the createRequire banner) and reports each bundle's size, where its bytes come
 * from (esbuild's metafile), and its module-initialisation time: `await import(bundle)` in a
 * fresh Node process with the environment the function has in AWS (dummy values; nothing is
 * contacted at import), median of --runs (default 10), as wall time and as the process's CPU
 * time (user + system), which a busy machine inflates far less.
 *
 * Then the first request, so that work moved out of init into the first invocation cannot look
 * like a gain: for a representative set (health, search, car detail, the customer's bookings,
 * a booking with the Stripe stand-in), a fresh process imports the bundle and invokes its
 * handler once against a warm local PostgreSQL (embedded, migrated, one car and one customer)
 * and the emulators; it connects to the database, verifies the token, and answers 2xx.
 * Results: docs/benchmarks.md, "Cold starts".
 *
 * Options (to try what the stack could do differently; the default is what it does now):
 *   --external=@aws-sdk/*,@smithy/*   leave these out of the bundles (the nodejs24.x runtime ships SDK v3)
 *   --no-source-maps                   no source map and no NODE_OPTIONS=--enable-source-maps
 *   --runs=N                           runs per bundle (default 10)
 *   --only=substring                   only functions whose handler contains this
 *   --json=path                        also write the results as JSON
 *   --no-first-request                 skip the first-request part (no database, no emulators)
 */
import { execFile } from 'node:child_process';
import { randomUUID } from 'node:crypto';
import { chmodSync, mkdirSync, mkdtempSync, rmSync, statSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { pathToFileURL } from 'node:url';
import { promisify } from 'node:util';
import { build, type Metafile } from 'esbuild';
import pg from 'pg';
import { routes } from '#routes';
import { dropDatabase, ensureDatabase } from '../dev/postgres';
import { migrate, startDatabase, startEmulators } from '../dev/stack';
import { apiEvent, lambdaContext } from '../test/helpers/events';
import { insertBenchFleet } from './fleet';
import { BUNDLE_ALIASES, BUNDLING, PROJECT_ROOT, SERVICE_NAME } from '../lib/api-function';

const TARGET_BYTES = 300 * 1024;
const TARGET_INIT_MS = 30;

const args = new Map(
  process.argv.slice(2).map((arg) => {
    const [key, value] = arg.replace(/^--/, '').split('=');
    return [key!, value ?? 'true'] as const;
  }),
);
const runs = Number(args.get('runs') ?? 10);
const external = [...BUNDLING.externalModules, ...(args.get('external')?.split(',').filter(Boolean) ?? [])];
const sourceMaps = args.get('no-source-maps') !== 'true';
const only = args.get('only');
const firstRequests = args.get('no-first-request') !== 'true';

/** Every function the stack deploys: one per route, the 404 catch-all, the jobs and the migration. */
const handlers = [
  ...new Set([
    ...routes.map((route) => route.handler),
    'api/service/not-found',
    'jobs/expire-holds',
    'jobs/delete-objects',
    'jobs/dispatch-notifications',
    'jobs/send-notifications',
    'jobs/queue-reminders',
    'jobs/migrate',
  ]),
].filter((handler) => !only || handler.includes(only));

/** What the CDK stack puts in a function's environment, with harmless values. */
const lambdaEnvironment: Record<string, string> = {
  PATH: process.env.PATH ?? '',
  AWS_REGION: 'ap-southeast-1',
  AWS_LAMBDA_FUNCTION_NAME: 'coldstart-bench',
  AWS_LAMBDA_FUNCTION_MEMORY_SIZE: '512',
  AWS_ACCESS_KEY_ID: 'AKIDCOLDSTARTBENCH',
  AWS_SECRET_ACCESS_KEY: 'cold-start-bench',
  ...(sourceMaps ? { NODE_OPTIONS: '--enable-source-maps' } : {}),
  POWERTOOLS_SERVICE_NAME: SERVICE_NAME,
  POWERTOOLS_METRICS_NAMESPACE: 'PhuketRental/bench',
  STAGE: 'prod',
  COGNITO_USER_POOL_ID: 'ap-southeast-1_bench',
  COGNITO_CLIENT_ID: 'benchclient',
  IMAGES_PUBLIC_BASE_URL: 'https://d111111abcdef8.cloudfront.net',
  IMAGES_BUCKET: 'bench-images',
  DB_HOST: 'bench.proxy-abc.ap-southeast-1.rds.amazonaws.com',
  DB_PORT: '5432',
  DB_NAME: 'rental',
  DB_USER: 'postgres',
  DB_IAM_AUTH: 'true',
  DB_SECRET_ARN: 'arn:aws:secretsmanager:ap-southeast-1:123456789012:secret:bench',
  STRIPE_SECRET_ARN: 'arn:aws:secretsmanager:ap-southeast-1:123456789012:secret:stripe',
  NOTIFICATIONS_QUEUE_URL: 'https://sqs.ap-southeast-1.amazonaws.com/123456789012/bench.fifo',
  EMAIL_FROM: 'noreply@example.com',
  SMS_ENABLED: 'false',
  DOCS_ASSETS_DIR: '/var/task/docs-assets',
  POWERTOOLS_LOG_LEVEL: 'SILENT',
};

interface Timing {
  wallMs: number;
  cpuMs: number;
}

interface Result {
  handler: string;
  bytes: number;
  init: Timing[];
  medianMs: number;
  medianCpuMs: number;
  packages: Array<[string, number]>;
}

/** Bytes in the output per npm package (or "(app)" for our own code), largest first. */
function bytesByPackage(metafile: Metafile): Array<[string, number]> {
  const totals = new Map<string, number>();
  for (const output of Object.values(metafile.outputs)) {
    for (const [input, { bytesInOutput }] of Object.entries(output.inputs)) {
      const match = input.match(/node_modules\/((?:@[^/]+\/)?[^/]+)/);
      const name = match ? match[1]! : '(app)';
      totals.set(name, (totals.get(name) ?? 0) + bytesInOutput);
    }
  }
  return [...totals.entries()].sort((a, b) => b[1] - a[1]);
}

async function bundle(handler: string, outdir: string): Promise<{ file: string; metafile: Metafile }> {
  const file = path.join(outdir, handler.replaceAll('/', '__'), 'index.mjs');
  const result = await build({
    entryPoints: [path.join(PROJECT_ROOT, 'functions', `${handler}.ts`)],
    outfile: file,
    bundle: true,
    platform: 'node',
    format: String(BUNDLING.format) === 'esm' ? 'esm' : 'cjs',
    target: BUNDLING.target,
    minify: BUNDLING.minify,
    sourcemap: sourceMaps && BUNDLING.sourceMap,
    sourcesContent: BUNDLING.sourcesContent,
    mainFields: BUNDLING.mainFields,
    banner: { js: BUNDLING.banner },
    external,
    alias: BUNDLE_ALIASES,
    metafile: true,
    logLevel: 'error',
    absWorkingDir: PROJECT_ROOT,
  });
  return { file, metafile: result.metafile };
}

const run = promisify(execFile);

/** Time `await import(bundle)` in a fresh process, as the Lambda runtime imports the handler. */
async function initTime(file: string): Promise<Timing> {
  const script = `const cpu = process.cpuUsage(); const t = performance.now(); await import(${JSON.stringify(pathToFileURL(file).href)});
const used = process.cpuUsage(cpu); process.stdout.write(JSON.stringify({ wallMs: performance.now() - t, cpuMs: (used.user + used.system) / 1000 }));`;
  const { stdout } = await run(process.execPath, ['--input-type=module', '-e', script], { env: lambdaEnvironment, cwd: path.dirname(file) });
  return JSON.parse(stdout) as Timing;
}

const median = (values: number[]) => {
  const sorted = [...values].sort((a, b) => a - b);
  const middle = Math.floor(sorted.length / 2);
  return sorted.length % 2 ? sorted[middle]! : (sorted[middle - 1]! + sorted[middle]!) / 2;
};
const kb = (bytes: number) => `${(bytes / 1024).toFixed(0)} KB`;

// Inside the project, so that externalised packages resolve from node_modules as they would
// from the runtime's own copy.
const outdir = path.join(PROJECT_ROOT, '.data', 'coldstart');
rmSync(outdir, { recursive: true, force: true });
mkdirSync(outdir, { recursive: true });

console.log(`node ${process.version} on ${os.cpus()[0]?.model ?? 'unknown CPU'} (${os.cpus().length} CPUs, ${os.arch()})`);
console.log(`external: ${external.length ? external.join(', ') : '(none)'}; source maps: ${sourceMaps}; ${runs} runs per bundle\n`);

const results: Result[] = [];
const bundles = new Map<string, string>();
for (const handler of handlers) {
  const { file, metafile } = await bundle(handler, outdir);
  bundles.set(handler, file);
  await initTime(file); // warm the file system cache once, as a deployed package would be
  const init: Timing[] = [];
  for (let i = 0; i < runs; i++) init.push(await initTime(file));
  const result: Result = {
    handler,
    bytes: statSync(file).size,
    init,
    medianMs: median(init.map((timing) => timing.wallMs)),
    medianCpuMs: median(init.map((timing) => timing.cpuMs)),
    packages: bytesByPackage(metafile),
  };
  results.push(result);
  const top = result.packages
    .slice(0, 4)
    .map(([name, bytes]) => `${name} ${kb(bytes)}`)
    .join(', ');
  console.log(
    `${handler.padEnd(36)} ${kb(result.bytes).padStart(8)} ${result.medianMs.toFixed(1).padStart(7)} ms ${result.medianCpuMs.toFixed(1).padStart(7)} ms CPU   ${top}`,
  );
}

const sizes = results.map((result) => result.bytes);
const inits = results.map((result) => result.medianMs);
const cpuInits = results.map((result) => result.medianCpuMs);
const overSize = results.filter((result) => result.bytes > TARGET_BYTES).length;
const overInit = results.filter((result) => result.medianMs > TARGET_INIT_MS).length;
console.log(
  `\n${results.length} bundles: size median ${kb(median(sizes))}, max ${kb(Math.max(...sizes))}; init median ${median(inits).toFixed(1)} ms, max ${Math.max(...inits).toFixed(1)} ms (CPU median ${median(cpuInits).toFixed(1)} ms, max ${Math.max(...cpuInits).toFixed(1)} ms)`,
);
console.log(`over ${kb(TARGET_BYTES)}: ${overSize}; over ${TARGET_INIT_MS} ms: ${overInit}`);

const everywhere = new Map<string, number>();
for (const result of results) for (const [name, bytes] of result.packages) everywhere.set(name, (everywhere.get(name) ?? 0) + bytes);
console.log('\nbytes per package, averaged over all bundles:');
for (const [name, bytes] of [...everywhere.entries()].sort((a, b) => b[1] - a[1]).slice(0, 15)) {
  console.log(`  ${name.padEnd(40)} ${kb(bytes / results.length).padStart(8)}`);
}

interface FirstRequest {
  handler: string;
  label: string;
  init: Timing[];
  first: Timing[];
}

/**
 * Import plus one invocation in a fresh process, as a cold start serves its first request: the
 * connection to the database (and its log-in), the token check, the queries, the answer.
 */
async function firstRequestTime(file: string, event: unknown, env: Record<string, string>): Promise<{ init: Timing; first: Timing }> {
  const script = `const cpu = process.cpuUsage(); const t = performance.now();
const { handler } = await import(${JSON.stringify(pathToFileURL(file).href)});
const initUsed = process.cpuUsage(cpu); const init = { wallMs: performance.now() - t, cpuMs: (initUsed.user + initUsed.system) / 1000 };
const response = await handler(JSON.parse(process.env.BENCH_EVENT), { ...JSON.parse(process.env.BENCH_CONTEXT), getRemainingTimeInMillis: () => 10000 });
const used = process.cpuUsage(cpu);
process.stdout.write('\\n' + JSON.stringify({ init, first: { wallMs: performance.now() - t, cpuMs: (used.user + used.system) / 1000 }, status: response.statusCode, body: response.statusCode >= 300 ? response.body : undefined }));
process.exit(0); // the pool's idle connection would keep the process alive`;
  const { stdout } = await run(process.execPath, ['--input-type=module', '-e', script], {
    env: { ...env, BENCH_EVENT: JSON.stringify(event), BENCH_CONTEXT: JSON.stringify(lambdaContext('coldstart-bench')) },
    cwd: path.dirname(file),
  });
  // The last line: the function's own log and metric lines come first, as in Lambda.
  const answer = JSON.parse(stdout.trim().split('\n').at(-1)!) as { init: Timing; first: Timing; status: number; body?: string };
  // A failed request is no first request: fail loudly rather than report a fast error.
  if (answer.status >= 300) throw new Error(`${file}: the first request answered ${answer.status} ${answer.body ?? ''}`);
  return answer;
}

async function measureFirstRequests(): Promise<FirstRequest[]> {
  const dataDir = mkdtempSync(path.join(os.tmpdir(), 'bench-coldstart-'));
  chmodSync(dataDir, 0o755);
  const database = await startDatabase({ dataDir, throwaway: true });
  const emulators = await startEmulators({ dataDir });
  const name = 'rental_bench_coldstart';
  try {
    await dropDatabase(database.adminUrl, name);
    await ensureDatabase(database.adminUrl, name);
    const url = database.urlFor(name);
    await migrate(url);
    const env: Record<string, string> = {
      ...lambdaEnvironment,
      ...emulators.env,
      DATABASE_URL: url,
      DB_POOL_MAX: '1',
      // Each run books other dates; the hold limits would refuse the customer's third.
      BOOKING_MAX_UNPAID_HOLDS: '100',
      BOOKING_MAX_PER_HOUR: '1000',
    };
    for (const unset of ['DB_HOST', 'DB_IAM_AUTH', 'DB_USER', 'STRIPE_SECRET_ARN', 'DB_SECRET_ARN', 'IMAGES_PUBLIC_BASE_URL']) delete env[unset];

    // One published car and one verified customer with an access token from the Cognito emulator.
    const pool = new pg.Pool({ connectionString: url, max: 1 });
    const carId = (await insertBenchFleet(pool, 1))[0]!;
    await pool.end();
    Object.assign(process.env, emulators.env, { DATABASE_URL: url, POWERTOOLS_LOG_LEVEL: 'SILENT' });
    const { registerUser } = await import('#core/users/registration');
    const { cognitoIdentity } = await import('#platform/cognito');
    const { getDb, closeDb } = await import('#platform/db');
    const { todayInBangkok, addDays } = await import('#core/availability/dates');
    const email = `coldstart-${randomUUID().slice(0, 8)}@example.com`;
    await registerUser(getDb(), cognitoIdentity, { email, password: 'Bench-2027', fullName: 'Cold Start', role: 'customer' }, { preverified: true });
    const token = (await cognitoIdentity.signIn(email, 'Bench-2027')).accessToken;
    await closeDb();

    const today = todayInBangkok();
    const authorization = { authorization: `Bearer ${token}` };
    let booking = 0;
    const cases: Array<{ handler: string; label: string; event: () => unknown }> = [
      { handler: 'api/service/get-health', label: 'GET /health/', event: () => apiEvent({ method: 'GET', path: '/api/v1/health/' }) },
      {
        handler: 'api/cars/search-cars',
        label: 'GET /cars/?dates',
        event: () => apiEvent({ method: 'GET', path: '/api/v1/cars/', query: { start_date: addDays(today, 7), end_date: addDays(today, 9) } }),
      },
      {
        handler: 'api/cars/get-car',
        label: 'GET /cars/{id}/',
        event: () => apiEvent({ method: 'GET', path: `/api/v1/cars/${carId}/`, pathParameters: { id: carId } }),
      },
      {
        handler: 'api/bookings/list-bookings',
        label: 'GET /bookings/ (token)',
        event: () => apiEvent({ method: 'GET', path: '/api/v1/bookings/', headers: authorization }),
      },
      {
        handler: 'api/bookings/create-booking',
        label: 'POST /bookings/ (token, Stripe stand-in)',
        event: () => {
          // Three days each, back to back: no run collides with another's hold.
          const start = addDays(today, 14 + 3 * booking++);
          const body = JSON.stringify({ car_id: carId, start_date: start, end_date: addDays(start, 2) });
          return apiEvent({
            method: 'POST',
            path: '/api/v1/bookings/',
            headers: { ...authorization, 'content-type': 'application/json', 'idempotency-key': randomUUID() },
            body,
          });
        },
      },
    ];
    const measured: FirstRequest[] = [];
    for (const { handler, label, event } of cases) {
      const file = bundles.get(handler);
      if (!file) continue; // left out by --only
      await firstRequestTime(file, event(), env); // warm-up, as for init
      const init: Timing[] = [];
      const first: Timing[] = [];
      for (let i = 0; i < runs; i++) {
        const timing = await firstRequestTime(file, event(), env);
        init.push(timing.init);
        first.push(timing.first);
      }
      measured.push({ handler, label, init, first });
    }
    return measured;
  } finally {
    await emulators.stop();
    await database.stop();
    rmSync(dataDir, { recursive: true, force: true });
  }
}

let first: FirstRequest[] = [];
if (firstRequests) {
  first = await measureFirstRequests();
  console.log('\nfirst request: import + one invocation in a fresh process, against a warm local PostgreSQL (medians)');
  console.log(`${''.padEnd(42)} ${'init'.padStart(8)} ${'first'.padStart(8)}   ${'init CPU'.padStart(8)} ${'first CPU'.padStart(9)}`);
  for (const { label, init, first: firstRun } of first) {
    const cell = (values: number[], width: number) => `${median(values).toFixed(1)} ms`.padStart(width);
    console.log(
      `${label.padEnd(42)} ${cell(
        init.map((t) => t.wallMs),
        8,
      )} ${cell(
        firstRun.map((t) => t.wallMs),
        8,
      )}   ${cell(
        init.map((t) => t.cpuMs),
        8,
      )} ${cell(
        firstRun.map((t) => t.cpuMs),
        9,
      )}`,
    );
  }
}

const jsonPath = args.get('json');
if (jsonPath) writeFileSync(jsonPath, JSON.stringify({ node: process.version, external, sourceMaps, runs, results, firstRequests: first }, null, 2));
