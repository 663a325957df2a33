import * as z from 'zod';
import { bookingRoutes } from '#functions/api/bookings/routes';
import { ValidationError } from '#core/errors';
import { applyPaymentEvent, PAYMENT_MISMATCH_LOG_MESSAGE } from '#core/payments/webhook';
import { endpoint, json } from '#platform/http';
import { logger, MetricUnit, metrics } from '#platform/logger';
import { paymentProvider, verifyWebhook } from '#platform/payments';

/** The parts of a Stripe event this endpoint reads; anything else in it is passed over. */
const EventEnvelope = z.object({
  id: z.string().min(1).max(255),
  type: z.string().min(1).max(255),
  data: z.object({
    object: z.object({
      object: z.string().optional(),
      id: z.string().min(1).max(255).optional(),
      amount: z.number().int().optional(),
      amount_received: z.number().int().optional(),
      currency: z.string().max(10).optional(),
      metadata: z.object({ booking_id: z.string().max(64).optional() }).optional(),
    }),
  }),
});

/**
 * Stripe's webhook. The signature is checked first, over the exact raw body (API Gateway
 * base64-encodes some bodies; `endpoint` decodes them for rawBody routes); a bad or stale
 * signature changes nothing. Each event id is applied once.
 */
export const handler = endpoint(bookingRoutes.stripeWebhook, async ({ rawBody, headers, db }) => {
  // Loads the Stripe settings first, so an unreachable secret store is a 5xx Stripe retries,
  // not a signature failure.
  const payments = await paymentProvider();
  let event: Awaited<ReturnType<typeof verifyWebhook>>;
  try {
    event = await verifyWebhook(rawBody, headers['stripe-signature']);
  } catch (error) {
    logger.warn('webhook signature rejected', { reason: error instanceof Error ? error.message : String(error) });
    throw new ValidationError('The Stripe-Signature header is missing, does not match the body, or is older than 300 seconds.');
  }
  const envelope = EventEnvelope.safeParse(event);
  if (!envelope.success) {
    logger.warn('signed webhook event with a malformed envelope', { issues: envelope.error.issues.slice(0, 5) });
    throw new ValidationError('The event is signed but not a Stripe event this endpoint can read (id, type and data.object are required).');
  }
  const { id, type, data } = envelope.data;
  const intent = data.object.object === 'payment_intent' ? data.object : undefined;
  const paid = { amount: intent?.amount_received ?? intent?.amount, currency: intent?.currency };
  const outcome = await applyPaymentEvent(db, payments, { id, type, intentId: intent?.id, bookingId: intent?.metadata?.booking_id, ...paid });
  if (outcome === 'amount_mismatch') {
    // Money arrived that is not the deposit asked for: a person must look (the booking stays unconfirmed).
    logger.error(PAYMENT_MISMATCH_LOG_MESSAGE, { eventId: id, intentId: intent?.id, ...paid });
    metrics.addMetric('PaymentAmountMismatch', MetricUnit.Count, 1);
  }
  logger.info('webhook event applied', { eventId: id, type, outcome });
  return json(200, { received: true, outcome });
});
