import { randomBytes } from 'node:crypto';
import Stripe from 'stripe';
import * as z from 'zod';
import type { DepositIntent, PaymentProvider } from '#core/payments/provider';
import { defineConfig } from './config';
import { logger } from './logger';

export const paymentsConfig = defineConfig(
  'payments',
  z.object({
    // In AWS: a Secrets Manager secret {"secret_key": "sk_…", "webhook_secret": "whsec_…"},
    // read once per container, so keys never sit in the template or the environment.
    STRIPE_SECRET_ARN: z.string().startsWith('arn:').optional(),
    // Locally: unset key → the offline provider; the webhook secret has a development default.
    STRIPE_SECRET_KEY: z.string().startsWith('sk_').optional(),
    STRIPE_WEBHOOK_SECRET: z.string().min(1).default('whsec_local_development_secret'),
  }),
);

interface StripeSettings {
  secretKey?: string;
  webhookSecret: string;
}

let settings: Promise<StripeSettings> | undefined;

function stripeSettings(): Promise<StripeSettings> {
  settings ??= (async () => {
    const config = paymentsConfig();
    if (!config.STRIPE_SECRET_ARN) return { secretKey: config.STRIPE_SECRET_KEY, webhookSecret: config.STRIPE_WEBHOOK_SECRET };
    const { GetSecretValueCommand, SecretsManagerClient } = await import('@aws-sdk/client-secrets-manager');
    const { SecretString } = await new SecretsManagerClient({}).send(new GetSecretValueCommand({ SecretId: config.STRIPE_SECRET_ARN }));
    const secret = z.object({ secret_key: z.string().startsWith('sk_'), webhook_secret: z.string().min(1) }).parse(JSON.parse(SecretString ?? '{}'));
    return { secretKey: secret.secret_key, webhookSecret: secret.webhook_secret };
  })().catch((error: unknown) => {
    settings = undefined;
    throw error;
  });
  return settings;
}

let stripe: Stripe | undefined;

function stripeClient(secretKey: string): Stripe {
  stripe ??= new Stripe(secretKey, { maxNetworkRetries: 2, timeout: 8000 });
  return stripe;
}

const stripeProvider = (secretKey: string): PaymentProvider => ({
  async createDepositIntent({ bookingId, amount, currency, customerEmail }) {
    const intent = await stripeClient(secretKey).paymentIntents.create(
      {
        amount,
        currency,
        receipt_email: customerEmail,
        description: `Deposit for booking ${bookingId}`,
        metadata: { booking_id: bookingId },
        automatic_payment_methods: { enabled: true },
      },
      // A retried booking request must never create a second intent.
      { idempotencyKey: `booking-${bookingId}-deposit` },
    );
    return { provider: 'stripe', intentId: intent.id, clientSecret: intent.client_secret ?? '', amount: intent.amount };
  },
  async cancelIntent(intentId) {
    try {
      await stripeClient(secretKey).paymentIntents.cancel(intentId, undefined, { idempotencyKey: `cancel-${intentId}` });
    } catch (error) {
      // Already succeeded or canceled: nothing left to cancel.
      if ((error as { code?: string }).code !== 'payment_intent_unexpected_state') throw error;
    }
  },
  async refundDeposit(intentId) {
    await stripeClient(secretKey).refunds.create({ payment_intent: intentId }, { idempotencyKey: `refund-${intentId}` });
  },
});

/**
 * Offline stand-in: intents are `pi_local_…` and nothing leaves the machine. The matching
 * webhook events come from `npm run stripe:trigger`, signed like Stripe signs them.
 */
export const offlineProvider: PaymentProvider & { log: Array<{ action: string; intentId: string }> } = {
  log: [],
  async createDepositIntent({ bookingId, amount }): Promise<DepositIntent> {
    // Deterministic per booking, like Stripe's idempotency key makes it.
    const intentId = `pi_local_${bookingId.replaceAll('-', '')}`;
    return { provider: 'stripe', intentId, clientSecret: `${intentId}_secret_${randomBytes(8).toString('hex')}`, amount };
  },
  async cancelIntent(intentId) {
    offlineProvider.log.push({ action: 'cancel', intentId });
    logger.info('offline payments: intent cancelled', { intentId });
  },
  async refundDeposit(intentId) {
    offlineProvider.log.push({ action: 'refund', intentId });
    logger.info('offline payments: deposit refunded', { intentId });
  },
};

let providerForTests: PaymentProvider | undefined;

/**
 * Test seam, for tests only: from now on `paymentProvider()` returns `provider` (e.g. one that
 * records its calls) in this process; `undefined` restores the configured one. The handlers run
 * in the test's process (the local server imports them), so they pick it up. Never called by
 * application code.
 */
export function setPaymentProviderForTests(provider: PaymentProvider | undefined): void {
  providerForTests = provider;
}

/** The provider this process uses: Stripe when a secret key is configured, else offline. */
export async function paymentProvider(): Promise<PaymentProvider> {
  if (providerForTests) return providerForTests;
  const { secretKey } = await stripeSettings();
  return secretKey ? stripeProvider(secretKey) : offlineProvider;
}

/** Stripe's default tolerance: a signature older than this is a replay. */
export const WEBHOOK_TOLERANCE_SECONDS = 300;

/** Verifies the Stripe-Signature header over the exact raw body; throws if it does not match. */
export async function verifyWebhook(rawBody: string, signature: string | undefined): Promise<Stripe.Event> {
  const { webhookSecret } = await stripeSettings();
  if (!signature) throw new Error('missing Stripe-Signature header');
  return Stripe.webhooks.constructEvent(rawBody, signature, webhookSecret, WEBHOOK_TOLERANCE_SECONDS);
}

/** Signs a payload as Stripe would (the local trigger command and tests). */
export function signWebhookPayload(payload: string, secret: string, timestamp?: number): string {
  return Stripe.webhooks.generateTestHeaderString({ payload, secret, ...(timestamp ? { timestamp } : {}) });
}
