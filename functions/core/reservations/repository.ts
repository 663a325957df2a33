import { sql, type AliasedRawBuilder, type Kysely } from 'kysely';
import type { Database } from '../database';
import type { Reservation } from './table';

/**
 * The reservation queries that several features share. A reservation is a customer's booking
 * or an agency's block (a car off the road); both live in one table so that one exclusion
 * constraint keeps them apart. Booking queries start from here, so none forgets that a block
 * is not a booking.
 */

/** Customers' bookings, never agencies' blocks: the start of every booking query. */
export function selectBookings(db: Kysely<Database>) {
  return db.selectFrom('reservations').where('reservations.kind', '=', 'booking');
}

/** An UPDATE of bookings only; add the row's condition and the changes. */
export function updateBookings(db: Kysely<Database>) {
  return db.updateTable('reservations').where('reservations.kind', '=', 'booking');
}

/** The customer's own booking by id; another customer's is none (callers answer 404, never 403). */
export function selectCustomerBooking(db: Kysely<Database>, customerId: string, bookingId: string) {
  return selectBookings(db).where('reservations.id', '=', bookingId).where('reservations.customer_id', '=', customerId);
}

/**
 * Bookings of the agency's cars, deleted cars' included (their bookings stay the agency's).
 * By a subquery on cars rather than a join, so FOR UPDATE locks the bookings only.
 */
export function selectAgencyBookings(db: Kysely<Database>, agencyId: string) {
  return selectBookings(db).where('reservations.car_id', 'in', (eb) => eb.selectFrom('cars').select('cars.id').where('cars.agency_id', '=', agencyId));
}

/**
 * Bookings with everyone they concern: the car (`cars`), its agency (`agencies`), the agency's
 * admin (`admin`) and the customer (`customer`); select the columns you need. `source` is the
 * reservations table, or a set-returning call that yields reservation rows under that name
 * (the booking hold, hold_booking(), reads its notice in the same round trip).
 */
export function selectBookingsWithParties(db: Kysely<Database>, source: 'reservations' | AliasedRawBuilder<Reservation, 'reservations'> = 'reservations') {
  return db
    .selectFrom(source as 'reservations')
    .innerJoin('cars', 'cars.id', 'reservations.car_id')
    .innerJoin('agencies', 'agencies.id', 'cars.agency_id')
    .innerJoin('users as admin', 'admin.id', 'agencies.admin_user_id')
    .innerJoin('users as customer', 'customer.id', 'reservations.customer_id')
    .where('reservations.kind', '=', 'booking');
}

/**
 * Whether the car has an upcoming booking, as the car-delete rule of the API reads it: pending
 * (with a live hold: a lapsed one holds nothing) or confirmed, ending on `day` or later. A
 * completed rental never counts, even one whose last day is today: it is over, the car is back.
 * Blocks do not count either: an agency may delete a car it took off the road.
 */
export async function carHasUpcomingBooking(db: Kysely<Database>, carId: string, day: string): Promise<boolean> {
  const booking = await selectBookings(db)
    .select('reservations.id')
    .where('reservations.car_id', '=', carId)
    .where((eb) =>
      eb.or([
        eb('reservations.status', '=', 'confirmed'),
        eb.and([eb('reservations.status', '=', 'pending'), eb('reservations.expires_at', '>', sql<Date>`now()`)]),
      ]),
    )
    .where('reservations.end_date', '>=', sql<string>`${day}::date`)
    .limit(1)
    .executeTakeFirst();
  return booking !== undefined;
}

/**
 * Blocks: an agency takes a car off the road for inclusive dates. They live in the reservations
 * table (kind 'block', status confirmed while in force, cancelled once lifted), so the same
 * exclusion constraint keeps them from overlapping bookings and each other.
 */

/** The car's blocks in force; select the columns you need. */
export function selectActiveBlocks(db: Kysely<Database>, carId: string) {
  return db
    .selectFrom('reservations')
    .where('reservations.car_id', '=', carId)
    .where('reservations.kind', '=', 'block')
    .where('reservations.status', '=', 'confirmed');
}

/** A new block in force, or undefined when the exclusion constraint refused it (the dates are held). */
export async function insertBlock(
  db: Kysely<Database>,
  block: { carId: string; startDate: string; endDate: string; reason: string },
): Promise<Reservation | undefined> {
  return db
    .insertInto('reservations')
    .values({ car_id: block.carId, kind: 'block', status: 'confirmed', start_date: block.startDate, end_date: block.endDate, reason: block.reason })
    .onConflict((conflict) => conflict.doNothing())
    .returningAll()
    .executeTakeFirst();
}

/** Lifts a block of the car that is in force; false when the car has no such block. */
export async function liftBlock(db: Kysely<Database>, carId: string, blockId: string, now = new Date()): Promise<boolean> {
  const lifted = await db
    .updateTable('reservations')
    .set({ status: 'cancelled', updated_at: now })
    .where('reservations.id', '=', blockId)
    .where('reservations.car_id', '=', carId)
    .where('reservations.kind', '=', 'block')
    .where('reservations.status', '=', 'confirmed')
    .returning('reservations.id')
    .executeTakeFirst();
  return lifted !== undefined;
}
