/**
 * `npm run stripe:trigger -- <event type> --booking <id>`: what a customer's payment and
 * `stripe trigger` do for a real account, against the local Stripe stand-in. Finds the
 * booking's PaymentIntent, moves it to the event's state through the stand-in's control API
 * (which refuses moves Stripe never makes, e.g. succeeding a canceled intent), then signs the
 * event whose data.object is the intent as the stand-in now has it and posts it to the local
 * server, so the webhook and the intent always agree.
 *   event types: payment_intent.succeeded | payment_intent.processing |
 *                payment_intent.payment_failed | payment_intent.canceled
 * Where the database, the stand-in and the API are: DATABASE_URL, STRIPE_STANDIN_URL and PORT
 * when set, else the running `npm run dev`'s runtime file (dev/runtime-info.ts), which also
 * gives the webhook secret the server checks; the key is STRIPE_SECRET_KEY or the stand-in's.
 */
import { randomBytes } from 'node:crypto';
import pg from 'pg';
import { signWebhookPayload } from '#platform/payments';
import { devServices, LOCAL_WEBHOOK_SECRET, requireDevServices, unreachableMessage, type DevService } from './runtime-info';
import { STANDIN_SECRET_KEY } from './stripe-standin';

const MOVES: Record<string, string> = {
  'payment_intent.succeeded': 'succeed',
  'payment_intent.processing': 'processing',
  'payment_intent.payment_failed': 'fail',
  'payment_intent.canceled': 'cancel',
};

const [type, flag, bookingId] = process.argv.slice(2);
if (!type || !(type in MOVES) || flag !== '--booking' || !bookingId) {
  console.error(`usage: npm run stripe:trigger -- <${Object.keys(MOVES).join('|')}> --booking <booking id>`);
  process.exit(2);
}

const { databaseUrl, stripeStandinUrl, apiUrl } = await requireDevServices(['databaseUrl', 'stripeStandinUrl', 'apiUrl']);
// The secret the running server checks (its runtime file), else the one both default to.
const stripeWebhookSecret = (await devServices(['stripeWebhookSecret'])).values.stripeWebhookSecret ?? LOCAL_WEBHOOK_SECRET;

/** A service that does not answer ends the command with one line; anything else keeps its stack. */
function failOn(service: DevService, url: string) {
  return (error: unknown): never => {
    const unreachable = unreachableMessage(error, 'npm run stripe:trigger', { service, url });
    if (!unreachable) throw error;
    console.error(unreachable);
    process.exit(1);
  };
}

const client = new pg.Client({ connectionString: databaseUrl });
// Unheard, a connection lost mid-query would crash with pg's event instead of the query's error.
client.on('error', () => {});
const { rows } = await client
  .connect()
  .then(() =>
    client.query<{ payment_intent_id: string | null }>('SELECT payment_intent_id FROM reservations WHERE id = $1 AND kind = $2', [bookingId, 'booking']),
  )
  .catch(failOn('databaseUrl', databaseUrl))
  .finally(() => client.end().catch(() => {}));
const intentId = rows[0]?.payment_intent_id;
if (!intentId) {
  console.error(`No booking ${bookingId} with a PaymentIntent in ${databaseUrl.replace(/:[^:@/]*@/, ':***@')}`);
  process.exit(1);
}

const moved = await fetch(`${stripeStandinUrl}/_standin/intents/${intentId}/${MOVES[type]}`, {
  method: 'POST',
  headers: { authorization: `Bearer ${process.env.STRIPE_SECRET_KEY ?? STANDIN_SECRET_KEY}` },
}).catch(failOn('stripeStandinUrl', stripeStandinUrl));
const intent = (await moved.json()) as { error?: { message: string } };
if (!moved.ok) {
  // Nothing is sent: an event for a move Stripe would not make would contradict the intent.
  console.error(`The stand-in refused to move ${intentId} (${moved.status}): ${intent.error?.message ?? JSON.stringify(intent)}`);
  process.exit(1);
}

const payload = JSON.stringify({
  id: `evt_local_${randomBytes(12).toString('hex')}`,
  object: 'event',
  type,
  api_version: '2025-01-27.acacia',
  created: Math.floor(Date.now() / 1000),
  livemode: false,
  pending_webhooks: 1,
  request: { id: null, idempotency_key: null },
  data: { object: intent },
});
const url = new URL('payments/webhook/', apiUrl).toString();
const response = await fetch(url, {
  method: 'POST',
  headers: { 'content-type': 'application/json', 'stripe-signature': signWebhookPayload(payload, stripeWebhookSecret) },
  body: payload,
}).catch(failOn('apiUrl', apiUrl));
console.log(`${type} → ${url}: ${response.status} ${await response.text()}`);
process.exit(response.ok ? 0 : 1);
