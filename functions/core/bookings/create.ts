import { createHash } from 'node:crypto';
import { sql, type Kysely, type Transaction } from 'kysely';
import { isCarAvailable } from '../availability/conflicts';
import { isCalendarDate, rentalRangeProblems, todayInBangkok } from '../availability/dates';
import type { Database } from '../database';
import { BookingConflict, Conflict, NotFound, ValidationError } from '../errors';
import { enqueueBookingNotifications } from '../notifications/outbox';
import { MIN_DEPOSIT_SATANG, type PaymentProvider } from '../payments/provider';
import { priceRental, type PricingRates } from '../pricing/pricing';
import { cancelIntents, expireOverdueHolds } from './expiry';
import { assertWithinHoldLimits, DEFAULT_HOLD_LIMITS, type HoldLimits } from './limits';
import { createdBookingJson, type CreatedBookingJson } from './shape';

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
  /** How many unpaid holds and bookings an hour a customer may have (default DEFAULT_HOLD_LIMITS). */
  limits?: HoldLimits;
  now?: Date;
  /** Test seam: runs between the availability check and the insert (the race window). */
  beforeInsert?: () => Promise<void>;
  /** Test seam for the counter-proof only: count the customer's holds without locking them first. */
  unlockedHoldLimits?: true;
}

export interface CreatedBooking {
  booking: CreatedBookingJson;
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
 * claim the idempotency key → check the dates → check the customer's hold limits (429, see
 * limits.ts) → expire this car's overdue holds → re-run the
 * availability check → price from the car's current rate → insert the booking as pending for
 * 15 minutes → create the deposit PaymentIntent → store the answer under the key.
 *
 * The key comes first (the handler has already checked the body's shape): a key this customer
 * already used with the same body answers the stored 201 as it was, even when its dates have
 * started since, or the car was unpublished or repriced. Only a new request is judged on dates
 * and state. Every booking this makes is `pending` with a deposit PaymentIntent.
 *
 * READ COMMITTED is enough: the availability check can race (two transactions may both see
 * the dates free), but the exclusion constraint cannot — the second insert waits for the first
 * to commit and fails with 23P01, which becomes a 409 and rolls everything back. SERIALIZABLE
 * would only add 40001/40P01 failures for the same outcome.
 */
export async function createBooking(db: Kysely<Database>, request: CreateBookingRequest, deps: BookingDependencies): Promise<CreatedBooking> {
  const now = deps.now ?? new Date();
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
    if (!claimed) return replay(trx, request, hash, now);
    // A new request: validation (400) before state (404, 409). Throwing rolls the claim back.
    assertBookableDates(request.startDate, request.endDate, now);

    const car = await trx
      .selectFrom('cars')
      .select(['id', 'daily_rate', 'deposit_amount'])
      .where('id', '=', request.carId)
      .where('is_published', '=', true)
      .where('deleted_at', 'is', null)
      .executeTakeFirst();
    if (!car) throw new NotFound('No published car with this id.');
    // The car schemas refuse a smaller deposit; a row written around them (the CHECK allows ≥ 0)
    // cannot take a card payment, so it is refused here rather than failing at Stripe.
    if (car.deposit_amount < MIN_DEPOSIT_SATANG) {
      throw new Conflict(`This car cannot be booked online: its deposit is below the minimum of ${MIN_DEPOSIT_SATANG} satang (THB 10). The agency must raise it.`);
    }

    await assertWithinHoldLimits(trx, request.customerId, deps.limits ?? DEFAULT_HOLD_LIMITS, { lock: !deps.unlockedHoldLimits });
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

    const intent = await deps.payments.createDepositIntent({
      bookingId: inserted.id,
      amount: price.deposit_amount,
      currency: 'thb',
      customerEmail: request.customerEmail,
    });
    const booking = await trx
      .updateTable('reservations')
      .set({ payment_intent_id: intent.intentId })
      .where('id', '=', inserted.id)
      .returningAll()
      .executeTakeFirstOrThrow();

    // The notification commits with the booking (transactional outbox), or not at all.
    await enqueueBookingNotifications(trx, booking.id, 'created');

    const answer = createdBookingJson(booking, intent);
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

/**
 * The answer to a key this customer already used. Same body: the stored answer, as it was,
 * whatever happened to the dates or the car since (nothing is checked, nothing written).
 * Another body: it is a new request, so its dates are validated first (400), then 409.
 */
async function replay(trx: Transaction<Database>, request: CreateBookingRequest, hash: string, now: Date): Promise<CreatedBooking> {
  const stored = await trx
    .selectFrom('idempotency_keys')
    .select(['request_hash', 'response_body'])
    .where('customer_id', '=', request.customerId)
    .where('key', '=', request.idempotencyKey)
    .executeTakeFirstOrThrow();
  if (stored.request_hash !== hash) {
    assertBookableDates(request.startDate, request.endDate, now);
    throw new Conflict('This Idempotency-Key was already used with a different request body.');
  }
  return { booking: stored.response_body as CreatedBookingJson, replayed: true };
}
