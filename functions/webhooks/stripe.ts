import { bookingRoutes } from '#functions/api/bookings/routes';
import { ValidationError } from '#core/errors';
import { applyPaymentEvent } from '#core/payments/webhook';
import { getDb } from '#platform/db';
import { endpoint, json } from '#platform/http';
import { logger } from '#platform/logger';
import { paymentProvider, verifyWebhook } from '#platform/payments';

/**
 * Stripe's webhook. The signature is checked first, over the exact raw body (API Gateway
 * base64-encodes some bodies; `endpoint` decodes them for rawBody routes); a bad or stale
 * signature changes nothing. Each event id is applied once.
 */
export const handler = endpoint(bookingRoutes.stripeWebhook, async ({ rawBody, headers }) => {
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
  const object = event.data.object as { object?: string; id?: string };
  const outcome = await applyPaymentEvent(getDb(), payments, {
    id: event.id,
    type: event.type,
    intentId: object.object === 'payment_intent' ? object.id : undefined,
  });
  logger.info('webhook event applied', { eventId: event.id, type: event.type, outcome });
  return json(200, { received: true, outcome });
});
