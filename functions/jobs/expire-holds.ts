import { runExpiry } from '#core/bookings/expiry';
import { getDb } from '#platform/db';
import { logger } from '#platform/logger';
import { paymentProvider } from '#platform/payments';

/** Every minute (EventBridge in AWS, an interval in the local server): unpaid holds expire and payment tasks are carried out. */
export async function handler(): Promise<{ expired: number }> {
  const result = await runExpiry(getDb('write'), await paymentProvider());
  if (result.expired > 0 || result.payments.done + result.payments.retrying + result.payments.failed > 0) logger.info('expired overdue holds', result);
  // A task out of retries needs a person (docs/operations.md, ExpireHoldsErrors): failing the run makes the alarm see it.
  if (result.payments.failed > 0) throw new Error(`${result.payments.failed} payment task(s) failed for good; see payment_tasks.last_error`);
  return { expired: result.expired };
}
