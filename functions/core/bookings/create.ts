import { createHash } from 'node:crypto';
import { sql, type Kysely, type Transaction } from 'kysely';
import { isCarAvailable } from '../availability/conflicts';
import { isCalendarDate, rentalRangeProblems, todayInBangkok } from '../availability/dates';
import type { Database } from '../database';
import { BookingConflict, Conflict, DomainError, NotFound, ServiceUnavailable, ValidationError } from '../errors';
import { enqueueBookingNotifications } from '../notifications/outbox';
import { MIN_DEPOSIT_SATANG, type DepositIntent, type PaymentProvider } from '../payments/provider';
import { runPaymentTasksAfterCommit, schedulePaymentTask } from '../payments/tasks';
import { priceRental, type PricingRates } from '../pricing/pricing';
import { expireOverdueHolds } from './expiry';
import { assertWithinHoldLimits, DEFAULT_HOLD_LIMITS, type HoldLimits } from './limits';
import { createdBookingJson, type CreatedBookingJson } from './shape';
import type { Reservation } from '../reservations/table';

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
  /** Test seam: runs after the hold committed, before the PaymentIntent is asked for. */
  beforePayment?: () => Promise<void>;
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

/** What the first phase decided. */
/**
 * How long a request may be between its hold and its answer: the API Lambda's timeout (12 s,
 * docs/operations.md), past which the request cannot be running any more.
 */
export const ATTEMPT_LEASE_SECONDS = 12;
/** How long a duplicate waits for the request it duplicates, inside its own Lambda's 12 s. */
const DUPLICATE_WAIT_MS = 8_000;

type Held =
  | { kind: 'replay'; answer: CreatedBooking }
  /** A duplicate of a request still asking Stripe: wait for its answer. */
  | { kind: 'in_progress' }
  /** A hold to attach an intent to: new, or one an earlier request with the same key left without one. */
  | { kind: 'hold'; booking: Reservation; expiredHolds: string[] };

/**
 * Books a car (the roadmap's `transaction.atomic` block) in three steps, none of which holds a
 * transaction open across a network call:
 *
 * 1. Hold, in one transaction: claim the idempotency key → check the dates (400) → the car
 *    (404, 409) → the customer's hold limits (429) → expire this car's overdue holds → re-run
 *    the availability check → price → insert the booking as pending for 15 minutes, with no
 *    intent yet. Commit: the dates are held, and every lock is released.
 * 2. Pay, with no transaction: ask Stripe for the deposit PaymentIntent, under an idempotency
 *    key derived from the booking, so however often this is repeated there is one intent.
 *    If Stripe fails or times out, the hold is released at once (expires_at = now: the dates
 *    are free for search and for other bookings) and the client gets 503 with Retry-After.
 * 3. Attach, in one transaction: the intent joins the booking, the notices are queued and the
 *    answer is stored under the key.
 *
 * The key comes first: a key already answered replays the stored 201 as it was, even when its
 * dates have started since or the car changed. A key whose request held a booking but never
 * got its intent (step 2 failed, or the process died) resumes that booking: its hold is taken
 * again if it is still pending (nobody can have taken the dates while it was: the exclusion
 * constraint counts it until it is expired) and step 2 asks Stripe again, which answers with
 * the same intent if the first request created one. If the hold was expired meanwhile, the
 * request starts over as a new booking under the same key. Either way one booking and one
 * live intent come out of any number of retries; an intent left behind by an expired hold is
 * cancelled by its payment task.
 *
 * READ COMMITTED is enough for step 1: the availability check can race, the exclusion
 * constraint cannot (the second insert waits for the first commit and inserts nothing: 409).
 */
export async function createBooking(db: Kysely<Database>, request: CreateBookingRequest, deps: BookingDependencies): Promise<CreatedBooking> {
  const now = deps.now ?? new Date();
  let held = await db.transaction().execute((trx) => hold(trx, request, deps, now));
  // A duplicate sent at once: wait (no transaction open) for the first request's answer and
  // replay it, rather than asking Stripe again; if the first died, its lease lapses and this one
  // takes the booking over.
  for (let waited = 0; held.kind === 'in_progress'; waited += 1) {
    if (waited * 100 > DUPLICATE_WAIT_MS) throw new Conflict('A request with this Idempotency-Key is still in progress. Retry shortly.');
    await new Promise((resolve) => setTimeout(resolve, 100));
    held = await db.transaction().execute((trx) => hold(trx, request, deps, now));
  }
  if (held.kind === 'replay') return held.answer;
  const { booking } = held;
  // The cancellations of holds this booking expired, now that they are committed.
  await runPaymentTasksAfterCommit(db, deps.payments, held.expiredHolds);

  await deps.beforePayment?.();
  let intent: DepositIntent;
  try {
    intent = await deps.payments.createDepositIntent({
      bookingId: booking.id,
      amount: booking.deposit_amount!,
      currency: 'thb',
      customerEmail: request.customerEmail,
    });
  } catch (error) {
    await releaseHold(db, booking.id, request);
    if (error instanceof DomainError && error.status < 500) throw error;
    throw new ServiceUnavailable(
      'The payment provider could not be reached, so nothing is held for you. Retry with the same Idempotency-Key in a few seconds.',
      { cause: error },
    );
  }
  try {
    return await db.transaction().execute((trx) => attach(trx, request, booking.id, intent));
  } catch (error) {
    // The database failed after Stripe answered: free the dates as for a Stripe failure; a
    // retry with the same key resumes this booking and gets the same intent back.
    if (!(error instanceof DomainError)) await releaseHold(db, booking.id, request).catch(() => undefined);
    throw error;
  }
}

async function hold(trx: Transaction<Database>, request: CreateBookingRequest, deps: BookingDependencies, now: Date): Promise<Held> {
  const hash = requestHash(request);
  // Concurrent duplicates block here on the key's row until the first commits its hold.
  const claimed = await trx
    .insertInto('idempotency_keys')
    .values({
      customer_id: request.customerId,
      key: request.idempotencyKey,
      request_hash: hash,
      attempt_expires_at: sql<Date>`now() + make_interval(secs => ${ATTEMPT_LEASE_SECONDS})`,
    })
    .onConflict((conflict) => conflict.columns(['customer_id', 'key']).doNothing())
    .returning('key')
    .executeTakeFirst();
  if (!claimed) {
    const resumed = await replayOrResume(trx, request, hash, now);
    if (resumed) return resumed;
  }
  // A new request: validation (400) before state (404, 409, 429). Throwing rolls the claim back.
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
  const expiredHolds = await expireOverdueHolds(trx, { carId: car.id });
  if (!(await isCarAvailable(trx, car.id, request.startDate, request.endDate))) throw new BookingConflict();

  const price = priceRental(
    { dailyRate: car.daily_rate, depositAmount: car.deposit_amount, startDate: request.startDate, endDate: request.endDate },
    deps.rates,
  );
  await deps.beforeInsert?.();
  const booking = await trx
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
  if (!booking) throw new BookingConflict();
  await trx
    .updateTable('idempotency_keys')
    .set({ reservation_id: booking.id })
    .where('customer_id', '=', request.customerId)
    .where('key', '=', request.idempotencyKey)
    .execute();
  return { kind: 'hold', booking, expiredHolds };
}

/**
 * A key this customer already used. Same body and answered: the stored answer, as it was
 * (nothing checked, nothing written). Same body, held but never answered: that booking, its
 * hold taken again if it is still pending. Another body: a new request, so its dates are
 * validated first (400), then 409. Undefined: the earlier hold was expired meanwhile, and this
 * request starts over under the same key.
 */
async function replayOrResume(trx: Transaction<Database>, request: CreateBookingRequest, hash: string, now: Date): Promise<Held | undefined> {
  const stored = await trx
    .selectFrom('idempotency_keys')
    .select(['request_hash', 'response_body', 'reservation_id', sql<boolean>`coalesce(attempt_expires_at > now(), false)`.as('attempt_live')])
    .where('customer_id', '=', request.customerId)
    .where('key', '=', request.idempotencyKey)
    .forUpdate()
    .executeTakeFirstOrThrow();
  if (stored.request_hash !== hash) {
    assertBookableDates(request.startDate, request.endDate, now);
    throw new Conflict('This Idempotency-Key was already used with a different request body.');
  }
  if (stored.response_body) return { kind: 'replay', answer: { booking: stored.response_body as CreatedBookingJson, replayed: true } };
  if (stored.attempt_live) return { kind: 'in_progress' };
  // The earlier attempt ended without an answer (503, or it died): this request takes it over.
  await trx
    .updateTable('idempotency_keys')
    .set({ attempt_expires_at: sql<Date>`now() + make_interval(secs => ${ATTEMPT_LEASE_SECONDS})` })
    .where('customer_id', '=', request.customerId)
    .where('key', '=', request.idempotencyKey)
    .execute();
  if (!stored.reservation_id) return undefined;
  const resumed = await trx
    .updateTable('reservations')
    .set({ expires_at: sql<Date>`CASE WHEN status = 'pending' THEN now() + make_interval(mins => ${HOLD_MINUTES}) ELSE expires_at END` })
    .where('id', '=', stored.reservation_id)
    .where('status', 'in', ['pending', 'confirmed'])
    .returningAll()
    .executeTakeFirst();
  return resumed ? { kind: 'hold', booking: resumed, expiredHolds: [] } : undefined;
}

/**
 * Step 2 failed: the dates are freed at once; the booking stays resumable until it is expired,
 * and the key's attempt ends, so a retry (or a waiting duplicate) takes it over at once.
 */
async function releaseHold(db: Kysely<Database>, bookingId: string, request: CreateBookingRequest): Promise<void> {
  await db.transaction().execute(async (trx) => {
    await trx
      .updateTable('reservations')
      .set({ expires_at: sql<Date>`now()`, updated_at: sql<Date>`now()` })
      .where('id', '=', bookingId)
      .where('status', '=', 'pending')
      .where('payment_intent_id', 'is', null)
      .execute();
    await trx
      .updateTable('idempotency_keys')
      .set({ attempt_expires_at: null })
      .where('customer_id', '=', request.customerId)
      .where('key', '=', request.idempotencyKey)
      .where('response_body', 'is', null)
      .execute();
  });
}

/**
 * Step 3: the intent joins its booking (the webhook may have joined it first, through the
 * intent's metadata: the same intent is no change), the notices are queued and the answer is
 * stored. A hold that lapsed while Stripe answered (more than 15 minutes) gets nothing: its
 * intent is cancelled by a payment task and the client is told the dates went.
 */
async function attach(trx: Transaction<Database>, request: CreateBookingRequest, bookingId: string, intent: DepositIntent): Promise<CreatedBooking> {
  const booking = await trx
    .updateTable('reservations')
    .set({ payment_intent_id: intent.intentId })
    .where('id', '=', bookingId)
    .where('status', 'in', ['pending', 'confirmed'])
    .where((eb) => eb.or([eb('payment_intent_id', 'is', null), eb('payment_intent_id', '=', intent.intentId)]))
    .returningAll()
    .executeTakeFirst();
  if (!booking) {
    await schedulePaymentTask(trx, { reservationId: bookingId, kind: 'cancel_intent', intentId: intent.intentId });
    await trx.deleteFrom('idempotency_keys').where('customer_id', '=', request.customerId).where('key', '=', request.idempotencyKey).execute();
    throw new BookingConflict('The hold on these dates lapsed before the payment provider answered. Please book again.');
  }
  // The notification commits with the booking's intent (transactional outbox), or not at all.
  await enqueueBookingNotifications(trx, booking.id, 'created');
  const answer = createdBookingJson(booking, intent);
  await trx
    .updateTable('idempotency_keys')
    .set({ reservation_id: booking.id, response_status: 201, response_body: JSON.stringify(answer), attempt_expires_at: null })
    .where('customer_id', '=', request.customerId)
    .where('key', '=', request.idempotencyKey)
    .execute();
  return { booking: answer, replayed: false };
}
