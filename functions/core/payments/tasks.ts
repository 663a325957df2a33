import { sql, type Kysely } from 'kysely';
import type { Database } from '../database';
import type { PaymentProvider } from './provider';
import type { PaymentTaskKind } from './table';

/**
 * Durable money movements (migration 2026_12_03_0009_payment_tasks). A state change that needs
 * Stripe (cancel a hold's intent, refund a deposit) records a task in its own transaction; the
 * call happens after the commit, here, never inside a transaction: a slow or failing Stripe then
 * holds no lock another customer waits for, and cannot roll a customer's cancellation back.
 * Each call is idempotent at Stripe (keys derived from the intent), so a task run twice (a lease
 * that lapsed mid-call) has the effect of one.
 */

/** A task is retried this many times (with growing waits) before it is marked failed for a person to look at. */
export const MAX_PAYMENT_TASK_ATTEMPTS = 8;
/** How long a claimed task stays away from other workers: longer than the Stripe client's timeout and retries. */
export const PAYMENT_TASK_LEASE_SECONDS = 60;

/** Seconds before the next try after `attempts` failed ones: 5, 10, 20 … at most 15 minutes. */
export function paymentTaskRetrySeconds(attempts: number): number {
  return Math.min(5 * 2 ** Math.max(0, attempts - 1), 900);
}

/**
 * Records that a booking's intent must be cancelled or its deposit refunded, in the caller's
 * transaction. Once per booking and kind: asking again does nothing.
 */
export async function schedulePaymentTask(
  trx: Kysely<Database>,
  task: { reservationId: string; kind: PaymentTaskKind; intentId: string | null },
): Promise<void> {
  await trx
    .insertInto('payment_tasks')
    .values({ reservation_id: task.reservationId, kind: task.kind, payment_intent_id: task.intentId })
    .onConflict((conflict) => conflict.constraint('payment_tasks_once').doNothing())
    .execute();
}

export interface PaymentTaskRun {
  done: number;
  retrying: number;
  failed: number;
}

/**
 * Carries out due tasks: all of them (the minute job), or a few bookings' right after the
 * request that scheduled them committed, so the common case completes in the same request.
 * Claims first (a short transaction that moves available_at ahead by the lease, SKIP LOCKED so
 * workers never wait for each other), then calls Stripe with no transaction open, then records
 * the outcome: done, or the error and when to try again.
 */
export async function runPaymentTasks(
  db: Kysely<Database>,
  payments: PaymentProvider,
  options: { reservationIds?: readonly string[]; limit?: number } = {},
): Promise<PaymentTaskRun> {
  if (options.reservationIds?.length === 0) return { done: 0, retrying: 0, failed: 0 };
  const claimed = await db
    .updateTable('payment_tasks')
    .set({ attempts: sql<number>`attempts + 1`, available_at: sql<Date>`now() + make_interval(secs => ${PAYMENT_TASK_LEASE_SECONDS})` })
    .where('id', 'in', (eb) => {
      let due = eb
        .selectFrom('payment_tasks')
        .select('id')
        .where('status', '=', 'pending')
        .where('available_at', '<=', sql<Date>`now()`)
        .orderBy('available_at')
        .limit(options.limit ?? 50)
        .forUpdate()
        .skipLocked();
      if (options.reservationIds) due = due.where('reservation_id', 'in', options.reservationIds);
      return due;
    })
    .returning(['id', 'reservation_id', 'kind', 'payment_intent_id', 'attempts'])
    .execute();

  const run: PaymentTaskRun = { done: 0, retrying: 0, failed: 0 };
  for (const task of claimed) {
    try {
      await carryOut(db, payments, task);
      await db
        .updateTable('payment_tasks')
        .set({ status: 'done', done_at: sql<Date>`now()`, last_error: null })
        .where('id', '=', task.id)
        .execute();
      run.done += 1;
    } catch (error) {
      const last = task.attempts >= MAX_PAYMENT_TASK_ATTEMPTS;
      await db
        .updateTable('payment_tasks')
        .set({
          status: last ? 'failed' : 'pending',
          available_at: sql<Date>`now() + make_interval(secs => ${paymentTaskRetrySeconds(task.attempts)})`,
          last_error: String(error instanceof Error ? error.message : error).slice(0, 1000),
        })
        .where('id', '=', task.id)
        .execute();
      if (last) run.failed += 1;
      else run.retrying += 1;
    }
  }
  return run;
}

/**
 * Right after the commit that scheduled them: tries these bookings' payment tasks at once, so
 * the common case completes within the request. A failure here changes nothing the caller
 * answers (the state change stands); the task stays pending and the minute job retries it.
 */
export async function runPaymentTasksAfterCommit(db: Kysely<Database>, payments: PaymentProvider, reservationIds: readonly string[]): Promise<void> {
  if (reservationIds.length === 0) return;
  await runPaymentTasks(db, payments, { reservationIds }).catch(() => undefined);
}

async function carryOut(
  db: Kysely<Database>,
  payments: PaymentProvider,
  task: { reservation_id: string; kind: PaymentTaskKind; payment_intent_id: string | null },
): Promise<void> {
  if (task.kind === 'refund_deposit') return payments.refundDeposit(task.payment_intent_id!);
  if (task.payment_intent_id) return payments.cancelIntent(task.payment_intent_id);
  // The intent was never attached: its creation may have reached Stripe before the answer was
  // lost. Asking again with the same booking (the same idempotency key and parameters) returns
  // that intent if it exists (or makes one), and cancelling it leaves none that could be paid.
  const booking = await db
    .selectFrom('reservations')
    .innerJoin('users', 'users.id', 'reservations.customer_id')
    .select(['reservations.id', 'reservations.deposit_amount', 'users.email'])
    .where('reservations.id', '=', task.reservation_id)
    .executeTakeFirstOrThrow();
  const intent = await payments.createDepositIntent({ bookingId: booking.id, amount: booking.deposit_amount!, currency: 'thb', customerEmail: booking.email });
  await payments.cancelIntent(intent.intentId);
}
