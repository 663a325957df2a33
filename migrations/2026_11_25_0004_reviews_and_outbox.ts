import { sql, type Kysely } from 'kysely';

/**
 * Reviews with live agency ratings and the notification outbox's delivery bookkeeping.
 *
 * - agencies.rating_sum: the integer sum of an agency's ratings. A trigger on reviews keeps
 *   review_count, rating_sum and rating_average in step in the review's own transaction, as
 *   one UPDATE of the agency row whose new values are computed from the row's current ones:
 *   concurrent reviews queue on that row lock and each adds exactly its own rating, so the
 *   average equals round(avg(rating), 2) over the table however many arrive at once. (Recomputing
 *   avg() over reviews inside the trigger would not: a waiting statement's snapshot misses the
 *   review committed by the transaction it waited for.)
 * - reviews_match_reservation: a review belongs to a booking of its own customer at a car of its
 *   own agency, whatever code writes it, so no rating lands on the wrong agency. (That the
 *   booking is completed is the application's rule, answered with a 409.)
 * - notifications: known kinds only, 'skipped' for messages deliberately not sent (SMS while
 *   SMS is off), when a row went to the queue, and the last delivery error.
 *
 * Frozen in time: migrations never import application code.
 */
export async function up(db: Kysely<any>): Promise<void> {
  await sql`ALTER TABLE agencies ADD COLUMN rating_sum integer NOT NULL DEFAULT 0`.execute(db);
  await sql`
    UPDATE agencies
    SET review_count = totals.n, rating_sum = totals.total, rating_average = round(totals.total::numeric / totals.n, 2)
    FROM (SELECT agency_id, count(*) AS n, sum(rating) AS total FROM reviews GROUP BY agency_id) AS totals
    WHERE totals.agency_id = agencies.id`.execute(db);
  await sql`
    ALTER TABLE agencies ADD CONSTRAINT agencies_rating_sum_in_range
    CHECK (rating_sum BETWEEN review_count AND 5 * review_count)`.execute(db);

  await sql`
    CREATE FUNCTION reviews_update_agency_rating() RETURNS trigger LANGUAGE plpgsql AS $$
    BEGIN
      IF TG_OP IN ('UPDATE', 'DELETE') THEN
        UPDATE agencies
        SET review_count = review_count - 1,
            rating_sum = rating_sum - OLD.rating,
            rating_average = CASE WHEN review_count = 1 THEN 0
                                  ELSE round((rating_sum - OLD.rating)::numeric / (review_count - 1), 2) END
        WHERE id = OLD.agency_id;
      END IF;
      IF TG_OP IN ('INSERT', 'UPDATE') THEN
        UPDATE agencies
        SET review_count = review_count + 1,
            rating_sum = rating_sum + NEW.rating,
            rating_average = round((rating_sum + NEW.rating)::numeric / (review_count + 1), 2)
        WHERE id = NEW.agency_id;
      END IF;
      RETURN NULL;
    END
    $$`.execute(db);
  await sql`
    CREATE TRIGGER reviews_agency_rating AFTER INSERT OR DELETE OR UPDATE OF rating, agency_id ON reviews
    FOR EACH ROW EXECUTE FUNCTION reviews_update_agency_rating()`.execute(db);

  await sql`
    CREATE FUNCTION reviews_check_reservation() RETURNS trigger LANGUAGE plpgsql AS $$
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
  await sql`
    CREATE TRIGGER reviews_match_reservation BEFORE INSERT OR UPDATE OF reservation_id, agency_id, customer_id ON reviews
    FOR EACH ROW EXECUTE FUNCTION reviews_check_reservation()`.execute(db);

  await sql`
    ALTER TABLE notifications ADD CONSTRAINT notifications_kind_known CHECK (kind IN (
      'booking_received', 'booking_confirmed', 'booking_cancelled', 'booking_expired',
      'pickup_reminder', 'agency_new_booking', 'review_received'))`.execute(db);
  await sql`ALTER TABLE notifications DROP CONSTRAINT notifications_status_check`.execute(db);
  await sql`
    ALTER TABLE notifications ADD CONSTRAINT notifications_status_check
    CHECK (status IN ('pending', 'dispatched', 'sent', 'skipped', 'failed'))`.execute(db);
  await sql`ALTER TABLE notifications ADD COLUMN dispatched_at timestamptz`.execute(db);
  await sql`ALTER TABLE notifications ADD COLUMN last_error text CHECK (char_length(last_error) <= 1000)`.execute(db);

  // The daily reminder job: confirmed bookings starting on a given day.
  await sql`
    CREATE INDEX reservations_confirmed_start_idx ON reservations (start_date)
    WHERE kind = 'booking' AND status = 'confirmed'`.execute(db);
}

export async function down(db: Kysely<any>): Promise<void> {
  await sql`DROP INDEX reservations_confirmed_start_idx`.execute(db);
  await sql`ALTER TABLE notifications DROP COLUMN last_error`.execute(db);
  await sql`ALTER TABLE notifications DROP COLUMN dispatched_at`.execute(db);
  await sql`UPDATE notifications SET status = 'sent' WHERE status = 'skipped'`.execute(db);
  await sql`ALTER TABLE notifications DROP CONSTRAINT notifications_status_check`.execute(db);
  await sql`
    ALTER TABLE notifications ADD CONSTRAINT notifications_status_check
    CHECK (status IN ('pending', 'dispatched', 'sent', 'failed'))`.execute(db);
  await sql`ALTER TABLE notifications DROP CONSTRAINT notifications_kind_known`.execute(db);
  await sql`DROP TRIGGER reviews_match_reservation ON reviews`.execute(db);
  await sql`DROP FUNCTION reviews_check_reservation()`.execute(db);
  await sql`DROP TRIGGER reviews_agency_rating ON reviews`.execute(db);
  await sql`DROP FUNCTION reviews_update_agency_rating()`.execute(db);
  await sql`ALTER TABLE agencies DROP CONSTRAINT agencies_rating_sum_in_range`.execute(db);
  await sql`ALTER TABLE agencies DROP COLUMN rating_sum`.execute(db);
}
