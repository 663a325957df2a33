import { sql, type Kysely } from 'kysely';
import type { Database } from '../database';
import { enqueueBookingNotifications } from '../notifications/outbox';
import type { PaymentProvider } from '../payments/provider';

/** Idempotency keys are kept at least this long (API promise: ≥ 24 h). */
export const IDEMPOTENCY_KEY_RETENTION_HOURS = 48;

/**
 * Marks pending holds past their expires_at as expired, which frees their dates, and queues
 * the customer's notification; of one car (inside a booking or block transaction) or of every
 * car (the scheduled job). Call it inside a transaction. Returns the PaymentIntents to cancel. Safe concurrently: only rows still pending are taken, so each
 * hold expires (and its intent is cancelled) once.
 */
export async function expireOverdueHolds(db: Kysely<Database>, scope: { carId?: string } = {}): Promise<string[]> {
  let update = db
    .updateTable('reservations')
    .set({ status: 'expired', updated_at: new Date() })
    .where('kind', '=', 'booking')
    .where('status', '=', 'pending')
    .where('expires_at', '<=', sql<Date>`now()`);
  if (scope.carId) update = update.where('car_id', '=', scope.carId);
  const expired = await update.returning(['id', 'payment_intent_id']).execute();
  for (const row of expired) await enqueueBookingNotifications(db, row.id, 'expired');
  return expired.flatMap((row) => (row.payment_intent_id ? [row.payment_intent_id] : []));
}

/**
 * Cancels the PaymentIntents of expired holds, best effort: if one is paid anyway, the
 * webhook refunds it because its booking is no longer pending.
 */
export async function cancelIntents(payments: PaymentProvider, intentIds: string[]): Promise<number> {
  let failures = 0;
  for (const intentId of intentIds) await payments.cancelIntent(intentId).catch(() => failures++);
  return failures;
}

/** The job every minute: expire every overdue hold, cancel their intents, forget old idempotency keys. */
export async function runExpiry(db: Kysely<Database>, payments: PaymentProvider): Promise<{ expired: number; cancelFailures: number }> {
  // One transaction: each expired hold and its notification commit together.
  const intents = await db.transaction().execute((trx) => expireOverdueHolds(trx));
  const cancelFailures = await cancelIntents(payments, intents);
  await db
    .deleteFrom('idempotency_keys')
    .where('created_at', '<', sql<Date>`now() - make_interval(hours => ${IDEMPOTENCY_KEY_RETENTION_HOURS})`)
    .execute();
  return { expired: intents.length, cancelFailures };
}
