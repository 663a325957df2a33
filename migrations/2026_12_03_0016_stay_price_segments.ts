import { sql, type Kysely } from 'kysely';

/**
 * What search walks to order by the price of the requested days (issue 17): each published,
 * non-deleted car's timeline cut into runs of one daily rate (its seasons, and the gaps between
 * them at its base rate, out to ±infinity), times its length-discount tiers (rows valid for
 * stays of from_days ≤ days < to_days), each with the per-day price after the tier's discount,
 * rounded down (low_day_price) and up (high_day_price).
 *
 * For a stay of D days, a car's price of the days (the sum of its days' rates, less the discount
 * of the tier D reaches) lies between D × the lowest low_day_price and D × the highest
 * high_day_price of its rows overlapping the stay in D's tier. Search walks
 * the rows in that order and computes the exact price of the cars it meets
 * (core/search/stay-price.ts): the table only orders the walk, it never decides a price.
 *
 * Maintained by triggers on cars and car_seasons; derived data, so `down` just drops it.
 * Also: a btree on car_seasons for the exact price's per-car lookups (index-only).
 *
 * Frozen in time: migrations never import application code.
 */
export async function up(db: Kysely<any>): Promise<void> {
  await sql`
    CREATE TABLE car_price_segments (
      car_id         uuid NOT NULL REFERENCES cars (id) ON DELETE CASCADE,
      car_type       text NOT NULL,
      location       earth NOT NULL,
      -- the car's buffer, so the walk can probe availability without reading the car
      turnaround_days smallint NOT NULL,
      start_date     date NOT NULL,
      end_date       date NOT NULL,
      from_days      smallint NOT NULL,
      to_days        smallint NOT NULL,
      daily_rate     integer NOT NULL,
      percent        smallint NOT NULL,
      low_day_price  integer NOT NULL,
      high_day_price integer NOT NULL,
      CHECK (end_date >= start_date AND to_days > from_days)
    )`.execute(db);
  const covering = sql`INCLUDE (start_date, end_date, from_days, to_days, location, turnaround_days, daily_rate, percent)`;
  await sql`CREATE INDEX car_price_segments_low_idx ON car_price_segments (low_day_price, car_id) ${covering}`.execute(db);
  await sql`CREATE INDEX car_price_segments_type_low_idx ON car_price_segments (car_type, low_day_price, car_id) ${covering}`.execute(db);
  await sql`CREATE INDEX car_price_segments_high_idx ON car_price_segments (high_day_price, car_id) ${covering}`.execute(db);
  await sql`CREATE INDEX car_price_segments_type_high_idx ON car_price_segments (car_type, high_day_price, car_id) ${covering}`.execute(db);
  await sql`CREATE INDEX car_price_segments_car_idx ON car_price_segments (car_id)`.execute(db);
  await sql`CREATE INDEX car_seasons_car_idx ON car_seasons (car_id, end_date) INCLUDE (start_date, daily_rate, min_rental_days)`.execute(db);

  // SECURITY DEFINER (here and in the triggers): whoever edits a car or a season (the app's role)
  // keeps the derived rows right without being able to write them directly.
  await sql`
    CREATE FUNCTION refresh_car_price_segments(p_car_id uuid) RETURNS void
    LANGUAGE plpgsql SECURITY DEFINER SET search_path = public AS $$
    DECLARE
      car record;
    BEGIN
      DELETE FROM car_price_segments WHERE car_id = p_car_id;
      SELECT * INTO car FROM cars WHERE id = p_car_id AND is_published AND deleted_at IS NULL;
      IF NOT FOUND THEN
        RETURN;
      END IF;
      INSERT INTO car_price_segments (car_id, car_type, location, turnaround_days, start_date, end_date, from_days, to_days,
                                      daily_rate, percent, low_day_price, high_day_price)
      WITH seasons AS (
        SELECT start_date, end_date, daily_rate FROM car_seasons WHERE car_id = p_car_id
      ),
      gaps AS (
        SELECT coalesce(lag(end_date) OVER (ORDER BY start_date) + 1, '-infinity'::date) AS start_date,
               start_date - 1 AS end_date
        FROM seasons
        UNION ALL
        SELECT coalesce((SELECT max(end_date) + 1 FROM seasons), '-infinity'::date), 'infinity'::date
      ),
      runs AS (
        SELECT start_date, end_date, car.daily_rate FROM gaps WHERE start_date <= end_date
        UNION ALL
        SELECT start_date, end_date, daily_rate FROM seasons
      ),
      -- The tiers a stay's length falls in (no discount, weekly, monthly), neighbours with the same percent merged.
      tiers AS (
        SELECT min(from_days) AS from_days, max(to_days) AS to_days, percent
        FROM (
          SELECT *, sum(CASE WHEN percent IS DISTINCT FROM previous THEN 1 ELSE 0 END) OVER (ORDER BY from_days) AS island
          FROM (
            SELECT *, lag(percent) OVER (ORDER BY from_days) AS previous
            FROM (VALUES (1, car.weekly_discount_days::int, 0),
                         (car.weekly_discount_days::int, car.monthly_discount_days::int, car.weekly_discount_percent::int),
                         (car.monthly_discount_days::int, 91,
                          greatest(car.weekly_discount_percent, car.monthly_discount_percent)::int)) AS t (from_days, to_days, percent)
          ) AS ordered
        ) AS marked
        GROUP BY island, percent
      )
      SELECT p_car_id, car.car_type, car.location, car.turnaround_days, runs.start_date, runs.end_date, tiers.from_days, tiers.to_days,
             runs.daily_rate, tiers.percent,
             (runs.daily_rate::int8 * (100 - tiers.percent)) / 100,
             (runs.daily_rate::int8 * (100 - tiers.percent) + 99) / 100
      FROM runs CROSS JOIN tiers;
    END $$`.execute(db);
  await sql`
    CREATE FUNCTION cars_refresh_price_segments() RETURNS trigger LANGUAGE plpgsql SECURITY DEFINER SET search_path = public AS $$
    BEGIN
      IF TG_OP = 'INSERT' OR (NEW.daily_rate, NEW.weekly_discount_days, NEW.weekly_discount_percent, NEW.monthly_discount_days,
                              NEW.monthly_discount_percent, NEW.is_published, NEW.deleted_at, NEW.car_type, NEW.location::text, NEW.turnaround_days)
                             IS DISTINCT FROM
                             (OLD.daily_rate, OLD.weekly_discount_days, OLD.weekly_discount_percent, OLD.monthly_discount_days,
                              OLD.monthly_discount_percent, OLD.is_published, OLD.deleted_at, OLD.car_type, OLD.location::text, OLD.turnaround_days) THEN
        PERFORM refresh_car_price_segments(NEW.id);
      END IF;
      RETURN NULL;
    END $$`.execute(db);
  await sql`CREATE TRIGGER cars_price_segments AFTER INSERT OR UPDATE ON cars FOR EACH ROW EXECUTE FUNCTION cars_refresh_price_segments()`.execute(db);
  await sql`
    CREATE FUNCTION car_seasons_refresh_price_segments() RETURNS trigger LANGUAGE plpgsql SECURITY DEFINER SET search_path = public AS $$
    BEGIN
      PERFORM refresh_car_price_segments(car_id) FROM (SELECT DISTINCT car_id FROM changed_seasons) AS changed;
      RETURN NULL;
    END $$`.execute(db);
  for (const event of ['INSERT', 'UPDATE', 'DELETE'] as const) {
    const transition = event === 'DELETE' ? sql`OLD TABLE` : sql`NEW TABLE`;
    await sql`
      CREATE TRIGGER ${sql.raw(`car_seasons_price_segments_${event.toLowerCase()}`)} AFTER ${sql.raw(event)} ON car_seasons
      REFERENCING ${transition} AS changed_seasons
      FOR EACH STATEMENT EXECUTE FUNCTION car_seasons_refresh_price_segments()`.execute(db);
  }
  // A season moved from one car to another changes both.
  await sql`
    CREATE FUNCTION car_seasons_refresh_old_car() RETURNS trigger LANGUAGE plpgsql SECURITY DEFINER SET search_path = public AS $$
    BEGIN
      PERFORM refresh_car_price_segments(car_id) FROM (SELECT DISTINCT car_id FROM old_seasons) AS changed;
      RETURN NULL;
    END $$`.execute(db);
  await sql`
    CREATE TRIGGER car_seasons_price_segments_update_old AFTER UPDATE ON car_seasons
    REFERENCING OLD TABLE AS old_seasons
    FOR EACH STATEMENT EXECUTE FUNCTION car_seasons_refresh_old_car()`.execute(db);

  await sql`SELECT refresh_car_price_segments(id) FROM cars`.execute(db);
  await sql`REVOKE ALL ON FUNCTION refresh_car_price_segments FROM PUBLIC`.execute(db);
  await sql`GRANT SELECT ON car_price_segments TO rental_reader`.execute(db);
}

export async function down(db: Kysely<any>): Promise<void> {
  await sql`DROP TRIGGER car_seasons_price_segments_update_old ON car_seasons`.execute(db);
  await sql`DROP FUNCTION car_seasons_refresh_old_car`.execute(db);
  for (const event of ['insert', 'update', 'delete']) await sql`DROP TRIGGER ${sql.raw(`car_seasons_price_segments_${event}`)} ON car_seasons`.execute(db);
  await sql`DROP FUNCTION car_seasons_refresh_price_segments`.execute(db);
  await sql`DROP TRIGGER cars_price_segments ON cars`.execute(db);
  await sql`DROP FUNCTION cars_refresh_price_segments`.execute(db);
  await sql`DROP FUNCTION refresh_car_price_segments`.execute(db);
  await sql`DROP INDEX car_seasons_car_idx`.execute(db);
  await sql`DROP TABLE car_price_segments`.execute(db);
}
