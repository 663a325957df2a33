import { dispatchOutbox } from '#core/notifications/delivery';
import { getDb } from '#platform/db';
import { logger } from '#platform/logger';
import { notificationQueue } from '#platform/notification-queue';

/** Every minute (EventBridge): moves due outbox rows to the notifications queue. */
export async function handler(): Promise<{ dispatched: number; refused: number }> {
  const result = await dispatchOutbox(getDb('write'), notificationQueue());
  if (result.refused > 0) logger.warn('the queue refused some notifications; they are retried', { ...result });
  else if (result.dispatched > 0) logger.info('notifications dispatched', { ...result });
  return result;
}
