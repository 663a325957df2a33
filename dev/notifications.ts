import { drainOutbox } from '#core/notifications/delivery';
import { queuePickupReminders } from '#core/notifications/reminders';
import { getDb } from '#platform/db';
import { notificationSender } from '#platform/notifications';

/**
 * Locally there is no queue: every few seconds the outbox is drained in process, through the
 * same render and idempotent send the queue consumer uses, to the SES emulator (its web view at
 * SES_ENDPOINT lists the mail). Pickup reminders are queued at start and hourly (once per
 * booking, so repeating is harmless). Returns the function that stops both.
 */
export function startLocalNotifications(options: { intervalMs?: number; log?: (message: string) => void } = {}): () => Promise<void> {
  const log = options.log ?? ((message: string) => console.error(message));
  let running: Promise<unknown> = Promise.resolve();
  let busy = false;
  const drain = () => {
    if (busy) return; // the previous drain is still sending
    busy = true;
    running = drainOutbox(getDb(), notificationSender())
      .catch((error: unknown) => log(`outbox drain failed: ${String(error)}`))
      .finally(() => {
        busy = false;
      });
  };
  const remind = () => {
    queuePickupReminders(getDb()).catch((error: unknown) => log(`pickup reminders failed: ${String(error)}`));
  };
  const drainTimer = setInterval(drain, options.intervalMs ?? 3000);
  const remindTimer = setInterval(remind, 3_600_000);
  remind();
  return async () => {
    clearInterval(drainTimer);
    clearInterval(remindTimer);
    await running;
  };
}
