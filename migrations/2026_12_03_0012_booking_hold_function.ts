import { sql, type Kysely } from 'kysely';

/**
 * hold_booking(): the first step of a booking (functions/core/bookings/create.ts) as one
 * database call instead of eight statements in a transaction (docs/bookings.md, "One call to
 * hold"). Called as a single statement, it is its own transaction: no BEGIN or COMMIT
 * round trip, no lock held while the application runs between statements, and its statements'
 * plans are cached for the session.
 *
 * What stays in the application: date validation (400), the car's existence (404) and its price
 * (the one pricing function, in TypeScript), the replay or resumption of a key already used,
 * and the expiry of overdue holds (with its payment tasks and notices). The function re-checks
 * the car and the terms the price was computed from, and refuses with its own SQLSTATEs, which
 * the application turns into answers (BOOKING_REFUSALS in create.ts):
 *   RB404  the car is no longer bookable (unpublished or deleted since it was read)
 *   RB412  the car's rate or deposit changed since it was read: price again
 *   RB429  a hold limit; the DETAIL is JSON: { limit, count, retry_after_seconds }
 *   RB409  the dates are taken; RB410 when an overdue hold (expired by time, not yet marked)
 *          is among what blocks them: expire it and try again
 * Raising rolls back everything the call did, the idempotency key's claim included.
 * It returns the held booking, or no row when the key is already used: the caller then replays
 * or resumes (and passes key_already_claimed when it starts that key's booking over).
 *
 * Frozen in time: migrations never import application code. Replacing the function later means
 * CREATE OR REPLACE in a new migration, with the old body kept in that migration's down.
 */
export async function up(db: Kysely<any>): Promise<void> {
  await sql`
    CREATE FUNCTION hold_booking(
      p_customer_id uuid,
      p_key text,
      p_request_hash text,
      p_car_id uuid,
      p_start_date date,
      p_end_date date,
      -- the car's terms the price below was computed from, checked against the row
      p_daily_rate integer,
      p_deposit_amount integer,
      p_days integer,
      p_subtotal integer,
      p_fees integer,
      p_tax integer,
      p_total_price integer,
      p_max_unpaid_holds integer,
      p_max_bookings_per_hour integer,
      p_lease_seconds integer,
      p_hold_minutes integer,
      p_key_already_claimed boolean DEFAULT false,
      -- false only in the test that proves the lock is needed
      p_lock_customer boolean DEFAULT true
    ) RETURNS SETOF reservations
    LANGUAGE plpgsql AS $$
    DECLARE
      usage record;
      car record;
      held reservations;
    BEGIN
      -- The key first: a duplicate sent at the same moment waits here, on the key's primary
      -- key, until this call commits, then finds the key used.
      IF NOT p_key_already_claimed THEN
        INSERT INTO idempotency_keys (customer_id, key, request_hash, attempt_expires_at)
        VALUES (p_customer_id, p_key, p_request_hash, now() + make_interval(secs => p_lease_seconds))
        ON CONFLICT (customer_id, key) DO NOTHING;
        IF NOT FOUND THEN
          RETURN;
        END IF;
      END IF;

      -- The customer's hold limits, counted under a lock on the customer's row (FOR NO KEY
      -- UPDATE: it queues this customer's other bookings, not anyone's foreign-key checks), so
      -- parallel requests are counted one after another. A live hold is at most
      -- p_hold_minutes old, so the last hour's bookings include every one of them.
      IF p_lock_customer THEN
        PERFORM 1 FROM users WHERE id = p_customer_id FOR NO KEY UPDATE;
      END IF;
      SELECT
        count(*) FILTER (WHERE status = 'pending' AND expires_at > now())::int AS unpaid,
        coalesce(extract(epoch FROM min(expires_at) FILTER (WHERE status = 'pending' AND expires_at > now()) - now()), 0)::float8 AS first_hold_frees_in,
        count(*)::int AS last_hour,
        coalesce(extract(epoch FROM min(created_at) + interval '1 hour' - now()), 0)::float8 AS hour_slot_frees_in
      INTO usage
      FROM reservations
      WHERE customer_id = p_customer_id AND kind = 'booking' AND created_at > now() - interval '1 hour';
      IF usage.unpaid >= p_max_unpaid_holds THEN
        RAISE EXCEPTION USING ERRCODE = 'RB429', MESSAGE = 'hold limit: unpaid holds',
          DETAIL = json_build_object('limit', 'unpaid_holds', 'count', usage.unpaid, 'retry_after_seconds', usage.first_hold_frees_in)::text;
      END IF;
      IF usage.last_hour >= p_max_bookings_per_hour THEN
        RAISE EXCEPTION USING ERRCODE = 'RB429', MESSAGE = 'hold limit: bookings per hour',
          DETAIL = json_build_object('limit', 'bookings_per_hour', 'count', usage.last_hour, 'retry_after_seconds', usage.hour_slot_frees_in)::text;
      END IF;

      -- The car as it is now (FOR KEY SHARE, the lock the foreign key takes anyway): still
      -- bookable, and still at the terms the application priced.
      SELECT daily_rate, deposit_amount INTO car
      FROM cars WHERE id = p_car_id AND is_published AND deleted_at IS NULL
      FOR KEY SHARE;
      IF NOT FOUND THEN
        RAISE EXCEPTION USING ERRCODE = 'RB404', MESSAGE = 'the car is not bookable';
      END IF;
      IF car.daily_rate <> p_daily_rate OR car.deposit_amount <> p_deposit_amount THEN
        RAISE EXCEPTION USING ERRCODE = 'RB412', MESSAGE = 'the car''s terms changed since it was priced';
      END IF;

      -- The exclusion constraint decides: ON CONFLICT DO NOTHING makes a loser of a race wait
      -- for the winner's commit and then insert nothing (a plain INSERT would leave each
      -- loser's row in place while it waits, and three or more losers then deadlock).
      INSERT INTO reservations (car_id, kind, status, customer_id, start_date, end_date, expires_at,
                                days, daily_rate_at_booking, subtotal, fees, tax, total_price, deposit_amount)
      VALUES (p_car_id, 'booking', 'pending', p_customer_id, p_start_date, p_end_date,
              now() + make_interval(mins => p_hold_minutes),
              p_days, p_daily_rate, p_subtotal, p_fees, p_tax, p_total_price, p_deposit_amount)
      ON CONFLICT DO NOTHING
      RETURNING * INTO held;
      IF NOT FOUND THEN
        IF EXISTS (
          SELECT 1 FROM reservations
          WHERE car_id = p_car_id AND kind = 'booking' AND status = 'pending' AND expires_at <= now()
            AND period && daterange(p_start_date, p_end_date, '[]')
        ) THEN
          RAISE EXCEPTION USING ERRCODE = 'RB410', MESSAGE = 'an overdue hold blocks the dates';
        END IF;
        RAISE EXCEPTION USING ERRCODE = 'RB409', MESSAGE = 'the dates are taken';
      END IF;

      UPDATE idempotency_keys SET reservation_id = held.id
      WHERE customer_id = p_customer_id AND key = p_key;
      RETURN NEXT held;
    END
    $$`.execute(db);
  // Only the application's writing role books (the function runs with its caller's rights).
  await sql`REVOKE ALL ON FUNCTION hold_booking FROM PUBLIC`.execute(db);
  await sql`GRANT EXECUTE ON FUNCTION hold_booking TO rental_app`.execute(db);
}

export async function down(db: Kysely<any>): Promise<void> {
  await sql`DROP FUNCTION hold_booking`.execute(db);
}
