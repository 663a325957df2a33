import type { Kysely } from 'kysely';
import type { Database } from '../database';
import { enqueueBookingNotifications } from '../notifications/outbox';
import type { PaymentProvider } from './provider';

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
 *   confirmed over dates another customer may now hold: its deposit is refunded instead, and
 *   the customer is told so (deposit_refunded, queued in this transaction).
 * - payment_failed / canceled: a pending booking is cancelled and its dates are freed; a
 *   confirmed one stays confirmed (a late failure of an earlier attempt).
 * A refund that fails rolls the transaction back, so Stripe's retry of the event tries again.
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
    /** What the intent says was paid (amount_received, else amount), in minor units, and in which currency. */
    amount?: number | undefined;
    currency?: string | undefined;
  },
): Promise<PaymentEventOutcome> {
  return db.transaction().execute(async (trx) => {
    const fresh = await trx
      .insertInto('payment_events')
      .values({ id: event.id, type: event.type, payment_intent_id: event.intentId ?? null, outcome: 'processing' })
      .onConflict((conflict) => conflict.column('id').doNothing())
      .returning('id')
      .executeTakeFirst();
    if (!fresh) return 'duplicate';

    const booking = event.intentId
      ? await trx
          .selectFrom('reservations')
          .select(['id', 'status', 'deposit_amount', 'currency', 'deposit_paid_at'])
          .where('payment_intent_id', '=', event.intentId)
          .where('kind', '=', 'booking')
          .forUpdate()
          .executeTakeFirst()
      : undefined;

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
        // Queued before the refund: a refund that fails rolls the notice back with the rest,
        // and Stripe's retry of the event tries both again.
        await enqueueBookingNotifications(trx, booking.id, 'refunded');
        await provider.refundDeposit(event.intentId!);
        outcome = 'refunded';
      }
    } else if (booking.status === 'pending') {
      await trx.updateTable('reservations').set({ status: 'cancelled', updated_at: new Date() }).where('id', '=', booking.id).execute();
      await enqueueBookingNotifications(trx, booking.id, 'cancelled');
      outcome = 'cancelled';
    } else outcome = 'ignored';

    await trx
      .updateTable('payment_events')
      .set({ outcome, reservation_id: booking?.id ?? null })
      .where('id', '=', event.id)
      .execute();
    return outcome;
  });
}
