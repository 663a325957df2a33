import { sql, type Kysely } from 'kysely';
import * as stayPriceSegments from './2026_12_03_0016_stay_price_segments';

/**
 * car_price_segments (migration 0016) keyed by calendar month and map cell, so that search walks
 * only the rows of the stay's months (and, near a place, of the cells around it) in price order.
 *
 * Before, every index led with the price: the walk of a 7-day search read ~7,200 entries (every
 * car's runs of every date and tier) to keep the ~290 of the stay's dates, and a search around a
 * quiet landmark walked the whole fleet's rows to keep a twentieth (docs/benchmarks.md).
 *
 * - month: year × 12 + month − 1 of the rows' days. Each run of one rate is cut at month ends,
 *   and only the months a search can reach are kept: from the current month (Asia/Bangkok) to
 *   PRICE_SEGMENT_MONTHS − 1 months ahead (a stay starts at most 24 months ahead and lasts at most
 *   90 days: 28 months suffice). A car's rows are rewritten whenever it or its seasons change, and
 *   extend_price_segment_horizon() (a daily job) rewrites those of cars whose rows end too soon.
 * - run_start, run_end: the run a row was cut from (within the months kept), so that a row whose
 *   run covers a whole stay, across a month end too, prices its car exactly (the price band's
 *   skip in price_walk(); with only the month's dates, a stay across a month end walked every
 *   cheaper car of the type: 27 ms instead of 5).
 * - cell: a tenth of a degree of latitude by one of longitude (~11 km): a 5 km radius falls in at
 *   most 2 × 2 cells. (floor(lat × 10) + 900) × 10000 + floor(lng × 10) + 1800, from the point's
 *   own latitude() and longitude(); core/geo/place.ts cellsAround() lists a place's cells.
 *
 * The bounds a row carries are unchanged: the car's price of the days of a stay lies between
 * days × its lowest low_day_price and days × its highest high_day_price among its rows
 * overlapping the stay in the tier the stay's length reaches.
 *
 * Also price_walk(), the walk itself, as a function whose statements are planned once per
 * connection (below), and covering_key(), the price of a stay's days on one row.
 *
 * Frozen in time: migrations never import application code.
 */
const PRICE_SEGMENT_MONTHS = 31;

export async function up(db: Kysely<any>): Promise<void> {
  for (const index of ['low', 'type_low', 'high', 'type_high']) await sql`DROP INDEX ${sql.id(`car_price_segments_${index}_idx`)}`.execute(db);
  await sql`TRUNCATE car_price_segments`.execute(db);
  await sql`ALTER TABLE car_price_segments ADD COLUMN month integer NOT NULL, ADD COLUMN cell integer NOT NULL,
    ADD COLUMN run_start date NOT NULL, ADD COLUMN run_end date NOT NULL`.execute(db);

  await sql`
    CREATE FUNCTION price_segment_cell(location earth) RETURNS integer
    LANGUAGE sql IMMUTABLE PARALLEL SAFE SET search_path = public AS $$
      SELECT (floor(latitude(location) * 10)::integer + 900) * 10000 + floor(longitude(location) * 10)::integer + 1800
    $$`.execute(db);
  await sql`
    CREATE FUNCTION price_segment_month(day date) RETURNS integer
    LANGUAGE sql IMMUTABLE PARALLEL SAFE AS $$
      SELECT extract(year FROM day)::integer * 12 + extract(month FROM day)::integer - 1
    $$`.execute(db);
  // The first day of the first month kept: this month in Bangkok, where rental dates are kept.
  await sql`
    CREATE FUNCTION price_segment_first_day() RETURNS date
    LANGUAGE sql STABLE AS $$
      SELECT date_trunc('month', (now() AT TIME ZONE 'Asia/Bangkok'))::date
    $$`.execute(db);

  await sql`
    CREATE OR REPLACE FUNCTION refresh_car_price_segments(p_car_id uuid) RETURNS void
    LANGUAGE plpgsql SECURITY DEFINER SET search_path = public AS $$
    DECLARE
      car record;
      first_day date := price_segment_first_day();
      last_day date := (price_segment_first_day() + ${sql.lit(`${PRICE_SEGMENT_MONTHS} months`)}::interval - interval '1 day')::date;
    BEGIN
      DELETE FROM car_price_segments WHERE car_id = p_car_id;
      SELECT * INTO car FROM cars WHERE id = p_car_id AND is_published AND deleted_at IS NULL;
      IF NOT FOUND THEN
        RETURN;
      END IF;
      INSERT INTO car_price_segments (car_id, car_type, location, cell, turnaround_days, month, start_date, end_date, run_start, run_end,
                                      from_days, to_days, daily_rate, percent, low_day_price, high_day_price)
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
      -- The runs of one rate, cut to the months kept.
      runs AS (
        SELECT greatest(start_date, first_day) AS start_date, least(end_date, last_day) AS end_date, daily_rate
        FROM (
          SELECT start_date, end_date, car.daily_rate FROM gaps WHERE start_date <= end_date
          UNION ALL
          SELECT start_date, end_date, daily_rate FROM seasons
        ) AS all_runs
        WHERE end_date >= first_day AND start_date <= last_day
      ),
      -- Each run cut at month ends.
      month_runs AS (
        SELECT price_segment_month(month_start::date) AS month,
               greatest(runs.start_date, month_start::date) AS start_date,
               least(runs.end_date, (month_start + interval '1 month' - interval '1 day')::date) AS end_date,
               runs.start_date AS run_start, runs.end_date AS run_end, runs.daily_rate
        FROM runs
        CROSS JOIN LATERAL generate_series(date_trunc('month', runs.start_date), runs.end_date, interval '1 month') AS month_start
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
      SELECT p_car_id, car.car_type, car.location, price_segment_cell(car.location), car.turnaround_days,
             month_runs.month, month_runs.start_date, month_runs.end_date, month_runs.run_start, month_runs.run_end, tiers.from_days, tiers.to_days,
             month_runs.daily_rate, tiers.percent,
             (month_runs.daily_rate::int8 * (100 - tiers.percent)) / 100,
             (month_runs.daily_rate::int8 * (100 - tiers.percent) + 99) / 100
      FROM month_runs CROSS JOIN tiers;
    END $$`.execute(db);

  // Rewrites, `batch` at a time, the rows of cars whose rows stop before the last month a search
  // can reach (PRICE_SEGMENT_MONTHS − 3 months ahead: 24 months and 90 days, and a margin of a
  // month for a missed run). Returns how many it rewrote; the job calls it until 0.
  await sql`
    CREATE FUNCTION extend_price_segment_horizon(batch integer) RETURNS integer
    LANGUAGE plpgsql SECURITY DEFINER SET search_path = public AS $$
    DECLARE
      needed integer := price_segment_month((price_segment_first_day() + ${sql.lit(`${PRICE_SEGMENT_MONTHS - 3} months`)}::interval)::date);
      rewritten integer;
    BEGIN
      SELECT count(*) INTO rewritten FROM (
        SELECT refresh_car_price_segments(c.id)
        FROM cars AS c
        WHERE c.is_published AND c.deleted_at IS NULL
          AND NOT EXISTS (SELECT 1 FROM car_price_segments AS g WHERE g.car_id = c.id AND g.month >= needed)
        LIMIT batch
      ) AS done;
      RETURN rewritten;
    END $$`.execute(db);

  // The price of the days of a stay of p_days on one row (all its days at daily_rate, less percent,
  // half-up): stayPrice()'s arithmetic (core/search/stay-price.ts).
  await sql`
    CREATE FUNCTION covering_key(daily_rate integer, percent smallint, days smallint) RETURNS bigint
    LANGUAGE sql IMMUTABLE PARALLEL SAFE AS $$
      SELECT daily_rate::int8 * days - (daily_rate::int8 * days * percent * 100 + 5000) / 10000
    $$`.execute(db);
  // A car's price of the days of a stay from its rows: stayPrice()'s arithmetic (core/search/stay-price.ts) on
  // the rows overlapping the stay in the stay's tier (each day in exactly one). Null without rows.
  await sql`
    CREATE FUNCTION segment_stay_price(p_car_id uuid, p_start date, p_end date, p_days smallint) RETURNS bigint
    LANGUAGE sql STABLE AS $$
      SELECT r.rental - (r.rental * r.percent * 100 + 5000) / 10000
      FROM (
        SELECT sum((least(g.end_date, p_end) - greatest(g.start_date, p_start) + 1)::int8 * g.daily_rate)::int8 AS rental,
               max(g.percent)::int8 AS percent
        FROM car_price_segments AS g
        WHERE g.car_id = p_car_id
          AND g.month BETWEEN price_segment_month(p_start) AND price_segment_month(p_end)
          AND g.start_date <= p_end AND g.end_date >= p_start AND g.from_days <= p_days AND g.to_days > p_days
      ) AS r
    $$`.execute(db);
  await sql.raw(priceWalkFunction()).execute(db);
  await sql.raw(searchPriceWalkFunction()).execute(db);
  await sql`REVOKE ALL ON FUNCTION price_walk, search_price_walk FROM PUBLIC`.execute(db);
  await sql`GRANT EXECUTE ON FUNCTION price_walk, search_price_walk TO rental_app, rental_reader`.execute(db);

  const covering = sql`INCLUDE (start_date, end_date, from_days, to_days, turnaround_days, daily_rate, percent, run_start, run_end)`;
  await sql`CREATE INDEX car_price_segments_low_idx ON car_price_segments (month, low_day_price, car_id) ${covering}`.execute(db);
  await sql`CREATE INDEX car_price_segments_type_low_idx ON car_price_segments (month, car_type, low_day_price, car_id) ${covering}`.execute(db);
  await sql`CREATE INDEX car_price_segments_high_idx ON car_price_segments (month, high_day_price, car_id) ${covering}`.execute(db);
  await sql`CREATE INDEX car_price_segments_type_high_idx ON car_price_segments (month, car_type, high_day_price, car_id) ${covering}`.execute(db);
  // A car's rows of the stay's months, for its exact stay price (search prices the cars it walks from them).
  await sql`DROP INDEX car_price_segments_car_idx`.execute(db);
  await sql`
    CREATE INDEX car_price_segments_car_month_idx ON car_price_segments (car_id, month)
    INCLUDE (start_date, end_date, from_days, to_days, daily_rate, percent)`.execute(db);
  // Near a place: the cell's rows, with the location for the exact radius (and the type, for a filter).
  await sql`
    CREATE INDEX car_price_segments_cell_low_idx ON car_price_segments (month, cell, low_day_price, car_id)
    INCLUDE (start_date, end_date, from_days, to_days, turnaround_days, daily_rate, percent, run_start, run_end, car_type, location)`.execute(db);

  await sql`SELECT refresh_car_price_segments(id) FROM cars`.execute(db);
  await sql`REVOKE ALL ON FUNCTION extend_price_segment_horizon FROM PUBLIC`.execute(db);
  await sql`GRANT EXECUTE ON FUNCTION extend_price_segment_horizon TO rental_app`.execute(db);
}

export async function down(db: Kysely<any>): Promise<void> {
  await sql`DROP FUNCTION search_price_walk`.execute(db);
  await sql`DROP FUNCTION price_walk`.execute(db);
  await sql`DROP FUNCTION segment_stay_price`.execute(db);
  await sql`DROP FUNCTION covering_key`.execute(db);
  await sql`DROP FUNCTION extend_price_segment_horizon`.execute(db);
  // 0016's table, function and indexes, as 0016 made them: its down, then its up (which rebuilds the rows).
  await stayPriceSegments.down(db);
  for (const name of ['price_segment_cell', 'price_segment_month', 'price_segment_first_day']) await sql`DROP FUNCTION ${sql.id(name)}`.execute(db);
  await stayPriceSegments.up(db);
}

/** Months a stay can span (90 days), and cells a walk near a place merges, as price_walk() has branches for them. */
const WALK_MONTHS = 4;
const WALK_CELLS = 4;

/**
 * price_walk(): the walk of search in price order (core/search/price-walk.ts), as a PL/pgSQL
 * function so that its statements are parsed and planned once per connection, not per search
 * (that cost ~1.5 ms a search, as much as running them). It returns the rows of
 * car_price_segments of the stay's months, in the order of their bound (low_day_price
 * ascending, or high_day_price descending), that belong to cars free on the dates with their
 * turnaround buffers (the probe: the rule of conflictExists()) and within the radius if there is
 * one: p_rows of them and one more, the edge, from p_resume on, and none beyond p_until. Each shape of walk is one static
 * statement of its own (so each keeps its plan): plain, by car type, and, ascending, by map cell.
 * Each merges one index range per month (and cell): a branch whose month lies past the stay, or
 * whose cell is null, reads nothing.
 */
export function priceWalkFunction(): string {
  const variant = (direction: 'asc' | 'desc', by: 'plain' | 'type' | 'cell'): string => {
    const ascending = direction === 'asc';
    const bound = ascending ? 's.low_day_price' : 's.high_day_price';
    const order = ascending ? 'ASC' : 'DESC';
    const filters = [
      's.start_date <= p_end AND s.end_date >= p_start AND s.from_days <= p_days AND s.to_days > p_days',
      // (The plain walk runs only without a car type: a filter that could apply would steer its generic plan elsewhere.)
      ...(by === 'type' ? ['s.car_type = p_car_type'] : by === 'cell' ? ['(p_car_type IS NULL OR s.car_type = p_car_type)'] : []),
      // Rows that cost more per day than the band (less, descending) cannot be in it; a row whose run
      // (run_start … run_end, before the cut at month ends) covers the whole stay prices its car
      // exactly, so one outside the band is skipped here.
      // …and no further than p_until, when the caller knows how far it needs to go.
      ascending
        ? 's.low_day_price <= least(coalesce(p_max_price, 2147483647), coalesce(p_until, 2147483647))'
        : 's.high_day_price >= greatest(coalesce(p_min_price, 0), coalesce(p_until, 0))',
      ascending
        ? 'NOT (p_min_price IS NOT NULL AND s.run_start <= p_start AND s.run_end >= p_end AND covering_key(s.daily_rate, s.percent, p_days) < p_min_price::int8 * p_days)'
        : 'NOT (p_max_price IS NOT NULL AND s.run_start <= p_start AND s.run_end >= p_end AND covering_key(s.daily_rate, s.percent, p_days) > p_max_price::int8 * p_days)',
      ascending
        ? `(${bound}, s.car_id) >= (coalesce(p_resume_bound, -1), coalesce(p_resume_car, '00000000-0000-0000-0000-000000000000'::uuid))`
        : `(${bound}, s.car_id) <= (coalesce(p_resume_bound, 2147483647), coalesce(p_resume_car, 'ffffffff-ffff-ffff-ffff-ffffffffffff'::uuid))`,
    ];
    const ranges: string[] = [];
    for (let month = 0; month < WALK_MONTHS; month++) {
      for (let cell = 1; cell <= (by === 'cell' ? WALK_CELLS : 1); cell++) {
        const keys = [`s.month = p_first_month + ${month}`, ...(month > 0 ? [`p_first_month + ${month} <= p_last_month`] : [])];
        if (by === 'cell') keys.push(`s.cell = p_cells[${cell}]`);
        // Each range in its own order under a LIMIT the planner cannot read: it merges them as the
        // indexes hand them over (Merge Append) rather than sorting them all.
        ranges.push(`(SELECT s.car_id, ${bound} AS bound, s.turnaround_days${by === 'cell' ? ', s.location' : ''}
          FROM car_price_segments AS s
          WHERE ${[...keys, ...filters].join('\n            AND ')}
          ORDER BY ${bound} ${order}, s.car_id ${order}
          LIMIT (SELECT 1000000000::int8))`);
      }
    }
    // Near a place without cells, the radius is checked on the car (its location is not in those indexes).
    const nearby =
      by === 'cell'
        ? 'box @> g.location AND g.location <-> origin <= chord'
        : `(p_radius_m IS NULL OR EXISTS (SELECT 1 FROM cars AS c WHERE c.id = g.car_id AND box @> c.location AND c.location <-> origin <= chord))`;
    return `RETURN QUERY
        SELECT g.car_id, g.bound FROM (
          SELECT * FROM (
          ${ranges.join('\n          UNION ALL\n          ')}
          ) AS g
          ORDER BY g.bound ${order}, g.car_id ${order}
          LIMIT (SELECT 1000000000::int8)
        ) AS g
        WHERE ${nearby}
          AND NOT EXISTS (
            SELECT 1 FROM reservations AS r
            WHERE r.car_id = g.car_id
              AND r.status IN ('pending', 'confirmed', 'completed') AND (r.status <> 'pending' OR r.expires_at > now())
              AND r.held_until >= p_start
              AND r.start_date <= p_end + g.turnaround_days)
        ORDER BY g.bound ${order}, g.car_id ${order}
        LIMIT p_rows + 1;`;
  };
  return `
    CREATE FUNCTION price_walk(
      p_descending boolean, p_start date, p_end date, p_days smallint, p_first_month integer, p_last_month integer,
      p_car_type text, p_min_price integer, p_max_price integer,
      p_lat double precision, p_lng double precision, p_radius_m double precision, p_cells integer[],
      p_resume_bound integer, p_resume_car uuid, p_until integer, p_rows integer)
    RETURNS TABLE (car_id uuid, bound integer)
    -- One plan per statement and connection, whatever the parameters: planning them is the cost
    -- this function exists to save, and their shape (index ranges merged in order) suits every value.
    LANGUAGE plpgsql STABLE SET search_path = public SET plan_cache_mode = force_generic_plan AS $$
    DECLARE
      -- The radius test of core/geo/place.ts withinRadius(), its box and chord computed once, not per row.
      origin earth := CASE WHEN p_radius_m IS NOT NULL THEN ll_to_earth(p_lat, p_lng) END;
      box cube := CASE WHEN p_radius_m IS NOT NULL THEN earth_box(ll_to_earth(p_lat, p_lng), p_radius_m) END;
      chord double precision := gc_to_sec(p_radius_m);
    BEGIN
      IF p_last_month - p_first_month >= ${WALK_MONTHS} THEN
        RAISE EXCEPTION 'price_walk: a stay spans at most ${WALK_MONTHS} months';
      END IF;
      IF NOT p_descending AND p_cells IS NOT NULL AND p_radius_m IS NOT NULL THEN
        IF cardinality(p_cells) > ${WALK_CELLS} THEN
          RAISE EXCEPTION 'price_walk: at most ${WALK_CELLS} cells';
        END IF;
        ${variant('asc', 'cell')}
      ELSIF NOT p_descending AND p_car_type IS NOT NULL THEN
        ${variant('asc', 'type')}
      ELSIF NOT p_descending THEN
        ${variant('asc', 'plain')}
      ELSIF p_car_type IS NOT NULL THEN
        ${variant('desc', 'type')}
      ELSE
        ${variant('desc', 'plain')}
      END IF;
    END $$`;
}

/**
 * search_price_walk(): the walks of search in price order (core/search/price-walk.ts), planned
 * once per connection, and as many of them as one round trip can settle. For each length of
 * p_lengths in turn: price_walk()'s rows from the resume point and their edge (the first row not
 * walked; a walk that stopped at `until` walked every row up to it, so the edge is just past
 * it); the stay price (segment_stay_price()) of each car met for the first time (not in p_seen),
 * within the price band and after the cursor. It stops when the walk read every row, or when
 * p_need of the cars it has priced (the p_pending ones, met before beyond the old edge, and the
 * new) are settled: no car beyond the edge can precede them. The next walk resumes at the edge
 * and goes no further than the bound where the cars priced so far would fill the page. It
 * returns every car it priced, whether it is settled, the last edge and how many lengths it used;
 * the caller checks the settled cars against the rental rules and calls again if too few pass.
 */
export function searchPriceWalkFunction(): string {
  const precedes = (a: string, b: string) => `CASE WHEN p_descending THEN (${a}) > (${b}) ELSE (${a}) < (${b}) END`;
  return `
    CREATE FUNCTION search_price_walk(
      p_descending boolean, p_start date, p_end date, p_days smallint,
      p_car_type text, p_min_price integer, p_max_price integer,
      p_lat double precision, p_lng double precision, p_radius_m double precision, p_cells integer[],
      p_resume_bound integer, p_resume_car uuid, p_lengths integer[], p_need integer,
      p_seen uuid[], p_pending uuid[], p_after_price bigint, p_after_car uuid)
    RETURNS TABLE (car_id uuid, stay_price bigint, settled boolean, edge_bound integer, edge_car_id uuid, walks integer)
    LANGUAGE plpgsql STABLE SET search_path = public SET plan_cache_mode = force_generic_plan AS $$
    #variable_conflict use_column
    DECLARE
      seen uuid[] := p_seen;
      priced_ids uuid[];
      priced_keys bigint[];
      walked uuid[];
      resume_bound integer := p_resume_bound;
      resume_car uuid := p_resume_car;
      until integer;
      last_bound integer;
      last_car uuid;
      rows_wanted integer;
      used integer := 0;
      settled_count integer;
      needed_key bigint;
    BEGIN
      IF cardinality(p_lengths) = 0 THEN
        RAISE EXCEPTION 'search_price_walk: no walk to take';
      END IF;
      -- The cars met before beyond the old edge, priced again.
      SELECT coalesce(array_agg(m.id), '{}'), coalesce(array_agg(k.stay_price), '{}') INTO priced_ids, priced_keys
      FROM unnest(p_pending) AS m (id)
      CROSS JOIN LATERAL (SELECT segment_stay_price(m.id, p_start, p_end, p_days) AS stay_price OFFSET 0) AS k
      WHERE k.stay_price IS NOT NULL;

      FOREACH rows_wanted IN ARRAY p_lengths LOOP
        used := used + 1;
        IF resume_car IS NOT NULL THEN
          -- Resuming: no further than the bound where the p_need cheapest (dearest) priced cars would be settled.
          SELECT c.stay_price INTO needed_key
          FROM unnest(priced_keys) AS c (stay_price)
          ORDER BY CASE WHEN p_descending THEN -c.stay_price ELSE c.stay_price END
          OFFSET p_need - 1 LIMIT 1;
          until := CASE WHEN needed_key IS NULL THEN NULL
                        WHEN p_descending THEN ceil(needed_key::numeric / p_days)::integer
                        ELSE floor(needed_key::numeric / p_days)::integer END;
        END IF;
        SELECT coalesce(array_agg(w.car_id) FILTER (WHERE w.n <= rows_wanted), '{}'),
               min(w.bound) FILTER (WHERE w.n = rows_wanted + 1),
               (array_agg(w.car_id) FILTER (WHERE w.n = rows_wanted + 1))[1]
        INTO walked, last_bound, last_car
        FROM price_walk(p_descending, p_start, p_end, p_days, price_segment_month(p_start), price_segment_month(p_end),
                        p_car_type, p_min_price, p_max_price, p_lat, p_lng, p_radius_m, p_cells,
                        resume_bound, resume_car, until, rows_wanted) WITH ORDINALITY AS w (car_id, bound, n);
        IF last_car IS NULL AND until IS NOT NULL THEN
          last_bound := CASE WHEN p_descending THEN until - 1 ELSE until + 1 END;
          last_car := CASE WHEN p_descending THEN 'ffffffff-ffff-ffff-ffff-ffffffffffff'::uuid ELSE '00000000-0000-0000-0000-000000000000'::uuid END;
        END IF;

        WITH met AS MATERIALIZED (
          SELECT DISTINCT x.id FROM unnest(walked) AS x (id) WHERE x.id <> ALL (seen)
        ),
        priced AS (
          SELECT met.id, k.stay_price
          FROM met
          CROSS JOIN LATERAL (SELECT segment_stay_price(met.id, p_start, p_end, p_days) AS stay_price OFFSET 0) AS k
          WHERE k.stay_price IS NOT NULL
            AND (p_min_price IS NULL OR k.stay_price >= p_min_price::int8 * p_days)
            AND (p_max_price IS NULL OR k.stay_price <= p_max_price::int8 * p_days)
            AND (p_after_car IS NULL OR ${precedes('p_after_price, p_after_car', 'k.stay_price, met.id')})
        )
        SELECT priced_ids || coalesce(p.ids, '{}'), priced_keys || coalesce(p.keys, '{}'),
               seen || coalesce((SELECT array_agg(met.id) FROM met), '{}')
        INTO priced_ids, priced_keys, seen
        FROM (SELECT array_agg(priced.id) AS ids, array_agg(priced.stay_price) AS keys FROM priced) AS p;

        EXIT WHEN last_car IS NULL; -- every row read: every car priced is settled
        SELECT count(*) INTO settled_count
        FROM unnest(priced_ids, priced_keys) AS c (id, stay_price)
        WHERE ${precedes('c.stay_price, c.id', 'p_days::int8 * last_bound, last_car')};
        EXIT WHEN settled_count >= p_need;
        resume_bound := last_bound;
        resume_car := last_car;
      END LOOP;

      RETURN QUERY
      SELECT c.id, c.stay_price,
             last_car IS NULL OR ${precedes('c.stay_price, c.id', 'p_days::int8 * last_bound, last_car')},
             last_bound, last_car, used
      FROM (SELECT 1) AS one
      LEFT JOIN unnest(priced_ids, priced_keys) AS c (id, stay_price) ON true;
    END $$`;
}
