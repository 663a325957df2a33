import type { Kysely } from 'kysely';
import type { Database } from '../database';
import { enqueueBookingNotifications } from '../notifications/outbox';
import type { PaymentProvider } from './provider';
import { runPaymentTasks, schedulePaymentTask } from './tasks';

export type PaymentEventType = 'payment_intent.succeeded' | 'payment_intent.payment_failed' | 'payment_intent.canceled';

export const HANDLED_EVENT_TYPES: readonly string[] = [
  'payment_intent.succeeded',
  'payment_intent.payment_failed',
  'payment_intent.canceled',
] satisfies PaymentEventType[];

/** The error log line of an amount_mismatch; the stack's PaymentAmountMismatch alarm counts it (lib/observability.ts). */
export const PAYMENT_MISMATCH_LOG_MESSAGE = 'payment does not match the booking deposit; not confirmed';

export type PaymentEventOutcome =
  | 'duplicate' // this event id was processed before: no effect
  | 'confirmed'
  | 'already_confirmed'
  | 'refunded' // paid, but the hold had expired or was cancelled: money goes back, dates stay free
  | 'cancelled'
  | 'amount_mismatch' // paid, but not the booking's deposit in amount or currency: recorded, not confirmed
  | 'ignored'
  | 'unknown_intent';

/**
 * Applies one Stripe event exactly once. The event id is recorded in the same transaction as
 * its effect (the primary key turns "once" into a constraint), and the booking row is locked,
 * so duplicates and reordered events for one intent converge:
 * - succeeded: a pending booking becomes confirmed; one already cancelled or expired is NOT
 *   confirmed over dates another customer may now hold: its deposit is refunded instead (a
 *   payment task, once per booking however many events ask), and the customer is told so
 *   (deposit_refunded, queued in this transaction).
 * - payment_failed / canceled: a pending booking is cancelled and its dates are freed; a
 *   confirmed one stays confirmed (a late failure of an earlier attempt).
 * Stripe is called only after the commit (the refund task), never inside the transaction.
 * An event can arrive before its intent is attached to the booking (the booking request is
 * between creating the intent and storing it): the intent's metadata.booking_id then finds the
 * booking, and the intent is attached here.
 *
 * Defence in depth: a success whose amount or currency is not the booking's deposit (a bug,
 * a tampered client, an intent reused for something else) is recorded as amount_mismatch and
 * confirms nothing; the caller logs it at error level and counts it in a metric. A paid deposit
 * is stamped on the booking (deposit_paid_at): only paid rentals can be reviewed.
 */
export async function applyPaymentEvent(
  db: Kysely<Database>,
  provider: PaymentProvider,
  event: {
    id: string;
    type: string;
    intentId: string | undefined;
    /** The intent's metadata.booking_id, for an event that overtakes the booking request. */
    bookingId?: string | undefined;
    /** What the intent says was paid (amount_received, else amount), in minor units, and in which currency. */
    amount?: number | undefined;
    currency?: string | undefined;
  },
): Promise<PaymentEventOutcome> {
  const applied = await db.transaction().execute(async (trx) => {
    const fresh = await trx
      .insertInto('payment_events')
      .values({ id: event.id, type: event.type, payment_intent_id: event.intentId ?? null, outcome: 'processing' })
      .onConflict((conflict) => conflict.column('id').doNothing())
      .returning('id')
      .executeTakeFirst();
    if (!fresh) return 'duplicate' as const;

    const booking = event.intentId ? await lockBookingOf(trx, event.intentId, event.bookingId) : undefined;

    let outcome: PaymentEventOutcome;
    if (!HANDLED_EVENT_TYPES.includes(event.type)) outcome = 'ignored';
    else if (!booking) outcome = 'unknown_intent';
    else if (event.type === 'payment_intent.succeeded') {
      const paidInFull = event.amount === booking.deposit_amount && event.currency?.toLowerCase() === booking.currency;
      if (!paidInFull) outcome = 'amount_mismatch';
      else if (booking.status === 'pending') {
        await trx
          .updateTable('reservations')
          .set({ status: 'confirmed', expires_at: null, deposit_paid_at: new Date(), updated_at: new Date() })
          .where('id', '=', booking.id)
          .execute();
        await enqueueBookingNotifications(trx, booking.id, 'paid');
        outcome = 'confirmed';
      } else if (booking.status === 'confirmed' || booking.status === 'completed') {
        // Confirmed by the agency before the customer paid: the payment still counts as paid here.
        if (!booking.deposit_paid_at) {
          await trx.updateTable('reservations').set({ deposit_paid_at: new Date(), updated_at: new Date() }).where('id', '=', booking.id).execute();
        }
        outcome = 'already_confirmed';
      }
      else {
        await enqueueBookingNotifications(trx, booking.id, 'refunded');
        await schedulePaymentTask(trx, { reservationId: booking.id, kind: 'refund_deposit', intentId: event.intentId! });
        outcome = 'refunded';
      }
    } else if (booking.status === 'pending') {
      await trx.updateTable('reservations').set({ status: 'cancelled', updated_at: new Date() }).where('id', '=', booking.id).execute();
      await enqueueBookingNotifications(trx, booking.id, 'cancelled');
      // A failed attempt leaves the intent payable with another card: cancel it, so nothing can
      // be charged for a booking that no longer holds its dates. (Cancelling a cancelled intent is no change.)
      if (event.type === 'payment_intent.payment_failed') {
        await schedulePaymentTask(trx, { reservationId: booking.id, kind: 'cancel_intent', intentId: event.intentId! });
      }
      outcome = 'cancelled';
    } else outcome = 'ignored';

    await trx
      .updateTable('payment_events')
      .set({ outcome, reservation_id: booking?.id ?? null })
      .where('id', '=', event.id)
      .execute();
    return { outcome, bookingId: booking?.id };
  });
  if (applied === 'duplicate') return applied;
  if (applied.bookingId) await runPaymentTasks(db, provider, { reservationIds: [applied.bookingId] }).catch(() => undefined);
  return applied.outcome;
}

/**
 * The booking an intent belongs to, locked (concurrent events for one intent queue here, one
 * after another). By the attached intent id, or, for an event that overtook the booking
 * request, by the intent's metadata.booking_id on a booking with no intent yet: it is attached.
 */
async function lockBookingOf(trx: Kysely<Database>, intentId: string, bookingId: string | undefined) {
  const columns = ['id', 'status', 'deposit_amount', 'currency', 'deposit_paid_at'] as const;
  const attached = await trx
    .selectFrom('reservations')
    .select(columns)
    .where('payment_intent_id', '=', intentId)
    .where('kind', '=', 'booking')
    .forUpdate()
    .executeTakeFirst();
  if (attached || !bookingId || !/^[0-9a-f-]{36}$/i.test(bookingId)) return attached;
  return trx
    .updateTable('reservations')
    .set({ payment_intent_id: intentId })
    .where('id', '=', bookingId)
    .where('kind', '=', 'booking')
    .where('payment_intent_id', 'is', null)
    .returning(columns)
    .executeTakeFirst();
}
