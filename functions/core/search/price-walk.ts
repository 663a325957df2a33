import { sql, type Kysely, type RawBuilder } from 'kysely';
import type { Database } from '../database';
import { cellsAround, greatCircleDistance } from '../geo/place';
import { rowsToFetch } from '../pagination';
import { parseRentalTerms, rentalRuleBroken, rentalTermsJson, type RentalRequest } from '../pricing/terms';
import { listedCarFilters, type SearchCriteria, type SearchRow } from './search-cars';
import type { Stay } from './stay-price';

/**
 * Search in price order, as walks of car_price_segments (migration 0017) plus the rules:
 *
 * 1. SQL (price_walk()) reads car_price_segments in order of the bound of each car's price per
 *    day for these dates (low_day_price ascending for `price`, high_day_price descending for
 *    `-price`), only the rows of the stay's months (and, near a place, of the map cells around
 *    it), merged from one index range per month and cell. As the rows come, it keeps those of
 *    cars within the radius and free on the dates with their turnaround buffers (the probe), up
 *    to `rows` of them and one more: the edge, the first row not walked.
 * 2. SQL (search_price_walk()) prices each car met with segment_stay_price(), the arithmetic of
 *    stayPrice() on the car's own rows: the price of the days, without the hand-overs' charges.
 *    A car can be on the page only if no car beyond the edge can precede it: every such car
 *    costs at least days × the edge's bound (at most, descending), ties going by id. Only those
 *    settled cars are read with their terms and photos.
 *    Until enough are settled, it walks on (PRICE_WALKS), resuming at the edge, in the same call.
 * 3. Node applies the rental rules (rentalRuleBroken()), the function booking uses, so search
 *    lists exactly what booking accepts. The page is settled when it is full of settled cars, or
 *    when the walk read every row. If the rules turned too many away, another call resumes at
 *    the edge with the lengths left, pricing again the cars met beyond it; after the last,
 *    searchCars() runs the full statement.
 *
 * A stay across a change of rate (the start of high season) is what needs the longer walks: its
 * cars' bounds are their cheaper days', so their prices lie above the edge more often.
 */

/**
 * The lengths of the successive walks, in free rows (a walk after the first also stops where the
 * cars already known would fill the page). A page of 20 (21 rows) is settled by the first 21–24
 * free rows for ~75 % of searches at 10,000 cars; most of the rest are stays across a change of
 * rate and need 40–90 (docs/benchmarks.md). search_price_walk() takes them in one round trip,
 * as far as it needs; each row costs a probe, so they start short and grow.
 */
export const PRICE_WALKS: readonly number[] = [24, 48, 192, 768];

/** The map cells around a place that price_walk() merges at most (migration 0017); more, and it walks without cells. */
const MAX_CELLS = 4;

/** Where a walk stopped: the first row it did not walk. */
export interface WalkEdge {
  bound: number;
  carId: string;
}

/**
 * A car one walk met (or met before, beyond the edge): its stay price, whether it is settled (no
 * car beyond the edge can precede it), and, if settled, the car with its terms (null when a car
 * filter rejects it).
 */
export interface PriceWalkRow extends Omit<SearchRow, 'id' | 'stay_price'> {
  car_id: string | null;
  /** int8: a number, by the pool's type parser (platform/db.ts). */
  stay_price: number | null;
  settled: boolean | null;
  id: string | null;
  edge_bound: number | null;
  edge_car_id: string | null;
  /** How many of the lengths asked for the call walked. */
  walks: number;
}

/**
 * The statement of one walk: search_price_walk() (migration 0017: the walk, its edge, and the stay
 * price of each car met for the first time and of each `pending` one, within the price band and
 * after the cursor, and whether it is settled), and the car, its agency, terms and photos only for
 * the settled ones. One row of nulls but the edge when there are none.
 */
export function priceWalkQuery(
  criteria: SearchCriteria,
  stay: Stay,
  walks: { lengths: readonly number[]; need: number },
  position: { resume?: WalkEdge; seen: readonly string[]; pending: readonly string[]; after?: { price: number; id: string } },
): RawBuilder<PriceWalkRow> {
  const ascending = criteria.ordering === 'price';
  const { place } = criteria;
  const { resume, seen, pending, after } = position;
  const carFilters = listedCarFilters(criteria);
  const cells = place ? cellsAround(place, MAX_CELLS) : undefined;
  return sql<PriceWalkRow>`SELECT w.car_id, w.stay_price, w.settled, w.edge_bound, w.edge_car_id, w.walks, car.*
FROM search_price_walk(${!ascending}, ${stay.startDate}::date, ${stay.endDate}::date, ${stay.days}::int2,
  ${criteria.carType ?? null}::text, ${criteria.minPrice ?? null}::int4, ${criteria.maxPrice ?? null}::int4,
  ${place?.lat ?? null}::float8, ${place?.lng ?? null}::float8, ${place ? place.radiusKm * 1000 : null}::float8, ${cells ?? null}::int4[],
  ${resume?.bound ?? null}::int4, ${resume?.carId ?? null}::uuid, ${[...walks.lengths]}::int4[], ${walks.need}::int4,
  ${[...seen]}::uuid[], ${[...pending]}::uuid[], ${after?.price ?? null}::int8, ${after?.id ?? null}::uuid) AS w
LEFT JOIN LATERAL (
  SELECT c.id, c.make, c.model, c.year, c.car_type, c.transmission, c.seats, c.fuel_type,
    c.daily_rate, c.currency, c.deposit_amount, a.id AS agency_id, a.name AS agency_name,
    a.rating_average AS agency_rating_average, a.review_count AS agency_review_count,
    ${rentalTermsJson('c', 'a', stay)} AS terms,${place ? sql`\n    ${greatCircleDistance(sql.ref('c.location'), place)} AS distance_m,` : sql``}
    ARRAY(
      SELECT i.s3_key FROM car_images AS i
      WHERE i.car_id = c.id AND i.status = 'ready'
      ORDER BY i.position, i.id) AS image_keys
  FROM cars AS c
  -- The car's agency by its key (a join hashed every agency: 2 ms at 2,000 agencies).
  CROSS JOIN LATERAL (SELECT * FROM agencies WHERE agencies.id = c.agency_id OFFSET 0) AS a
  WHERE w.settled AND c.id = w.car_id AND ${sql.join(carFilters, sql` AND `)}
  -- Kept whole, so that an unsettled car is not read at all (pulled up, it was read, then dropped).
  OFFSET 0
) AS car ON true`;
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
  context: { now: Date; lengths?: readonly number[] },
): Promise<SearchRow[] | undefined> {
  const ascending = criteria.ordering === 'price';
  const precedes = (a: { price: number; id: string }, b: { price: number; id: string }) =>
    ascending ? a.price < b.price || (a.price === b.price && a.id < b.id) : a.price > b.price || (a.price === b.price && a.id > b.id);
  const cursor = after ? { price: Number(after[0]), id: String(after[1]) } : undefined;
  const seen: string[] = [];
  /** Cars met beyond the edge: priced again by the next call, whose edge is further. */
  const pending = new Set<string>();
  const candidates: SearchRow[] = [];
  let resume: WalkEdge | undefined;
  let lengths = context.lengths ?? PRICE_WALKS;
  while (lengths.length > 0) {
    // One round trip walks as far as it can settle the page; another only when the rules turn
    // away settled cars (or every length is used).
    const walks = { lengths, need: rowsToFetch(criteria) - candidates.length };
    const { rows } = await priceWalkQuery(criteria, stay, walks, { resume, seen, pending: [...pending], after: cursor }).execute(db);
    lengths = lengths.slice(rows[0]!.walks);
    for (const row of rows) {
      if (row.car_id === null) continue;
      if (!pending.delete(row.car_id)) seen.push(row.car_id);
      if (!row.settled) {
        pending.add(row.car_id);
        continue;
      }
      if (row.id === null) continue; // a car filter rejects it
      if (rentalRuleBroken(parseRentalTerms(row.terms), request, context.now)) continue;
      const { car_id: _carId, stay_price: stayPrice, settled: _settled, edge_bound: _bound, edge_car_id: _car, walks: _walks, ...car } = row;
      candidates.push({ ...car, id: row.id, stay_price: Number(stayPrice) });
    }
    resume = rows[0]?.edge_car_id ? { bound: rows[0].edge_bound!, carId: rows[0].edge_car_id } : undefined;
    // Every settled car precedes every car not met yet: the candidates' first page is the page.
    if (candidates.length >= rowsToFetch(criteria) || !resume) {
      candidates.sort((a, b) => (precedes({ price: a.stay_price, id: a.id }, { price: b.stay_price, id: b.id }) ? -1 : 1));
      return candidates.slice(0, rowsToFetch(criteria));
    }
  }
  return undefined;
}
