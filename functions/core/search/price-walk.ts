import { sql, type Kysely, type RawBuilder } from 'kysely';
import type { Database } from '../database';
import { cellsAround, greatCircleDistance } from '../geo/place';
import { rowsToFetch } from '../pagination';
import type { PricingRates } from '../pricing/pricing';
import { parseRentalTerms, quoteRental, rentalRuleBroken, rentalTermsJson, type RentalRequest } from '../pricing/terms';
import type { SearchCriteria, SearchRow } from './search-cars';
import type { Stay } from './stay-price';

/**
 * Search in price order, as walks of car_price_segments plus the pricing function:
 *
 * 1. SQL reads car_price_segments in order of the bound of each car's price per day for these
 *    dates (low_day_price ascending for `price`, high_day_price descending for `-price`), only
 *    the rows of the stay's months (and, near a place, of the map cells around it: migration
 *    0017), merged from one index range per month and cell. As the rows come, it keeps those of
 *    cars within the radius and free on the dates with their turnaround buffers (the probe), up
 *    to `rows` of them and one more: the edge, the first row not walked. It answers the walked
 *    cars it has not answered before that pass the car filters, each with its rental terms.
 * 2. Node applies the rental rules (rentalRuleBroken()) and prices each car with quoteRental(),
 *    the functions booking uses, so search lists exactly what booking accepts at the price it
 *    charges; the key is the price of the days (the subtotal without the hand-overs' charges,
 *    as stayPrice() computes it in the full statement).
 * 3. A walked car can be on the page only if no car beyond the edge can precede it: every such
 *    car costs at least days × the edge's bound (at most, descending), ties going by id. The
 *    page is settled when it is full of such cars, or when the walk read every row. If not, the
 *    next, longer walk resumes at the edge (PRICE_WALKS); after the last, searchCars() runs the
 *    full statement.
 *
 * A stay across a change of rate (the start of high season) is what needs the longer walks: its
 * cars' bounds are their cheaper days', so their prices lie above the edge more often.
 */

/**
 * The lengths of the successive walks, in free rows. A page of 20 (21 rows) is settled by the
 * first 21–24 free rows for ~75 % of searches at 10,000 cars, by 120 for ~99 % (docs/benchmarks.md);
 * each walked car costs its terms and photos, so the first walk is kept short.
 */
export const PRICE_WALKS: readonly number[] = [24, 96, 384];

/** The map cells around a place that price_walk() merges at most (migration 0017); more, and it walks without cells. */
const MAX_CELLS = 4;

/** Where a walk stopped: the first row it did not walk. */
export interface WalkEdge {
  bound: number;
  carId: string;
}

export interface PriceWalkRow extends Omit<SearchRow, 'stay_price'> {
  edge_bound: number | null;
  edge_car_id: string | null;
}

/** The month of a calendar date as migration 0017's price_segment_month() numbers it: year × 12 + month − 1. */
export function segmentMonth(date: string): number {
  return Number(date.slice(0, 4)) * 12 + Number(date.slice(5, 7)) - 1;
}

/** The statement of one walk (step 1); one row of nulls but the edge when no new car passes the filters. */
export function priceWalkQuery(
  criteria: SearchCriteria,
  stay: Stay,
  rows: number,
  resume: WalkEdge | undefined,
  seen: readonly string[],
): RawBuilder<PriceWalkRow> {
  const ascending = criteria.ordering === 'price';
  const reverse = sql.raw(ascending ? 'DESC' : 'ASC');
  const { place } = criteria;
  const carFilters: RawBuilder<unknown>[] = [sql`c.is_published`, sql`c.deleted_at IS NULL`];
  if (criteria.transmission) carFilters.push(sql`c.transmission = ${criteria.transmission}`);
  if (criteria.seatsMin !== undefined) carFilters.push(sql`c.seats >= ${criteria.seatsMin}::int2`);
  const cells = place ? cellsAround(place, MAX_CELLS) : undefined;
  return sql<PriceWalkRow>`WITH segments AS MATERIALIZED (
  SELECT * FROM price_walk(${!ascending}, ${stay.startDate}::date, ${stay.endDate}::date, ${stay.days}::int2,
    ${segmentMonth(stay.startDate)}::int4, ${segmentMonth(stay.endDate)}::int4,
    ${criteria.carType ?? null}::text, ${criteria.minPrice ?? null}::int4, ${criteria.maxPrice ?? null}::int4,
    ${place?.lat ?? null}::float8, ${place?.lng ?? null}::float8, ${place ? place.radiusKm * 1000 : null}::float8, ${cells ?? null}::int4[],
    ${resume?.bound ?? null}::int4, ${resume?.carId ?? null}::uuid, ${rows}::int4)
),
edge AS (
  SELECT segments.bound, segments.car_id FROM segments
  WHERE (SELECT count(*) FROM segments) > ${rows}
  ORDER BY segments.bound ${reverse}, segments.car_id ${reverse}
  LIMIT 1
),
walked AS (
  SELECT c.id, c.make, c.model, c.year, c.car_type, c.transmission, c.seats, c.fuel_type,
    c.daily_rate, c.currency, c.deposit_amount, a.id AS agency_id, a.name AS agency_name,
    a.rating_average AS agency_rating_average, a.review_count AS agency_review_count,
    ${rentalTermsJson('c', 'a', stay)} AS terms,${place ? sql`\n    ${greatCircleDistance(sql.ref('c.location'), place)} AS distance_m,` : sql``}
    ARRAY(
      SELECT i.s3_key FROM car_images AS i
      WHERE i.car_id = c.id AND i.status = 'ready'
      ORDER BY i.position, i.id) AS image_keys
  FROM cars AS c
  -- Each car's agency by its key (a join hashed every agency: 2 ms at 2,000 agencies).
  CROSS JOIN LATERAL (SELECT * FROM agencies WHERE agencies.id = c.agency_id OFFSET 0) AS a
  WHERE c.id = ANY (ARRAY(SELECT DISTINCT segments.car_id FROM segments WHERE segments.car_id <> ALL (${[...seen]}::uuid[])))
    AND ${sql.join(carFilters, sql` AND `)}
)
SELECT walked.*, edge.bound AS edge_bound, edge.car_id AS edge_car_id
FROM (SELECT 1) AS one
LEFT JOIN edge ON true
LEFT JOIN walked ON true`;
}

/**
 * Steps 1 to 3, walk after walk (`lengths`, PRICE_WALKS unless a test says otherwise): the page
 * (rowsToFetch() rows at most, in order), or undefined when the last walk was cut short before
 * settling it.
 */
export async function walkInPriceOrder(
  db: Kysely<Database>,
  criteria: SearchCriteria,
  request: RentalRequest,
  stay: Stay,
  after: (string | number)[] | undefined,
  context: { rates: PricingRates; now: Date; lengths?: readonly number[] },
): Promise<SearchRow[] | undefined> {
  const ascending = criteria.ordering === 'price';
  const precedes = (a: { price: number; id: string }, b: { price: number; id: string }) =>
    ascending ? a.price < b.price || (a.price === b.price && a.id < b.id) : a.price > b.price || (a.price === b.price && a.id > b.id);
  const cursor = after ? { price: Number(after[0]), id: String(after[1]) } : undefined;
  const seen: string[] = [];
  const candidates: SearchRow[] = [];
  let resume: WalkEdge | undefined;
  for (const length of context.lengths ?? PRICE_WALKS) {
    const { rows } = await priceWalkQuery(criteria, stay, length, resume, seen).execute(db);
    for (const row of rows) {
      if (row.id === null) continue;
      seen.push(row.id);
      const terms = parseRentalTerms(row.terms);
      if (rentalRuleBroken(terms, request, context.now)) continue;
      const { breakdown } = quoteRental(terms, request, context.rates);
      const price = breakdown.rental - breakdown.length_discount.amount;
      if (criteria.minPrice !== undefined && price < criteria.minPrice * stay.days) continue;
      if (criteria.maxPrice !== undefined && price > criteria.maxPrice * stay.days) continue;
      if (cursor && !precedes(cursor, { price, id: row.id })) continue;
      const { edge_bound: _bound, edge_car_id: _car, ...car } = row;
      candidates.push({ ...car, stay_price: price });
    }
    resume = rows[0]?.edge_car_id ? { bound: rows[0].edge_bound!, carId: rows[0].edge_car_id } : undefined;
    const edge = resume && { price: stay.days * resume.bound, id: resume.carId };
    const settled = candidates.filter((car) => !edge || precedes({ price: car.stay_price, id: car.id }, edge));
    settled.sort((a, b) => (precedes({ price: a.stay_price, id: a.id }, { price: b.stay_price, id: b.id }) ? -1 : 1));
    if (settled.length >= rowsToFetch(criteria) || !edge) return settled.slice(0, rowsToFetch(criteria));
  }
  return undefined;
}
