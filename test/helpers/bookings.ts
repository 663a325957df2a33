import { randomUUID } from 'node:crypto';
import { signWebhookPayload } from '#platform/payments';
import type { TestApi } from './api';
import { StandinRefusal, stripeStandin } from './stripe';
import { createAgencyAdmin, createCustomer, type TestUser } from './auth';
import { createCarFor } from './cars';

export interface BookingWorld {
  agency: TestUser;
  customer: TestUser;
  car: { id: string; daily_rate: number; deposit_amount: number };
}

/** An agency with one published car (900 THB/day, 5,000 THB deposit) and a customer; the agency's phone verified if asked. */
export async function bookingWorld(api: TestApi, options: { phoneVerified?: boolean } = {}): Promise<BookingWorld> {
  const agency = await createAgencyAdmin(undefined, options);
  const customer = await createCustomer();
  const car = await createCarFor(api, agency.token, { is_published: true, daily_rate: 90_000, deposit_amount: 500_000 });
  return { agency, customer, car: car as BookingWorld['car'] };
}

/** POST /bookings/ as the customer, with a fresh Idempotency-Key unless one is given. */
export function book(api: TestApi, token: string, body: Record<string, unknown>, key: string = randomUUID()) {
  return api.post('/bookings/', body, { token, headers: { 'idempotency-key': key } });
}

/** A Stripe event for a PaymentIntent, as Stripe would post it, with its signature (by default for bookingWorld's 5,000 THB deposit). */
export function stripeEvent(
  type: string,
  intentId: string,
  options: { eventId?: string; timestamp?: number; secret?: string; amount?: number; currency?: string; bookingId?: string } = {},
) {
  const payload = JSON.stringify({
    id: options.eventId ?? `evt_test_${randomUUID().replaceAll('-', '')}`,
    object: 'event',
    type,
    created: Math.floor(Date.now() / 1000),
    livemode: false,
    data: {
      object: {
        id: intentId,
        object: 'payment_intent',
        amount: options.amount ?? 500_000,
        amount_received: options.amount ?? 500_000,
        currency: options.currency ?? 'thb',
        metadata: options.bookingId ? { booking_id: options.bookingId } : {},
      },
    },
  });
  const signature = signWebhookPayload(payload, options.secret ?? process.env.STRIPE_WEBHOOK_SECRET!, options.timestamp);
  return { payload, signature };
}

/**
 * Stripe posts an event because the intent got there: unless told otherwise, the intent is first
 * moved at the stand-in to what the event reports (the webhook reads the intent's current state
 * from Stripe, not the event). An intent already final, or already there, is left as it is: the
 * event is then a stale or repeated one, as Stripe may deliver.
 */
export async function postStripeEvent(api: TestApi, event: { payload: string; signature: string }, options: { moveIntentFirst?: boolean } = {}) {
  if (options.moveIntentFirst ?? true) await moveIntentAsTheEventSays(event.payload);
  return deliverStripeEvent(api, event);
}

/** Posts a signed event as it is, touching nothing at Stripe. */
export function deliverStripeEvent(api: TestApi, event: { payload: string; signature: string }) {
  return api.request('POST', '/payments/webhook/', {
    rawBody: event.payload,
    headers: { 'content-type': 'application/json', 'stripe-signature': event.signature },
  });
}

async function moveIntentAsTheEventSays(payload: string): Promise<void> {
  let parsed: { type?: unknown; data?: { object?: { id?: unknown } } };
  try {
    parsed = JSON.parse(payload) as typeof parsed;
  } catch {
    return;
  }
  const intentId = parsed?.data?.object?.id;
  if (typeof intentId !== 'string' || !intentId.startsWith('pi_')) return;
  const intent = await stripeStandin.intent(intentId).catch(() => undefined);
  if (!intent || intent.status === 'succeeded' || intent.status === 'canceled') return;
  const move =
    parsed.type === 'payment_intent.succeeded'
      ? stripeStandin.succeed
      : parsed.type === 'payment_intent.canceled'
        ? stripeStandin.cancel
        : parsed.type === 'payment_intent.payment_failed' && !intent.last_payment_error
          ? stripeStandin.fail
          : undefined;
  await move?.(intentId).catch((error: unknown) => {
    if (!(error instanceof StandinRefusal)) throw error;
  });
}
