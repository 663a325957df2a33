import { createHash } from 'node:crypto';
import { sql, type Kysely, type Transaction } from 'kysely';
import { isCalendarDate, rentalRangeProblems, todayInBangkok } from '../availability/dates';
import type { Database } from '../database';
import { BookingConflict, Conflict, DomainError, NotFound, ServiceUnavailable, sqlState, ValidationError } from '../errors';
import { unknownHandOverPlaces } from '../geo/landmarks';
import {
  bookingNotice,
  bookingNotifications,
  loadBookingNotices,
  queueEmailNotificationsSql,
  selectBookingNotices,
  type BookingNotice,
} from '../notifications/outbox';
import { MIN_DEPOSIT_SATANG, type DepositIntent, type PaymentProvider } from '../payments/provider';
import { runPaymentTasksAfterCommit, schedulePaymentTask } from '../payments/tasks';
import type { PricingRates, RentalPrice } from '../pricing/pricing';
import {
  DEFAULT_HAND_OVER_TIME,
  loadRentalTerms,
  quoteRental,
  rentalRequestWithDefaults,
  rentalRuleBroken,
  type RentalRequest,
  type RentalTerms,
} from '../pricing/terms';
import { expireOverdueHolds } from './expiry';
import { DEFAULT_HOLD_LIMITS, holdLimitRefusal, type HoldLimitReached, type HoldLimits } from './limits';
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
  /** 'HH:MM' in Bangkok; DEFAULT_HAND_OVER_TIME when not given. */
  pickupTime?: string | undefined;
  returnTime?: string | undefined;
  /** A landmark slug to deliver to / collect from; null or absent: the agency's own address. */
  pickupLandmark?: string | null | undefined;
  returnLandmark?: string | null | undefined;
}

export interface BookingDependencies {
  payments: PaymentProvider;
  rates: PricingRates;
  /** How many unpaid holds and bookings an hour a customer may have (default DEFAULT_HOLD_LIMITS). */
  limits?: HoldLimits;
  now?: Date;
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

/**
 * The body's identity for idempotency: same key with another body is refused. Compared with
 * the defaults filled in (a body that states '10:00' asks what one without times asks); a
 * request of the dates alone hashes as before hand-over times and places existed, so a key
 * stored then still replays.
 */
export function requestHash(request: Omit<CreateBookingRequest, 'customerId' | 'customerEmail' | 'idempotencyKey'>): string {
  const rental = rentalRequestWithDefaults(request);
  const handOver = [rental.pickupTime, rental.returnTime, rental.pickupLandmark, rental.returnLandmark];
  const asBefore = [DEFAULT_HAND_OVER_TIME, DEFAULT_HAND_OVER_TIME, null, null];
  const datesAlone = handOver.every((value, index) => value === asBefore[index]);
  return createHash('sha256')
    .update(JSON.stringify([request.carId, request.startDate, request.endDate, ...(datesAlone ? [] : handOver)]))
    .digest('hex');
}

/** The date rules (rentalRangeProblems()) for anything that takes a car's dates (bookings and blocks): 400 if broken. */
export function assertBookableDates(startDate: string, endDate: string, now: Date): void {
  const problems = [
    ...(isCalendarDate(startDate) ? [] : [{ path: 'start_date', message: 'is not a calendar date' }]),
    ...(isCalendarDate(endDate) ? [] : [{ path: 'end_date', message: 'is not a calendar date' }]),
  ];
  if (problems.length === 0) problems.push(...rentalRangeProblems(startDate, endDate, todayInBangkok(now)));
  if (problems.length > 0) throw new ValidationError('The dates cannot be booked.', { errors: problems });
}

/** A booking's own validation (400): its dates, and its pick-up and return places, which must be known landmarks. */
async function assertValidBooking(db: Kysely<Database>, request: CreateBookingRequest, now: Date): Promise<void> {
  assertBookableDates(request.startDate, request.endDate, now);
  // Read from the landmark list each process caches (core/geo/landmarks.ts): a round trip only while it is cold.
  const problems = await unknownHandOverPlaces(db, request);
  if (problems.length > 0) throw new ValidationError('The pick-up or return place is not a landmark.', { errors: problems });
}

/**
 * How long a request may be between its hold and its answer: the API Lambda's timeout (12 s,
 * docs/operations.md), past which the request cannot be running any more.
 */
export const ATTEMPT_LEASE_SECONDS = 12;
/** How long a duplicate waits for the request it duplicates, inside its own Lambda's 12 s. */
const DUPLICATE_WAIT_MS = 8_000;

/** What the first phase decided. */
type Held =
  | { kind: 'replay'; answer: CreatedBooking }
  /** A duplicate of a request still asking Stripe: wait for its answer. */
  | { kind: 'in_progress' }
  /**
   * A hold to attach an intent to: new, or one an earlier request with the same key left
   * without one. A new hold comes with its notice (read in the same round trip).
   */
  | { kind: 'hold'; booking: Reservation; notice?: BookingNotice };

/**
 * Books a car in three steps, none of which holds a transaction open across a network call,
 * in four database round trips when nothing is in the way (the caller's lookup, the car, the
 * hold, the attach; a test counts them):
 *
 * 1. Hold. Check the dates and places (400), read the car's rental terms (404, 409), check
 *    its rules (409 `rental-rule`) and price it with quoteRental(); then one call,
 *    hold_booking() (migration 2026_12_03_0015), its own transaction: claim the idempotency
 *    key → the customer's hold limits (429) → the car and its agency still at the terms versions
 *    priced (else the terms are read, checked and priced again) → insert the booking as pending
 *    for 15 minutes, with no intent yet; the exclusion constraint refuses taken dates, the car's
 *    turnaround buffer included (409). It comes back with the booking's notice facts.
 *    Committed: the dates are held, every lock is released.
 * 2. Pay, with no transaction: ask Stripe for the deposit PaymentIntent, under an idempotency
 *    key derived from the booking, so however often this is repeated there is one intent.
 *    If Stripe fails or times out, the hold is released at once (expires_at = now: the dates
 *    are free for search and for other bookings) and the client gets 503 with Retry-After.
 * 3. Attach, in one statement: the intent joins the booking, the notices are queued and the
 *    answer is stored under the key, or none of it.
 *
 * The key comes first: a key already answered replays the stored 201 as it was, even when its
 * dates have started since or the car changed (a refusal of step 1 asks the key before it is
 * given). A key whose request held a booking but never got its intent (step 2 failed, or the
 * process died) resumes that booking: its hold is taken again if it is still pending (nobody can
 * have taken the dates while it was: the exclusion constraint counts it until it is expired)
 * and step 2 asks Stripe again, which answers with the same intent if the first request created
 * one. If the hold was expired meanwhile, the request starts over as a new booking under the
 * same key. Either way one booking and one live intent come out of any number of retries; an
 * intent left behind by an expired hold is cancelled by its payment task.
 *
 * Dates blocked by a hold that is overdue but not yet marked expired (the minute job has not
 * run) are freed here: that car's overdue holds are expired, with their payment tasks and
 * notices, and the hold is tried once more.
 */
export async function createBooking(db: Kysely<Database>, request: CreateBookingRequest, deps: BookingDependencies): Promise<CreatedBooking> {
  const now = deps.now ?? new Date();
  let held = await hold(db, request, deps, now);
  // A duplicate sent at once: wait (no transaction open) for the first request's answer and
  // replay it, rather than asking Stripe again; if the first died, its lease lapses and this one
  // takes the booking over.
  for (let waited = 0; held.kind === 'in_progress'; waited += 1) {
    if (waited * 100 > DUPLICATE_WAIT_MS) throw new Conflict('A request with this Idempotency-Key is still in progress. Retry shortly.');
    await new Promise((resolve) => setTimeout(resolve, 100));
    held = await hold(db, request, deps, now);
  }
  if (held.kind === 'replay') return held.answer;
  const { booking } = held;

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
    return await attach(db, request, booking, held.notice, intent);
  } catch (error) {
    // The database failed after Stripe answered: free the dates as for a Stripe failure; a
    // retry with the same key resumes this booking and gets the same intent back.
    if (!(error instanceof DomainError)) await releaseHold(db, booking.id, request).catch(() => undefined);
    throw error;
  }
}

/**
 * The terms a booking is checked and priced against, in one query: 404 unless the car is
 * published, 409 if its deposit cannot be paid by card, 409 `rental-rule` if the request breaks
 * one of its rules.
 */
async function bookableTerms(db: Kysely<Database>, carId: string, rental: RentalRequest, now: Date): Promise<RentalTerms> {
  const terms = await loadRentalTerms(db, carId);
  if (!terms) throw new NotFound('No published car with this id.');
  // The car schemas refuse a smaller deposit; a row written around them (the CHECK allows ≥ 0)
  // cannot take a card payment, so it is refused here rather than failing at Stripe.
  if (terms.depositAmount < MIN_DEPOSIT_SATANG) {
    throw new Conflict(
      `This car cannot be booked online: its deposit is below the minimum of ${MIN_DEPOSIT_SATANG} satang (THB 10). The agency must raise it.`,
    );
  }
  const broken = rentalRuleBroken(terms, rental, now);
  if (broken) throw broken;
  return terms;
}

/** Step 1. */
async function hold(db: Kysely<Database>, request: CreateBookingRequest, deps: BookingDependencies, now: Date): Promise<Held> {
  const hash = requestHash(request);
  const rental = rentalRequestWithDefaults(request);
  let terms: RentalTerms;
  try {
    // Validation (400) before state (404, 409, 429).
    await assertValidBooking(db, request, now);
    terms = await bookableTerms(db, request.carId, rental, now);
  } catch (refusal) {
    if (!(refusal instanceof DomainError)) throw refusal;
    // A refused request may be the retry of one that was answered or held: that stands.
    return await db.transaction().execute(async (trx) => {
      const earlier = await replayOrResume(trx, request, hash, now);
      if (earlier) return earlier;
      throw refusal; // and roll back the attempt's lease that replayOrResume took
    });
  }
  for (let attempt = 1; ; attempt += 1) {
    const price = quoteRental(terms, rental, deps.rates);
    const call = holdCall(request, hash, rental, terms, price, deps);
    try {
      const row = await selectBookingNotices(db, call({ keyAlreadyClaimed: false }))
        .selectAll('reservations')
        .executeTakeFirst();
      if (row) return { kind: 'hold', booking: row, notice: bookingNotice(row) };
      // The key was used before. Answered (the usual retry): its answer, which never changes
      // once stored, so no lock is needed to read it. Else, under the key's lock: wait for it,
      // resume its booking or start it over.
      const answered = await storedAnswer(db, request, hash);
      if (answered) return { kind: 'replay', answer: { booking: answered, replayed: true } };
      return await db.transaction().execute(async (trx) => {
        const earlier = await replayOrResume(trx, request, hash, now);
        if (earlier) return earlier;
        const [restarted] = await trx
          .selectFrom(call({ keyAlreadyClaimed: true }))
          .selectAll()
          .execute();
        return { kind: 'hold', booking: restarted! };
      });
    } catch (error) {
      const state = sqlState(error);
      if (state === 'RB410' && attempt === 1) {
        // An overdue hold blocks the dates: expire this car's, then try once more.
        const expired = await db.transaction().execute((trx) => expireOverdueHolds(trx, { carId: request.carId }));
        await runPaymentTasksAfterCommit(db, deps.payments, expired);
        continue;
      }
      if (state === 'RB412' && attempt <= 2) {
        // The agency changed the car's or its own terms since they were read: check the rules
        // and price the request again, as the terms are now.
        terms = await bookableTerms(db, request.carId, rental, now);
        continue;
      }
      throw holdRefusal(error, deps.limits ?? DEFAULT_HOLD_LIMITS) ?? error;
    }
  }
}

/** hold_booking()'s call for this request, as a FROM item named like the table it returns rows of. */
function holdCall(request: CreateBookingRequest, hash: string, rental: RentalRequest, terms: RentalTerms, price: RentalPrice, deps: BookingDependencies) {
  const limits = deps.limits ?? DEFAULT_HOLD_LIMITS;
  return ({ keyAlreadyClaimed }: { keyAlreadyClaimed: boolean }) =>
    sql<Reservation>`hold_booking(
      p_customer_id => ${request.customerId}::uuid, p_key => ${request.idempotencyKey}, p_request_hash => ${hash},
      p_car_id => ${terms.carId}::uuid, p_start_date => ${rental.startDate}::date, p_end_date => ${rental.endDate}::date,
      p_car_terms_version => ${terms.carTermsVersion}::int, p_agency_terms_version => ${terms.agencyTermsVersion}::int,
      p_pickup_time => ${rental.pickupTime}::time, p_return_time => ${rental.returnTime}::time,
      p_pickup_landmark => ${rental.pickupLandmark}::text, p_return_landmark => ${rental.returnLandmark}::text,
      p_days => ${price.days}::int, p_daily_rate => ${price.daily_rate_at_booking}::int,
      p_subtotal => ${price.subtotal}::int, p_fees => ${price.fees}::int, p_tax => ${price.tax}::int,
      p_total_price => ${price.total_price}::int, p_deposit_amount => ${price.deposit_amount}::int,
      p_price_breakdown => ${JSON.stringify(price.breakdown)}::jsonb,
      p_max_unpaid_holds => ${limits.maxUnpaidHolds}::int, p_max_bookings_per_hour => ${limits.maxBookingsPerHour}::int,
      p_lease_seconds => ${ATTEMPT_LEASE_SECONDS}::int, p_hold_minutes => ${HOLD_MINUTES}::int,
      p_key_already_claimed => ${keyAlreadyClaimed}, p_lock_customer => ${!deps.unlockedHoldLimits}
    )`.as('reservations');
}

/** hold_booking()'s refusals (its own SQLSTATEs, listed in its migration) as answers. */
function holdRefusal(error: unknown, limits: HoldLimits): DomainError | undefined {
  switch (sqlState(error)) {
    case 'RB404':
      return new NotFound('No published car with this id.');
    case 'RB409':
    case 'RB410':
      return new BookingConflict();
    case 'RB412':
      return new Conflict("The car's price or rules changed while you were booking it. Check the new price and book again.");
    case 'RB429':
      return holdLimitRefusal(JSON.parse((error as { detail: string }).detail) as HoldLimitReached, limits);
    default:
      return undefined;
  }
}

/** The answer stored under this customer's key for this very request, if there is one. */
async function storedAnswer(db: Kysely<Database>, request: CreateBookingRequest, hash: string): Promise<CreatedBookingJson | undefined> {
  const stored = await db
    .selectFrom('idempotency_keys')
    .select('response_body')
    .where('customer_id', '=', request.customerId)
    .where('key', '=', request.idempotencyKey)
    .where('request_hash', '=', hash)
    .where('response_body', 'is not', null)
    .executeTakeFirst();
  return stored ? (stored.response_body as CreatedBookingJson) : undefined;
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
    .executeTakeFirst();
  if (!stored) return undefined;
  if (stored.request_hash !== hash) {
    await assertValidBooking(trx, request, now);
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
  return resumed ? { kind: 'hold', booking: resumed } : undefined;
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
 * Step 3, one statement: the intent joins its booking (the webhook may have joined it first,
 * through the intent's metadata: the same intent is no change), the notices are queued and the
 * answer is stored, all only if the booking took the intent. A hold that lapsed while Stripe
 * answered (more than 15 minutes) gets nothing: its intent is cancelled by a payment task and
 * the client is told the dates went.
 */
async function attach(
  db: Kysely<Database>,
  request: CreateBookingRequest,
  booking: Reservation,
  notice: BookingNotice | undefined,
  intent: DepositIntent,
): Promise<CreatedBooking> {
  notice ??= (await loadBookingNotices(db, [booking.id])).get(booking.id);
  const answer = createdBookingJson(booking, intent);
  // The notification commits with the booking's intent (transactional outbox), or not at all.
  const notices = notice ? bookingNotifications(notice, 'created') : [];
  const { rows } = await sql<{ id: string }>`
    WITH attached AS (
      UPDATE reservations SET payment_intent_id = ${intent.intentId}
      WHERE id = ${booking.id}::uuid AND status IN ('pending', 'confirmed')
        AND (payment_intent_id IS NULL OR payment_intent_id = ${intent.intentId})
      RETURNING id
    ), notified AS (
      ${queueEmailNotificationsSql(notices, sql`EXISTS (SELECT 1 FROM attached)`)}
    ), answered AS (
      UPDATE idempotency_keys
      SET reservation_id = attached.id, response_status = 201, response_body = ${JSON.stringify(answer)}::jsonb, attempt_expires_at = NULL
      FROM attached
      WHERE customer_id = ${request.customerId}::uuid AND key = ${request.idempotencyKey}
    )
    SELECT id FROM attached`.execute(db);
  if (rows.length === 1) return { booking: answer, replayed: false };
  await db.transaction().execute(async (trx) => {
    await schedulePaymentTask(trx, { reservationId: booking.id, kind: 'cancel_intent', intentId: intent.intentId });
    await trx.deleteFrom('idempotency_keys').where('customer_id', '=', request.customerId).where('key', '=', request.idempotencyKey).execute();
  });
  throw new BookingConflict('The hold on these dates lapsed before the payment provider answered. Please book again.');
}
