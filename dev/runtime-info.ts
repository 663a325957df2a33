/**
 * Where a running `npm run dev` can be reached, written by the server as `runtime.json` in its
 * data directory (.data/dev, or DEV_DATA_DIR) once it listens, and removed when it stops. The
 * helper commands a person runs beside it (`npm run migrate`, `seed`, `stripe:trigger`) read
 * it, so nobody has to export the server's ports again, and when no server runs they say so in
 * one line instead of failing with a connection error's stack trace.
 */
import { randomBytes } from 'node:crypto';
import { readFileSync, renameSync, rmSync, writeFileSync } from 'node:fs';
import net from 'node:net';
import path from 'node:path';
import { fileURLToPath } from 'node:url';

export const RUNTIME_FILE = 'runtime.json';

/** The signing secret the dev server and `stripe:trigger` share unless STRIPE_WEBHOOK_SECRET says otherwise. */
export const LOCAL_WEBHOOK_SECRET = 'whsec_local_development_secret';

export interface DevRuntime {
  /** The process serving the API: while it lives and its port answers, the file is current. */
  pid: number;
  started_at: string;
  /** The API's base URL, e.g. http://127.0.0.1:3000/api/v1/ */
  api_url: string;
  /** The database owner's URL (migrations, seeding); the app itself connects as rental_app / rental_reader. */
  database_url: string;
  emulators: { cognito: string; s3: string; ses: string; stripe: string };
  stripe_webhook_secret: string;
}

const ROOT = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..');

/** Where `npm run dev` keeps PostgreSQL's and the emulators' data, and its runtime file. */
export function devDataDir(): string {
  return process.env.DEV_DATA_DIR ? path.resolve(process.env.DEV_DATA_DIR) : path.join(ROOT, '.data', 'dev');
}

export function runtimeFilePath(dataDir = devDataDir()): string {
  return path.join(dataDir, RUNTIME_FILE);
}

/** The path relative to the working directory when it lies below it (.data/dev/runtime.json), else absolute. */
export function shownPath(file: string): string {
  const relative = path.relative(process.cwd(), file);
  return relative && !relative.startsWith('..') && !path.isAbsolute(relative) ? relative : file;
}

/**
 * Writes the file for this process (replacing whatever a killed server left) and returns the
 * function that removes it. Mode 0600: the database URL carries its password.
 */
export function writeDevRuntime(dataDir: string, info: Omit<DevRuntime, 'pid' | 'started_at'>): () => Promise<void> {
  const file = runtimeFilePath(dataDir);
  const runtime: DevRuntime = { pid: process.pid, started_at: new Date().toISOString(), ...info };
  // Written aside and renamed, so a reader never sees half a file.
  const partial = `${file}.${randomBytes(4).toString('hex')}.tmp`;
  writeFileSync(partial, `${JSON.stringify(runtime, null, 2)}\n`, { mode: 0o600 });
  renameSync(partial, file);
  return async () => {
    // Only our own: a newer server on the same data directory may have replaced it.
    if (readRuntimeFile(file)?.pid === process.pid) rmSync(file, { force: true });
  };
}

function readRuntimeFile(file: string): DevRuntime | undefined {
  let parsed: Partial<DevRuntime>;
  try {
    parsed = JSON.parse(readFileSync(file, 'utf8')) as Partial<DevRuntime>;
  } catch {
    return undefined; // missing or unreadable: as good as no server
  }
  const complete =
    typeof parsed.pid === 'number' &&
    URL.canParse(String(parsed.api_url)) &&
    typeof parsed.database_url === 'string' &&
    typeof parsed.emulators === 'object' &&
    typeof parsed.stripe_webhook_secret === 'string';
  return complete ? (parsed as DevRuntime) : undefined;
}

export type DevServerLookup =
  | { state: 'running'; file: string; runtime: DevRuntime }
  | { state: 'absent'; file: string }
  /** A file whose server is gone (killed, so it could not remove it): never to be trusted. */
  | { state: 'stale'; file: string; runtime: DevRuntime };

/** The dev server that wrote the data directory's runtime file, if its process lives and its port answers. */
export async function findDevServer(dataDir = devDataDir()): Promise<DevServerLookup> {
  const file = runtimeFilePath(dataDir);
  const runtime = readRuntimeFile(file);
  if (!runtime) return { state: 'absent', file };
  // A pid alone can be reused by another process, and a port by another server: both must hold.
  const alive = isProcessAlive(runtime.pid) && (await answers(new URL(runtime.api_url)));
  return alive ? { state: 'running', file, runtime } : { state: 'stale', file, runtime };
}

function isProcessAlive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch (error) {
    return (error as NodeJS.ErrnoException).code === 'EPERM'; // exists, but is another user's
  }
}

function answers(url: URL, timeoutMs = 1_000): Promise<boolean> {
  return new Promise((resolve) => {
    const socket = net.connect(Number(url.port || 80), url.hostname);
    const done = (open: boolean) => {
      socket.destroy();
      resolve(open);
    };
    socket.setTimeout(timeoutMs, () => done(false));
    socket.once('connect', () => done(true));
    socket.once('error', () => done(false));
  });
}

/**
 * What a helper command may need, each named by the environment variable that sets it (a
 * variable set in the environment wins over the runtime file); PORT is the API's port.
 */
const SERVICES: Record<
  'databaseUrl' | 'apiUrl' | 'cognitoEndpoint' | 'stripeStandinUrl' | 'stripeWebhookSecret',
  { variable: string; label: string; fromEnv?: (value: string) => string; fromRuntime: (runtime: DevRuntime) => string }
> = {
  databaseUrl: { variable: 'DATABASE_URL', label: 'PostgreSQL', fromRuntime: (runtime) => runtime.database_url },
  apiUrl: { variable: 'PORT', label: 'the API', fromEnv: (port) => `http://127.0.0.1:${port}/api/v1/`, fromRuntime: (runtime) => runtime.api_url },
  cognitoEndpoint: { variable: 'COGNITO_ENDPOINT', label: 'the Cognito emulator', fromRuntime: (runtime) => runtime.emulators.cognito },
  stripeStandinUrl: { variable: 'STRIPE_STANDIN_URL', label: 'the Stripe stand-in', fromRuntime: (runtime) => runtime.emulators.stripe },
  stripeWebhookSecret: { variable: 'STRIPE_WEBHOOK_SECRET', label: 'the webhook secret', fromRuntime: (runtime) => runtime.stripe_webhook_secret },
};

export type DevService = keyof typeof SERVICES;

/** The environment variables that, set, take precedence over the runtime file. */
export const DEV_SERVICE_VARIABLES: readonly string[] = Object.values(SERVICES).map((service) => service.variable);

/**
 * The services a helper command needs: from the environment where set, the rest from the
 * running dev server's runtime file. Without a running server, the ones still missing are
 * undefined: the caller decides whether it can do without (seed starts its own), or calls
 * {@link requireDevServices}.
 */
export async function devServices<K extends DevService>(
  needed: readonly K[],
): Promise<{ values: Partial<Record<K, string>>; missing: K[]; lookup?: DevServerLookup }> {
  const values: Partial<Record<K, string>> = {};
  for (const name of needed) {
    const set = process.env[SERVICES[name].variable];
    if (set) values[name] = SERVICES[name].fromEnv?.(set) ?? set;
  }
  let missing = needed.filter((name) => values[name] === undefined);
  if (missing.length === 0) return { values, missing };
  const lookup = await findDevServer();
  if (lookup.state === 'running') {
    for (const name of missing) values[name] = SERVICES[name].fromRuntime(lookup.runtime);
    missing = [];
  }
  return { values, missing, lookup };
}

/** Like {@link devServices}, but with something missing it prints the one-line hint and exits 1. */
export async function requireDevServices<K extends DevService>(needed: readonly K[]): Promise<Record<K, string>> {
  const { values, missing, lookup } = await devServices(needed);
  if (missing.length > 0) exitWithMessage(noDevServerMessage(missing, lookup));
  return values as Record<K, string>;
}

/** One line: no server runs (and where we looked, or which one is gone), and what to do about it. */
export function noDevServerMessage(missing: readonly DevService[], lookup?: DevServerLookup): string {
  const variables = missing.map((name) => SERVICES[name].variable);
  const list = variables.length > 1 ? `${variables.slice(0, -1).join(', ')} and ${variables.at(-1)}` : variables[0];
  const where = shownPath(lookup?.file ?? runtimeFilePath());
  const why =
    lookup?.state === 'stale'
      ? `${where} is left from pid ${lookup.runtime.pid}, started ${lookup.runtime.started_at}, which no longer answers`
      : `${where} not found`;
  return `No dev server is running: start it with \`npm run dev\` in another terminal, or set ${list}. (${why}.)`;
}

function exitWithMessage(message: string): never {
  console.error(message);
  process.exit(1);
}

const CONNECTION_ERRORS = new Set(['ECONNREFUSED', 'ECONNRESET', 'ETIMEDOUT', 'EHOSTUNREACH', 'ENOTFOUND', 'EAI_AGAIN']);

/**
 * The socket error's code when the error only says a service did not answer (pg's connect
 * error, fetch's "fetch failed" with the socket error as its cause, Node's AggregateError for
 * a host with two addresses); undefined for anything else, whose stack trace is worth reading.
 */
export function connectionErrorCode(error: unknown): string | undefined {
  let cause = error as { code?: unknown; cause?: unknown } | undefined;
  for (let depth = 0; cause && depth < 5; depth++, cause = cause.cause as typeof cause) {
    if (typeof cause.code === 'string' && CONNECTION_ERRORS.has(cause.code)) return cause.code;
  }
  return undefined;
}

/**
 * One line for a service that did not answer, or undefined when the error is something else.
 * Without the service (several in use), the error's own message names the address.
 */
export function unreachableMessage(error: unknown, command: string, reaching?: { service: DevService; url: string }): string | undefined {
  const code = connectionErrorCode(error);
  if (!code) return undefined;
  const hint = 'is `npm run dev` still running?';
  if (!reaching) return `${command}: ${error instanceof Error && error.message ? error.message : code}: ${hint}`;
  const { label, variable } = SERVICES[reaching.service];
  const shown = reaching.url.replace(/:[^:@/]*@/, ':***@'); // no password on the terminal
  return `${command}: ${label} at ${shown} does not answer (${code}): ${hint} (Or check ${variable}.)`;
}
