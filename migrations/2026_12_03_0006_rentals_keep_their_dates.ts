import { sql, type Kysely } from 'kysely';

/**
 * Rentals keep their dates, and reviews come from paid rentals.
 *
 * - `completed` holds its dates. Before, the exclusion constraint covered only pending and
 *   confirmed, so an agency that completed a running rental on its first day let another
 *   customer book the same car for the same days. The constraint, and the index the per-car
 *   probe reads, now cover completed too.
 * - An early return (completed before end_date) ends the rental today: end_date moves to that
 *   day, which frees only the days after it, and booked_end_date keeps the end that was booked
 *   and priced (days and prices stay as booked; the days CHECK reads the booked end).
 * - deposit_paid_at: when the deposit was paid through the platform (the Stripe webhook). Only
 *   such a booking can be reviewed: an agency confirming its own sock puppets' bookings without
 *   payment can no longer manufacture ratings. Back-filled from the recorded payment events.
 * - reviews.verified_rental: every review written from now on is of a paid, completed rental;
 *   older reviews say whether theirs was.
 *
 * If existing data has a completed booking overlapping another date-holding reservation of its
 * car (the double booking this fixes), the constraint cannot be built: the migration stops and
 * names the pairs, for a person to resolve (cancel one, or shorten the completed one).
 * Frozen in time: migrations never import application code.
 */
export async function up(db: Kysely<any>): Promise<void> {
  await sql`ALTER TABLE reservations ADD COLUMN booked_end_date date`.execute(db);
  await sql`ALTER TABLE reservations ADD COLUMN deposit_paid_at timestamptz`.execute(db);
  await sql`ALTER TABLE reservations DROP CONSTRAINT reservations_days_match_dates`.execute(db);
  await sql`
    ALTER TABLE reservations ADD CONSTRAINT reservations_days_match_dates
    CHECK (days = coalesce(booked_end_date, end_date) - start_date + 1)`.execute(db);
  await sql`
    ALTER TABLE reservations ADD CONSTRAINT reservations_early_return_shape
    CHECK (booked_end_date IS NULL OR (kind = 'booking' AND status = 'completed' AND booked_end_date > end_date))`.execute(db);
  await sql`
    UPDATE reservations AS r SET deposit_paid_at = e.received_at
    FROM payment_events AS e
    WHERE e.reservation_id = r.id AND e.outcome = 'confirmed'`.execute(db);

  const { rows: overlaps } = await sql<{ a: string; b: string }>`
    SELECT a.id AS a, b.id AS b
    FROM reservations AS a
    JOIN reservations AS b ON b.car_id = a.car_id AND b.id <> a.id AND b.period && a.period
    WHERE a.status = 'completed' AND b.status IN ('pending', 'confirmed', 'completed') AND (b.status <> 'completed' OR a.id < b.id)
    LIMIT 20`.execute(db);
  if (overlaps.length > 0) {
    throw new Error(
      `Completed bookings overlap other date-holding reservations of their car; resolve these pairs first: ${overlaps
        .map((pair) => `${pair.a}/${pair.b}`)
        .join(', ')}`,
    );
  }
  await sql`ALTER TABLE reservations DROP CONSTRAINT reservations_no_overlap`.execute(db);
  await sql`
    ALTER TABLE reservations ADD CONSTRAINT reservations_no_overlap
    EXCLUDE USING gist (period WITH &&, car_id WITH =) WHERE (status IN ('pending', 'confirmed', 'completed'))`.execute(db);
  await sql`DROP INDEX reservations_holding_idx`.execute(db);
  await sql`
    CREATE INDEX reservations_holding_idx ON reservations (car_id, end_date)
    INCLUDE (start_date, status, expires_at)
    WHERE status IN ('pending', 'confirmed', 'completed')`.execute(db);

  await sql`ALTER TABLE reviews ADD COLUMN verified_rental boolean NOT NULL DEFAULT false`.execute(db);
  await sql`
    UPDATE reviews SET verified_rental = true
    FROM reservations AS r WHERE r.id = reviews.reservation_id AND r.deposit_paid_at IS NOT NULL`.execute(db);
  await sql`ALTER TABLE reviews ALTER COLUMN verified_rental SET DEFAULT true`.execute(db);
  // The database's own word on who may review, whatever code writes the row: the booking's
  // customer, never the agency's admin, on a completed booking whose deposit was paid. (The
  // trigger fires on INSERT and on changes of the review's booking or parties, so reviews
  // written before this rule stay as they are, marked verified_rental = false.)
  await sql`
    CREATE OR REPLACE FUNCTION reviews_check_reservation() RETURNS trigger LANGUAGE plpgsql AS $$
    BEGIN
      IF NOT EXISTS (
        SELECT 1 FROM reservations JOIN cars ON cars.id = reservations.car_id
        JOIN agencies ON agencies.id = cars.agency_id
        WHERE reservations.id = NEW.reservation_id
          AND reservations.kind = 'booking'
          AND reservations.customer_id = NEW.customer_id
          AND cars.agency_id = NEW.agency_id
          AND agencies.admin_user_id <> NEW.customer_id
          AND reservations.status = 'completed'
          AND reservations.deposit_paid_at IS NOT NULL
      ) THEN
        RAISE EXCEPTION 'a review belongs to a paid, completed booking of its customer at a car of its agency'
          USING ERRCODE = 'check_violation', CONSTRAINT = 'reviews_match_reservation';
      END IF;
      RETURN NEW;
    END
    $$`.execute(db);
}

export async function down(db: Kysely<any>): Promise<void> {
  await sql`
    CREATE OR REPLACE FUNCTION reviews_check_reservation() RETURNS trigger LANGUAGE plpgsql AS $$
    BEGIN
      IF NOT EXISTS (
        SELECT 1 FROM reservations JOIN cars ON cars.id = reservations.car_id
        WHERE reservations.id = NEW.reservation_id
          AND reservations.kind = 'booking'
          AND reservations.customer_id = NEW.customer_id
          AND cars.agency_id = NEW.agency_id
      ) THEN
        RAISE EXCEPTION 'a review belongs to a booking of its customer at a car of its agency'
          USING ERRCODE = 'check_violation', CONSTRAINT = 'reviews_match_reservation';
      END IF;
      RETURN NEW;
    END
    $$`.execute(db);
  await sql`ALTER TABLE reviews DROP COLUMN verified_rental`.execute(db);
  await sql`DROP INDEX reservations_holding_idx`.execute(db);
  await sql`
    CREATE INDEX reservations_holding_idx ON reservations (car_id, end_date)
    INCLUDE (start_date, status, expires_at)
    WHERE status IN ('pending', 'confirmed')`.execute(db);
  await sql`ALTER TABLE reservations DROP CONSTRAINT reservations_no_overlap`.execute(db);
  await sql`
    ALTER TABLE reservations ADD CONSTRAINT reservations_no_overlap
    EXCLUDE USING gist (period WITH &&, car_id WITH =) WHERE (status IN ('pending', 'confirmed'))`.execute(db);
  // Early returns get their booked end back, so the old days CHECK holds again.
  await sql`UPDATE reservations SET end_date = booked_end_date WHERE booked_end_date IS NOT NULL`.execute(db);
  await sql`ALTER TABLE reservations DROP CONSTRAINT reservations_early_return_shape`.execute(db);
  await sql`ALTER TABLE reservations DROP CONSTRAINT reservations_days_match_dates`.execute(db);
  await sql`ALTER TABLE reservations ADD CONSTRAINT reservations_days_match_dates CHECK (days = end_date - start_date + 1)`.execute(db);
  await sql`ALTER TABLE reservations DROP COLUMN deposit_paid_at`.execute(db);
  await sql`ALTER TABLE reservations DROP COLUMN booked_end_date`.execute(db);
}
