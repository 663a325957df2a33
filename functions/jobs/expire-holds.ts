import { runExpiry } from '#core/bookings/expiry';
import { getDb } from '#platform/db';
import { logger } from '#platform/logger';
import { paymentProvider } from '#platform/payments';

/** Every minute (EventBridge in AWS, an interval in the local server): unpaid holds expire. */
export async function handler(): Promise<{ expired: number }> {
  const result = await runExpiry(getDb('write'), await paymentProvider());
  if (result.expired > 0 || result.cancelFailures > 0) logger.info('expired overdue holds', result);
  return { expired: result.expired };
}
