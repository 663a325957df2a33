import { sql, type AliasedRawBuilder, type Kysely } from 'kysely';
import { reservationHoldsDates } from '../availability/conflicts';
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
 * Whether a booking of the car holds any day from `day` on: the date-holding rule of
 * reservationHoldsDates() (confirmed, completed, or pending with a live hold), on days not
 * yet past. Blocks do not count: an agency may delete a car it took off the road.
 */
export async function carHasBookingHoldingFrom(db: Kysely<Database>, carId: string, day: string): Promise<boolean> {
  const booking = await selectBookings(db)
    .select('reservations.id')
    .where('reservations.car_id', '=', carId)
    .where(reservationHoldsDates('reservations'))
    .where('reservations.end_date', '>=', sql<string>`${day}::date`)
    .limit(1)
    .executeTakeFirst();
  return booking !== undefined;
}
