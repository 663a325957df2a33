import * as z from 'zod';
import { bookingRoutes } from '#functions/api/bookings/routes';
import { ValidationError } from '#core/errors';
import { applyPaymentEvent, HANDLED_EVENT_TYPES, PAYMENT_MISMATCH_LOG_MESSAGE } from '#core/payments/webhook';
import { endpoint } from '#platform/http';
import { logger, MetricUnit, metrics } from '#platform/logger';
import { paymentProvider, verifyWebhook } from '#platform/payments';

/** The envelope every Stripe event has; anything else in it is passed over. */
const EventEnvelope = z.object({
  id: z.string().min(1).max(255),
  type: z.string().min(1).max(255),
  data: z.object({ object: z.object({}).loose() }),
});

/**
 * What a payment_intent.* event must carry, and all of it this endpoint reads: the intent's id
 * (the truth about the intent is then read from Stripe) and, for an event that overtakes the
 * booking request, its metadata.booking_id.
 */
const IntentObject = z.object({
  object: z.literal('payment_intent'),
  id: z.string().regex(/^pi_[A-Za-z0-9_]{1,250}$/),
  metadata: z
    .object({ booking_id: z.string().max(64).optional() })
    .loose()
    .optional(),
});

const invalid = (detail: string) => new ValidationError(detail);

/**
 * Stripe's webhook. The signature is checked first, over the exact raw body (API Gateway
 * base64-encodes some bodies; `endpoint` decodes them for rawBody routes); a bad or stale
 * signature changes nothing. Then every field used is validated: a signed event this endpoint
 * cannot read is a 400 (a 5xx would make Stripe retry it for days); an event type it does not
 * handle is a 200 'ignored'. Each event id is applied once; what it applies is the intent's
 * current state at Stripe (core/payments/webhook.ts). Stripe unreachable → 503, and Stripe
 * delivers the event again.
 */
export const handler = endpoint(bookingRoutes.stripeWebhook, async ({ rawBody, requestHeaders, db }, reply) => {
  // Loads the Stripe settings first, so an unreachable secret store is a 5xx Stripe retries,
  // not a signature failure.
  const payments = await paymentProvider();
  let event: unknown;
  try {
    event = await verifyWebhook(rawBody, requestHeaders['Stripe-Signature']);
  } catch (error) {
    if (error instanceof SyntaxError) throw invalid('The event is signed but is not JSON.');
    // Bytes that are not UTF-8 reach here as U+FFFD, so the signature Stripe made over the bytes
    // cannot match: say what is wrong with the body rather than blame the signature.
    if (rawBody.includes('\uFFFD')) throw invalid('The body is not valid UTF-8 (a Stripe event always is), so its signature cannot be checked.');
    logger.warn('webhook signature rejected', { reason: error instanceof Error ? error.message : String(error) });
    throw invalid('The Stripe-Signature header is missing, does not match the body, or is older than 300 seconds.');
  }
  const envelope = EventEnvelope.safeParse(event);
  if (!envelope.success) {
    logger.warn('signed webhook event with a malformed envelope', { issues: envelope.error.issues.slice(0, 5) });
    throw invalid('The event is signed but not a Stripe event this endpoint can read (id, type and data.object are required).');
  }
  const { id, type, data } = envelope.data;
  let intent: z.infer<typeof IntentObject> | undefined;
  if (HANDLED_EVENT_TYPES.includes(type)) {
    const parsed = IntentObject.safeParse(data.object);
    if (!parsed.success) {
      logger.warn('signed payment_intent event with a malformed intent', { eventId: id, issues: parsed.error.issues.slice(0, 5) });
      throw invalid(`A ${type} event must carry a payment_intent with an id (pi_…) in data.object.`);
    }
    intent = parsed.data;
  }
  const { outcome, intent: atStripe } = await applyPaymentEvent(db, payments, { id, type, intentId: intent?.id, bookingId: intent?.metadata?.booking_id });
  if (outcome === 'amount_mismatch') {
    // Money arrived that is not the deposit asked for: a person must look (the booking stays unconfirmed).
    logger.error(PAYMENT_MISMATCH_LOG_MESSAGE, { eventId: id, intentId: intent?.id, amount: atStripe?.amountReceived, currency: atStripe?.currency });
    metrics.addMetric('PaymentAmountMismatch', MetricUnit.Count, 1);
  }
  logger.info('webhook event applied', { eventId: id, type, outcome });
  return reply(200, { received: true, outcome });
});
