import { sql, type Kysely } from 'kysely';
import { isCarAvailable } from '../availability/conflicts';
import { startOfBangkokDay, todayInBangkok } from '../availability/dates';
import { findOwnCar } from '../cars/inventory';
import type { Database } from '../database';
import { BookingConflict, Conflict, NotFound } from '../errors';
import { enqueueBookingNotifications } from '../notifications/outbox';
import { keysetPage, pageFrom, pagePosition, type Page, type PageRequest, type SortKey } from '../pagination';
import type { PaymentProvider } from '../payments/provider';
import { runPaymentTasksAfterCommit, schedulePaymentTask } from '../payments/tasks';
import { insertBlock, liftBlock, selectActiveBlocks, selectAgencyBookings, selectBookings, selectCustomerBooking } from '../reservations/repository';
import type { Reservation, ReservationStatus } from '../reservations/table';
import { assertBookableDates } from './create';
import { expireOverdueHolds } from './expiry';
import { agencyBookingJson, bookingJson, type AgencyBookingJson, type BlockJson, type BookingJson } from './shape';
import { assertAgencyTransition } from './status';

/** A customer gets the deposit back when cancelling at least this long before the start day. */
export const FREE_CANCELLATION_HOURS = 48;

/** The customer's list order: newest first; created_at alone is not unique. */
const NEWEST_FIRST: SortKey[] = [
  { expression: sql.ref('reservations.created_at'), direction: 'desc', type: 'timestamptz' },
  { expression: sql.ref('reservations.id'), direction: 'desc', type: 'uuid' },
];

/** A page of the customer's own bookings, newest first. */
export async function listCustomerBookings(
  db: Kysely<Database>,
  customerId: string,
  filter: { status?: ReservationStatus | undefined },
  page: PageRequest,
): Promise<Page<BookingJson>> {
  const position = pagePosition(NEWEST_FIRST, page);
  const query = selectBookings(db)
    .selectAll('reservations')
    .where('reservations.customer_id', '=', customerId)
    .$if(filter.status !== undefined, (query) => query.where('reservations.status', '=', filter.status!));
  return pageFrom(await keysetPage(query, position).execute(), position, bookingJson);
}

export async function getCustomerBooking(db: Kysely<Database>, customerId: string, bookingId: string): Promise<Reservation> {
  const booking = await selectCustomerBooking(db, customerId, bookingId).selectAll('reservations').executeTakeFirst();
  // Another customer's booking is "not found", never "forbidden".
  if (!booking) throw new NotFound('No booking of yours with this id.');
  return booking;
}

/** Whether a confirmed booking cancelled at `now` gets its deposit back (the policy of docs/bookings.md). */
export function isRefundable(startDate: string, now: Date): boolean {
  return now.getTime() <= startOfBangkokDay(startDate).getTime() - FREE_CANCELLATION_HOURS * 3_600_000;
}

/**
 * The customer cancels, before the start day (Bangkok) only: an unpaid booking's PaymentIntent
 * is cancelled; a paid one's deposit is refunded in full when 48 h or more before the start
 * day, none after. The money moves through a payment task recorded with the cancellation and
 * carried out after the commit (retried until done), so a Stripe error never undoes the
 * cancellation nor answers 500. `refund` is the amount on its way back.
 */
export async function cancelCustomerBooking(
  db: Kysely<Database>,
  payments: PaymentProvider,
  customerId: string,
  bookingId: string,
  now = new Date(),
): Promise<{ booking: BookingJson; refund: { amount: number } | null }> {
  const result = await db.transaction().execute(async (trx) => {
    const booking = await selectCustomerBooking(trx, customerId, bookingId).selectAll('reservations').forUpdate().executeTakeFirst();
    if (!booking) throw new NotFound('No booking of yours with this id.');
    if (booking.status !== 'pending' && booking.status !== 'confirmed') {
      throw new Conflict(`A ${booking.status} booking cannot be cancelled.`);
    }
    // From its first day the car is (or should be) with the customer: cancelling would free
    // dates of a rental under way. The agency ends a running rental (completed, an early
    // return) or cancels a no-show.
    if (todayInBangkok(now) >= booking.start_date) {
      throw new Conflict(
        `This rental started on ${booking.start_date} (Bangkok), so it can no longer be cancelled; the agency ends a running rental. Contact the agency to return the car early.`,
      );
    }
    let refund: { amount: number } | null = null;
    const paid = booking.deposit_paid_at !== null;
    if (!paid) await schedulePaymentTask(trx, { reservationId: booking.id, kind: 'cancel_intent', intentId: booking.payment_intent_id });
    else if (isRefundable(booking.start_date, now)) {
      await schedulePaymentTask(trx, { reservationId: booking.id, kind: 'refund_deposit', intentId: booking.payment_intent_id });
      refund = { amount: booking.deposit_amount! };
    }
    const cancelled = await trx
      .updateTable('reservations')
      .set({ status: 'cancelled', updated_at: now })
      .where('id', '=', booking.id)
      .returningAll()
      .executeTakeFirstOrThrow();
    await enqueueBookingNotifications(trx, booking.id, 'cancelled');
    return { booking: bookingJson(cancelled), refund };
  });
  // After the commit: the cancellation stands whatever Stripe does now; a failure is retried by the minute job.
  await runPaymentTasksAfterCommit(db, payments, [bookingId]);
  return result;
}

/** The order of the agency's bookings and of a car's blocks: by start date; start dates are not unique. */
const BY_START_DATE: SortKey[] = [
  { expression: sql.ref('reservations.start_date'), direction: 'asc', type: 'date' },
  { expression: sql.ref('reservations.id'), direction: 'asc', type: 'uuid' },
];

/** A page of the bookings of the agency's cars, by start date, with filters. */
export async function listAgencyBookings(
  db: Kysely<Database>,
  agencyId: string,
  filter: { status?: ReservationStatus | undefined; carId?: string | undefined; from?: string | undefined; to?: string | undefined },
  page: PageRequest,
): Promise<Page<AgencyBookingJson>> {
  const position = pagePosition(BY_START_DATE, page);
  let query = selectAgencyBookings(db, agencyId)
    .innerJoin('users', 'users.id', 'reservations.customer_id')
    .selectAll('reservations')
    .select(['users.full_name as customer_name', 'users.email as customer_email']);
  if (filter.status) query = query.where('reservations.status', '=', filter.status);
  if (filter.carId) query = query.where('reservations.car_id', '=', filter.carId);
  // from/to select bookings overlapping [from, to], inclusive like every range here.
  if (filter.from) query = query.where('reservations.end_date', '>=', filter.from);
  if (filter.to) query = query.where('reservations.start_date', '<=', filter.to);
  return pageFrom(await keysetPage(query, position).execute(), position, agencyBookingJson);
}

/**
 * The agency moves a booking of its own car along its state machine (status.ts). Cancelling
 * refunds a paid deposit in full (the agency's decision, not the customer's; also for a
 * no-show on or after the start day: an agency never keeps a deposit by cancelling) and
 * cancels an unpaid PaymentIntent. Completing before end_date is an early return.
 */
export async function changeBookingStatus(
  db: Kysely<Database>,
  payments: PaymentProvider,
  agencyId: string,
  bookingId: string,
  to: ReservationStatus,
  now = new Date(),
): Promise<BookingJson> {
  const changed = await db.transaction().execute(async (trx) => {
    const booking = await selectAgencyBookings(trx, agencyId).selectAll('reservations').where('reservations.id', '=', bookingId).forUpdate().executeTakeFirst();
    if (!booking) throw new NotFound('No booking of your cars with this id.');
    const today = todayInBangkok(now);
    assertAgencyTransition(booking.status, to, booking.start_date, today);
    // Money follows what was paid, not the status: an agency may confirm a booking that was
    // never paid (cash at the counter), and refunding an intent with no charge is refused by Stripe.
    if (to === 'cancelled') {
      const paid = booking.deposit_paid_at !== null;
      await schedulePaymentTask(trx, {
        reservationId: booking.id,
        kind: paid ? 'refund_deposit' : 'cancel_intent',
        intentId: booking.payment_intent_id,
      });
    }
    // Completing before the booked end is an early return: the rental ends today, so only the
    // days after today are freed (completed keeps holding its dates); the booked end and its
    // price stay on the booking.
    const earlyReturn = to === 'completed' && today < booking.end_date ? { end_date: today, booked_end_date: booking.end_date } : {};
    const updated = await trx
      .updateTable('reservations')
      .set({ status: to, updated_at: now, ...(to === 'confirmed' ? { expires_at: null } : {}), ...earlyReturn })
      .where('id', '=', booking.id)
      .returningAll()
      .executeTakeFirstOrThrow();
    if (to === 'confirmed' || to === 'cancelled') await enqueueBookingNotifications(trx, booking.id, to);
    return bookingJson(updated);
  });
  if (to === 'cancelled') await runPaymentTasksAfterCommit(db, payments, [bookingId]);
  return changed;
}

const blockJson = (row: Pick<Reservation, 'id' | 'car_id' | 'start_date' | 'end_date' | 'reason' | 'status'>): BlockJson => ({
  id: row.id,
  car_id: row.car_id,
  start_date: row.start_date,
  end_date: row.end_date,
  reason: row.reason ?? '',
  status: row.status as BlockJson['status'],
});

/**
 * Takes a car off the road for inclusive dates. Blocks live in the reservations table, so the
 * same exclusion constraint keeps them from overlapping bookings and each other.
 */
export async function createBlock(
  db: Kysely<Database>,
  payments: PaymentProvider,
  agencyId: string,
  carId: string,
  input: { startDate: string; endDate: string; reason: string },
  now = new Date(),
): Promise<BlockJson> {
  assertBookableDates(input.startDate, input.endDate, now);
  let expiredHolds: string[] = [];
  const block = await db.transaction().execute(async (trx) => {
    await findOwnCar(trx, agencyId, carId);
    expiredHolds = await expireOverdueHolds(trx, { carId });
    // A block holds no buffer of its own (0); a booking's turnaround after it still counts, through its held_until.
    if (!(await isCarAvailable(trx, carId, input.startDate, input.endDate, 0))) {
      throw new BookingConflict('The car has a booking or another block on some of these dates.');
    }
    // A concurrent booking may still win between the check and the insert: the exclusion constraint decides (see createBooking).
    const block = await insertBlock(trx, { carId, ...input });
    if (!block) throw new BookingConflict('The car has a booking or another block on some of these dates.');
    return blockJson(block);
  });
  await runPaymentTasksAfterCommit(db, payments, expiredHolds);
  return block;
}

/** A page of the car's active blocks, by start date. */
export async function listBlocks(db: Kysely<Database>, agencyId: string, carId: string, page: PageRequest): Promise<Page<BlockJson>> {
  const position = pagePosition(BY_START_DATE, page);
  await findOwnCar(db, agencyId, carId);
  const query = selectActiveBlocks(db, carId).select([
    'reservations.id',
    'reservations.car_id',
    'reservations.start_date',
    'reservations.end_date',
    'reservations.reason',
    'reservations.status',
  ]);
  return pageFrom(await keysetPage(query, position).execute(), position, blockJson);
}

export async function cancelBlock(db: Kysely<Database>, agencyId: string, carId: string, blockId: string): Promise<void> {
  await findOwnCar(db, agencyId, carId);
  if (!(await liftBlock(db, carId, blockId))) throw new NotFound('No active block with this id on this car.');
}
