import { randomUUID } from 'node:crypto';
import { sql } from 'kysely';
import { afterEach, describe, expect, it } from 'vitest';
import { runExpiry } from '#core/bookings/expiry';
import { createBooking } from '#core/bookings/create';
import type { PaymentProvider } from '#core/payments/provider';
import { DEFAULT_PRICING_RATES } from '#core/pricing/pricing';
import { forgetConfig } from '#platform/config';
import { getDb } from '#platform/db';
import { paymentProvider } from '#platform/payments';
import { useApi, type ApiAnswer } from '../helpers/api';
import { createCustomer } from '../helpers/auth';
import { book, bookingWorld, postStripeEvent, stripeEvent } from '../helpers/bookings';
import { bangkokDate } from '../helpers/cars';
import { stripeStandin } from '../helpers/stripe';

/**
 * Payment faults against the Stripe stand-in (dev/stripe-standin.ts), through the real Stripe
 * adapter: a slow, down, lossy or failing Stripe never holds a lock another customer waits on,
 * never answers 5xx but a 503 with Retry-After, never leaves an orphan, and every retry converges.
 */
const api = useApi();
const db = getDb();

afterEach(async () => {
  await stripeStandin.release();
  await stripeStandin.reset();
  delete process.env.STRIPE_MAX_NETWORK_RETRIES;
  delete process.env.STRIPE_TIMEOUT_MS;
  forgetConfig();
});

/** Fewer SDK retries and a short client timeout for this test (the adapter rebuilds its client). */
function stripeClientSettings(settings: { retries: number; timeoutMs?: number }) {
  process.env.STRIPE_MAX_NETWORK_RETRIES = String(settings.retries);
  if (settings.timeoutMs) process.env.STRIPE_TIMEOUT_MS = String(settings.timeoutMs);
  forgetConfig();
}

/** Waits (bounded) until `done()` holds; the bound is a failure, not a timing assertion. */
async function eventually(done: () => Promise<boolean>, what: string, bound = 30_000): Promise<void> {
  const deadline = Date.now() + bound;
  while (!(await done())) {
    if (Date.now() > deadline) throw new Error(`never happened: ${what}`);
    await new Promise((resolve) => setTimeout(resolve, 25));
  }
}

/**
 * Nothing orphaned: every intent the stand-in made for these bookings is attached to its live
 * booking or cancelled, and every booking without an intent has released its dates.
 */
async function expectNothingOrphaned(bookingIds: string[]) {
  const rows = await db
    .selectFrom('reservations')
    .select(['id', 'status', 'payment_intent_id', sql<boolean>`expires_at <= now()`.as('released')])
    .where('id', 'in', bookingIds)
    .execute();
  for (const row of rows) {
    if (!row.payment_intent_id)
      expect(row.status === 'expired' || row.status === 'cancelled' || row.released, `booking ${row.id} holds dates without an intent`).toBe(true);
  }
  const calls = await stripeStandin.calls();
  const intentIds = new Set(calls.flatMap((call) => (call.operation === 'payment_intents.create' && call.objectId?.startsWith('pi_') ? [call.objectId] : [])));
  for (const intentId of intentIds) {
    const intent = await stripeStandin.intent(intentId);
    const owner = rows.find((row) => row.id === intent.metadata.booking_id);
    if (!owner) continue; // another test's booking
    const live = owner.payment_intent_id === intentId && (owner.status === 'pending' || owner.status === 'confirmed');
    expect(live || intent.status === 'canceled', `intent ${intentId} of booking ${owner.id} is neither attached to a live booking nor cancelled`).toBe(true);
  }
}

describe('Stripe is slow', () => {
  it('20 customers race for the same dates while Stripe holds the winner: the 19 losers get 409 without waiting for it', async () => {
    const world = await bookingWorld(api);
    const customers = await Promise.all(Array.from({ length: 20 }, () => createCustomer()));
    await stripeStandin.faults({ hold: ['payment_intents.create'] });
    const answers: ApiAnswer[] = [];
    const all = customers.map((customer) =>
      book(api, customer.token, { car_id: world.car.id, start_date: bangkokDate(50), end_date: bangkokDate(52) }).then((answer) => {
        answers.push(answer);
        return answer;
      }),
    );
    // Every loser is answered while the winner's PaymentIntent is still held at Stripe. Before,
    // the winner's transaction stayed open across the call and the losers waited on its row.
    await eventually(async () => answers.length >= 19, '19 answers while Stripe holds the winner');
    expect(answers.map((answer) => answer.status)).toEqual(Array(19).fill(409));
    const held = (await stripeStandin.calls()).filter((call) => call.operation === 'payment_intents.create');
    expect(held).toHaveLength(1);
    await stripeStandin.release();
    const winner = (await Promise.all(all)).find((answer) => answer.status === 201);
    expect(winner?.body.status).toBe('pending');
  }, 60_000);
});

describe('Stripe is down', () => {
  it('answers 503 with Retry-After, releases the hold at once, and leaves nothing orphaned once Stripe is back', async () => {
    stripeClientSettings({ retries: 0 });
    const world = await bookingWorld(api);
    const dates = { car_id: world.car.id, start_date: bangkokDate(60), end_date: bangkokDate(61) };
    await stripeStandin.faults({ errorRate: 1, seed: 7 });
    const refused = await book(api, world.customer.token, dates);
    expect(refused.status).toBe(503);
    expect(refused.headers.get('content-type')).toMatch(/problem\+json/);
    expect(Number(refused.headers.get('retry-after'))).toBeGreaterThan(0);
    const [held] = await db
      .selectFrom('reservations')
      .select(['id', 'status', 'payment_intent_id', sql<boolean>`expires_at <= now()`.as('released')])
      .where('car_id', '=', world.car.id)
      .execute();
    expect(held).toMatchObject({ status: 'pending', payment_intent_id: null, released: true });
    expect(await db.selectFrom('notifications').select('id').where('reservation_id', '=', held!.id).execute()).toEqual([]);

    // Stripe is back; another customer takes the released dates at once.
    await stripeStandin.reset();
    const rival = await createCustomer();
    const taken = await book(api, rival.token, dates);
    expect(taken.status).toBe(201);
    expect((await db.selectFrom('reservations').select('status').where('id', '=', held!.id).executeTakeFirstOrThrow()).status).toBe('expired');
    await expectNothingOrphaned([held!.id, taken.body.id]);
  }, 60_000);
});

describe('Stripe answers after the client gave up (a lost response)', () => {
  it('the retry with the same Idempotency-Key converges: one booking, one intent', async () => {
    stripeClientSettings({ retries: 0, timeoutMs: 1500 });
    const world = await bookingWorld(api);
    const key = randomUUID();
    const dates = { car_id: world.car.id, start_date: bangkokDate(70), end_date: bangkokDate(70) };
    await stripeStandin.faults({ loseNext: [{ operation: 'payment_intents.create', count: 1 }] });
    const lost = await book(api, world.customer.token, dates, key);
    expect(lost.status).toBe(503);

    const retry = await book(api, world.customer.token, dates, key);
    expect(retry.status).toBe(201);
    const bookings = await db.selectFrom('reservations').select(['id', 'payment_intent_id']).where('car_id', '=', world.car.id).execute();
    expect(bookings).toEqual([{ id: retry.body.id, payment_intent_id: retry.body.payment.intent_id }]);
    const creates = (await stripeStandin.calls()).filter((call) => call.operation === 'payment_intents.create');
    // The first was processed but never answered; the retry replayed it under the same key.
    expect(creates.map((call) => call.idempotencyKey)).toEqual([`booking-${retry.body.id}-deposit`, `booking-${retry.body.id}-deposit`]);
    expect(new Set(creates.map((call) => call.objectId))).toEqual(new Set([retry.body.payment.intent_id]));
    // And a third try replays the stored answer.
    expect((await book(api, world.customer.token, dates, key)).body).toEqual(retry.body);
  }, 60_000);
});

describe('a refund fails at Stripe', () => {
  it('three times, then succeeds: refunded once, the customer told once, the cancellation answered 200 at once', async () => {
    stripeClientSettings({ retries: 0 });
    const world = await bookingWorld(api);
    const made = await book(api, world.customer.token, { car_id: world.car.id, start_date: bangkokDate(80), end_date: bangkokDate(81) });
    const intentId = made.body.payment.intent_id as string;
    await stripeStandin.succeed(intentId);
    expect((await postStripeEvent(api, stripeEvent('payment_intent.succeeded', intentId))).body.outcome).toBe('confirmed');

    await stripeStandin.faults({ failNext: [{ operation: 'refunds.create', count: 3, status: 500 }] });
    const cancelled = await api.post(`/bookings/${made.body.id}/cancel/`, undefined, { token: world.customer.token });
    expect(cancelled.status).toBe(200);
    expect(cancelled.body).toMatchObject({ status: 'cancelled', refund: { amount: 500_000 } });
    for (let run = 0; run < 3; run++) {
      await db
        .updateTable('payment_tasks')
        .set({ available_at: new Date(Date.now() - 1000) })
        .where('reservation_id', '=', made.body.id)
        .execute();
      await runExpiry(db, await paymentProvider());
    }
    const task = await db.selectFrom('payment_tasks').selectAll().where('reservation_id', '=', made.body.id).executeTakeFirstOrThrow();
    expect(task).toMatchObject({ kind: 'refund_deposit', status: 'done', attempts: 4 });
    expect(await stripeStandin.refunds(intentId)).toMatchObject([{ amount: 500_000, status: 'succeeded' }]);
    const told = await db
      .selectFrom('notifications')
      .select('kind')
      .where('reservation_id', '=', made.body.id)
      .where('recipient', '=', world.customer.email)
      .where('kind', '=', 'booking_cancelled')
      .execute();
    expect(told).toHaveLength(1);
  }, 60_000);
});

describe('the webhook overtakes the booking request', () => {
  it('a payment confirmed before the intent is attached still converges: one booking, confirmed, with its intent', async () => {
    const world = await bookingWorld(api);
    const real = await paymentProvider();
    // Stripe answers the booking request only after the customer has paid and the webhook ran.
    const overtaken: PaymentProvider = {
      ...real,
      async createDepositIntent(input) {
        const intent = await real.createDepositIntent(input);
        await stripeStandin.succeed(intent.intentId);
        const event = stripeEvent('payment_intent.succeeded', intent.intentId, { bookingId: input.bookingId });
        expect((await postStripeEvent(api, event)).body.outcome).toBe('confirmed');
        return intent;
      },
    };
    const request = {
      customerId: world.customer.user.id,
      customerEmail: world.customer.email,
      idempotencyKey: randomUUID(),
      carId: world.car.id,
      startDate: bangkokDate(90),
      endDate: bangkokDate(90),
    };
    const { booking } = await createBooking(db, request, { payments: overtaken, rates: DEFAULT_PRICING_RATES });
    const row = await db.selectFrom('reservations').selectAll().where('id', '=', booking.id).executeTakeFirstOrThrow();
    expect(row).toMatchObject({ status: 'confirmed', payment_intent_id: booking.payment.intent_id });
    expect(row.deposit_paid_at).toBeInstanceOf(Date);
  }, 60_000);
});
