import { sql, type Kysely } from 'kysely';

/**
 * Money movements as durable work. A cancellation, an expiry or a late payment used
 * to call Stripe inside its database transaction: a slow Stripe held locks, and a Stripe error
 * rolled a customer's cancellation back into a 500. Now the state change records what must
 * happen at Stripe in this table, in its own transaction, and a worker carries it out after the
 * commit, retrying until done (each call idempotent at Stripe).
 *
 * - cancel_intent: an unpaid deposit PaymentIntent is cancelled. Without payment_intent_id the
 *   booking's intent was never attached (Stripe failed or timed out while it was created): the
 *   worker looks it up through the creation's idempotency key and cancels whatever exists.
 * - refund_deposit: a paid deposit goes back in full. UNIQUE (reservation_id, kind): at most one
 *   refund per booking, however often the events or requests asking for it arrive.
 *
 * Claimed with a lease (available_at moves ahead while a worker holds it), so a worker that dies
 * mid-call is replaced once the lease lapses. Frozen in time: migrations never import app code.
 */
export async function up(db: Kysely<any>): Promise<void> {
  await sql`
    CREATE TABLE payment_tasks (
      id                uuid PRIMARY KEY DEFAULT gen_random_uuid(),
      reservation_id    uuid NOT NULL REFERENCES reservations (id),
      kind              text NOT NULL CHECK (kind IN ('cancel_intent', 'refund_deposit')),
      payment_intent_id text CHECK (char_length(payment_intent_id) <= 255),
      status            text NOT NULL DEFAULT 'pending' CHECK (status IN ('pending', 'done', 'failed')),
      attempts          integer NOT NULL DEFAULT 0 CHECK (attempts >= 0),
      available_at      timestamptz NOT NULL DEFAULT now(),
      last_error        text CHECK (char_length(last_error) <= 1000),
      created_at        timestamptz NOT NULL DEFAULT now(),
      done_at           timestamptz,
      CONSTRAINT payment_tasks_once UNIQUE (reservation_id, kind),
      CONSTRAINT payment_tasks_refund_has_intent CHECK (kind <> 'refund_deposit' OR payment_intent_id IS NOT NULL)
    )`.execute(db);
  await sql`CREATE INDEX payment_tasks_due_idx ON payment_tasks (available_at) WHERE status = 'pending'`.execute(db);
  // The booking request asks Stripe with no transaction open, so a duplicate of it (same key,
  // sent at once) can no longer wait on the key's row lock: it sees the attempt's lease instead
  // and waits for its answer, rather than asking Stripe a second time or releasing its hold.
  await sql`ALTER TABLE idempotency_keys ADD COLUMN attempt_expires_at timestamptz`.execute(db);
}

export async function down(db: Kysely<any>): Promise<void> {
  await sql`ALTER TABLE idempotency_keys DROP COLUMN attempt_expires_at`.execute(db);
  await sql`DROP TABLE payment_tasks`.execute(db);
}
