/**
 * Delivery limits shared by the code and the CDK stack (lib/notifications.ts), so the
 * database's attempts counter and the queue's redrive agree.
 */

/** Attempts before a row is 'failed' (and, in AWS, the queue's maxReceiveCount before the DLQ). */
export const MAX_DELIVERY_ATTEMPTS = 5;

/** The first retry waits this long; each further one twice as long … */
export const RETRY_BASE_SECONDS = 30;
/** … but never longer than this. */
export const RETRY_MAX_SECONDS = 3600;

/** Seconds to wait before the next try after `attempts` failed ones: 30, 60, 120, 240 … capped. */
export function retryDelaySeconds(attempts: number): number {
  return Math.min(RETRY_BASE_SECONDS * 2 ** Math.max(0, attempts - 1), RETRY_MAX_SECONDS);
}

/** The queue's messages are FIFO with deduplication by outbox id; the consumer's timeout. */
export const CONSUMER_TIMEOUT_SECONDS = 30;
