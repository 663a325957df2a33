import { beforeAll, describe, expect, it } from 'vitest';
import { drainOutbox } from '#core/notifications/delivery';
import { queuePickupReminders } from '#core/notifications/reminders';
import { getDb } from '#platform/db';
import { notificationSender } from '#platform/notifications';
import { sentMailTo } from '../helpers/mail';
import { insertAgency, insertBookingRow, insertCar, insertUser } from '../helpers/rentals';

const db = getDb();

/** 17:30 UTC on 9 March 2027 is already 00:30 on 10 March in Bangkok (UTC+7): tomorrow there is 11 March. */
const JUST_AFTER_BANGKOK_MIDNIGHT = new Date('2027-03-09T17:30:00Z');

let agencyId: string;
beforeAll(async () => {
  agencyId = (await insertAgency({ name: 'Rawai Wheels' })).id;
});

/** Each booking on its own car, so bookings on the same dates never meet the no-overlap constraint. */
async function bookingStarting(start: string, status: 'confirmed' | 'pending' | 'cancelled' | 'completed' = 'confirmed') {
  const customer = await insertUser('customer', { fullName: 'Lena Berg' });
  const car = await insertCar(agencyId, { make: 'Yamaha', model: 'NMAX', pickup_address: 'Rawai Beach Rd 5' });
  const bookingId = await insertBookingRow({
    carId: car,
    customerId: customer.id,
    status,
    start,
    end: new Date(Date.parse(start) + 2 * 86_400_000).toISOString().slice(0, 10),
  });
  return { bookingId, customer };
}

const remindersOf = (bookingId: string) =>
  db.selectFrom('notifications').selectAll().where('reservation_id', '=', bookingId).where('kind', '=', 'pickup_reminder').execute();

describe('queuePickupReminders (daily at 08:00 in Bangkok)', () => {
  it('queues a reminder to the customer of each confirmed booking starting tomorrow in Bangkok, by the injected clock', async () => {
    const tomorrow = await bookingStarting('2027-03-11');
    // Tomorrow by the UTC date (10 March) would be this one: it must not be reminded.
    const today = await bookingStarting('2027-03-10');
    const unconfirmed = await bookingStarting('2027-03-11', 'pending');
    const cancelled = await bookingStarting('2027-03-11', 'cancelled');

    const result = await queuePickupReminders(db, JUST_AFTER_BANGKOK_MIDNIGHT);
    expect(result).toEqual({ day: '2027-03-11', queued: 1 });
    const [reminder, ...more] = await remindersOf(tomorrow.bookingId);
    expect(more).toEqual([]);
    expect(reminder).toMatchObject({
      channel: 'email',
      recipient: tomorrow.customer.email,
      dedupe_key: `reminder:${tomorrow.bookingId}`,
      status: 'pending',
      payload: expect.objectContaining({ booking_id: tomorrow.bookingId, car: 'Yamaha NMAX', start_date: '2027-03-11', pickup_address: 'Rawai Beach Rd 5' }),
    });
    for (const other of [today, unconfirmed, cancelled]) expect(await remindersOf(other.bookingId)).toEqual([]);
  });

  it('queues each reminder once however often the job runs', async () => {
    const booking = await bookingStarting('2027-03-11');
    expect((await queuePickupReminders(db, JUST_AFTER_BANGKOK_MIDNIGHT)).queued).toBe(1);
    expect((await queuePickupReminders(db, JUST_AFTER_BANGKOK_MIDNIGHT)).queued).toBe(0);
    expect((await queuePickupReminders(db, new Date('2027-03-10T01:00:00Z'))).queued).toBe(0);
    expect(await remindersOf(booking.bookingId)).toHaveLength(1);
  });

  it('takes the Bangkok calendar day: 23:59 there is still today, one minute later tomorrow is the day after', async () => {
    expect((await queuePickupReminders(db, new Date('2027-03-10T16:59:00Z'))).day).toBe('2027-03-11');
    expect((await queuePickupReminders(db, new Date('2027-03-10T17:00:00Z'))).day).toBe('2027-03-12');
    // New year in Bangkok while it is still 31 December in UTC.
    expect((await queuePickupReminders(db, new Date('2026-12-31T18:00:00Z'))).day).toBe('2027-01-02');
  });

  it('reaches the customer by email with the pick-up place and date', async () => {
    const booking = await bookingStarting('2027-04-20');
    await queuePickupReminders(db, new Date('2027-04-19T01:00:00Z')); // 08:00 on 19 April in Bangkok
    await drainOutbox(db, notificationSender());
    const [mail] = await sentMailTo(booking.customer.email);
    expect(mail).toMatchObject({
      subject: 'Reminder: pick up your Yamaha NMAX tomorrow, Tue 20 Apr 2027',
      body: { text: expect.stringContaining('Rawai Beach Rd 5') },
    });
  });
});
