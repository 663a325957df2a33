import { sql, type Kysely } from 'kysely';

/**
 * The tables around a booking: idempotent booking requests, the Stripe event log (each event
 * applied once), reviews and the notification outbox.
 */
export async function up(db: Kysely<any>): Promise<void> {
  // A replayed POST /bookings/ with the same key returns the stored answer; a different
  // body under the same key is refused (request_hash).
  await sql`
    CREATE TABLE idempotency_keys (
      customer_id     uuid NOT NULL REFERENCES users (id),
      key             text NOT NULL CHECK (char_length(key) BETWEEN 1 AND 255),
      request_hash    text NOT NULL,
      reservation_id  uuid REFERENCES reservations (id),
      response_status integer,
      response_body   jsonb,
      created_at      timestamptz NOT NULL DEFAULT now(),
      PRIMARY KEY (customer_id, key)
    )`.execute(db);
  await sql`CREATE INDEX idempotency_keys_created_idx ON idempotency_keys (created_at)`.execute(db);

  // Stripe retries and reorders events; the primary key makes "apply once" a constraint.
  await sql`
    CREATE TABLE payment_events (
      id                text PRIMARY KEY,
      type              text NOT NULL,
      payment_intent_id text,
      reservation_id    uuid REFERENCES reservations (id),
      outcome           text NOT NULL,
      received_at       timestamptz NOT NULL DEFAULT now()
    )`.execute(db);
  await sql`CREATE INDEX payment_events_intent_idx ON payment_events (payment_intent_id)`.execute(db);

  // One review per booking, enforced by the unique reservation_id.
  await sql`
    CREATE TABLE reviews (
      id             uuid PRIMARY KEY DEFAULT gen_random_uuid(),
      reservation_id uuid NOT NULL UNIQUE REFERENCES reservations (id),
      agency_id      uuid NOT NULL REFERENCES agencies (id),
      customer_id    uuid NOT NULL REFERENCES users (id),
      rating         smallint NOT NULL CHECK (rating BETWEEN 1 AND 5),
      comment        text NOT NULL DEFAULT '' CHECK (char_length(comment) <= 2000),
      reply          text CHECK (char_length(reply) <= 2000),
      replied_at     timestamptz,
      created_at     timestamptz NOT NULL DEFAULT now()
    )`.execute(db);
  await sql`CREATE INDEX reviews_agency_newest_idx ON reviews (agency_id, created_at DESC, id DESC)`.execute(db);

  // Transactional outbox: a notification row commits with the change that caused it; a
  // dispatcher moves pending rows to the queue. dedupe_key keeps reminders to one each.
  await sql`
    CREATE TABLE notifications (
      id             uuid PRIMARY KEY DEFAULT gen_random_uuid(),
      kind           text NOT NULL,
      channel        text NOT NULL DEFAULT 'email' CHECK (channel IN ('email', 'sms')),
      recipient      text NOT NULL,
      payload        jsonb NOT NULL DEFAULT '{}',
      reservation_id uuid REFERENCES reservations (id),
      dedupe_key     text UNIQUE,
      status         text NOT NULL DEFAULT 'pending' CHECK (status IN ('pending', 'dispatched', 'sent', 'failed')),
      attempts       integer NOT NULL DEFAULT 0 CHECK (attempts >= 0),
      available_at   timestamptz NOT NULL DEFAULT now(),
      created_at     timestamptz NOT NULL DEFAULT now(),
      sent_at        timestamptz
    )`.execute(db);
  await sql`CREATE INDEX notifications_pending_idx ON notifications (available_at) WHERE status = 'pending'`.execute(db);
}

export async function down(db: Kysely<any>): Promise<void> {
  await sql`DROP TABLE notifications`.execute(db);
  await sql`DROP TABLE reviews`.execute(db);
  await sql`DROP TABLE payment_events`.execute(db);
  await sql`DROP TABLE idempotency_keys`.execute(db);
}
