import { randomUUID } from 'node:crypto';
import { chmodSync, mkdtempSync, readdirSync, readFileSync, rmSync } from 'node:fs';
import net from 'node:net';
import os from 'node:os';
import path from 'node:path';
import { sql, type Kysely } from 'kysely';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Database } from '#core/database';
import { DATE_HOLDING_STATUSES } from '#core/reservations/table';
import { drainOutbox } from '#core/notifications/delivery';
import { forgetVerifier } from '#platform/auth';
import { forgetConfig } from '#platform/config';
import { closeDb, getDb } from '#platform/db';
import { notificationSender } from '#platform/notifications';
import { ensureCognitoPool, startCognito, startS3, startSes, type Emulator } from '../../dev/emulators';
import { freePort } from '../../dev/ports';
import { ensureDatabase, startEmbeddedPostgres, type RunningPostgres } from '../../dev/postgres';
import { migrate } from '../../dev/stack';
import { useApi, type ApiAnswer } from '../helpers/api';
import { createAgencyAdmin, createCustomer, TEST_PASSWORD, type TestUser } from '../helpers/auth';
import { book } from '../helpers/bookings';
import { bangkokDate, createCarFor, putObject, startUpload, tinyJpeg } from '../helpers/cars';
import { connect } from '../helpers/db';

/**
 * Fault injection: this file runs its own PostgreSQL, Cognito, S3 and SES, kills and
 * freezes them under the local server (the handlers Lambda runs), and checks what the clients
 * see, that this process survives, and what the database holds afterwards. Outcomes only: a
 * client that gets no answer within GIVE_UP_MS (several times the budget of ~9 s,
 * docs/operations.md#time-budgets) counts a failure, however long anything took.
 */
const GIVE_UP_MS = 40_000;
const CLIENTS = 20;
const REQUESTS_PER_CLIENT = 12;

const api = useApi();

const uncaught: unknown[] = [];
const recordUncaught = (error: unknown) => uncaught.push(error);

const savedEnv = { ...process.env };
let workDir: string;
let postgres: RunningPostgres;
let postgresOptions: Parameters<typeof startEmbeddedPostgres>[0];
let ownerUrl: string;
let owner: Kysely<Database>;
let cognito: Emulator;
let cognitoPort: number;
let s3: Emulator;
let s3Port: number;
let ses: Emulator;
let sesPort: number;

beforeAll(async () => {
  // An uncaught error from a pooled client would end the process (`npm run dev`, a Lambda
  // environment); listening keeps this worker alive so that the tests can name the rule.
  process.on('uncaughtException', recordUncaught);
  process.on('unhandledRejection', recordUncaught);
  workDir = mkdtempSync(path.join(os.tmpdir(), 'rental-faults-'));
  chmodSync(workDir, 0o755); // as root, PostgreSQL runs as `postgres` and must reach its data dir
  // Not `throwaway`: its synchronous_commit=off acknowledges commits before their WAL is
  // written, so a SIGKILL loses some of them, which is exactly what this file checks does not
  // happen (fsync stays on too; the data dir is removed with workDir).
  postgresOptions = { dataDir: path.join(workDir, 'postgres'), port: await freePort() };
  [cognitoPort, s3Port, sesPort] = [await freePort(), await freePort(), await freePort()];
  [postgres, cognito, s3, ses] = await Promise.all([
    startEmbeddedPostgres(postgresOptions),
    startCognito({ dataDir: path.join(workDir, 'cognito'), port: cognitoPort }),
    startS3({ dataDir: path.join(workDir, 's3'), port: s3Port }),
    startSes({ port: sesPort }),
  ]);
  await ensureDatabase(postgres.adminUrl, 'rental');
  ownerUrl = postgres.urlFor('rental');
  await migrate(ownerUrl); // also gives rental_app / rental_reader their local password
  const pool = await ensureCognitoPool(cognito.endpoint);

  await closeDb();
  Object.assign(process.env, {
    DATABASE_URL: ownerUrl,
    // As the dev server, which serves every route from one process.
    DB_POOL_MAX: '10',
    // The load below books as a few customers, many times.
    BOOKING_MAX_UNPAID_HOLDS: '100',
    BOOKING_MAX_PER_HOUR: '1000',
    COGNITO_ENDPOINT: cognito.endpoint,
    COGNITO_USER_POOL_ID: pool.userPoolId,
    COGNITO_CLIENT_ID: pool.clientId,
    S3_ENDPOINT: s3.endpoint,
    IMAGES_PUBLIC_BASE_URL: `${s3.endpoint}/${process.env.IMAGES_BUCKET}`,
    SES_ENDPOINT: ses.endpoint,
  });
  forgetConfig();
  forgetVerifier();
  owner = connect<Database>(ownerUrl, 2);
}, 180_000);

afterAll(async () => {
  process.off('uncaughtException', recordUncaught);
  process.off('unhandledRejection', recordUncaught);
  await owner?.destroy();
  await closeDb();
  await Promise.allSettled([cognito?.stop(), s3?.stop(), ses?.stop()]);
  await postgres?.stop();
  if (workDir) rmSync(workDir, { recursive: true, force: true });
  for (const key of Object.keys(process.env)) if (!(key in savedEnv)) delete process.env[key];
  Object.assign(process.env, savedEnv);
  forgetConfig();
  forgetVerifier();
}, 60_000);

// --- processes ------------------------------------------------------------------------------

/** The processes whose parent is `pid` (Linux /proc), i.e. the postmaster's backends and workers. */
function childrenOf(pid: number): number[] {
  const children: number[] = [];
  for (const entry of readdirSync('/proc')) {
    if (!/^\d+$/.test(entry)) continue;
    try {
      const stat = readFileSync(`/proc/${entry}/stat`, 'utf8');
      // "pid (comm) state ppid …": comm may hold spaces and parentheses, so parse after the last ')'.
      const [state, ppid] = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
      if (Number(ppid) === pid && state !== 'Z') children.push(Number(entry));
    } catch {
      // gone meanwhile
    }
  }
  return children;
}

function isRunning(pid: number): boolean {
  try {
    const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
    return stat.slice(stat.lastIndexOf(')') + 2)[0] !== 'Z';
  } catch {
    return false;
  }
}

async function until(condition: () => boolean | Promise<boolean>, what: string, attempts = 600): Promise<void> {
  for (let attempt = 0; attempt < attempts; attempt++) {
    if (await condition()) return;
    await new Promise((resolve) => setTimeout(resolve, 50));
  }
  throw new Error(`gave up waiting for ${what}`);
}

/** SIGKILL of the postmaster, as a crash or an OOM kill would; its backends then exit by themselves. */
async function killPostgres(): Promise<void> {
  const postmaster = postgres.pid!;
  const backends = childrenOf(postmaster);
  process.kill(postmaster, 'SIGKILL');
  // A new postmaster refuses to start while an old backend still holds the shared memory.
  await until(() => [postmaster, ...backends].every((pid) => !isRunning(pid)), 'the killed server to be gone');
}

/** A new postmaster on the same data directory and port: crash recovery, then the same database. */
async function restartPostgres(): Promise<void> {
  for (let attempt = 1; ; attempt++) {
    try {
      postgres = await startEmbeddedPostgres(postgresOptions);
      return;
    } catch (error) {
      if (attempt === 5) throw error;
      await new Promise((resolve) => setTimeout(resolve, 500));
    }
  }
}

/** The postmaster and every backend, so that open connections hang as well as new ones. */
function signalPostgres(signal: 'SIGSTOP' | 'SIGCONT'): void {
  const postmaster = postgres.pid!;
  for (const pid of [postmaster, ...childrenOf(postmaster)]) {
    try {
      process.kill(pid, signal);
    } catch {
      // exited meanwhile
    }
  }
}

// --- clients --------------------------------------------------------------------------------

type Outcome = { status: number; body?: any; retryAfter?: string | null; gaveUp?: string };

/** One request that never waits past GIVE_UP_MS: a hang is an outcome, not a stuck test. */
async function attempt(request: (signal: AbortSignal) => Promise<ApiAnswer>): Promise<Outcome> {
  try {
    const answer = await request(AbortSignal.timeout(GIVE_UP_MS));
    return { status: answer.status, body: answer.body, retryAfter: answer.headers.get('retry-after') };
  } catch (error) {
    return { status: 0, gaveUp: String(error) };
  }
}

async function call(
  method: string,
  url: string,
  options: { token?: string; body?: unknown; headers?: Record<string, string> },
  signal: AbortSignal,
): Promise<ApiAnswer> {
  const headers: Record<string, string> = { ...options.headers };
  if (options.token) headers.authorization = `Bearer ${options.token}`;
  if (options.body !== undefined) headers['content-type'] = 'application/json';
  const response = await fetch(`${api.baseUrl}/api/v1${url}`, {
    method,
    headers,
    body: options.body === undefined ? undefined : JSON.stringify(options.body),
    signal,
  });
  const text = await response.text();
  const body = /json/.test(response.headers.get('content-type') ?? '') && text ? JSON.parse(text) : text;
  return { status: response.status, headers: response.headers, body, text };
}

/** What a client may see while the database dies and comes back: 2xx, 4xx or 503, nothing else. */
const acceptable = (outcome: Outcome) => (outcome.status >= 200 && outcome.status < 500) || outcome.status === 503;

function pick<T>(items: readonly T[]): T {
  return items[Math.floor(Math.random() * items.length)]!;
}

describe('the database dies and hangs under load', () => {
  let customers: TestUser[];
  let carIds: string[];

  beforeAll(async () => {
    const agency = await createAgencyAdmin();
    customers = await Promise.all([createCustomer(), createCustomer(), createCustomer(), createCustomer()]);
    carIds = [];
    for (let index = 0; index < 4; index++) {
      carIds.push((await createCarFor(api, agency.token, { is_published: true, daily_rate: 90_000, deposit_amount: 500_000 })).id);
    }
  }, 120_000);

  const bookRandomly = (signal: AbortSignal, key: string, customer: TestUser) => {
    const start = 10 + Math.floor(Math.random() * 30);
    const body = { car_id: pick(carIds), start_date: bangkokDate(start), end_date: bangkokDate(start + Math.floor(Math.random() * 3)) };
    return call('POST', '/bookings/', { token: customer.token, body, headers: { 'idempotency-key': key } }, signal);
  };
  const search = (signal: AbortSignal) => {
    const start = 10 + Math.floor(Math.random() * 30);
    return call('GET', `/cars/?start_date=${bangkokDate(start)}&end_date=${bangkokDate(start + 2)}&limit=20`, {}, signal);
  };

  it('SIGKILL mid-load: every answer is 2xx, 4xx or 503, the process lives on, recovers once PostgreSQL is back, and no data is lost or doubled', async () => {
    const outcomes: Outcome[] = [];
    const created: { id: string; customerId: string; key: string }[] = [];
    let answered = 0;
    let killed: Promise<void> | undefined;

    const client = async (index: number) => {
      const customer = customers[index % customers.length]!;
      for (let request = 0; request < REQUESTS_PER_CLIENT; request++) {
        const key = randomUUID();
        const outcome = await attempt((signal) => (request % 2 === 0 ? bookRandomly(signal, key, customer) : search(signal)));
        outcomes.push(outcome);
        if (outcome.status === 201) created.push({ id: outcome.body.id, customerId: customer.user.id, key });
        // Kill the server once the load is well under way, while requests are in flight.
        if (++answered === Math.floor((CLIENTS * REQUESTS_PER_CLIENT) / 3)) killed = killPostgres();
        // A client backs off a little after a 503, as Retry-After asks (shortened here).
        if (outcome.status === 503) await new Promise((resolve) => setTimeout(resolve, 100));
      }
    };
    await Promise.all(Array.from({ length: CLIENTS }, (_, index) => client(index)));
    await killed;

    expect(outcomes.filter((outcome) => !acceptable(outcome))).toEqual([]);
    expect(outcomes.some((outcome) => outcome.status === 503)).toBe(true); // the fault did happen
    expect(created.length).toBeGreaterThan(0); // and so did real work before it
    expect(uncaught).toEqual([]);

    // Back on the same data directory: the next requests succeed, with the same process and pools.
    await restartPostgres();
    const search200 = await attempt((signal) => search(signal));
    const booking = await attempt((signal) =>
      call(
        'POST',
        '/bookings/',
        {
          token: customers[0]!.token,
          body: { car_id: carIds[0], start_date: bangkokDate(60), end_date: bangkokDate(61) },
          headers: { 'idempotency-key': randomUUID() },
        },
        signal,
      ),
    );
    expect([search200.status, booking.status]).toEqual([200, 201]);
    created.push({ id: booking.body.id, customerId: customers[0]!.user.id, key: '' });

    // Integrity, in SQL, as the owner.
    const holding = sql.join(DATE_HOLDING_STATUSES.map((status) => sql.lit(status)));
    const overlaps = await sql<{ a: string; b: string }>`
      SELECT a.id AS a, b.id AS b FROM reservations a JOIN reservations b
        ON a.car_id = b.car_id AND a.id < b.id AND a.period && b.period
      WHERE a.status IN (${holding}) AND b.status IN (${holding})`.execute(owner);
    expect(overlaps.rows).toEqual([]);

    const ids = created.map((booking) => booking.id);
    const present = await owner.selectFrom('reservations').select('id').where('id', 'in', ids).execute();
    expect(present.map((row) => row.id).sort()).toEqual([...ids].sort());

    // A key is claimed in the transaction that inserts its booking: a key without one (NULL, or
    // a booking that is gone) would replay or resume nothing.
    const orphanKeys = await sql<{ key: string }>`
      SELECT k.key FROM idempotency_keys k LEFT JOIN reservations r ON r.id = k.reservation_id
      WHERE r.id IS NULL`.execute(owner);
    expect(orphanKeys.rows).toEqual([]);
    // Every 201 answered under a key is the booking that key now replays.
    for (const booking of created.filter((row) => row.key)) {
      const key = await owner
        .selectFrom('idempotency_keys')
        .select('reservation_id')
        .where('customer_id', '=', booking.customerId)
        .where('key', '=', booking.key)
        .executeTakeFirst();
      expect(key?.reservation_id).toBe(booking.id);
    }

    const received = await owner
      .selectFrom('notifications')
      .select('reservation_id')
      .where('kind', '=', 'booking_received')
      .where('reservation_id', 'in', ids)
      .execute();
    expect(new Set(received.map((row) => row.reservation_id))).toEqual(new Set(ids));
  }, 180_000);

  it('SIGSTOP: a frozen PostgreSQL answers 503 with Retry-After within the budget, then recovers after SIGCONT', async () => {
    // Open connections in the pool first, so both kinds hang: a query on an open connection
    // (only the client's query_timeout ends it) and a new connection (connectionTimeoutMillis).
    await Promise.all(Array.from({ length: 4 }, () => attempt((signal) => search(signal))));
    signalPostgres('SIGSTOP');
    let frozen: Outcome[];
    try {
      frozen = await Promise.all([
        ...Array.from({ length: 6 }, () => attempt((signal) => search(signal))),
        ...customers.map((customer) => attempt((signal) => bookRandomly(signal, randomUUID(), customer))),
        attempt((signal) => call('GET', '/health/', {}, signal)),
      ]);
    } finally {
      signalPostgres('SIGCONT');
    }
    // Each got a 503 before the client gave up: none hung until GIVE_UP_MS.
    expect(frozen.map((outcome) => outcome.gaveUp ?? outcome.status)).toEqual(frozen.map(() => 503));
    for (const outcome of frozen) {
      expect(outcome.retryAfter).toMatch(/^[1-9]\d*$/);
      expect(outcome.body).toMatchObject({ type: '/api/v1/problems/service-unavailable/', status: 503 });
    }
    expect(uncaught).toEqual([]);

    const after = await attempt((signal) => search(signal));
    expect(after.status).toBe(200);
    const health = await attempt((signal) => call('GET', '/health/', {}, signal));
    expect(health.status).toBe(200);
  }, 120_000);

  it('the roles carry the server-side time budget (statement, lock and idle-in-transaction timeouts)', async () => {
    const settings = await sql<{ role: string; setting: string }>`
      SELECT r.rolname AS role, unnest(s.setconfig) AS setting
      FROM pg_db_role_setting s JOIN pg_roles r ON r.oid = s.setrole
      WHERE r.rolname IN ('rental_app', 'rental_reader') AND s.setdatabase = 0
      ORDER BY 1, 2`.execute(owner);
    const expected = ['idle_in_transaction_session_timeout=10s', 'lock_timeout=3s', 'statement_timeout=5s'];
    expect(settings.rows).toEqual([
      ...expected.map((setting) => ({ role: 'rental_app', setting })),
      ...expected.map((setting) => ({ role: 'rental_reader', setting })),
    ]);
    // … which the app's own sessions get at login, with no SET of theirs (RDS Proxy would pin it).
    for (const access of ['read', 'write'] as const) {
      const { rows } = await sql<{ statement_timeout: string }>`SHOW statement_timeout`.execute(getDb(access));
      expect(rows[0]?.statement_timeout).toBe('5s');
    }
  }, 30_000);
});

/**
 * A TCP relay in front of PostgreSQL that can black-hole the connections it carries while still
 * opening new ones: an Aurora failover or an RDS Proxy restart, seen from the client, leaves
 * its old connections silent (no reset) while the endpoint answers again.
 */
function blackHolingRelay(target: URL) {
  const pairs = new Set<{ client: net.Socket; upstream: net.Socket }>();
  const server = net.createServer((client) => {
    const upstream = net.connect(Number(target.port), target.hostname);
    const pair = { client, upstream };
    pairs.add(pair);
    client.pipe(upstream).pipe(client);
    const close = () => {
      client.destroy();
      upstream.destroy();
      pairs.delete(pair);
    };
    client.on('error', close).on('close', close);
    upstream.on('error', close).on('close', close);
  });
  return {
    listen: () => new Promise<number>((resolve) => server.listen(0, '127.0.0.1', () => resolve((server.address() as net.AddressInfo).port))),
    /** From now on nothing passes on the connections open so far; new ones work. */
    silenceOpenConnections() {
      for (const { client, upstream } of pairs) {
        client.unpipe(upstream);
        upstream.unpipe(client);
        client.pause();
        upstream.pause();
      }
    },
    close: async () => {
      for (const { client, upstream } of pairs) {
        client.destroy();
        upstream.destroy();
      }
      await new Promise((resolve) => server.close(resolve));
    },
  };
}

describe('a connection that goes silent (failover, proxy restart)', () => {
  it('is dropped after its query times out (503), and the next request gets a fresh connection (200), with one connection in the pool as in Lambda', async () => {
    const relay = blackHolingRelay(new URL(ownerUrl));
    const relayUrl = new URL(ownerUrl);
    relayUrl.port = String(await relay.listen());
    await closeDb();
    Object.assign(process.env, { DATABASE_URL: relayUrl.toString(), DB_POOL_MAX: '1' });
    forgetConfig();
    const landmarks = () => attempt((signal) => call('GET', '/landmarks/', {}, signal));
    try {
      expect((await landmarks()).status).toBe(200); // the pool's one connection is open
      relay.silenceOpenConnections();
      const silent = await landmarks();
      expect(silent.gaveUp ?? silent.status).toBe(503);
      // Reused, the silent connection would still wait for its old answer and fail this one too.
      expect((await landmarks()).status).toBe(200);
      expect(uncaught).toEqual([]);
    } finally {
      await closeDb();
      Object.assign(process.env, { DATABASE_URL: ownerUrl, DB_POOL_MAX: '10' });
      forgetConfig();
      await relay.close();
    }
  }, 60_000);
});

describe('the emulated AWS services stop in turn', () => {
  let agency: TestUser;
  let carId: string;

  beforeAll(async () => {
    agency = await createAgencyAdmin();
    carId = (await createCarFor(api, agency.token, { is_published: true })).id;
  }, 60_000);

  it('Cognito down: signing in answers 503 (signed-in and public routes still work: the keys are cached), and recovers', async () => {
    expect((await api.get('/me/', { token: agency.token })).status).toBe(200); // the JWKS is now cached
    await cognito.stop();
    try {
      const signIn = await api.post('/auth/token/', { email: agency.email, password: TEST_PASSWORD });
      expect(signIn.status).toBe(503);
      expect(signIn.headers.get('retry-after')).toMatch(/^\d+$/);
      expect(signIn.headers.get('content-type')).toBe('application/problem+json');
      expect((await api.get('/me/', { token: agency.token })).status).toBe(200);
      expect((await api.get(`/cars/${carId}/`)).status).toBe(200);
    } finally {
      cognito = await startCognito({ dataDir: path.join(workDir, 'cognito'), port: cognitoPort });
    }
    expect((await api.post('/auth/token/', { email: agency.email, password: TEST_PASSWORD })).status).toBe(200);
  }, 60_000);

  it('S3 down: confirming a photo answers 503 (other routes work), and the same upload confirms once S3 is back', async () => {
    const bytes = tinyJpeg();
    const started = await startUpload(api, agency.token, carId, { content_type: 'image/jpeg', content_length: bytes.length });
    expect(await putObject(started.upload.url, bytes, 'image/jpeg')).toBe(200);
    await s3.stop();
    const confirmPath = `/agency/cars/${carId}/images/${started.id}/confirm/`;
    try {
      const confirm = await api.post(confirmPath, undefined, { token: agency.token });
      expect(confirm.status).toBe(503);
      expect(confirm.headers.get('retry-after')).toMatch(/^\d+$/);
      expect((await api.get(`/agency/cars/${carId}/`, { token: agency.token })).status).toBe(200);
    } finally {
      s3 = await startS3({ dataDir: path.join(workDir, 's3'), port: s3Port });
    }
    const confirmed = await api.post(confirmPath, undefined, { token: agency.token });
    expect(confirmed.status).toBe(200);
    expect(confirmed.body.status).toBe('ready');
  }, 60_000);

  it('SES down: booking still answers 201, the outbox keeps its e-mail and sends it once SES is back', async () => {
    const customer = await createCustomer();
    // The earlier tests' mail goes out first, so that what follows concerns this booking only.
    while ((await drainOutbox(getDb('write'), notificationSender())).sent > 0);
    await ses.stop();
    let bookingId: string;
    try {
      const booked = await book(api, customer.token, { car_id: carId, start_date: bangkokDate(70), end_date: bangkokDate(71) });
      expect(booked.status).toBe(201);
      bookingId = booked.body.id;
      await drainOutbox(getDb('write'), notificationSender());
      const kept = await owner
        .selectFrom('notifications')
        .select(['status', 'sent_at'])
        .where('reservation_id', '=', bookingId)
        .where('kind', '=', 'booking_received')
        .executeTakeFirstOrThrow();
      expect(kept.sent_at).toBeNull();
      expect(kept.status).not.toBe('failed');
    } finally {
      ses = await startSes({ port: sesPort });
    }
    // The retry is due after its back-off; move it forward instead of waiting.
    await owner
      .updateTable('notifications')
      .set({ available_at: sql<Date>`now()` })
      .where('reservation_id', '=', bookingId)
      .where('status', '=', 'pending')
      .execute();
    await drainOutbox(getDb('write'), notificationSender());
    const sent = await owner
      .selectFrom('notifications')
      .select('status')
      .where('reservation_id', '=', bookingId)
      .where('kind', '=', 'booking_received')
      .executeTakeFirstOrThrow();
    expect(sent.status).toBe('sent');
    const store = (await (await fetch(`${ses.endpoint}/store`)).json()) as { emails: { destination: { to: string[] } }[] };
    expect(store.emails.some((mail) => mail.destination.to.includes(customer.email))).toBe(true);
  }, 60_000);
});
