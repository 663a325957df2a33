/**
 * `npm run stripe:trigger -- <event type> --booking <id>`: what `stripe trigger` does for a
 * real account, for the offline provider. Finds the booking's PaymentIntent, builds the event
 * Stripe would send, signs it with STRIPE_WEBHOOK_SECRET and posts it to the local server.
 *   event types: payment_intent.succeeded | payment_intent.payment_failed | payment_intent.canceled
 */
import { randomBytes } from 'node:crypto';
import pg from 'pg';
import { signWebhookPayload } from '#platform/payments';

const [type, flag, bookingId] = process.argv.slice(2);
const TYPES = ['payment_intent.succeeded', 'payment_intent.payment_failed', 'payment_intent.canceled'];
if (!type || !TYPES.includes(type) || flag !== '--booking' || !bookingId) {
  console.error(`usage: npm run stripe:trigger -- <${TYPES.join('|')}> --booking <booking id>`);
  process.exit(2);
}

const databaseUrl = process.env.DATABASE_URL ?? `postgres://postgres:postgres@127.0.0.1:${process.env.DEV_PG_PORT ?? 54329}/rental`;
const client = new pg.Client({ connectionString: databaseUrl });
await client.connect();
const { rows } = await client.query<{ payment_intent_id: string | null; deposit_amount: number }>(
  'SELECT payment_intent_id, deposit_amount FROM reservations WHERE id = $1 AND kind = $2',
  [bookingId, 'booking'],
);
await client.end();
const booking = rows[0];
if (!booking?.payment_intent_id) {
  console.error(`No booking ${bookingId} with a PaymentIntent in ${databaseUrl.replace(/:[^:@/]*@/, ':***@')}`);
  process.exit(1);
}

const status = { 'payment_intent.succeeded': 'succeeded', 'payment_intent.payment_failed': 'requires_payment_method', 'payment_intent.canceled': 'canceled' }[type];
const payload = JSON.stringify({
  id: `evt_local_${randomBytes(12).toString('hex')}`,
  object: 'event',
  type,
  api_version: '2025-01-27.acacia',
  created: Math.floor(Date.now() / 1000),
  livemode: false,
  data: {
    object: {
      id: booking.payment_intent_id,
      object: 'payment_intent',
      amount: booking.deposit_amount,
      currency: 'thb',
      status,
      metadata: { booking_id: bookingId },
    },
  },
});
const url = `http://127.0.0.1:${process.env.PORT ?? 3000}/api/v1/payments/webhook/`;
const response = await fetch(url, {
  method: 'POST',
  headers: { 'content-type': 'application/json', 'stripe-signature': signWebhookPayload(payload, process.env.STRIPE_WEBHOOK_SECRET ?? 'whsec_local_development_secret') },
  body: payload,
});
console.log(`${type} → ${url}: ${response.status} ${await response.text()}`);
process.exit(response.ok ? 0 : 1);
