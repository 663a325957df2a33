import type { Kysely } from 'kysely';
import type { Database } from '../database';
import { ServiceUnavailable } from '../errors';
import { enqueueBookingNotifications } from '../notifications/outbox';
import { selectBookings, updateBookings } from '../reservations/repository';
import type { IntentSnapshot, PaymentProvider } from './provider';
import { runPaymentTasksAfterCommit, schedulePaymentTask } from './tasks';

export type PaymentEventType = 'payment_intent.succeeded' | 'payment_intent.payment_failed' | 'payment_intent.canceled';

export const HANDLED_EVENT_TYPES: readonly string[] = [
  'payment_intent.succeeded',
  'payment_intent.payment_failed',
  'payment_intent.canceled',
] satisfies PaymentEventType[];

/** The error log line of an amount_mismatch; the stack's PaymentAmountMismatch alarm counts it (lib/observability.ts). */
export const PAYMENT_MISMATCH_LOG_MESSAGE = 'payment does not match the booking deposit; not confirmed';

/** What applying an event did; the webhook answers it as `outcome`, and the OpenAPI document lists these values. */
export const PAYMENT_EVENT_OUTCOMES = [
  'duplicate', // this event id was processed before: no effect
  'confirmed',
  'already_confirmed',
  'refunded', // paid, but the hold had expired or was cancelled: money goes back, dates stay free
  'already_settled', // paid while the booking was live, since cancelled: its cancellation settled the deposit
  'cancelled',
  'amount_mismatch', // paid, but not the booking's deposit in amount or currency: recorded, not confirmed
  'ignored',
  'unknown_intent',
] as const;

export type PaymentEventOutcome = (typeof PAYMENT_EVENT_OUTCOMES)[number];

/** What an intent's current state means for its booking (the columns of the table in docs/bookings.md). */
export type IntentVerdict = 'paid' | 'failed' | 'canceled' | 'open';

export function intentVerdict(intent: IntentSnapshot): IntentVerdict {
  if (intent.status === 'succeeded') return 'paid';
  if (intent.status === 'canceled') return 'canceled';
  if (intent.status === 'requires_payment_method' && intent.lastPaymentFailed) return 'failed';
  return 'open'; // not yet paid, or on its way (processing): its final event is still to come
}

/**
 * Applies one Stripe event exactly once. The event only says "look at this intent": what is
 * applied is the intent's CURRENT state, read from Stripe before any transaction (never inside
 * one). Intent states only move forward, and the two final ones (succeeded, canceled) never
 * change, so however Stripe orders, repeats or parallelises an intent's events, each of them
 * reads the same final state and the booking ends where the table in docs/bookings.md ("The
 * payment state machine") says: this function is that table.
 *
 * - paid: a pending booking is confirmed (deposit_paid_at stamped); a confirmed or completed one
 *   is stamped paid; a cancelled or expired one is NOT confirmed over dates another customer
 *   may now hold: its deposit is refunded (a payment task, once per booking; the customer is
 *   told once). A payment whose amount or currency is not the booking's deposit confirms
 *   nothing (amount_mismatch; the caller logs it at error level and counts it).
 * - failed (declined, still payable with another card) while the booking is pending: the intent
 *   is cancelled at Stripe first, then read again. Either the cancel wins (canceled, final) or
 *   the customer's payment did (paid, final): a non-final state never changes a booking, so a
 *   stale read cannot undo a later one.
 * - canceled: a pending booking is cancelled and its dates freed.
 * - anything else: no change.
 * The event id is recorded in the same transaction as the effect (the primary key turns "once"
 * into a constraint), and the booking row is locked, so concurrent events of one intent apply
 * one after another. An event can arrive before its intent is attached to the booking (the
 * booking request is between creating the intent and storing it): the intent's
 * metadata.booking_id then finds the booking, and the intent is attached here.
 *
 * Answers the outcome and the intent as read. Throws ServiceUnavailable when Stripe cannot be
 * reached: the caller answers 503 and Stripe delivers the event again.
 */
export async function applyPaymentEvent(
  db: Kysely<Database>,
  provider: PaymentProvider,
  event: {
    id: string;
    type: string;
    intentId: string | undefined;
    /** The event's copy of metadata.booking_id, used if Stripe's intent has none. */
    bookingId?: string | undefined;
  },
): Promise<{ outcome: PaymentEventOutcome; intent?: IntentSnapshot }> {
  const seen = await db.selectFrom('payment_events').select('id').where('id', '=', event.id).executeTakeFirst();
  if (seen) return { outcome: 'duplicate' };

  let intent: IntentSnapshot | undefined;
  if (event.intentId && HANDLED_EVENT_TYPES.includes(event.type)) {
    intent = await atStripe(() => provider.retrieveIntent(event.intentId!));
    if (intent && intentVerdict(intent) === 'failed') {
      // Bookings only leave pending, never return to it: a peek without a lock is enough to decide.
      const booking = await findBookingOf(db, intent.id, intent.bookingId ?? event.bookingId);
      if (booking?.status === 'pending') {
        const failed = intent;
        await atStripe(() => provider.cancelIntent(failed.id));
        intent = (await atStripe(() => provider.retrieveIntent(failed.id))) ?? failed;
      }
    }
  }

  const applied = await db.transaction().execute(async (trx) => {
    const fresh = await trx
      .insertInto('payment_events')
      .values({ id: event.id, type: event.type, payment_intent_id: event.intentId ?? null, outcome: 'processing' })
      .onConflict((conflict) => conflict.column('id').doNothing())
      .returning('id')
      .executeTakeFirst();
    if (!fresh) return 'duplicate' as const;

    const booking = intent ? await lockBookingOf(trx, intent.id, intent.bookingId ?? event.bookingId) : undefined;
    let outcome: PaymentEventOutcome;
    if (!HANDLED_EVENT_TYPES.includes(event.type) || !event.intentId) outcome = 'ignored';
    else if (!intent || !booking) outcome = 'unknown_intent';
    else outcome = await applyIntentState(trx, booking, intent);

    await trx
      .updateTable('payment_events')
      .set({ outcome, reservation_id: booking?.id ?? null })
      .where('id', '=', event.id)
      .execute();
    return { outcome, bookingId: booking?.id };
  });
  if (applied === 'duplicate') return { outcome: applied };
  if (applied.bookingId) await runPaymentTasksAfterCommit(db, provider, [applied.bookingId]);
  return { outcome: applied.outcome, ...(intent ? { intent } : {}) };
}

/** A provider call whose failure is a 503: Stripe then delivers the event again (for up to three days). */
async function atStripe<T>(call: () => Promise<T>): Promise<T> {
  try {
    return await call();
  } catch (error) {
    throw new ServiceUnavailable('The payment provider cannot be reached; deliver the event again later.', { cause: error });
  }
}

type LockedBooking = NonNullable<Awaited<ReturnType<typeof lockBookingOf>>>;

/** One cell of the state machine: the locked booking's state × the intent's current state. */
async function applyIntentState(trx: Kysely<Database>, booking: LockedBooking, intent: IntentSnapshot): Promise<PaymentEventOutcome> {
  const verdict = intentVerdict(intent);
  if (verdict === 'paid') {
    const paidInFull = intent.amountReceived === booking.deposit_amount && intent.currency.toLowerCase() === booking.currency;
    if (!paidInFull) return 'amount_mismatch';
    if (booking.status === 'pending') {
      await trx
        .updateTable('reservations')
        .set({ status: 'confirmed', expires_at: null, deposit_paid_at: new Date(), updated_at: new Date() })
        .where('id', '=', booking.id)
        .execute();
      await enqueueBookingNotifications(trx, booking.id, 'paid');
      return 'confirmed';
    }
    if (booking.status === 'confirmed' || booking.status === 'completed') {
      // Confirmed by the agency before the customer paid: the payment still counts as paid here.
      if (!booking.deposit_paid_at) {
        await trx.updateTable('reservations').set({ deposit_paid_at: new Date(), updated_at: new Date() }).where('id', '=', booking.id).execute();
      }
      return 'already_confirmed';
    }
    // Cancelled or expired. A payment the booking had recorded while it was live was settled by its
    // cancellation (refunded, or kept by the policy less than 48 h ahead): a stale event for it
    // changes nothing. Only a payment that arrived after the booking ended is refunded here.
    if (booking.deposit_paid_at) return 'already_settled';
    // The row lock serialises this check: one refund task, one notice, per booking.
    const refunding = await trx
      .selectFrom('payment_tasks')
      .select('id')
      .where('reservation_id', '=', booking.id)
      .where('kind', '=', 'refund_deposit')
      .executeTakeFirst();
    if (!refunding) {
      await enqueueBookingNotifications(trx, booking.id, 'refunded');
      await schedulePaymentTask(trx, { reservationId: booking.id, kind: 'refund_deposit', intentId: intent.id });
    }
    return 'refunded';
  }
  if (verdict === 'canceled' && booking.status === 'pending') {
    await trx.updateTable('reservations').set({ status: 'cancelled', updated_at: new Date() }).where('id', '=', booking.id).execute();
    await enqueueBookingNotifications(trx, booking.id, 'cancelled');
    return 'cancelled';
  }
  return 'ignored';
}

const BOOKING_COLUMNS = ['id', 'status', 'deposit_amount', 'currency', 'deposit_paid_at'] as const;
const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i;

/** The booking of an intent, unlocked: by the attached intent id, else by metadata.booking_id on a booking with no intent yet. */
async function findBookingOf(db: Kysely<Database>, intentId: string, bookingId: string | undefined) {
  const attached = await selectBookings(db).select(BOOKING_COLUMNS).where('payment_intent_id', '=', intentId).executeTakeFirst();
  if (attached || !bookingId || !UUID.test(bookingId)) return attached;
  return selectBookings(db).select(BOOKING_COLUMNS).where('id', '=', bookingId).where('payment_intent_id', 'is', null).executeTakeFirst();
}

/**
 * The booking an intent belongs to, locked (concurrent events for one intent queue here, one
 * after another). By the attached intent id, or, for an event that overtook the booking
 * request, by the intent's metadata.booking_id on a booking with no intent yet: it is attached.
 */
async function lockBookingOf(trx: Kysely<Database>, intentId: string, bookingId: string | undefined) {
  const columns = BOOKING_COLUMNS;
  const attached = await selectBookings(trx).select(columns).where('payment_intent_id', '=', intentId).forUpdate().executeTakeFirst();
  if (attached || !bookingId || !UUID.test(bookingId)) return attached;
  return updateBookings(trx)
    .set({ payment_intent_id: intentId })
    .where('id', '=', bookingId)
    .where('payment_intent_id', 'is', null)
    .returning(columns)
    .executeTakeFirst();
}
