import Stripe from 'stripe';
import * as z from 'zod';
import type { PaymentProvider } from '#core/payments/provider';
import { defineConfig } from './config';
import { getSecretString } from './secrets';

export const paymentsConfig = defineConfig(
  'payments',
  z.object({
    // In AWS: a Secrets Manager secret {"secret_key": "sk_…", "webhook_secret": "whsec_…"},
    // read once per container, so keys never sit in the template or the environment.
    STRIPE_SECRET_ARN: z.string().startsWith('arn:').optional(),
    // Locally: the Stripe stand-in's test key (dev/stack.ts sets it); the webhook secret has a development default.
    STRIPE_SECRET_KEY: z.string().startsWith('sk_').optional(),
    STRIPE_WEBHOOK_SECRET: z.string().min(1).default('whsec_local_development_secret'),
    // Where the SDK sends its requests: unset in AWS (api.stripe.com); locally the stand-in
    // (dev/stripe-standin.ts), so the adapter below is the code the tests run.
    STRIPE_API_URL: z.url({ protocol: /^https?$/ }).optional(),
    // The SDK's own timeout and retries (a timed-out or 5xx/409 request is retried with the same
    // idempotency key); tests shorten them to see a hung Stripe.
    // Inside the API Lambda's 12 s (docs/operations.md, Time budgets): two tries of 3 s plus the SDK's back-off.
    STRIPE_TIMEOUT_MS: z.coerce.number().int().min(1).default(3000),
    STRIPE_MAX_NETWORK_RETRIES: z.coerce.number().int().min(0).max(10).default(1),
    AWS_REGION: z.string().default('ap-southeast-1'),
  }),
);

type PaymentsConfig = ReturnType<typeof paymentsConfig>;

/** The SDK's options from the configuration: host, port and protocol only when STRIPE_API_URL is set. */
export function stripeClientOptions(config: PaymentsConfig): Stripe.StripeConfig {
  const options: Stripe.StripeConfig = { maxNetworkRetries: config.STRIPE_MAX_NETWORK_RETRIES, timeout: config.STRIPE_TIMEOUT_MS };
  if (config.STRIPE_API_URL) {
    const url = new URL(config.STRIPE_API_URL);
    const protocol = url.protocol === 'http:' ? 'http' : 'https';
    Object.assign(options, { host: url.hostname, port: url.port || (protocol === 'http' ? 80 : 443), protocol });
  }
  return options;
}

interface StripeSettings {
  secretKey?: string;
  webhookSecret: string;
}

let secretFromArn: Promise<StripeSettings> | undefined;

function stripeSettings(): Promise<StripeSettings> {
  const config = paymentsConfig();
  // Without a secret ARN the environment is the source, read again after forgetConfig() (tests).
  const secretArn = config.STRIPE_SECRET_ARN;
  if (!secretArn) return Promise.resolve({ secretKey: config.STRIPE_SECRET_KEY, webhookSecret: config.STRIPE_WEBHOOK_SECRET });
  secretFromArn ??= (async () => {
    const secretString = await getSecretString(secretArn, { region: config.AWS_REGION });
    const secret = z.object({ secret_key: z.string().startsWith('sk_'), webhook_secret: z.string().min(1) }).parse(JSON.parse(secretString));
    return { secretKey: secret.secret_key, webhookSecret: secret.webhook_secret };
  })().catch((error: unknown) => {
    secretFromArn = undefined;
    throw error;
  });
  return secretFromArn;
}

let client: { config: PaymentsConfig; secretKey: string; stripe: Stripe } | undefined;

/** One client per container; rebuilt only when the configuration changes (tests: forgetConfig()). */
function stripeClient(secretKey: string): Stripe {
  const config = paymentsConfig();
  if (client?.config !== config || client.secretKey !== secretKey) {
    client = { config, secretKey, stripe: new Stripe(secretKey, stripeClientOptions(config)) };
  }
  return client.stripe;
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
  async retrieveIntent(intentId) {
    try {
      const intent = await stripeClient(secretKey).paymentIntents.retrieve(intentId);
      return {
        id: intent.id,
        status: intent.status,
        lastPaymentFailed: intent.last_payment_error != null,
        amountReceived: intent.amount_received,
        currency: intent.currency,
        bookingId: intent.metadata?.booking_id,
      };
    } catch (error) {
      // Not an intent of this account (a test event, another environment's): nothing to apply.
      if ((error as { code?: string }).code === 'resource_missing') return undefined;
      throw error;
    }
  },
});

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

/**
 * The provider this process uses: Stripe when a secret key is configured (locally and in tests
 * the stand-in, which startEmulators configures). There is no always-succeeding fallback: a call
 * Stripe would refuse must fail here first.
 */
export async function paymentProvider(): Promise<PaymentProvider> {
  if (providerForTests) return providerForTests;
  const { secretKey } = await stripeSettings();
  if (!secretKey) {
    throw new Error('No Stripe secret key: set STRIPE_SECRET_ARN (AWS) or STRIPE_SECRET_KEY (npm run dev and the tests set it, for the local Stripe stand-in)');
  }
  return stripeProvider(secretKey);
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
