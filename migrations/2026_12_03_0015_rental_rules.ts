import { sql, type Kysely } from 'kysely';
import * as holdBookingV1 from './2026_12_03_0012_booking_hold_function';

/**
 * The rules Phuket agencies rent by (issue 17):
 *
 * - cars: length discounts (a percentage off from N days, a weekly and a monthly tier), a
 *   minimum rental, a minimum notice before pick-up, a maximum lead time, and a turnaround
 *   buffer of whole days the car needs between rentals.
 * - car_seasons: date-ranged daily rates (high season, one-off peaks), at most one per day of a
 *   car, each optionally with its own minimum rental.
 * - agencies: weekly opening hours (a weekday without hours is closed; an agency without any
 *   hours hands cars over at any time), an after-hours fee (null: not offered, so a hand-over
 *   outside the hours is refused), and the landmarks it delivers to, with a fee each.
 * - reservations: the turnaround buffer a booking was made with, its pick-up and return times
 *   and places, and the price breakdown it was charged. `held_period` (the rental plus its
 *   buffer) replaces `period` in the exclusion constraint: a booking and the next one cannot
 *   fall inside each other's buffer, whatever order they arrive in, because each reservation
 *   holds its own days plus its buffer and the constraint refuses any two that overlap.
 * - terms_version on cars and agencies, bumped by triggers whenever anything a price or a rule
 *   is computed from changes: hold_booking() refuses a booking priced from older terms. The same
 *   triggers keep each car's seasons and each agency's hours and delivery places as JSON on its
 *   row (derived, never written by the application), so a car's terms are read without a
 *   subquery per list.
 *
 * Frozen in time: migrations never import application code.
 */
export async function up(db: Kysely<any>): Promise<void> {
  await sql`
    ALTER TABLE cars
      ADD COLUMN weekly_discount_days     smallint NOT NULL DEFAULT 7 CHECK (weekly_discount_days BETWEEN 2 AND 89),
      ADD COLUMN weekly_discount_percent  smallint NOT NULL DEFAULT 0 CHECK (weekly_discount_percent BETWEEN 0 AND 90),
      ADD COLUMN monthly_discount_days    smallint NOT NULL DEFAULT 28 CHECK (monthly_discount_days BETWEEN 3 AND 90),
      ADD COLUMN monthly_discount_percent smallint NOT NULL DEFAULT 0 CHECK (monthly_discount_percent BETWEEN 0 AND 90),
      ADD COLUMN min_rental_days          smallint NOT NULL DEFAULT 1 CHECK (min_rental_days BETWEEN 1 AND 90),
      ADD COLUMN min_notice_hours         smallint NOT NULL DEFAULT 0 CHECK (min_notice_hours BETWEEN 0 AND 720),
      ADD COLUMN max_lead_days            smallint CHECK (max_lead_days BETWEEN 1 AND 731),
      ADD COLUMN turnaround_days          smallint NOT NULL DEFAULT 0 CHECK (turnaround_days BETWEEN 0 AND 14),
      ADD COLUMN terms_version            integer NOT NULL DEFAULT 1,
      -- derived: the car's seasons as JSON, kept by the seasons' trigger, so that reading a car's
      -- terms (search reads ~65 cars' for a page) is a column, not a subquery per car
      ADD COLUMN seasons_json             jsonb NOT NULL DEFAULT '[]',
      ADD CONSTRAINT cars_discount_tiers_ordered CHECK (monthly_discount_days > weekly_discount_days)`.execute(db);

  await sql`
    CREATE TABLE car_seasons (
      id              uuid PRIMARY KEY DEFAULT gen_random_uuid(),
      car_id          uuid NOT NULL REFERENCES cars (id) ON DELETE CASCADE,
      name            text NOT NULL CHECK (char_length(name) BETWEEN 1 AND 200),
      start_date      date NOT NULL,
      end_date        date NOT NULL,
      period          daterange NOT NULL GENERATED ALWAYS AS (daterange(start_date, end_date, '[]')) STORED,
      daily_rate      integer NOT NULL CHECK (daily_rate > 0 AND daily_rate <= 100000000),
      min_rental_days smallint CHECK (min_rental_days BETWEEN 1 AND 90),
      created_at      timestamptz NOT NULL DEFAULT now(),
      CONSTRAINT car_seasons_dates_ordered CHECK (end_date >= start_date),
      -- One rate a day: a peak inside a season is its own season, and the season around it is split.
      CONSTRAINT car_seasons_no_overlap EXCLUDE USING gist (car_id WITH =, period WITH &&)
    )`.execute(db);

  await sql`
    ALTER TABLE agencies
      ADD COLUMN after_hours_fee integer CHECK (after_hours_fee BETWEEN 0 AND 10000000),
      ADD COLUMN terms_version   integer NOT NULL DEFAULT 1,
      -- derived, as cars.seasons_json: kept by the triggers of the two tables below
      ADD COLUMN opening_hours_json jsonb NOT NULL DEFAULT '[]',
      ADD COLUMN delivery_json      jsonb NOT NULL DEFAULT '[]'`.execute(db);
  await sql`
    CREATE TABLE agency_opening_hours (
      agency_id uuid NOT NULL REFERENCES agencies (id) ON DELETE CASCADE,
      -- ISO weekday: 1 Monday … 7 Sunday
      weekday   smallint NOT NULL CHECK (weekday BETWEEN 1 AND 7),
      opens     time NOT NULL,
      closes    time NOT NULL,
      PRIMARY KEY (agency_id, weekday),
      CONSTRAINT agency_opening_hours_ordered CHECK (closes > opens)
    )`.execute(db);
  await sql`
    CREATE TABLE agency_delivery_options (
      agency_id     uuid NOT NULL REFERENCES agencies (id) ON DELETE CASCADE,
      landmark_slug text NOT NULL REFERENCES landmarks (slug),
      fee           integer NOT NULL CHECK (fee BETWEEN 0 AND 10000000),
      PRIMARY KEY (agency_id, landmark_slug)
    )`.execute(db);
  // "Which agencies deliver to this landmark" (search near a landmark).
  await sql`CREATE INDEX agency_delivery_options_landmark_idx ON agency_delivery_options (landmark_slug, agency_id) INCLUDE (fee)`.execute(db);

  // Terms versions: any change to what a price or a rule is computed from moves the version.
  await sql`
    CREATE FUNCTION bump_car_terms_version() RETURNS trigger LANGUAGE plpgsql AS $$
    BEGIN
      IF (NEW.daily_rate, NEW.deposit_amount, NEW.weekly_discount_days, NEW.weekly_discount_percent,
          NEW.monthly_discount_days, NEW.monthly_discount_percent, NEW.min_rental_days, NEW.min_notice_hours,
          NEW.max_lead_days, NEW.turnaround_days, NEW.agency_id)
         IS DISTINCT FROM
         (OLD.daily_rate, OLD.deposit_amount, OLD.weekly_discount_days, OLD.weekly_discount_percent,
          OLD.monthly_discount_days, OLD.monthly_discount_percent, OLD.min_rental_days, OLD.min_notice_hours,
          OLD.max_lead_days, OLD.turnaround_days, OLD.agency_id) THEN
        NEW.terms_version := OLD.terms_version + 1;
      END IF;
      RETURN NEW;
    END $$`.execute(db);
  await sql`CREATE TRIGGER cars_terms_version BEFORE UPDATE ON cars FOR EACH ROW EXECUTE FUNCTION bump_car_terms_version()`.execute(db);
  await sql`
    CREATE FUNCTION bump_season_car_terms_version() RETURNS trigger LANGUAGE plpgsql AS $$
    BEGIN
      UPDATE cars SET terms_version = terms_version + 1,
        seasons_json = coalesce((
          SELECT jsonb_agg(jsonb_build_object('name', s.name, 'start_date', s.start_date, 'end_date', s.end_date,
                                              'daily_rate', s.daily_rate, 'min_rental_days', s.min_rental_days) ORDER BY s.start_date)
          FROM car_seasons AS s WHERE s.car_id = cars.id), '[]')
      WHERE id IN (SELECT car_id FROM changed_seasons);
      RETURN NULL;
    END $$`.execute(db);
  for (const event of ['INSERT', 'UPDATE', 'DELETE'] as const) {
    const transition = event === 'DELETE' ? sql`OLD TABLE` : sql`NEW TABLE`;
    await sql`
      CREATE TRIGGER ${sql.raw(`car_seasons_terms_version_${event.toLowerCase()}`)} AFTER ${sql.raw(event)} ON car_seasons
      REFERENCING ${transition} AS changed_seasons
      FOR EACH STATEMENT EXECUTE FUNCTION bump_season_car_terms_version()`.execute(db);
  }
  await sql`
    CREATE FUNCTION bump_agency_terms_version() RETURNS trigger LANGUAGE plpgsql AS $$
    BEGIN
      IF TG_TABLE_NAME = 'agencies' THEN
        IF NEW.after_hours_fee IS DISTINCT FROM OLD.after_hours_fee THEN
          NEW.terms_version := OLD.terms_version + 1;
        END IF;
        RETURN NEW;
      END IF;
      UPDATE agencies SET terms_version = terms_version + 1,
        opening_hours_json = coalesce((
          SELECT jsonb_agg(jsonb_build_object('weekday', h.weekday, 'opens', to_char(h.opens, 'HH24:MI'), 'closes', to_char(h.closes, 'HH24:MI'))
                           ORDER BY h.weekday)
          FROM agency_opening_hours AS h WHERE h.agency_id = agencies.id), '[]'),
        delivery_json = coalesce((
          SELECT jsonb_agg(jsonb_build_object('landmark', d.landmark_slug, 'fee', d.fee) ORDER BY d.landmark_slug)
          FROM agency_delivery_options AS d WHERE d.agency_id = agencies.id), '[]')
      WHERE id IN (SELECT agency_id FROM changed_terms);
      RETURN NULL;
    END $$`.execute(db);
  await sql`CREATE TRIGGER agencies_terms_version BEFORE UPDATE ON agencies FOR EACH ROW EXECUTE FUNCTION bump_agency_terms_version()`.execute(db);
  for (const table of ['agency_opening_hours', 'agency_delivery_options'] as const) {
    for (const event of ['INSERT', 'UPDATE', 'DELETE'] as const) {
      const transition = event === 'DELETE' ? sql`OLD TABLE` : sql`NEW TABLE`;
      await sql`
        CREATE TRIGGER ${sql.raw(`${table}_terms_version_${event.toLowerCase()}`)} AFTER ${sql.raw(event)} ON ${sql.table(table)}
        REFERENCING ${transition} AS changed_terms
        FOR EACH STATEMENT EXECUTE FUNCTION bump_agency_terms_version()`.execute(db);
    }
  }

  // Reservations: the buffer each one was made with, and what was booked besides the dates.
  await sql`
    ALTER TABLE reservations
      ADD COLUMN turnaround_days smallint NOT NULL DEFAULT 0 CHECK (turnaround_days BETWEEN 0 AND 14),
      ADD COLUMN held_until date NOT NULL GENERATED ALWAYS AS (end_date + turnaround_days) STORED,
      ADD COLUMN held_period daterange NOT NULL GENERATED ALWAYS AS (daterange(start_date, end_date + turnaround_days, '[]')) STORED,
      ADD COLUMN pickup_time time,
      ADD COLUMN return_time time,
      ADD COLUMN pickup_landmark text REFERENCES landmarks (slug),
      ADD COLUMN return_landmark text REFERENCES landmarks (slug),
      ADD COLUMN price_breakdown jsonb,
      ADD CONSTRAINT reservations_block_no_buffer CHECK (kind <> 'block' OR turnaround_days = 0)`.execute(db);
  // Existing rows have no buffer: held_period = period, so the new constraint holds on any data the old one held.
  await sql`ALTER TABLE reservations DROP CONSTRAINT reservations_no_overlap`.execute(db);
  await sql`
    ALTER TABLE reservations ADD CONSTRAINT reservations_no_overlap
    EXCLUDE USING gist (held_period WITH &&, car_id WITH =) WHERE (status IN ('pending', 'confirmed', 'completed'))`.execute(db);
  // The per-car probe (core/availability/conflicts.ts) reads the held end, buffer included.
  await sql`DROP INDEX reservations_holding_idx`.execute(db);
  await sql`
    CREATE INDEX reservations_holding_idx ON reservations (car_id, held_until)
    INCLUDE (start_date, end_date, status, expires_at)
    WHERE status IN ('pending', 'confirmed', 'completed')`.execute(db);

  await holdBookingV1.down(db);
  await sql`
    CREATE FUNCTION hold_booking(
      p_customer_id uuid,
      p_key text,
      p_request_hash text,
      p_car_id uuid,
      p_start_date date,
      p_end_date date,
      -- the versions of the car's and its agency's terms the price below was computed from
      p_car_terms_version integer,
      p_agency_terms_version integer,
      p_pickup_time time,
      p_return_time time,
      p_pickup_landmark text,
      p_return_landmark text,
      p_days integer,
      p_daily_rate integer,
      p_subtotal integer,
      p_fees integer,
      p_tax integer,
      p_total_price integer,
      p_deposit_amount integer,
      p_price_breakdown jsonb,
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

      -- The customer's hold limits, counted under a lock on the customer's row (see migration 0012).
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
      -- bookable, and still on the terms the application priced and checked the rules against.
      SELECT c.turnaround_days, c.terms_version AS car_version, a.terms_version AS agency_version INTO car
      FROM cars AS c JOIN agencies AS a ON a.id = c.agency_id
      WHERE c.id = p_car_id AND c.is_published AND c.deleted_at IS NULL
      FOR KEY SHARE OF c;
      IF NOT FOUND THEN
        RAISE EXCEPTION USING ERRCODE = 'RB404', MESSAGE = 'the car is not bookable';
      END IF;
      IF car.car_version <> p_car_terms_version OR car.agency_version <> p_agency_terms_version THEN
        RAISE EXCEPTION USING ERRCODE = 'RB412', MESSAGE = 'the car''s terms changed since it was priced';
      END IF;

      -- The exclusion constraint decides, on the rental plus the car's turnaround buffer:
      -- ON CONFLICT DO NOTHING makes a loser of a race wait for the winner's commit and then
      -- insert nothing (a plain INSERT would leave each loser's row in place while it waits,
      -- and three or more losers then deadlock).
      INSERT INTO reservations (car_id, kind, status, customer_id, start_date, end_date, expires_at, turnaround_days,
                                pickup_time, return_time, pickup_landmark, return_landmark,
                                days, daily_rate_at_booking, subtotal, fees, tax, total_price, deposit_amount, price_breakdown)
      VALUES (p_car_id, 'booking', 'pending', p_customer_id, p_start_date, p_end_date,
              now() + make_interval(mins => p_hold_minutes), car.turnaround_days,
              p_pickup_time, p_return_time, p_pickup_landmark, p_return_landmark,
              p_days, p_daily_rate, p_subtotal, p_fees, p_tax, p_total_price, p_deposit_amount, p_price_breakdown)
      ON CONFLICT DO NOTHING
      RETURNING * INTO held;
      IF NOT FOUND THEN
        IF EXISTS (
          SELECT 1 FROM reservations
          WHERE car_id = p_car_id AND kind = 'booking' AND status = 'pending' AND expires_at <= now()
            AND held_period && daterange(p_start_date, p_end_date + car.turnaround_days, '[]')
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
  await sql`REVOKE ALL ON FUNCTION hold_booking FROM PUBLIC`.execute(db);
  await sql`GRANT EXECUTE ON FUNCTION hold_booking TO rental_app`.execute(db);
  // rental_app has the new tables by default privileges; search and car detail read them too.
  await sql`GRANT SELECT ON car_seasons, agency_opening_hours, agency_delivery_options TO rental_reader`.execute(db);
}

export async function down(db: Kysely<any>): Promise<void> {
  await sql`DROP FUNCTION hold_booking`.execute(db);
  await holdBookingV1.up(db);
  await sql`DROP INDEX reservations_holding_idx`.execute(db);
  await sql`
    CREATE INDEX reservations_holding_idx ON reservations (car_id, end_date)
    INCLUDE (start_date, status, expires_at)
    WHERE status IN ('pending', 'confirmed', 'completed')`.execute(db);
  await sql`ALTER TABLE reservations DROP CONSTRAINT reservations_no_overlap`.execute(db);
  await sql`
    ALTER TABLE reservations ADD CONSTRAINT reservations_no_overlap
    EXCLUDE USING gist (period WITH &&, car_id WITH =) WHERE (status IN ('pending', 'confirmed', 'completed'))`.execute(db);
  await sql`
    ALTER TABLE reservations
      DROP CONSTRAINT reservations_block_no_buffer,
      DROP COLUMN price_breakdown, DROP COLUMN return_landmark, DROP COLUMN pickup_landmark,
      DROP COLUMN return_time, DROP COLUMN pickup_time, DROP COLUMN held_period, DROP COLUMN held_until, DROP COLUMN turnaround_days`.execute(db);
  await sql`DROP TABLE agency_delivery_options`.execute(db);
  await sql`DROP TABLE agency_opening_hours`.execute(db);
  await sql`DROP TRIGGER agencies_terms_version ON agencies`.execute(db);
  await sql`DROP FUNCTION bump_agency_terms_version`.execute(db);
  await sql`ALTER TABLE agencies DROP COLUMN delivery_json, DROP COLUMN opening_hours_json, DROP COLUMN terms_version, DROP COLUMN after_hours_fee`.execute(db);
  await sql`DROP TABLE car_seasons`.execute(db);
  await sql`DROP FUNCTION bump_season_car_terms_version`.execute(db);
  await sql`DROP TRIGGER cars_terms_version ON cars`.execute(db);
  await sql`DROP FUNCTION bump_car_terms_version`.execute(db);
  await sql`
    ALTER TABLE cars
      DROP CONSTRAINT cars_discount_tiers_ordered,
      DROP COLUMN seasons_json, DROP COLUMN terms_version, DROP COLUMN turnaround_days, DROP COLUMN max_lead_days, DROP COLUMN min_notice_hours,
      DROP COLUMN min_rental_days, DROP COLUMN monthly_discount_percent, DROP COLUMN monthly_discount_days,
      DROP COLUMN weekly_discount_percent, DROP COLUMN weekly_discount_days`.execute(db);
}
