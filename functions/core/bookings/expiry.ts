import { sql, type Kysely } from 'kysely';
import type { Database } from '../database';
import { enqueueBookingNotifications } from '../notifications/outbox';
import type { PaymentProvider } from '../payments/provider';
import { updateBookings } from '../reservations/repository';
import { runPaymentTasks, schedulePaymentTask, type PaymentTaskRun } from '../payments/tasks';

/** Idempotency keys are kept at least this long (API promise: ≥ 24 h). */
export const IDEMPOTENCY_KEY_RETENTION_HOURS = 48;

/**
 * Marks pending holds past their expires_at as expired, which frees their dates; of one car
 * (inside a booking or block transaction) or of every car (the scheduled job). Call it inside a
 * transaction: with each expiry it records the cancellation of the hold's PaymentIntent (a
 * payment task, carried out after the commit) and queues the customer's notice. A hold whose
 * intent was never attached (its creation failed: the customer was answered 503 and told
 * nothing else) gets no notice, and its task cancels whatever intent Stripe may have made.
 * Returns the expired bookings, whose payment tasks the caller runs after committing. Safe
 * concurrently: only rows still pending are taken, so each hold expires once.
 */
export async function expireOverdueHolds(db: Kysely<Database>, scope: { carId?: string } = {}): Promise<string[]> {
  let update = updateBookings(db)
    .set({ status: 'expired', updated_at: new Date() })
    .where('reservations.status', '=', 'pending')
    .where('reservations.expires_at', '<=', sql<Date>`now()`);
  if (scope.carId) update = update.where('reservations.car_id', '=', scope.carId);
  const expired = await update.returning(['id', 'payment_intent_id']).execute();
  for (const row of expired) {
    await schedulePaymentTask(db, { reservationId: row.id, kind: 'cancel_intent', intentId: row.payment_intent_id });
    if (row.payment_intent_id) await enqueueBookingNotifications(db, row.id, 'expired');
  }
  return expired.map((row) => row.id);
}

/**
 * The job every minute: expire every overdue hold, carry out every due payment task (these
 * holds' cancellations, and any earlier task still being retried), forget old idempotency keys.
 */
export async function runExpiry(db: Kysely<Database>, provider: PaymentProvider): Promise<{ expired: number; payments: PaymentTaskRun }> {
  // One transaction: each expired hold, its payment task and its notice commit together.
  const expired = await db.transaction().execute((trx) => expireOverdueHolds(trx));
  const payments = await runPaymentTasks(db, provider, { limit: 200 });
  await db
    .deleteFrom('idempotency_keys')
    .where('created_at', '<', sql<Date>`now() - make_interval(hours => ${IDEMPOTENCY_KEY_RETENTION_HOURS})`)
    .execute();
  return { expired: expired.length, payments };
}
