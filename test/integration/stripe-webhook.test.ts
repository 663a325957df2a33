import { createHmac } from 'node:crypto';
import { describe, expect, it, onTestFinished } from 'vitest';
import { getDb } from '#platform/db';
import { runExpiry } from '#core/bookings/expiry';
import { paymentProvider, setPaymentProviderForTests, signWebhookPayload } from '#platform/payments';
import { useApi } from '../helpers/api';
import { stripeStandin } from '../helpers/stripe';
import { book, bookingWorld, deliverStripeEvent, postStripeEvent, stripeEvent } from '../helpers/bookings';
import { bangkokDate } from '../helpers/cars';
import { handler as webhook } from '#functions/webhooks/stripe';
import { apiEvent, lambdaContext } from '../helpers/events';

const api = useApi();

async function pendingBooking() {
  const world = await bookingWorld(api);
  const made = await book(api, world.customer.token, { car_id: world.car.id, start_date: bangkokDate(30), end_date: bangkokDate(31) });
  return { world, id: made.body.id as string, intent: made.body.payment.intent_id as string };
}

const statusOf = async (id: string) => (await getDb().selectFrom('reservations').select('status').where('id', '=', id).executeTakeFirstOrThrow()).status;
const eventCount = async () =>
  Number(
    (
      await getDb()
        .selectFrom('payment_events')
        .select((eb) => eb.fn.countAll().as('n'))
        .executeTakeFirstOrThrow()
    ).n,
  );

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
    expect(
      (await postStripeEvent(api, { payload: tampered.payload.replace('"livemode":false', '"livemode":true'), signature: tampered.signature })).status,
    ).toBe(400);
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

  it('converges when events come out of order: the intent paid at Stripe confirms the booking, whichever event arrives first', async () => {
    // At Stripe: a first card is declined, a second one pays. Both events arrive, in either order.
    for (const order of [
      ['payment_intent.payment_failed', 'payment_intent.succeeded'],
      ['payment_intent.succeeded', 'payment_intent.payment_failed'],
    ]) {
      const booking = await pendingBooking();
      await stripeStandin.fail(booking.intent);
      await stripeStandin.succeed(booking.intent);
      const outcomes = [];
      for (const type of order) outcomes.push((await deliverStripeEvent(api, stripeEvent(type, booking.intent))).body.outcome);
      expect(outcomes, order.join(' → ')).toEqual(['confirmed', 'already_confirmed']);
      expect(await statusOf(booking.id)).toBe('confirmed');
      expect(await stripeStandin.refunds(booking.intent)).toEqual([]);
    }
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
        await getDb()
          .updateTable('payment_tasks')
          .set({ available_at: new Date(Date.now() - 1000) })
          .where('reservation_id', '=', id)
          .execute();
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
    await stripeStandin.succeed(intent);
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

  /** Stripe reports the intent paid, but with this amount or currency (a bug, an intent reused for something else). */
  async function stripeSaysPaid(paid: { amountReceived?: number; currency?: string }) {
    const real = await paymentProvider();
    setPaymentProviderForTests({
      ...real,
      retrieveIntent: async (intentId) => {
        const intent = await real.retrieveIntent(intentId);
        return intent && { ...intent, ...paid };
      },
    });
    onTestFinished(() => setPaymentProviderForTests(undefined));
  }

  it('a success whose amount at Stripe is not the deposit is recorded as amount_mismatch and confirms nothing', async () => {
    const { id, intent } = await pendingBooking();
    await stripeSaysPaid({ amountReceived: 100 });
    const answer = await postStripeEvent(api, stripeEvent('payment_intent.succeeded', intent));
    expect(answer.status).toBe(200);
    expect(answer.body.outcome).toBe('amount_mismatch');
    expect(await statusOf(id)).toBe('pending');
    expect(await paidAt(id)).toBeNull();
    const recorded = await getDb().selectFrom('payment_events').select(['outcome', 'reservation_id']).where('payment_intent_id', '=', intent).execute();
    expect(recorded).toEqual([{ outcome: 'amount_mismatch', reservation_id: id }]);
  });

  it('so is one in another currency', async () => {
    const { id, intent } = await pendingBooking();
    await stripeSaysPaid({ currency: 'usd' });
    expect((await postStripeEvent(api, stripeEvent('payment_intent.succeeded', intent))).body.outcome).toBe('amount_mismatch');
    expect(await statusOf(id)).toBe('pending');
  });

  it("what the event says of the amount is not trusted: Stripe's intent is", async () => {
    const { id, intent } = await pendingBooking();
    await stripeStandin.succeed(intent);
    expect((await deliverStripeEvent(api, stripeEvent('payment_intent.succeeded', intent, { amount: 100, currency: 'usd' }))).body.outcome).toBe('confirmed');
    expect(await statusOf(id)).toBe('confirmed');
  });

  it('a matching success stamps the booking as paid through the platform', async () => {
    const { id, intent } = await pendingBooking();
    expect((await postStripeEvent(api, stripeEvent('payment_intent.succeeded', intent))).body.outcome).toBe('confirmed');
    expect(await paidAt(id)).toBeInstanceOf(Date);
  });

  const signed = (payload: string) => ({ payload, signature: signWebhookPayload(payload, process.env.STRIPE_WEBHOOK_SECRET!) });
  /** Stripe signs bytes: `t=…,v1=HMAC-SHA256(secret, "t." + bytes)`. */
  const signBytes = (bytes: Buffer) => {
    const timestamp = Math.floor(Date.now() / 1000);
    const hmac = createHmac('sha256', process.env.STRIPE_WEBHOOK_SECRET!).update(`${timestamp}.`).update(bytes).digest('hex');
    return `t=${timestamp},v1=${hmac}`;
  };

  it('a correctly signed body that is not an event it can read is a 4xx problem, never a 5xx, and records nothing; an unhandled type is a 200', async () => {
    const before = await eventCount();
    const intentEvent = (object: unknown, extra: Record<string, unknown> = {}) =>
      JSON.stringify({ id: 'evt_hostile', type: 'payment_intent.succeeded', ...extra, data: { object } });
    const hostile = [
      'null',
      '[]',
      '{}',
      '"a string"',
      '42',
      'not json at all',
      '{"id":"evt_1","type":"payment_intent.succeeded"}', // no data
      '{"type":"payment_intent.succeeded","data":{"object":{"object":"payment_intent","id":"pi_1"}}}', // no id
      '{"id":"evt_1","data":{"object":{"object":"payment_intent","id":"pi_1"}}}', // no type
      '{"id":["x"],"type":"t","data":{"object":{}}}',
      '{"id":"evt_1","type":"payment_intent.succeeded","data":null}',
      '{"id":"evt_1","type":"payment_intent.succeeded","data":{"object":[]}}',
      intentEvent({ object: 'payment_intent', id: ['pi_1'] }), // an array as the intent id
      intentEvent({ object: 'payment_intent', id: { $gt: '' } }),
      intentEvent({ object: 'payment_intent', id: 'pi_../../v1/refunds' }),
      intentEvent({ object: 'payment_intent' }), // no intent id
      intentEvent({ object: 'charge', id: 'ch_1' }), // not an intent
      intentEvent({ object: 'payment_intent', id: 'pi_1', metadata: { booking_id: ['x'] } }),
      intentEvent({ object: 'payment_intent', id: 'pi_1' }, { id: 12 }),
      intentEvent({ object: 'payment_intent', id: 'pi_1' }, { type: null }),
      `${'['.repeat(5000)}${']'.repeat(5000)}`,
    ];
    for (const payload of hostile) {
      const answer = await postStripeEvent(api, signed(payload));
      expect(answer.status, payload.slice(0, 80)).toBe(400);
      expect(answer.headers.get('content-type'), payload.slice(0, 80)).toMatch(/problem\+json/);
      expect(answer.body.detail, 'signed: not a signature failure').not.toMatch(/Signature/);
    }
    // A huge body is refused before it is read.
    const huge = await postStripeEvent(api, signed(intentEvent({ object: 'payment_intent', id: 'pi_1', description: 'x'.repeat(600_000) })));
    expect(huge.status).toBe(413);
    expect(huge.headers.get('content-type')).toMatch(/problem\+json/);
    expect(await eventCount()).toBe(before);

    // Whereas a well-formed event of a type this endpoint does not handle is a 200, whatever its object.
    for (const payload of [
      JSON.stringify({ id: `evt_other_${Date.now()}`, type: 'charge.refunded', data: { object: { object: 'charge', id: 'ch_1' } } }),
      JSON.stringify({ id: `evt_other2_${Date.now()}`, type: 'customer.created', data: { object: {} } }),
    ]) {
      const answer = await deliverStripeEvent(api, signed(payload));
      expect(answer.status).toBe(200);
      expect(answer.body).toEqual({ received: true, outcome: 'ignored' });
    }
  });

  it('invalid UTF-8, correctly signed over its bytes, is a 400 that says so, not a signature failure', async () => {
    const before = await eventCount();
    const bytes = Buffer.concat([
      Buffer.from('{"id":"evt_utf8","type":"payment_intent.succeeded","data":{"object":{"object":"payment_intent","id":"pi_'),
      Buffer.from([0xc3, 0x28, 0xff]),
      Buffer.from('"}}}'),
    ]);
    const signature = signBytes(bytes);
    // Through the local server (a text body, as API Gateway passes JSON) and as API Gateway passes a binary body (base64).
    const overHttp = await fetch(`${api.baseUrl}/api/v1/payments/webhook/`, {
      method: 'POST',
      headers: { 'content-type': 'application/json', 'stripe-signature': signature },
      body: bytes,
    });
    const asLambda = await webhook(
      apiEvent({
        method: 'POST',
        path: '/api/v1/payments/webhook/',
        headers: { 'stripe-signature': signature, 'content-type': 'application/octet-stream' },
        body: bytes.toString('base64'),
        isBase64Encoded: true,
      }),
      lambdaContext(),
    );
    for (const answer of [
      { status: overHttp.status, body: await overHttp.text() },
      { status: asLambda.statusCode, body: String(asLambda.body) },
    ]) {
      expect(answer.status).toBe(400);
      expect(JSON.parse(answer.body).detail).toMatch(/UTF-8/);
    }
    expect(await eventCount()).toBe(before);
  });

  it('Stripe unreachable while an event arrives: 503 with Retry-After and nothing recorded; delivered again later, it applies', async () => {
    const { id, intent } = await pendingBooking();
    await stripeStandin.succeed(intent);
    const event = stripeEvent('payment_intent.succeeded', intent);
    await stripeStandin.faults({ failNext: [{ operation: 'payment_intents.retrieve', count: 10, status: 500 }] });
    try {
      const down = await deliverStripeEvent(api, event);
      expect(down.status).toBe(503);
      expect(down.headers.get('retry-after')).toMatch(/^\d+$/);
      expect(await statusOf(id)).toBe('pending');
      expect(await getDb().selectFrom('payment_events').select('id').where('payment_intent_id', '=', intent).execute()).toEqual([]);
    } finally {
      await stripeStandin.reset();
    }
    expect((await deliverStripeEvent(api, event)).body.outcome).toBe('confirmed');
    expect(await statusOf(id)).toBe('confirmed');
  });
});
