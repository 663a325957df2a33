import { createHash } from 'node:crypto';
import { sql, type Kysely, type Transaction } from 'kysely';
import { isCarAvailable } from '../availability/conflicts';
import { isCalendarDate, rentalRangeProblems, todayInBangkok } from '../availability/dates';
import type { Database } from '../database';
import { BookingConflict, Conflict, NotFound, ValidationError } from '../errors';
import { enqueueBookingNotifications } from '../notifications/outbox';
import type { PaymentProvider } from '../payments/provider';
import { priceRental, type PricingRates } from '../pricing/pricing';
import { cancelIntents, expireOverdueHolds } from './expiry';
import { bookingJson, type BookingJson } from './shape';

/** How long a pending booking holds the car while the deposit is being paid. */
export const HOLD_MINUTES = 15;

export interface CreateBookingRequest {
  customerId: string;
  customerEmail: string;
  idempotencyKey: string;
  carId: string;
  startDate: string;
  endDate: string;
}

export interface BookingDependencies {
  payments: PaymentProvider;
  rates: PricingRates;
  now?: Date;
  /** Test seam: runs between the availability check and the insert (the race window). */
  beforeInsert?: () => Promise<void>;
}

export interface CreatedBooking {
  booking: BookingJson;
  /** True when this answer is the stored one of an earlier request with the same key. */
  replayed: boolean;
}

/** The body's identity for idempotency: same key with another body is refused. */
export function requestHash(request: Pick<CreateBookingRequest, 'carId' | 'startDate' | 'endDate'>): string {
  return createHash('sha256').update(JSON.stringify([request.carId, request.startDate, request.endDate])).digest('hex');
}

/** The dates rules of API.md for anything that takes a car's dates (bookings and blocks): 400 if broken. */
export function assertBookableDates(startDate: string, endDate: string, now: Date): void {
  const problems = [
    ...(isCalendarDate(startDate) ? [] : [{ path: 'start_date', message: 'is not a calendar date' }]),
    ...(isCalendarDate(endDate) ? [] : [{ path: 'end_date', message: 'is not a calendar date' }]),
  ];
  if (problems.length === 0) problems.push(...rentalRangeProblems(startDate, endDate, todayInBangkok(now)));
  if (problems.length > 0) throw new ValidationError('The dates cannot be booked.', { errors: problems });
}

/**
 * Books a car (the roadmap's `transaction.atomic` block), in ONE transaction:
 * claim the idempotency key → expire this car's overdue holds → re-run the availability
 * check → price from the car's current rate → insert the booking as pending for 15 minutes →
 * create the deposit PaymentIntent → store the answer under the key.
 *
 * READ COMMITTED is enough: the availability check can race (two transactions may both see
 * the dates free), but the exclusion constraint cannot — the second insert waits for the first
 * to commit and fails with 23P01, which becomes a 409 and rolls everything back. SERIALIZABLE
 * would only add 40001/40P01 failures for the same outcome.
 */
export async function createBooking(db: Kysely<Database>, request: CreateBookingRequest, deps: BookingDependencies): Promise<CreatedBooking> {
  const now = deps.now ?? new Date();
  assertBookableDates(request.startDate, request.endDate, now);
  const hash = requestHash(request);
  let expiredIntents: string[] = [];

  const created = await db.transaction().execute(async (trx) => {
    // Concurrent duplicates block here on the key's row until the first commits, then read its answer.
    const claimed = await trx
      .insertInto('idempotency_keys')
      .values({ customer_id: request.customerId, key: request.idempotencyKey, request_hash: hash })
      .onConflict((conflict) => conflict.columns(['customer_id', 'key']).doNothing())
      .returning('key')
      .executeTakeFirst();
    if (!claimed) return replay(trx, request, hash);

    const car = await trx
      .selectFrom('cars')
      .select(['id', 'daily_rate', 'deposit_amount'])
      .where('id', '=', request.carId)
      .where('is_published', '=', true)
      .where('deleted_at', 'is', null)
      .executeTakeFirst();
    if (!car) throw new NotFound('No published car with this id.');

    expiredIntents = await expireOverdueHolds(trx, { carId: car.id });
    if (!(await isCarAvailable(trx, car.id, request.startDate, request.endDate))) throw new BookingConflict();

    const price = priceRental(
      { dailyRate: car.daily_rate, depositAmount: car.deposit_amount, startDate: request.startDate, endDate: request.endDate },
      deps.rates,
    );
    await deps.beforeInsert?.();
    const inserted = await trx
      .insertInto('reservations')
      .values({
        car_id: car.id,
        kind: 'booking',
        status: 'pending',
        customer_id: request.customerId,
        start_date: request.startDate,
        end_date: request.endDate,
        expires_at: sql<Date>`now() + make_interval(mins => ${HOLD_MINUTES})`,
        days: price.days,
        daily_rate_at_booking: price.daily_rate_at_booking,
        subtotal: price.subtotal,
        fees: price.fees,
        tax: price.tax,
        total_price: price.total_price,
        deposit_amount: price.deposit_amount,
      })
      // ON CONFLICT DO NOTHING against the exclusion constraint: a loser of a race waits for
      // the winner, then inserts nothing. A plain INSERT would leave every loser's row in
      // place while it waits, and three or more losers then deadlock on each other's rows.
      .onConflict((conflict) => conflict.doNothing())
      .returningAll()
      .executeTakeFirst();
    if (!inserted) throw new BookingConflict();

    let booking = inserted;
    let clientSecret: string | undefined;
    if (price.deposit_amount > 0) {
      const intent = await deps.payments.createDepositIntent({
        bookingId: inserted.id,
        amount: price.deposit_amount,
        currency: 'thb',
        customerEmail: request.customerEmail,
      });
      clientSecret = intent.clientSecret;
      booking = await trx
        .updateTable('reservations')
        .set({ payment_intent_id: intent.intentId })
        .where('id', '=', inserted.id)
        .returningAll()
        .executeTakeFirstOrThrow();
    } else {
      // Nothing to pay: the booking holds its dates at once.
      booking = await trx
        .updateTable('reservations')
        .set({ status: 'confirmed', expires_at: null })
        .where('id', '=', inserted.id)
        .returningAll()
        .executeTakeFirstOrThrow();
    }

    // The notifications commit with the booking (transactional outbox), or not at all.
    await enqueueBookingNotifications(trx, booking.id, 'created');
    if (booking.status === 'confirmed') await enqueueBookingNotifications(trx, booking.id, 'confirmed');

    const answer = bookingJson(booking, clientSecret);
    await trx
      .updateTable('idempotency_keys')
      .set({ reservation_id: booking.id, response_status: 201, response_body: JSON.stringify(answer) })
      .where('customer_id', '=', request.customerId)
      .where('key', '=', request.idempotencyKey)
      .execute();
    return { booking: answer, replayed: false };
  });
  await cancelIntents(deps.payments, expiredIntents);
  return created;
}

async function replay(trx: Transaction<Database>, request: CreateBookingRequest, hash: string): Promise<CreatedBooking> {
  const stored = await trx
    .selectFrom('idempotency_keys')
    .select(['request_hash', 'response_body'])
    .where('customer_id', '=', request.customerId)
    .where('key', '=', request.idempotencyKey)
    .executeTakeFirstOrThrow();
  if (stored.request_hash !== hash) {
    throw new Conflict('This Idempotency-Key was already used with a different request body.');
  }
  return { booking: stored.response_body as BookingJson, replayed: true };
}
