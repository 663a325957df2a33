/**
 * `npm run soak -- --minutes 10`: mixed traffic against `npm run dev` (started here as a child
 * process, with its own data directory, free ports and the demo catalogue) for a while, with a
 * small injected fault rate at the Stripe stand-in, printing per minute: requests/s, p99, 5xx,
 * and the RSS of the API's process tree. It fails (exit 1) on any 500, and on any 5xx other than
 * the 503s of injected Stripe faults.
 *
 * Options: --minutes N (default 10), --clients N (in flight, default 8), --fault-rate R (share of
 * Stripe API calls answered 500 by the stand-in, default 0.02), --customers N (default 40),
 * --heap-mb N (caps the API's V8 heap, so a leak fails the run).
 * Traffic: search by landmark and dates, car detail, book, pay (stand-in + signed webhook), cancel,
 * agency booking list and confirm. The hold limits are raised for the run (many bookings an hour
 * per customer), so bookings succeed rather than answer 429.
 */
import { spawn } from 'node:child_process';
import { randomUUID } from 'node:crypto';
import { chmodSync, mkdtempSync, readdirSync, readFileSync, rmSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { performance } from 'node:perf_hooks';
import { parseArgs } from 'node:util';
import { addDays, todayInBangkok } from '#core/availability/dates';
import { signWebhookPayload } from '#platform/payments';
import { freePort } from '../dev/ports';
import { STANDIN_SECRET_KEY } from '../dev/stripe-standin';

const { values } = parseArgs({
  options: {
    minutes: { type: 'string', default: '10' },
    clients: { type: 'string', default: '8' },
    'fault-rate': { type: 'string', default: '0.02' },
    customers: { type: 'string', default: '40' },
    'heap-mb': { type: 'string' },
  },
});
const MINUTES = Number(values.minutes);
const CLIENTS = Number(values.clients);
const FAULT_RATE = Number(values['fault-rate']);
const CUSTOMERS = Number(values.customers);
const PASSWORD = 'Soak-Test-2027';
const WEBHOOK_SECRET = 'whsec_local_development_secret';
const ROOT = path.resolve(import.meta.dirname, '..');

// ── the API, as `npm run dev` runs it ───────────────────────────────────────────────────────
const dataDir = mkdtempSync(path.join(os.tmpdir(), 'soak-'));
chmodSync(dataDir, 0o755);
const ports = {
  PORT: await freePort(),
  DEV_PG_PORT: await freePort(),
  DEV_COGNITO_PORT: await freePort(),
  DEV_S3_PORT: await freePort(),
  DEV_SES_PORT: await freePort(),
  DEV_STRIPE_PORT: await freePort(),
};
const env: NodeJS.ProcessEnv = { ...process.env, DEV_DATA_DIR: dataDir, BOOKING_MAX_UNPAID_HOLDS: '100', BOOKING_MAX_PER_HOUR: '1000' };
// --heap-mb caps the API's V8 heap: a leak then ends the run (out of memory) instead of hiding
// behind a lazy garbage collector, and a flat RSS under the cap shows what the process needs.
if (values['heap-mb']) env.NODE_OPTIONS = `${env.NODE_OPTIONS ?? ''} --max-old-space-size=${Number(values['heap-mb'])}`.trim();
for (const [name, port] of Object.entries(ports)) env[name] = String(port);
delete env.DATABASE_URL;
const server = spawn(process.execPath, [path.join(ROOT, 'node_modules', '.bin', 'tsx'), 'dev/server.ts'], {
  cwd: ROOT,
  env,
  detached: true,
  stdio: ['ignore', 'ignore', 'pipe'],
});
let serverLog = '';
server.stderr.on('data', (chunk: Buffer) => (serverLog = (serverLog + chunk.toString()).slice(-20_000)));
let stopping = false;
server.once('exit', (code, signal) => {
  if (!stopping) {
    console.error(`the API process exited during the soak (code ${code}, signal ${signal}):\n${serverLog}`);
    process.exit(1);
  }
});
async function stopServer() {
  stopping = true;
  try {
    process.kill(-server.pid!, 'SIGINT');
  } catch {
    /* already gone */
  }
  await new Promise((resolve) => (server.exitCode !== null ? resolve(undefined) : server.once('exit', resolve)));
  rmSync(dataDir, { recursive: true, force: true });
}
process.on('SIGINT', () => void stopServer().then(() => process.exit(130)));

const API = `http://127.0.0.1:${ports.PORT}/api/v1`;
const SES = `http://127.0.0.1:${ports.DEV_SES_PORT}`;
const STANDIN = `http://127.0.0.1:${ports.DEV_STRIPE_PORT}`;

for (let waited = 0; ; waited += 250) {
  const healthy = await fetch(`${API}/health/`)
    .then((answer) => answer.ok)
    .catch(() => false);
  if (healthy) break;
  if (waited > 120_000) throw new Error(`the API did not become healthy:\n${serverLog}`);
  await new Promise((resolve) => setTimeout(resolve, 250));
}

/** RSS of the API's process tree (the npm/tsx relay and the server), from /proc, in MB. */
function apiRssMb(): number {
  const children = new Map<number, number[]>();
  for (const entry of readdirSync('/proc')) {
    if (!/^\d+$/.test(entry)) continue;
    try {
      const stat = readFileSync(`/proc/${entry}/stat`, 'utf8');
      const ppid = Number(stat.slice(stat.lastIndexOf(')') + 2).split(' ')[1]);
      children.set(ppid, [...(children.get(ppid) ?? []), Number(entry)]);
    } catch {
      /* gone meanwhile */
    }
  }
  let kb = 0;
  const visit = (pid: number) => {
    try {
      // PostgreSQL's own processes are left out: it is the database, not the API process.
      const command = readFileSync(`/proc/${pid}/cmdline`, 'utf8');
      if (!command.includes('postgres')) kb += Number(/VmRSS:\s+(\d+)/.exec(readFileSync(`/proc/${pid}/status`, 'utf8'))?.[1] ?? 0);
    } catch {
      return;
    }
    for (const child of children.get(pid) ?? []) visit(child);
  };
  visit(server.pid!);
  return kb / 1024;
}

// ── the clients' world ─────────────────────────────────────────────────────────────────────
async function call(method: string, pathname: string, options: { token?: string; body?: unknown; headers?: Record<string, string>; raw?: string } = {}) {
  const headers: Record<string, string> = { ...options.headers };
  if (options.token) headers.authorization = `Bearer ${options.token}`;
  if (options.body !== undefined) headers['content-type'] = 'application/json';
  const started = performance.now();
  const answer = await fetch(`${API}${pathname}`, {
    method,
    headers,
    body: options.raw ?? (options.body === undefined ? undefined : JSON.stringify(options.body)),
    signal: AbortSignal.timeout(30_000),
  });
  const text = await answer.text();
  return {
    status: answer.status,
    body: text && /json/.test(answer.headers.get('content-type') ?? '') ? JSON.parse(text) : text,
    ms: performance.now() - started,
  };
}

async function verifiedCustomer(index: number): Promise<string> {
  const email = `soak-${index}-${randomUUID().slice(0, 8)}@example.com`;
  const registered = await call('POST', '/auth/register/', { body: { email, password: PASSWORD, full_name: `Soak Traveller ${index}`, role: 'customer' } });
  if (registered.status !== 201) throw new Error(`register: ${registered.status} ${JSON.stringify(registered.body)}`);
  for (let tries = 0; tries < 100; tries++) {
    const { emails } = (await (await fetch(`${SES}/store`)).json()) as { emails: Array<{ destination: { to: string[] }; body: { text?: string } }> };
    const code = emails
      .filter((mail) => mail.destination.to.includes(email))
      .at(-1)
      ?.body.text?.match(/\b(\d{6})\b/)?.[1];
    if (code) {
      const verified = await call('POST', '/auth/verify/', { body: { email, code } });
      if (verified.status !== 200) throw new Error(`verify: ${verified.status}`);
      break;
    }
    await new Promise((resolve) => setTimeout(resolve, 200));
  }
  const tokens = await call('POST', '/auth/token/', { body: { email, password: PASSWORD } });
  return tokens.body.access_token as string;
}

const customers: string[] = [];
for (let index = 0; index < CUSTOMERS; index++) customers.push(await verifiedCustomer(index));
const agencyToken = (await call('POST', '/auth/token/', { body: { email: 'demo.agency@example.com', password: 'Phuket-2027' } })).body.access_token as string;
const landmarks = ((await call('GET', '/landmarks/?limit=100')).body.results as Array<{ slug: string }>).map((landmark) => landmark.slug);
await fetch(`${STANDIN}/_standin/faults`, {
  method: 'PUT',
  headers: { authorization: `Bearer ${STANDIN_SECRET_KEY}`, 'content-type': 'application/json' },
  body: JSON.stringify({ errorRate: FAULT_RATE, seed: 20261203 }),
});

const today = todayInBangkok();
const random = (max: number) => Math.floor(Math.random() * max);
const pick = <T>(items: readonly T[]): T => items[random(items.length)]!;
const pending: Array<{ id: string; intent: string; token: string }> = [];
const confirmed: Array<{ id: string; token: string }> = [];

/** One request of the mix; returns its answer, labelled. */
async function step(): Promise<{ label: string; status: number; ms: number }> {
  const roll = Math.random();
  const start = addDays(today, 7 + random(300));
  const end = addDays(start, random(4));
  if (roll < 0.45) {
    const answer = await call('GET', `/cars/?start_date=${start}&end_date=${end}&landmark=${pick(landmarks)}&radius_km=15&limit=20`);
    return { label: 'search', ...answer };
  }
  if (roll < 0.6) {
    const found = await call('GET', `/cars/?start_date=${start}&end_date=${end}&limit=20`);
    const car = (found.body.results as Array<{ id: string }> | undefined)?.[0];
    if (!car) return { label: 'search', ...found };
    return { label: 'detail', ...(await call('GET', `/cars/${car.id}/?start_date=${start}&end_date=${end}`)) };
  }
  if (roll < 0.8) {
    const found = await call('GET', `/cars/?start_date=${start}&end_date=${end}&limit=50`);
    const cars = (found.body.results as Array<{ id: string }> | undefined) ?? [];
    if (cars.length === 0) return { label: 'search', ...found };
    const token = pick(customers);
    const booked = await call('POST', '/bookings/', {
      token,
      body: { car_id: pick(cars).id, start_date: start, end_date: end },
      headers: { 'idempotency-key': randomUUID() },
    });
    if (booked.status === 201) pending.push({ id: booked.body.id, intent: booked.body.payment.intent_id, token });
    return { label: 'book', ...booked };
  }
  if (roll < 0.9 && pending.length > 0) {
    const booking = pending.splice(random(pending.length), 1)[0]!;
    // The customer pays at Stripe (the stand-in), then Stripe tells us, signed.
    const moved = await fetch(`${STANDIN}/_standin/intents/${booking.intent}/succeed`, {
      method: 'POST',
      headers: { authorization: `Bearer ${STANDIN_SECRET_KEY}` },
    });
    if (!moved.ok) return { label: 'pay', status: 200, ms: 0 }; // already cancelled (expired hold): nothing to pay
    const intent = await moved.json();
    const payload = JSON.stringify({
      id: `evt_soak_${randomUUID().replaceAll('-', '')}`,
      object: 'event',
      type: 'payment_intent.succeeded',
      data: { object: intent },
    });
    const deliver = () =>
      call('POST', '/payments/webhook/', {
        raw: payload,
        headers: { 'content-type': 'application/json', 'stripe-signature': signWebhookPayload(payload, WEBHOOK_SECRET) },
      });
    let paid = await deliver();
    // The webhook reads the intent back from Stripe; an injected fault there answers 503, and
    // Stripe delivers the event again (here after a second, up to 3 times). Only an event that
    // still fails is a failure.
    let redelivered = false;
    for (let redelivery = 1; paid.status === 503 && redelivery <= 3; redelivery += 1) {
      await new Promise((resolve) => setTimeout(resolve, 1000));
      paid = await deliver();
      redelivered = true;
    }
    if (paid.status === 200) confirmed.push({ id: booking.id, token: booking.token });
    return { label: redelivered && paid.status < 500 ? 'pay-redelivered' : 'pay', ...paid };
  }
  if (roll < 0.95 && confirmed.length > 0) {
    const booking = confirmed.splice(random(confirmed.length), 1)[0]!;
    return { label: 'cancel', ...(await call('POST', `/bookings/${booking.id}/cancel/`, { token: booking.token })) };
  }
  const listed = await call('GET', '/agency/bookings/?status=pending&limit=5', { token: agencyToken });
  const booking = (listed.body.results as Array<{ id: string }> | undefined)?.[0];
  if (!booking) return { label: 'agency', ...listed };
  return { label: 'agency', ...(await call('PATCH', `/agency/bookings/${booking.id}/`, { token: agencyToken, body: { status: 'confirmed' } })) };
}

// ── the run ────────────────────────────────────────────────────────────────────────────────
interface Minute {
  requests: number;
  latencies: number[];
  serverErrors: number;
  injected503: number;
  statuses: Map<number, number>;
}
const newMinute = (): Minute => ({ requests: 0, latencies: [], serverErrors: 0, injected503: 0, statuses: new Map() });
let minute = newMinute();
const rows: string[] = [];
let failures = 0;
const started = Date.now();
const ends = started + MINUTES * 60_000;

console.log(`soak: ${MINUTES} min, ${CLIENTS} clients, ${CUSTOMERS} customers, Stripe fault rate ${FAULT_RATE}; API RSS at start ${apiRssMb().toFixed(0)} MB`);
console.log('| minute | requests/s | p99 ms | 5xx (other) | 503 at booking, or webhook redelivered (injected Stripe faults) | statuses | API RSS MB |');
console.log('| --- | --- | --- | --- | --- | --- | --- |');
let minuteStarted = Date.now();
function report(label: string) {
  const seconds = Math.max(1, (Date.now() - minuteStarted) / 1000);
  const sorted = minute.latencies.sort((a, b) => a - b);
  const p99 = sorted[Math.min(sorted.length - 1, Math.floor(0.99 * sorted.length))] ?? 0;
  const row = `| ${label} | ${(minute.requests / seconds).toFixed(1)} | ${p99.toFixed(0)} | ${minute.serverErrors} | ${minute.injected503} | ${[
    ...minute.statuses,
  ]
    .sort()
    .map(([status, count]) => `${status}×${count}`)
    .join(' ')} | ${apiRssMb().toFixed(0)} |`;
  rows.push(row);
  console.log(row);
  minute = newMinute();
  minuteStarted = Date.now();
}
const ticker = setInterval(() => report(String(rows.length + 1)), 60_000);

await Promise.all(
  Array.from({ length: CLIENTS }, async () => {
    while (Date.now() < ends) {
      const answer = await step().catch((error: unknown) => ({ label: 'error', status: 0, ms: 0, error }));
      minute.requests += 1;
      minute.latencies.push(answer.ms);
      minute.statuses.set(answer.status, (minute.statuses.get(answer.status) ?? 0) + 1);
      // A booking's 503 is what an injected Stripe fault must give (with Retry-After); anything else 5xx, or no answer, is a failure.
      if ((answer.label === 'book' && answer.status === 503) || answer.label === 'pay-redelivered') minute.injected503 += 1;
      else if (answer.status >= 500 || answer.status === 0) {
        minute.serverErrors += 1;
        failures += 1;
        if (failures <= 5) console.error(`${answer.label} answered ${answer.status}`, 'error' in answer ? String(answer.error) : '');
      }
    }
  }),
);
clearInterval(ticker);
if (minute.requests > 0) report('end');
console.log(`soak done: ${failures} failures (5xx other than injected, or no answer); API RSS at end ${apiRssMb().toFixed(0)} MB`);
if (failures > 0) console.error(`the API's last log lines:\n${serverLog.slice(-4000)}`);
await stopServer();
process.exit(failures > 0 ? 1 : 0);
