import { runExpiry } from '#core/bookings/expiry';
import { runObjectDeletions } from '#core/cars/object-deletions';
import { drainOutbox } from '#core/notifications/delivery';
import { queuePickupReminders } from '#core/notifications/reminders';
import { extendPriceHorizon } from '#core/search/price-horizon';
import { getDb } from '#platform/db';
import { notificationSender } from '#platform/notifications';
import { paymentProvider } from '#platform/payments';
import { s3ImageStorage } from '#platform/s3';

/**
 * What EventBridge schedules and the SQS consumer do in AWS, in the local server's process:
 * - every minute, unpaid holds past their 15 minutes expire (the expire-holds job);
 * - every 3 s the outbox is drained through the same render and idempotent send the queue
 *   consumer uses, to the SES emulator (its web view at SES_ENDPOINT lists the mail);
 * - pickup reminders are queued at start and hourly (once per booking, so repeating is harmless);
 * - every 5 minutes photo objects left by a failed removal are removed (the delete-objects job);
 * - at start and daily, search's price rows reach the furthest month a search can (extend-price-horizon).
 * Returns the function that stops them and waits for a run in progress.
 */
export function startLocalJobs(options: { log?: (message: string) => void } = {}): () => Promise<void> {
  const log = options.log ?? ((message: string) => console.error(message));
  const running = new Set<Promise<unknown>>();
  const timers: NodeJS.Timeout[] = [];

  /** Runs the task every `ms`, skipping a tick while the previous run is still going. */
  function every(ms: number, name: string, task: () => Promise<unknown>, options: { now?: boolean } = {}) {
    let busy = false;
    const tick = () => {
      if (busy) return;
      busy = true;
      const run = task()
        .catch((error: unknown) => log(`${name} failed: ${String(error)}`))
        .finally(() => {
          busy = false;
          running.delete(run);
        });
      running.add(run);
    };
    timers.push(setInterval(tick, ms));
    if (options.now) tick();
  }

  every(60_000, 'hold expiry', async () => runExpiry(getDb('write'), await paymentProvider()), { now: true });
  every(3_000, 'outbox drain', () => drainOutbox(getDb('write'), notificationSender()));
  every(3_600_000, 'pickup reminders', () => queuePickupReminders(getDb('write')), { now: true });
  every(300_000, 'object deletions', () => runObjectDeletions(getDb('write'), s3ImageStorage));
  every(86_400_000, 'price horizon', () => extendPriceHorizon(getDb('write')), { now: true });

  return async () => {
    for (const timer of timers) clearInterval(timer);
    await Promise.all(running);
  };
}
