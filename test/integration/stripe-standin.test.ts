import { randomUUID } from 'node:crypto';
import { afterEach, describe, expect, it, onTestFinished } from 'vitest';
import { forgetConfig } from '#platform/config';
import { paymentProvider } from '#platform/payments';
import { STRIPE_TEST_KEY, StandinRefusal, rawStripe, stripeStandin, type StandinCall } from '../helpers/stripe';

/**
 * The local Stripe stand-in (dev/stripe-standin.ts) behaves as Stripe does, seen THROUGH the
 * payments adapter that runs in AWS (functions/platform/payments.ts, the real `stripe` SDK over
 * HTTP) and, where the adapter has no call for it, through the raw SDK.
 */

afterEach(() => stripeStandin.reset());

/** The adapter, optionally with the SDK's timeout and retries changed for this test only. */
async function adapter(settings: { timeoutMs?: number; retries?: number } = {}) {
  const saved = { timeout: process.env.STRIPE_TIMEOUT_MS, retries: process.env.STRIPE_MAX_NETWORK_RETRIES };
  if (settings.timeoutMs !== undefined) process.env.STRIPE_TIMEOUT_MS = String(settings.timeoutMs);
  if (settings.retries !== undefined) process.env.STRIPE_MAX_NETWORK_RETRIES = String(settings.retries);
  forgetConfig();
  onTestFinished(() => {
    for (const [name, value] of [
      ['STRIPE_TIMEOUT_MS', saved.timeout],
      ['STRIPE_MAX_NETWORK_RETRIES', saved.retries],
    ] as const) {
      if (value === undefined) delete process.env[name];
      else process.env[name] = value;
    }
    forgetConfig();
  });
  return paymentProvider();
}

const deposit = (bookingId = randomUUID(), amount = 150_000) => ({ bookingId, amount, currency: 'thb' as const, customerEmail: 'nok@example.com' });

const outcomes = (calls: StandinCall[], operation: StandinCall['operation']) =>
  calls.filter((call) => call.operation === operation).map((call) => call.outcome);

/** Waits until the stand-in has received `count` calls matching `predicate` (a held request is visible at once). */
async function untilCalls(predicate: (call: StandinCall) => boolean, count: number): Promise<void> {
  for (let attempt = 0; attempt < 200; attempt += 1) {
    if ((await stripeStandin.calls()).filter(predicate).length >= count) return;
    await new Promise((resolve) => setTimeout(resolve, 25));
  }
  throw new Error(`the stand-in never received ${count} matching calls`);
}

describe('the Stripe stand-in, through the payments adapter', () => {
  it('is what the adapter talks to: the intent exists at the stand-in, as the SDK created it', async () => {
    const payments = await adapter();
    const created = await payments.createDepositIntent(deposit('0c9a3a52-8f0e-4a57-9a1e-5a2f4f6a2b10', 150_000));
    const intent = await stripeStandin.intent(created.intentId);
    expect(intent).toMatchObject({
      id: created.intentId,
      object: 'payment_intent',
      amount: 150_000,
      amount_received: 0,
      currency: 'thb',
      status: 'requires_payment_method',
      client_secret: created.clientSecret,
      receipt_email: 'nok@example.com',
      metadata: { booking_id: '0c9a3a52-8f0e-4a57-9a1e-5a2f4f6a2b10' },
      latest_charge: null,
      livemode: false,
      automatic_payment_methods: { enabled: true },
    });
    expect(created.intentId).toMatch(/^pi_/);
  });

  it('refuses a request without a test secret key with 401 in Stripe’s shape', async () => {
    const url = process.env.STRIPE_API_URL!;
    const none = await fetch(`${url}/v1/payment_intents`, { method: 'POST', body: 'amount=1000&currency=thb' });
    expect(none.status).toBe(401);
    expect(((await none.json()) as { error: { type: string; message: string } }).error).toMatchObject({
      type: 'invalid_request_error',
      message: expect.stringMatching(/^You did not provide an API key/),
    });
    const live = await fetch(`${url}/v1/payment_intents`, { method: 'POST', headers: { authorization: 'Bearer sk_live_abc123' } });
    expect(live.status).toBe(401);
    await expect(rawStripe().paymentIntents.retrieve('pi_x', {}, { apiKey: 'rk_nothing_here' })).rejects.toMatchObject({ statusCode: 401 });
  });

  it('creates one intent per idempotency key: a retried booking gets the same intent back', async () => {
    const payments = await adapter();
    const input = deposit();
    const first = await payments.createDepositIntent(input);
    const again = await payments.createDepositIntent(input);
    expect(again.intentId).toBe(first.intentId);
    expect(again.clientSecret).toBe(first.clientSecret);
    expect(outcomes(await stripeStandin.calls(), 'payment_intents.create')).toEqual(['ok', 'replayed']);
  });

  it('refuses the same idempotency key with other parameters (400 idempotency_error), creating nothing', async () => {
    const payments = await adapter();
    const input = deposit();
    await payments.createDepositIntent(input);
    await expect(payments.createDepositIntent({ ...input, amount: input.amount + 100 })).rejects.toMatchObject({
      type: 'StripeIdempotencyError',
      statusCode: 400,
      message: expect.stringMatching(/^Keys for idempotent requests can only be used with the same parameters/),
    });
    expect(outcomes(await stripeStandin.calls(), 'payment_intents.create')).toEqual(['ok', 'conflict']);
  });

  it('answers an unknown intent with 404 resource_missing', async () => {
    await expect(rawStripe().paymentIntents.retrieve('pi_never_created')).rejects.toMatchObject({
      type: 'StripeInvalidRequestError',
      statusCode: 404,
      code: 'resource_missing',
      message: "No such payment_intent: 'pi_never_created'",
    });
  });

  it('refuses to refund an intent that was never paid, with Stripe’s error', async () => {
    const payments = await adapter();
    const { intentId } = await payments.createDepositIntent(deposit());
    await expect(payments.refundDeposit(intentId)).rejects.toMatchObject({
      type: 'StripeInvalidRequestError',
      statusCode: 400,
      message: `This PaymentIntent (${intentId}) does not have a successful charge to refund.`,
    });
    expect(await stripeStandin.refunds(intentId)).toEqual([]);
  });

  it('refunds a paid intent in full once; the adapter’s retry is a replay, another refund is charge_already_refunded', async () => {
    const payments = await adapter();
    const { intentId } = await payments.createDepositIntent(deposit(undefined, 150_000));
    const paid = await stripeStandin.succeed(intentId);
    expect(paid).toMatchObject({ status: 'succeeded', amount_received: 150_000, latest_charge: expect.stringMatching(/^ch_/) });

    await payments.refundDeposit(intentId);
    await payments.refundDeposit(intentId); // the same idempotency key: replayed, not a second refund
    const refunds = await stripeStandin.refunds(intentId);
    expect(refunds).toEqual([
      expect.objectContaining({ object: 'refund', amount: 150_000, payment_intent: intentId, status: 'succeeded', id: expect.stringMatching(/^re_/) }),
    ]);

    await expect(rawStripe().refunds.create({ payment_intent: intentId }, { idempotencyKey: randomUUID() })).rejects.toMatchObject({
      statusCode: 400,
      code: 'charge_already_refunded',
      message: `Charge ${paid.latest_charge} has already been refunded.`,
    });
    expect(await stripeStandin.refunds(intentId)).toHaveLength(1);
  });

  it('refuses to cancel a succeeded intent (payment_intent_unexpected_state); the adapter treats it as nothing to cancel', async () => {
    const payments = await adapter();
    const { intentId } = await payments.createDepositIntent(deposit());
    await stripeStandin.succeed(intentId);
    await expect(rawStripe().paymentIntents.cancel(intentId)).rejects.toMatchObject({
      statusCode: 400,
      code: 'payment_intent_unexpected_state',
      message: expect.stringMatching(/^You cannot cancel this PaymentIntent because it has a status of succeeded\./),
    });
    await expect(payments.cancelIntent(intentId)).resolves.toBeUndefined();
    expect((await stripeStandin.intent(intentId)).status).toBe('succeeded');
  });

  it('cancels an unpaid intent, after which a payment can no longer succeed', async () => {
    const payments = await adapter();
    const { intentId } = await payments.createDepositIntent(deposit());
    await payments.cancelIntent(intentId);
    expect(await stripeStandin.intent(intentId)).toMatchObject({ status: 'canceled', canceled_at: expect.any(Number) });
    await expect(stripeStandin.succeed(intentId)).rejects.toMatchObject({ status: 400, error: { code: 'payment_intent_unexpected_state' } });
    await expect(stripeStandin.succeed(intentId)).rejects.toBeInstanceOf(StandinRefusal);
  });

  it('moves an intent as a payment would: a decline leaves it awaiting payment with last_payment_error, and nothing to refund', async () => {
    const payments = await adapter();
    const { intentId } = await payments.createDepositIntent(deposit());
    expect((await stripeStandin.processing(intentId)).status).toBe('processing');
    const declined = await stripeStandin.fail(intentId);
    expect(declined).toMatchObject({ status: 'requires_payment_method', amount_received: 0, last_payment_error: { code: 'card_declined' } });
    await expect(rawStripe().refunds.create({ payment_intent: intentId })).rejects.toMatchObject({ statusCode: 400 });
    // A second attempt can still succeed.
    expect(await stripeStandin.succeed(intentId)).toMatchObject({ status: 'succeeded', last_payment_error: null });
    await expect(stripeStandin.fail(intentId)).rejects.toMatchObject({ status: 400 });
  });
});

describe('the stand-in’s faults', () => {
  it('a 500 is retried by the SDK with the same idempotency key, and one intent results', async () => {
    const payments = await adapter({ retries: 2 });
    await stripeStandin.faults({ failNext: [{ operation: 'payment_intents.create', count: 1, status: 500 }] });
    const created = await payments.createDepositIntent(deposit());
    const calls = (await stripeStandin.calls()).filter((call) => call.operation === 'payment_intents.create');
    expect(calls.map((call) => [call.outcome, call.status])).toEqual([
      ['fault', 500],
      ['ok', 200],
    ]);
    expect(new Set(calls.map((call) => call.idempotencyKey))).toEqual(
      new Set([`booking-${(await stripeStandin.intent(created.intentId)).metadata.booking_id}-deposit`]),
    );
  });

  it('Stripe down beyond the retries: the adapter fails with the API error and nothing is created', async () => {
    const payments = await adapter({ retries: 1 });
    await stripeStandin.faults({ failNext: [{ operation: '*', count: 5, status: 503 }] });
    await expect(payments.createDepositIntent(deposit())).rejects.toMatchObject({ type: 'StripeAPIError', statusCode: 503 });
    expect(outcomes(await stripeStandin.calls(), 'payment_intents.create')).toEqual(['fault', 'fault']);
  });

  it('a hung request makes the SDK time out (STRIPE_TIMEOUT_MS), and it was never processed', async () => {
    const payments = await adapter({ timeoutMs: 200, retries: 0 });
    await stripeStandin.faults({ hangNext: [{ operation: 'payment_intents.create', count: 1 }] });
    const input = deposit();
    await expect(payments.createDepositIntent(input)).rejects.toMatchObject({ type: 'StripeConnectionError' });
    // Swallowed before processing: no answer, no intent; the booking's key is still free.
    expect(outcomes(await stripeStandin.calls(), 'payment_intents.create')).toEqual(['hung']);
    const retried = await (await adapter({ retries: 0 })).createDepositIntent(input);
    expect(outcomes(await stripeStandin.calls(), 'payment_intents.create')).toEqual(['hung', 'ok']);
    expect((await stripeStandin.intent(retried.intentId)).metadata.booking_id).toBe(input.bookingId);
  });

  it('after a timeout the SDK retries with the same key and succeeds', async () => {
    const payments = await adapter({ timeoutMs: 200, retries: 1 });
    await stripeStandin.faults({ hangNext: [{ operation: 'payment_intents.create', count: 1 }] });
    const created = await payments.createDepositIntent(deposit());
    const calls = (await stripeStandin.calls()).filter((call) => call.operation === 'payment_intents.create');
    expect(calls.map((call) => call.outcome)).toEqual(['hung', 'ok']);
    expect(calls[0]!.idempotencyKey).toBe(calls[1]!.idempotencyKey);
    expect((await stripeStandin.intent(created.intentId)).status).toBe('requires_payment_method');
  });

  it('a lost response (processed, never answered) converges on the retry: the same intent is replayed', async () => {
    const payments = await adapter({ timeoutMs: 200, retries: 1 });
    await stripeStandin.faults({ loseNext: [{ operation: 'payment_intents.create', count: 1 }] });
    const created = await payments.createDepositIntent(deposit());
    const creates = (await stripeStandin.calls()).filter((call) => call.operation === 'payment_intents.create');
    expect(creates.map((call) => [call.outcome, call.objectId])).toEqual([
      ['lost', created.intentId],
      ['replayed', created.intentId],
    ]);
  });

  it('latency longer than the client’s timeout: the client gives up, yet Stripe did the work', async () => {
    const payments = await adapter({ timeoutMs: 150, retries: 0 });
    await stripeStandin.faults({ latencyMs: 1_000 });
    const input = deposit();
    await expect(payments.createDepositIntent(input)).rejects.toMatchObject({ type: 'StripeConnectionError' });
    await untilCalls((call) => call.operation === 'payment_intents.create' && call.outcome === 'lost', 1);
    // Processed under the booking's key: the next attempt (no latency now) gets that intent back.
    await stripeStandin.faults({});
    const again = await payments.createDepositIntent(input);
    expect(outcomes(await stripeStandin.calls(), 'payment_intents.create')).toEqual(['lost', 'replayed']);
    expect((await stripeStandin.intent(again.intentId)).metadata.booking_id).toBe(input.bookingId);
  });

  it('a second request with a key still in progress gets 409 idempotency_key_in_use; held requests wait for release', async () => {
    await stripeStandin.faults({ hold: ['payment_intents.create'] });
    const params = { amount: 1_000, currency: 'thb' };
    const first = rawStripe().paymentIntents.create(params, { idempotencyKey: 'in-progress-key' });
    await untilCalls((call) => call.operation === 'payment_intents.create' && call.outcome === 'pending', 1);
    await expect(rawStripe().paymentIntents.create(params, { idempotencyKey: 'in-progress-key' })).rejects.toMatchObject({
      statusCode: 409, // the SDK files a 409 under StripeAPIError (and retries it when retries are on)
      code: 'idempotency_key_in_use',
      raw: expect.objectContaining({ type: 'idempotency_error' }),
    });
    expect(await stripeStandin.release()).toEqual({ held: 1, silent: 0 });
    const created = await first;
    expect(created.status).toBe('requires_payment_method');
    expect(outcomes(await stripeStandin.calls(), 'payment_intents.create')).toEqual(['ok', 'conflict']);
  });

  it('an error rate with a seed fails the same requests every time', async () => {
    const stripe = rawStripe();
    const { id } = await stripe.paymentIntents.create({ amount: 1_000, currency: 'thb' });
    const pattern = async () => {
      await stripeStandin.faults({ errorRate: 0.5, seed: 42 });
      const results: boolean[] = [];
      for (let index = 0; index < 20; index += 1)
        results.push(
          await stripe.paymentIntents.retrieve(id).then(
            () => true,
            () => false,
          ),
        );
      return results;
    };
    const first = await pattern();
    expect(first).toContain(true);
    expect(first).toContain(false);
    expect(await pattern()).toEqual(first);
  });

  it('faults belong to one account (secret key): another key is not affected', async () => {
    await stripeStandin.faults({ failNext: [{ operation: '*', count: 10, status: 500 }] });
    const elsewhere = rawStripe({}, `${STRIPE_TEST_KEY}_other`);
    await expect(elsewhere.paymentIntents.create({ amount: 1_000, currency: 'thb' })).resolves.toMatchObject({ status: 'requires_payment_method' });
    await expect(rawStripe().paymentIntents.create({ amount: 1_000, currency: 'thb' })).rejects.toMatchObject({ statusCode: 500 });
  });
});
