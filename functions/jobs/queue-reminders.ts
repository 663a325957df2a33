import { queuePickupReminders } from '#core/notifications/reminders';
import { getDb } from '#platform/db';
import { logger } from '#platform/logger';

/** Daily at 01:00 UTC = 08:00 in Bangkok: reminders for confirmed bookings starting tomorrow. */
export async function handler(): Promise<{ day: string; queued: number }> {
  const result = await queuePickupReminders(getDb('write'));
  logger.info('pickup reminders queued', result);
  return result;
}
