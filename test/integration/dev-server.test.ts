import { execFile, execFileSync, spawn, type ChildProcess } from 'node:child_process';
import { chmodSync, existsSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import net from 'node:net';
import os from 'node:os';
import path from 'node:path';
import { pathToFileURL } from 'node:url';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { freePort } from '../../dev/ports';
import { DEV_SERVICE_VARIABLES, RUNTIME_FILE, type DevRuntime } from '../../dev/runtime-info';

/**
 * Issue 2, "Done when": after `npm run dev`, GET /api/v1/health/ answers 200 within 60 s, and
 * Ctrl-C stops the server and its PostgreSQL with no orphan process. Each test runs the real
 * dev server (package.json's `dev` command) as a child process in its own process group, with
 * its own data directory (DEV_DATA_DIR), no demo data and free ports, then stops it.
 */
const ROOT = path.resolve(import.meta.dirname, '../..');
const READY_WITHIN_MS = 60_000;
const STOPPED_WITHIN_MS = 25_000;

interface DevServer {
  child: ChildProcess;
  dataDir: string;
  ports: Record<'PORT' | 'DEV_PG_PORT' | 'DEV_COGNITO_PORT' | 'DEV_S3_PORT' | 'DEV_SES_PORT' | 'DEV_STRIPE_PORT', number>;
  baseUrl: string;
  exited: Promise<{ code: number | null; signal: NodeJS.Signals | null }>;
  output(): string;
}

const started: DevServer[] = [];
const scratch: string[] = [];

/** The package.json script (`tsx dev/server.ts`, …) as arguments for this Node, minus npm. */
function npmScript(name: string, extraArgs: string[] = []): string[] {
  const scripts = (JSON.parse(readFileSync(path.join(ROOT, 'package.json'), 'utf8')) as { scripts: Record<string, string> }).scripts;
  const [bin, ...args] = scripts[name]!.split(' ');
  return [path.join(ROOT, 'node_modules', '.bin', bin!), ...args, ...extraArgs];
}

async function startDevServer(extraEnv: Record<string, string> = {}): Promise<DevServer> {
  const dataDir = mkdtempSync(path.join(os.tmpdir(), 'rental-dev-server-'));
  // As root, PostgreSQL runs as the `postgres` user, which must be able to reach its data dir.
  chmodSync(dataDir, 0o755);
  const ports = {
    PORT: await freePort(),
    DEV_PG_PORT: await freePort(),
    DEV_COGNITO_PORT: await freePort(),
    DEV_S3_PORT: await freePort(),
    DEV_SES_PORT: await freePort(),
    DEV_STRIPE_PORT: await freePort(),
  };
  const env: NodeJS.ProcessEnv = { ...process.env, ...extraEnv, DEV_DATA_DIR: dataDir, DEV_SEED: '0' };
  for (const [name, port] of Object.entries(ports)) env[name] = String(port);
  // This test file's own database must not turn the dev server into a client of another server.
  delete env.DATABASE_URL;
  delete env.DB_CONNECT_TIMEOUT_MS;

  const child = spawn(process.execPath, npmScript('dev'), {
    cwd: ROOT,
    env,
    detached: true, // its own process group, as in a terminal, so survivors can be found and killed
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let output = '';
  child.stdout.on('data', (chunk: Buffer) => (output += chunk.toString()));
  child.stderr.on('data', (chunk: Buffer) => (output += chunk.toString()));
  const exited = new Promise<{ code: number | null; signal: NodeJS.Signals | null }>((resolve) =>
    child.once('exit', (code, signal) => resolve({ code, signal })),
  );
  const server: DevServer = { child, dataDir, ports, baseUrl: `http://127.0.0.1:${ports.PORT}`, exited, output: () => output };
  started.push(server);
  return server;
}

function isRunning(child: ChildProcess): boolean {
  return child.exitCode === null && child.signalCode === null;
}

/** Polls GET /api/v1/health/ until it answers 200; fails at once if the server exits. */
async function waitForHealth(server: DevServer, withinMs: number): Promise<{ status: number; body: unknown; elapsedMs: number }> {
  const startedAt = Date.now();
  for (;;) {
    if (!isRunning(server.child)) throw new Error(`npm run dev exited before it was ready:\n${server.output()}`);
    try {
      const response = await fetch(`${server.baseUrl}/api/v1/health/`, { signal: AbortSignal.timeout(2_000) });
      if (response.status === 200) return { status: 200, body: await response.json(), elapsedMs: Date.now() - startedAt };
    } catch {
      // not listening yet
    }
    if (Date.now() - startedAt > withinMs) throw new Error(`GET /api/v1/health/ not 200 after ${withinMs} ms:\n${server.output()}`);
    await new Promise((resolve) => setTimeout(resolve, 250));
  }
}

async function waitForExit(server: DevServer) {
  const timeout = new Promise<never>((_, reject) =>
    setTimeout(
      () => reject(new Error(`npm run dev still running ${STOPPED_WITHIN_MS} ms after being stopped:\n${server.output()}`)),
      STOPPED_WITHIN_MS,
    ).unref(),
  );
  return Promise.race([server.exited, timeout]);
}

function pgrep(args: string[]): number[] {
  try {
    return execFileSync('pgrep', args, { encoding: 'utf8' }).split('\n').filter(Boolean).map(Number);
  } catch (error) {
    if ((error as { status?: number }).status === 1) return []; // pgrep: nothing matched
    throw error;
  }
}

/** PostgreSQL processes whose command line names this data directory (postgres -D <dir>/postgres). */
const postgresProcessesOf = (dataDir: string) => pgrep(['-f', dataDir]);

/** Live (not zombie) processes of the server's process group: the server, PostgreSQL, cognito-local … */
function liveProcessesOfGroup(pgid: number): string[] {
  return pgrep(['-g', String(pgid)]).flatMap((pid) => {
    try {
      const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
      const state = stat.slice(stat.lastIndexOf(')') + 2).split(' ')[0];
      if (state === 'Z') return [];
      return [`${pid} ${readFileSync(`/proc/${pid}/cmdline`, 'utf8').replaceAll('\0', ' ').trim()}`];
    } catch {
      return []; // gone meanwhile
    }
  });
}

function isListening(port: number): Promise<boolean> {
  return new Promise((resolve) => {
    const socket = net.connect(port, '127.0.0.1');
    socket.once('connect', () => {
      socket.destroy();
      resolve(true);
    });
    socket.once('error', () => resolve(false));
  });
}

async function openPorts(server: DevServer): Promise<string[]> {
  const open: string[] = [];
  for (const [name, port] of Object.entries(server.ports)) if (await isListening(port)) open.push(`${name}=${port}`);
  return open;
}

/** Kills the server's process group (as a crash or `kill -9` would) and whatever of it survives. */
async function killDevServer(server: DevServer) {
  const pgid = server.child.pid;
  if (pgid !== undefined && isRunning(server.child)) {
    try {
      process.kill(-pgid, 'SIGKILL');
    } catch {
      // the group is gone already
    }
    await Promise.race([server.exited, new Promise((resolve) => setTimeout(resolve, 5_000))]);
  }
  const leftovers = [...(pgid === undefined ? [] : pgrep(['-g', String(pgid)])), ...postgresProcessesOf(server.dataDir)];
  for (const pid of leftovers) {
    try {
      process.kill(pid, 'SIGKILL');
    } catch {
      // exited meanwhile
    }
  }
}

/** Whatever happened in the test: nothing it started outlives it. */
afterEach(async () => {
  for (const server of started.splice(0)) {
    await killDevServer(server);
    rmSync(server.dataDir, { recursive: true, force: true });
  }
  for (const dir of scratch.splice(0)) rmSync(dir, { recursive: true, force: true });
});

/** After the server has exited: its PostgreSQL, emulators and ports are gone with it. */
async function expectNothingLeft(server: DevServer) {
  expect(postgresProcessesOf(server.dataDir), 'PostgreSQL processes of the data dir').toEqual([]);
  expect(liveProcessesOfGroup(server.child.pid!), "processes of the server's group").toEqual([]);
  expect(await openPorts(server), 'ports still accepting connections').toEqual([]);
}

/** Up and healthy, with a PostgreSQL of its own that the orphan check can see. */
async function startHealthy(extraEnv?: Record<string, string>): Promise<DevServer> {
  const server = await startDevServer(extraEnv);
  const health = await waitForHealth(server, READY_WITHIN_MS);
  expect(health.body).toEqual({ status: 'ok', database: 'ok' });
  expect(health.elapsedMs).toBeLessThan(READY_WITHIN_MS);
  expect(postgresProcessesOf(server.dataDir).length, 'PostgreSQL running on the data dir').toBeGreaterThan(0);
  return server;
}

const runtimeFileOf = (server: DevServer) => path.join(server.dataDir, RUNTIME_FILE);

interface HelperRun {
  code: number | null;
  stdout: string;
  stderr: string;
}

/**
 * Runs a helper command (`npm run migrate`, `seed`, `stripe:trigger`) as a person beside the
 * server would: told only which data directory to look in (DEV_DATA_DIR, as `npm run dev` was),
 * with none of the variables that would point it at a database or an emulator by themselves.
 */
function runHelper(script: string, args: string[], dataDir: string): Promise<HelperRun> {
  const env: NodeJS.ProcessEnv = { ...process.env, DEV_DATA_DIR: dataDir };
  for (const name of [...DEV_SERVICE_VARIABLES, 'DEV_PG_PORT', 'DEV_COGNITO_PORT', 'DEV_STRIPE_PORT', 'DEV_S3_PORT', 'DEV_SES_PORT']) delete env[name];
  return new Promise((resolve) => {
    execFile(process.execPath, npmScript(script, args), { cwd: ROOT, env, timeout: 60_000 }, (error, stdout, stderr) =>
      resolve({ code: error ? ((error as { code?: number }).code ?? null) : 0, stdout, stderr }),
    );
  });
}

/** What a person reads when no server runs: one line that says what to do, not a stack trace. */
function expectOneLineHint(run: HelperRun, variables: string) {
  expect(run.code, `${run.stdout}${run.stderr}`).toBe(1);
  expect(run.stderr.trim().split('\n'), 'stderr lines').toHaveLength(1);
  expect(run.stderr).toContain(`No dev server is running: start it with \`npm run dev\` in another terminal, or set ${variables}.`);
  expect(run.stderr).not.toMatch(/ECONNREFUSED|\n\s+at /);
}

describe('npm run dev', { timeout: READY_WITHIN_MS + STOPPED_WITHIN_MS + 20_000 }, () => {
  it('answers GET /api/v1/health/ with 200 {status: ok, database: ok} within 60 s; SIGINT to the server process alone stops it, its PostgreSQL and emulators (exit 0, no process or port left)', async () => {
    const server = await startHealthy();
    expect(existsSync(runtimeFileOf(server)), 'runtime.json while running').toBe(true);

    server.child.kill('SIGINT');

    expect(await waitForExit(server)).toEqual({ code: 0, signal: null });
    await expectNothingLeft(server);
    expect(existsSync(runtimeFileOf(server)), 'runtime.json after stopping').toBe(false);
  });

  it('stops cleanly on Ctrl-C, which signals the whole process group (PostgreSQL included) at once', async () => {
    const server = await startHealthy();

    process.kill(-server.child.pid!, 'SIGINT');

    expect(await waitForExit(server)).toEqual({ code: 0, signal: null });
    await expectNothingLeft(server);
  });

  it.each(['uncaughtException', 'unhandledRejection'])('on a crash (%s) stops PostgreSQL and the emulators, then exits 1', async (kind) => {
    // Loaded into the server's Node process (NODE_OPTIONS): SIGUSR2 makes it crash the chosen way.
    const dir = mkdtempSync(path.join(os.tmpdir(), 'rental-dev-crash-'));
    scratch.push(dir);
    const crasher = path.join(dir, 'crash-on-sigusr2.mjs');
    writeFileSync(
      crasher,
      `process.on('SIGUSR2', () => {
  if (process.env.DEV_TEST_CRASH === 'unhandledRejection') void Promise.reject(new Error('test crash'));
  else setImmediate(() => { throw new Error('test crash'); });
});
`,
    );
    const server = await startHealthy({
      DEV_TEST_CRASH: kind,
      NODE_OPTIONS: `${process.env.NODE_OPTIONS ?? ''} --import=${pathToFileURL(crasher).href}`.trim(),
    });
    // tsx runs dev/server.ts in a child Node process: crash that one, not tsx's launcher.
    const [serverProcess] = pgrep(['-P', String(server.child.pid), '-f', 'dev/server.ts']);
    expect(serverProcess, 'the Node process running dev/server.ts').toBeDefined();

    process.kill(serverProcess!, 'SIGUSR2');

    expect(await waitForExit(server)).toEqual({ code: 1, signal: null });
    await expectNothingLeft(server);
    expect(server.output()).toContain(`npm run dev crashed (${kind === 'uncaughtException' ? 'uncaught exception' : 'unhandled rejection'})`);
  });
});

describe('beside a running npm run dev', { timeout: 90_000 }, () => {
  let server: DevServer;

  beforeAll(async () => {
    server = await startHealthy();
    started.splice(started.indexOf(server), 1); // shared by these tests: stopped after all of them
  }, READY_WITHIN_MS + 20_000);

  afterAll(async () => {
    await killDevServer(server);
    rmSync(server.dataDir, { recursive: true, force: true });
  });

  it('writes where it runs to <data dir>/runtime.json: its pid, start time, the API and PostgreSQL URLs and each emulator on the ports it was given', () => {
    const runtime = JSON.parse(readFileSync(runtimeFileOf(server), 'utf8')) as DevRuntime;
    const [serverProcess] = pgrep(['-P', String(server.child.pid), '-f', 'dev/server.ts']);

    expect(runtime).toEqual({
      pid: serverProcess,
      started_at: expect.stringMatching(/^\d{4}-\d\d-\d\dT/),
      api_url: `http://127.0.0.1:${server.ports.PORT}/api/v1/`,
      database_url: `postgres://postgres:postgres@127.0.0.1:${server.ports.DEV_PG_PORT}/rental`,
      emulators: {
        cognito: `http://127.0.0.1:${server.ports.DEV_COGNITO_PORT}`,
        s3: `http://127.0.0.1:${server.ports.DEV_S3_PORT}`,
        ses: `http://127.0.0.1:${server.ports.DEV_SES_PORT}`,
        stripe: `http://127.0.0.1:${server.ports.DEV_STRIPE_PORT}`,
      },
      stripe_webhook_secret: expect.any(String),
    });
    expect(Date.parse(runtime.started_at)).not.toBeNaN();
  });

  it('prints one access-log line per request: method, path, status, milliseconds and the request id it answered with', async () => {
    const answer = await fetch(`${server.baseUrl}/api/v1/cars/?start_date=not-a-date`);
    const requestId = answer.headers.get('x-request-id');
    expect(answer.status).toBe(400);
    expect(requestId).toBeTruthy();

    // The line is written once the answer is sent: wait for it, however long that takes.
    const line = new RegExp(`^\\d\\d:\\d\\d:\\d\\d GET /api/v1/cars/\\?start_date=not-a-date 400 \\d+ ms ${requestId}$`, 'm');
    await expect.poll(() => server.output(), { timeout: 10_000 }).toMatch(line);
    expect(server.output().match(new RegExp(requestId!, 'g')), 'lines naming the request').toHaveLength(1);
  });

  it('npm run migrate, seed and stripe:trigger find it through runtime.json alone, with no DATABASE_URL or ports in their environment', async () => {
    const status = await runHelper('migrate', ['status'], server.dataDir);
    expect(status.code, status.stderr).toBe(0);
    expect(status.stdout).toMatch(/^applied .* 2026_11_25_0001_core_schema$/m);
    expect(status.stdout).not.toMatch(/pending/);

    // Into the server's own database: its search then finds the demo fleet.
    const seed = await runHelper('seed', [], server.dataDir);
    expect(seed.code, seed.stderr).toBe(0);
    expect(seed.stdout).toMatch(/Seeded 10 agencies/);
    expect(seed.stdout).not.toMatch(/for the occasion/);
    const day = (offset: number) => new Date(Date.now() + offset * 86_400_000).toISOString().slice(0, 10);
    const search = await fetch(`${server.baseUrl}/api/v1/cars/?start_date=${day(30)}&end_date=${day(32)}&landmark=patong-beach`);
    expect(search.status).toBe(200);
    expect(((await search.json()) as { results: unknown[] }).results.length).toBeGreaterThan(0);

    // It reached the server's database: the booking is unknown there, not unreachable.
    const bookingId = '00000000-0000-4000-8000-000000000000';
    const trigger = await runHelper('stripe:trigger', ['payment_intent.succeeded', '--booking', bookingId], server.dataDir);
    expect(trigger.code).toBe(1);
    expect(trigger.stderr.trim()).toBe(`No booking ${bookingId} with a PaymentIntent in postgres://postgres:***@127.0.0.1:${server.ports.DEV_PG_PORT}/rental`);
  });
});

describe('helper commands with no dev server', { timeout: READY_WITHIN_MS + STOPPED_WITHIN_MS + 20_000 }, () => {
  it('npm run migrate and stripe:trigger print one line saying what to do and exit 1: no stack trace, no ECONNREFUSED', async () => {
    const emptyDataDir = mkdtempSync(path.join(os.tmpdir(), 'rental-no-dev-server-'));
    scratch.push(emptyDataDir);

    expectOneLineHint(await runHelper('migrate', ['status'], emptyDataDir), 'DATABASE_URL');
    expectOneLineHint(
      await runHelper('stripe:trigger', ['payment_intent.succeeded', '--booking', '00000000-0000-4000-8000-000000000000'], emptyDataDir),
      'DATABASE_URL, STRIPE_STANDIN_URL and PORT',
    );
  });

  it('do not trust the runtime.json a killed server left behind', async () => {
    const server = await startHealthy();
    const runtime = JSON.parse(readFileSync(runtimeFileOf(server), 'utf8')) as DevRuntime;

    await killDevServer(server); // kill -9: no chance to remove the file
    expect(existsSync(runtimeFileOf(server)), 'runtime.json left behind').toBe(true);

    const run = await runHelper('migrate', ['status'], server.dataDir);
    expectOneLineHint(run, 'DATABASE_URL');
    expect(run.stderr).toContain(`left from pid ${runtime.pid}`);
  });
});
