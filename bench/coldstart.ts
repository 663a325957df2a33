/**
 * `npm run bench:coldstart [-- options]`: bundles every Lambda function the way the CDK stack
 * does (lib/api-function.ts BUNDLING: ESM, minified, node24, mainFields module,main, the
 * createRequire banner) and reports each bundle's size, where its bytes come from (esbuild's
 * metafile), and its module-initialisation time: `await import(bundle)` in a fresh Node process
 * with the environment the function has in AWS (dummy values; nothing is contacted at import),
 * median of --runs (default 10). Results: docs/benchmarks.md, "Cold starts".
 *
 * Options (to try what the stack could do differently; the default is what it does now):
 *   --external=@aws-sdk/*,@smithy/*   leave these out of the bundles (the nodejs24.x runtime ships SDK v3)
 *   --no-source-maps                   no source map and no NODE_OPTIONS=--enable-source-maps
 *   --runs=N                           runs per bundle (default 10)
 *   --only=substring                   only functions whose handler contains this
 *   --json=path                        also write the results as JSON
 */
import { execFile } from 'node:child_process';
import { mkdirSync, rmSync, statSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { pathToFileURL } from 'node:url';
import { promisify } from 'node:util';
import { build, type Metafile } from 'esbuild';
import { routes } from '#routes';
import { BUNDLING, PROJECT_ROOT, SERVICE_NAME } from '../lib/api-function';

const TARGET_BYTES = 300 * 1024;
const TARGET_INIT_MS = 60;

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

/** Every function the stack deploys: one per route, the 404 catch-all, the jobs and the migration. */
const handlers = [
  ...new Set([
    ...routes.map((route) => route.handler),
    'api/service/not-found',
    'jobs/expire-holds',
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

interface Result {
  handler: string;
  bytes: number;
  initMs: number[];
  medianMs: number;
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
    format: BUNDLING.format === 'esm' ? 'esm' : 'cjs',
    target: BUNDLING.target,
    minify: BUNDLING.minify,
    sourcemap: sourceMaps && BUNDLING.sourceMap,
    sourcesContent: BUNDLING.sourcesContent,
    mainFields: BUNDLING.mainFields,
    banner: { js: BUNDLING.banner },
    external,
    metafile: true,
    logLevel: 'error',
    absWorkingDir: PROJECT_ROOT,
  });
  return { file, metafile: result.metafile };
}

const run = promisify(execFile);

/** Time `await import(bundle)` in a fresh process, as the Lambda runtime imports the handler. */
async function initTime(file: string): Promise<number> {
  const script = `const t = performance.now(); await import(${JSON.stringify(pathToFileURL(file).href)}); process.stdout.write(String(performance.now() - t));`;
  const { stdout } = await run(process.execPath, ['--input-type=module', '-e', script], { env: lambdaEnvironment, cwd: path.dirname(file) });
  return Number(stdout);
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
for (const handler of handlers) {
  const { file, metafile } = await bundle(handler, outdir);
  await initTime(file); // warm the file system cache once, as a deployed package would be
  const initMs: number[] = [];
  for (let i = 0; i < runs; i++) initMs.push(await initTime(file));
  const result = { handler, bytes: statSync(file).size, initMs, medianMs: median(initMs), packages: bytesByPackage(metafile) };
  results.push(result);
  const top = result.packages.slice(0, 4).map(([name, bytes]) => `${name} ${kb(bytes)}`).join(', ');
  console.log(`${handler.padEnd(36)} ${kb(result.bytes).padStart(8)} ${result.medianMs.toFixed(1).padStart(7)} ms   ${top}`);
}

const sizes = results.map((result) => result.bytes);
const inits = results.map((result) => result.medianMs);
const overSize = results.filter((result) => result.bytes > TARGET_BYTES).length;
const overInit = results.filter((result) => result.medianMs > TARGET_INIT_MS).length;
console.log(
  `\n${results.length} bundles: size median ${kb(median(sizes))}, max ${kb(Math.max(...sizes))}; init median ${median(inits).toFixed(1)} ms, max ${Math.max(...inits).toFixed(1)} ms`,
);
console.log(`over ${kb(TARGET_BYTES)}: ${overSize}; over ${TARGET_INIT_MS} ms: ${overInit}`);

const everywhere = new Map<string, number>();
for (const result of results) for (const [name, bytes] of result.packages) everywhere.set(name, (everywhere.get(name) ?? 0) + bytes);
console.log('\nbytes per package, averaged over all bundles:');
for (const [name, bytes] of [...everywhere.entries()].sort((a, b) => b[1] - a[1]).slice(0, 15)) {
  console.log(`  ${name.padEnd(40)} ${kb(bytes / results.length).padStart(8)}`);
}

const jsonPath = args.get('json');
if (jsonPath) writeFileSync(jsonPath, JSON.stringify({ node: process.version, external, sourceMaps, runs, results }, null, 2));
