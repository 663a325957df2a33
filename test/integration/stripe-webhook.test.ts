import { describe, expect, it } from 'vitest';
import { getDb } from '#platform/db';
import { runExpiry } from '#core/bookings/expiry';
import { paymentProvider, setPaymentProviderForTests, signWebhookPayload } from '#platform/payments';
import { useApi } from '../helpers/api';
import { stripeStandin } from '../helpers/stripe';
import { book, bookingWorld, postStripeEvent, stripeEvent } from '../helpers/bookings';
import { bangkokDate } from '../helpers/cars';
import { handler as webhook } from '#functions/webhooks/stripe';
import { apiEvent, lambdaContext } from '../helpers/events';

const api = useApi();

async function pendingBooking() {
  const world = await bookingWorld(api);
  const made = await book(api, world.customer.token, { car_id: world.car.id, start_date: bangkokDate(30), end_date: bangkokDate(31) });
  return { world, id: made.body.id as string, intent: made.body.payment.intent_id as string };
}

const statusOf = async (id: string) =>
  (await getDb().selectFrom('reservations').select('status').where('id', '=', id).executeTakeFirstOrThrow()).status;
const eventCount = async () => Number((await getDb().selectFrom('payment_events').select((eb) => eb.fn.countAll().as('n')).executeTakeFirstOrThrow()).n);

describe('POST /payments/webhook/', () => {
  it('confirms the pending booking when its deposit succeeds', async () => {
    const { id, intent } = await pendingBooking();
    const answer = await postStripeEvent(api, stripeEvent('payment_intent.succeeded', intent));
    expect(answer.status).toBe(200);
    expect(answer.body).toEqual({ received: true, outcome: 'confirmed' });
    expect(await statusOf(id)).toBe('confirmed');
  });

  it('refuses a bad signature with 400 and changes nothing', async () => {
    const { id, intent } = await pendingBooking();
    const before = await eventCount();
    const forged = stripeEvent('payment_intent.succeeded', intent, { secret: 'whsec_someone_else' });
    expect((await postStripeEvent(api, forged)).status).toBe(400);
    const tampered = stripeEvent('payment_intent.succeeded', intent);
    expect((await postStripeEvent(api, { payload: tampered.payload.replace('"livemode":false', '"livemode":true'), signature: tampered.signature })).status).toBe(400);
    expect((await api.request('POST', '/payments/webhook/', { rawBody: tampered.payload, headers: { 'content-type': 'application/json' } })).status).toBe(400);
    expect(await statusOf(id)).toBe('pending');
    expect(await eventCount()).toBe(before);
  });

  it('refuses a signature older than 300 seconds (a replay) with 400', async () => {
    const { id, intent } = await pendingBooking();
    const stale = stripeEvent('payment_intent.succeeded', intent, { timestamp: Math.floor(Date.now() / 1000) - 301 });
    expect((await postStripeEvent(api, stale)).status).toBe(400);
    expect(await statusOf(id)).toBe('pending');
    const recent = stripeEvent('payment_intent.succeeded', intent, { timestamp: Math.floor(Date.now() / 1000) - 200 });
    expect((await postStripeEvent(api, recent)).status).toBe(200);
  });

  it('applies each event id once: a retry is a 200 with no effect', async () => {
    const { id, intent } = await pendingBooking();
    const event = stripeEvent('payment_intent.payment_failed', intent, { eventId: 'evt_retry_once' });
    expect((await postStripeEvent(api, event)).body.outcome).toBe('cancelled');
    // The customer's booking is cancelled; set it back to pending to see that a retry does nothing.
    await getDb().updateTable('reservations').set({ status: 'pending' }).where('id', '=', id).execute();
    const retry = await postStripeEvent(api, stripeEvent('payment_intent.payment_failed', intent, { eventId: 'evt_retry_once' }));
    expect(retry.status).toBe(200);
    expect(retry.body.outcome).toBe('duplicate');
    expect(await statusOf(id)).toBe('pending');
  });

  it('cancels the pending booking and frees its dates when the payment fails or is cancelled', async () => {
    for (const type of ['payment_intent.payment_failed', 'payment_intent.canceled']) {
      const { world, id, intent } = await pendingBooking();
      expect((await postStripeEvent(api, stripeEvent(type, intent))).body.outcome).toBe('cancelled');
      expect(await statusOf(id)).toBe('cancelled');
      const again = await book(api, world.customer.token, { car_id: world.car.id, start_date: bangkokDate(30), end_date: bangkokDate(31) });
      expect(again.status).toBe(201);
    }
  });

  it('converges when events come out of order: success after failure refunds, failure after success keeps the booking', async () => {
    // At Stripe: a first card is declined, a second one pays. The failure's event arrives first.
    const first = await pendingBooking();
    await stripeStandin.fail(first.intent);
    await stripeStandin.succeed(first.intent);
    await postStripeEvent(api, stripeEvent('payment_intent.payment_failed', first.intent));
    const late = await postStripeEvent(api, stripeEvent('payment_intent.succeeded', first.intent));
    expect(late.body.outcome).toBe('refunded');
    expect(await statusOf(first.id)).toBe('cancelled');
    expect(await stripeStandin.refunds(first.intent)).toMatchObject([{ amount: 500_000, status: 'succeeded' }]);

    const second = await pendingBooking();
    await stripeStandin.succeed(second.intent);
    await postStripeEvent(api, stripeEvent('payment_intent.succeeded', second.intent));
    expect((await postStripeEvent(api, stripeEvent('payment_intent.payment_failed', second.intent))).body.outcome).toBe('ignored');
    expect(await statusOf(second.id)).toBe('confirmed');
  });

  it('never confirms an expired hold: the late payment is refunded and the dates stay free', async () => {
    const { id, intent } = await pendingBooking();
    await getDb().updateTable('reservations').set({ status: 'expired' }).where('id', '=', id).execute();
    await stripeStandin.succeed(intent);
    expect((await postStripeEvent(api, stripeEvent('payment_intent.succeeded', intent))).body.outcome).toBe('refunded');
    expect(await statusOf(id)).toBe('expired');
    expect(await stripeStandin.refunds(intent)).toHaveLength(1);
  });

  it("a late payment's refund is durable: it fails three times at the provider, then succeeds; refunded once, the customer told once, every answer 200", async () => {
    const { id, intent } = await pendingBooking();
    await getDb().updateTable('reservations').set({ status: 'expired' }).where('id', '=', id).execute();
    const refundNotices = async () =>
      (await getDb().selectFrom('notifications').select('recipient').where('reservation_id', '=', id).where('kind', '=', 'deposit_refunded').execute()).length;
    const event = stripeEvent('payment_intent.succeeded', intent, { eventId: `evt_refund_down_${id.replaceAll('-', '')}` });

    let attempts = 0;
    const refunded: string[] = [];
    setPaymentProviderForTests({
      ...(await paymentProvider()),
      refundDeposit: async (intentId) => {
        attempts += 1;
        if (attempts <= 3) throw new Error('payment provider unavailable');
        refunded.push(intentId);
      },
    });
    try {
      // The event commits with its refund task; the refund's failure answers no 5xx (Stripe would retry for days).
      expect((await postStripeEvent(api, event)).body.outcome).toBe('refunded');
      expect(await refundNotices()).toBe(1);
      // Stripe delivering the same event again changes nothing.
      expect((await postStripeEvent(api, event)).body.outcome).toBe('duplicate');
      const task = () => getDb().selectFrom('payment_tasks').selectAll().where('reservation_id', '=', id).executeTakeFirstOrThrow();
      expect(await task()).toMatchObject({ kind: 'refund_deposit', status: 'pending', attempts: 1 });
      // The minute job retries it when due (time moved forward), until it succeeds.
      for (let run = 0; run < 4; run++) {
        await getDb().updateTable('payment_tasks').set({ available_at: new Date(Date.now() - 1000) }).where('reservation_id', '=', id).execute();
        await runExpiry(getDb(), await paymentProvider());
      }
      expect(await task()).toMatchObject({ status: 'done', attempts: 4, last_error: null });
    } finally {
      setPaymentProviderForTests(undefined);
    }
    expect(attempts).toBe(4);
    expect(refunded).toEqual([intent]);
    expect(await refundNotices()).toBe(1);
  });

  it('records an event for an unknown intent and answers 200, so Stripe stops retrying', async () => {
    const answer = await postStripeEvent(api, stripeEvent('payment_intent.succeeded', 'pi_unknown_123'));
    expect(answer.status).toBe(200);
    expect(answer.body.outcome).toBe('unknown_intent');
  });

  it('verifies a base64-encoded body (as API Gateway may deliver it) over the decoded bytes', async () => {
    const { id, intent } = await pendingBooking();
    const event = stripeEvent('payment_intent.succeeded', intent);
    const result = await webhook(
      apiEvent({
        method: 'POST',
        path: '/api/v1/payments/webhook/',
        headers: { 'stripe-signature': event.signature, 'content-type': 'application/json' },
        body: Buffer.from(event.payload).toString('base64'),
        isBase64Encoded: true,
      }),
      lambdaContext(),
    );
    expect(result.statusCode).toBe(200);
    expect(await statusOf(id)).toBe('confirmed');
  });
});

describe('POST /payments/webhook/: defence in depth', () => {
  const paidAt = async (id: string) =>
    (await getDb().selectFrom('reservations').select('deposit_paid_at').where('id', '=', id).executeTakeFirstOrThrow()).deposit_paid_at;

  it('a success whose amount is not the deposit is recorded as amount_mismatch and confirms nothing', async () => {
    const { id, intent } = await pendingBooking();
    const answer = await postStripeEvent(api, stripeEvent('payment_intent.succeeded', intent, { amount: 100 }));
    expect(answer.status).toBe(200);
    expect(answer.body.outcome).toBe('amount_mismatch');
    expect(await statusOf(id)).toBe('pending');
    expect(await paidAt(id)).toBeNull();
    const recorded = await getDb().selectFrom('payment_events').select(['outcome', 'reservation_id']).where('payment_intent_id', '=', intent).execute();
    expect(recorded).toEqual([{ outcome: 'amount_mismatch', reservation_id: id }]);
  });

  it('so is one in another currency', async () => {
    const { id, intent } = await pendingBooking();
    expect((await postStripeEvent(api, stripeEvent('payment_intent.succeeded', intent, { currency: 'usd' }))).body.outcome).toBe('amount_mismatch');
    expect(await statusOf(id)).toBe('pending');
  });

  it('a matching success stamps the booking as paid through the platform', async () => {
    const { id, intent } = await pendingBooking();
    expect((await postStripeEvent(api, stripeEvent('payment_intent.succeeded', intent))).body.outcome).toBe('confirmed');
    expect(await paidAt(id)).toBeInstanceOf(Date);
  });

  it('a correctly signed body that is not an event is a 400 problem, never a 5xx, and records nothing', async () => {
    const before = await eventCount();
    for (const payload of ['null', '[]', '{}', '{"id":"evt_1","type":"payment_intent.succeeded"}', '{"id":["x"],"type":"t","data":{"object":{}}}']) {
      const signature = signWebhookPayload(payload, process.env.STRIPE_WEBHOOK_SECRET!);
      const answer = await postStripeEvent(api, { payload, signature });
      expect(answer.status, payload).toBe(400);
      expect(answer.headers.get('content-type'), payload).toMatch(/problem\+json/);
    }
    expect(await eventCount()).toBe(before);
  });
});
