import { randomBytes } from 'node:crypto';
import Stripe from 'stripe';
import type { Faults, PaymentIntent, Refund, StandinCall } from '../../dev/stripe-standin';
import { forgetConfig } from '#platform/config';

/**
 * A client of the Stripe stand-in's control API (dev/stripe-standin.ts; docs/bookings.md,
 * "The local Stripe stand-in").
 *
 * Importing this file gives the test file its own Stripe account on the run's shared stand-in:
 * a fresh `sk_test_…` key, which the payments adapter then uses. Faults and the call log are per
 * account, so a file that makes Stripe fail never fails another file running in parallel.
 */
export const STRIPE_TEST_KEY = `sk_test_file_${randomBytes(8).toString('hex')}`;
process.env.STRIPE_SECRET_KEY = STRIPE_TEST_KEY;
forgetConfig();

function standinUrl(): string {
  const url = process.env.STRIPE_STANDIN_URL;
  if (!url) throw new Error('STRIPE_STANDIN_URL is not set: the stand-in starts with the emulators (dev/stack.ts)');
  return url;
}

/** A refusal of the control API (e.g. a move Stripe never makes), with Stripe's error body. */
export class StandinRefusal extends Error {
  constructor(
    readonly status: number,
    readonly error: { type: string; code?: string; message: string },
  ) {
    super(`${status} ${error.code ?? error.type}: ${error.message}`);
  }
}

async function control<T>(method: string, path: string, body?: unknown): Promise<T> {
  const response = await fetch(`${standinUrl()}/_standin/${path}`, {
    method,
    headers: { authorization: `Bearer ${STRIPE_TEST_KEY}`, ...(body === undefined ? {} : { 'content-type': 'application/json' }) },
    body: body === undefined ? undefined : JSON.stringify(body),
  });
  const answer = (await response.json()) as T & { error?: { type: string; code?: string; message: string } };
  if (!response.ok) throw new StandinRefusal(response.status, answer.error ?? { type: 'unknown', message: JSON.stringify(answer) });
  return answer;
}

export const stripeStandin = {
  /** The customer paid: succeeded, amount_received and latest_charge set. */
  succeed: (intentId: string) => control<PaymentIntent>('POST', `intents/${intentId}/succeed`),
  /** The payment is on its way (e.g. a bank transfer): processing. */
  processing: (intentId: string) => control<PaymentIntent>('POST', `intents/${intentId}/processing`),
  /** The card was declined: back to requires_payment_method with last_payment_error. */
  fail: (intentId: string) => control<PaymentIntent>('POST', `intents/${intentId}/fail`),
  /** Canceled outside our code (e.g. in the Dashboard). */
  cancel: (intentId: string, reason?: string) => control<PaymentIntent>('POST', `intents/${intentId}/cancel`, reason ? { reason } : undefined),
  /** The intent as Stripe has it now. */
  intent: (intentId: string) => control<PaymentIntent>('GET', `intents/${intentId}`),
  /** The intent's refunds, oldest first. */
  refunds: async (intentId: string) => (await control<{ data: Refund[] }>('GET', `intents/${intentId}/refunds`)).data,
  /** The Stripe API calls this file's account received, oldest first. */
  calls: async () => (await control<{ data: StandinCall[] }>('GET', 'calls')).data,
  clearCalls: () => control<unknown>('DELETE', 'calls'),
  /** Replaces the faults (latency, error rate, fail/hang/lose the next N, hold). */
  faults: (faults: Faults) => control<Faults>('PUT', 'faults', faults),
  /** Lets held requests through and resets hung and lost ones; the hold is lifted. */
  release: () => control<{ held: number; silent: number }>('POST', 'release'),
  /** No faults, nothing held, an empty call log. */
  reset: async () => {
    await control<Faults>('DELETE', 'faults');
    await control<unknown>('DELETE', 'calls');
  },
};

/**
 * The raw SDK on this file's account (or another key's), for what the adapter does not do, e.g.
 * a second refund under another idempotency key. No retries unless asked.
 */
export function rawStripe(options: Stripe.StripeConfig = {}, secretKey = STRIPE_TEST_KEY): Stripe {
  const url = new URL(standinUrl());
  return new Stripe(secretKey, { host: url.hostname, port: url.port, protocol: 'http', maxNetworkRetries: 0, ...options });
}

export type { Faults, PaymentIntent, Refund, StandinCall };
