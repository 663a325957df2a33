import type { Kysely } from 'kysely';
import { addDays, todayInBangkok } from '../availability/dates';
import type { Database } from '../database';
import { selectBookings } from '../reservations/repository';
import { insertNotification, loadBookingNotices, pickupReminder } from './outbox';

/**
 * The daily reminder (08:00 in Bangkok): a pickup_reminder to the customer of every confirmed
 * booking that starts tomorrow, "tomorrow" being the calendar day after today in Asia/Bangkok
 * at `now`. Each booking is reminded once ever (dedupe key `reminder:<id>`), so the job can run
 * again, or twice, without a second email.
 */
export async function queuePickupReminders(db: Kysely<Database>, now: Date = new Date()): Promise<{ day: string; queued: number }> {
  const day = addDays(todayInBangkok(now), 1);
  const bookings = await selectBookings(db)
    .select('reservations.id')
    .where('reservations.status', '=', 'confirmed')
    .where('reservations.start_date', '=', day)
    .execute();
  const notices = await loadBookingNotices(
    db,
    bookings.map((booking) => booking.id),
  );
  let queued = 0;
  for (const notice of notices.values()) {
    if (await insertNotification(db, pickupReminder(notice))) queued++;
  }
  return { day, queued };
}
