import { sql, type Kysely, type RawBuilder } from 'kysely';
import { conflictExists } from '../availability/conflicts';
import type { CarType, FuelType, Transmission } from '../cars/table';
import type { Database } from '../database';
import { chordDistance, greatCircleDistance, kilometres, withinRadius, type Place } from '../geo/place';
import { keysetAfter, pageOfRows, rowsToFetch } from '../pagination';
import type { PricingRates } from '../pricing/pricing';
import { parseRentalTerms, quoteRental, rentalRequestWithDefaults, rentalTermsJson, type RentalRequest, type RentalTermsRow } from '../pricing/terms';
import { decodeSortCursor, sortKeys, sortPosition, type SortKey } from './ordering';
import { walkInPriceOrder } from './price-walk';
import type { SearchResultJson } from './shape';
import { stayAllowed, stayJoins, stayOf, stayPrice, type Stay } from './stay-price';

export const ORDERINGS = ['price', '-price', 'distance', 'rating'] as const;
export type Ordering = (typeof ORDERINGS)[number];

export interface SearchCriteria {
  startDate: string;
  endDate: string;
  /** 'HH:MM' in Bangkok; DEFAULT_HAND_OVER_TIME when not given. */
  pickupTime?: string;
  returnTime?: string;
  carType?: CarType;
  transmission?: Transmission;
  /** Inclusive bounds on the stay's price per day (the stay price ÷ days), satang. */
  minPrice?: number;
  maxPrice?: number;
  seatsMin?: number;
  agencyId?: string;
  place?: Place;
  /** The landmark searched around: each result says whether its agency delivers there, and the price if it does. */
  deliveryLandmark?: string;
  ordering: Ordering;
  limit: number;
  cursor?: string;
}

export interface SearchContext {
  rates: PricingRates;
  /** The public URL of a photo's S3 key; without one, results carry no images. */
  imageUrl: ((s3Key: string) => string) | undefined;
  /** The clock the notice and lead-time rules read; now when not given. */
  now?: Date;
  /** Test seam: the lengths of the walks in price order (PRICE_WALKS). */
  priceWalks?: readonly number[];
}

export interface SearchRow {
  id: string;
  make: string;
  model: string;
  year: number;
  car_type: CarType;
  transmission: Transmission;
  seats: number;
  fuel_type: FuelType;
  daily_rate: number;
  currency: 'thb';
  deposit_amount: number;
  agency_id: string;
  agency_name: string;
  agency_rating_average: number;
  agency_review_count: number;
  /** The stay price search orders by (stayPrice()): quoteRental()'s subtotal without the hand-overs' charges. */
  stay_price: number;
  terms: RentalTermsRow;
  chord?: number;
  distance_m?: number;
  image_keys: string[];
}

/**
 * Public search: published, non-deleted cars matching the filters that the request could book
 * (free on the requested days with the turnaround buffers, and no rental rule broken), one
 * keyset page in the requested order, with their agency, ready photos and rental terms. The
 * price shown is quoteRental() of those terms, the booking's own pricing function.
 *
 * The shape, chosen by measurement (docs/search.md, docs/benchmarks.md) and spelled out so the
 * planner cannot pick another:
 * 1. Walk.
 *    - price / -price without an agency filter (the default search): the walks of
 *      price-walk.ts, each one call of search_price_walk() (migration 0017: planned once per
 *      connection), which walks car_price_segments and prices the cars it meets; Node checks the
 *      settled ones against the rental rules. Each walk resumes where the last stopped; they
 *      settle nearly every page.
 *    - rating, distance: ONE statement. The first WALK_LIMIT matching cars in the ordering's
 *      order, off its index (agencies by rating then each agency's cars sorted by stay price, or
 *      nearest first), kept within the radius if there is a place and probed for a conflict
 *      (index-only, a few µs) in order, until the page is full.
 * 2. Only when the walk did not fill the page (and, in price order, did not read every row), or
 *    with an agency filter (an agency's cars are few): ONE statement, every matching car with
 *    its stay price, sorted by the ordering (no probe yet), then probed in that order until the
 *    page is full; near a place the GiST index hands over the cars within the radius.
 * Correctness never depends on the data: a walk that does not fill the page falls back.
 * Subqueries marked OFFSET 0 are kept whole so each stay price is computed once a car.
 */
export async function searchCars(
  db: Kysely<Database>,
  criteria: SearchCriteria,
  context: SearchContext,
): Promise<{ results: SearchResultJson[]; next_cursor: string | null }> {
  const keys = sortKeys(criteria.ordering, criteria.place);
  const after = decodeSortCursor(criteria.cursor, criteria.ordering, keys);
  const request = rentalRequestOf(criteria);
  const now = context.now ?? new Date();
  const stay = stayOf(request, now);
  let rows: SearchRow[] | undefined;
  if (isPriceWalk(criteria)) {
    rows = await walkInPriceOrder(db, criteria, request, stay, after, { now, lengths: context.priceWalks });
  }
  rows ??= (await searchQuery(criteria, keys, after, stay).execute(db)).rows;
  return pageOfRows(
    rows,
    criteria,
    (row) => toResult(row, request, criteria, context),
    (row) => sortPosition(criteria.ordering, keys, row),
  );
}

/** Whether a search walks car_price_segments: in price order, without an agency filter (an agency's cars are few). */
function isPriceWalk(criteria: SearchCriteria): boolean {
  return (criteria.ordering === 'price' || criteria.ordering === '-price') && !criteria.agencyId;
}

/** The request every listed car is priced for: the dates and times, picked up and returned at the agency. */
export function rentalRequestOf(criteria: SearchCriteria): RentalRequest {
  return rentalRequestWithDefaults({
    startDate: criteria.startDate,
    endDate: criteria.endDate,
    pickupTime: criteria.pickupTime,
    returnTime: criteria.returnTime,
  });
}

/**
 * How many rows a search walks before it falls back to sorting every match: segment rows in
 * price order, cars in the other orders. Near a place the walk fills a page when at least
 * (limit + 1) / (WALK_LIMIT × share of cars free) of the matching fleet is within the radius;
 * below that the radius holds so few cars that sorting them is cheap. Measured:
 * docs/benchmarks.md.
 */
export const WALK_LIMIT = 2_000;

/** The one SQL statement of a search page (rowsToFetch(): one row more than the page, which only says "there is more"). */
export function searchQuery(
  criteria: SearchCriteria,
  keys: SortKey[],
  after: (string | number)[] | undefined,
  stay: Stay,
  walkLimit = WALK_LIMIT,
): RawBuilder<SearchRow> {
  const { place } = criteria;
  const limit = rowsToFetch(criteria);
  const carFilters = listedCarFilters(criteria);
  if (criteria.carType) carFilters.push(sql`c.car_type = ${criteria.carType}`);
  if (criteria.agencyId) carFilters.push(sql`c.agency_id = ${criteria.agencyId}::uuid`);
  carFilters.push(stayAllowed('c', 'a', stay));
  // On the stay price, computed once in the scored subquery: exact integers, bound × days.
  const scoredFilters: RawBuilder<unknown>[] = [];
  if (criteria.minPrice !== undefined) scoredFilters.push(sql`scored.stay_price >= ${criteria.minPrice}::int8 * ${stay.days}::int8`);
  if (criteria.maxPrice !== undefined) scoredFilters.push(sql`scored.stay_price <= ${criteria.maxPrice}::int8 * ${stay.days}::int8`);
  // e.g. for price: (stay_price, id) > (p, i); the scored subquery's columns carry the keys' aliases.
  if (after) scoredFilters.push(keysetAfter(scoredKeys(keys), after));

  // The car's own buffer after the requested end, and existing rentals' buffers (held_until).
  const free = (alias: string) => sql`NOT ${conflictExists(sql.ref(`${alias}.id`), stay, sql.ref(`${alias}.turnaround_days`))}`;
  // Every matching car the request could book, with its stay price, in the ordering's order.
  const scored = (extra: RawBuilder<unknown>[]) => sql`SELECT scored.* FROM (
    SELECT c.id, c.make, c.model, c.year, c.car_type, c.transmission, c.seats, c.fuel_type,
      c.daily_rate, c.currency, c.deposit_amount, c.agency_id, c.turnaround_days,
      a.rating_average AS agency_rating_average, a.review_count AS agency_review_count,
      ${stayPrice('c', stay)} AS stay_price${place ? sql`,\n      c.location, ${chordDistance(sql.ref('c.location'), place)} AS chord` : sql``}
    FROM cars AS c JOIN agencies AS a ON a.id = c.agency_id
    ${stayJoins('c', 'a', stay)}
    WHERE ${sql.join([...carFilters, ...extra], sql`\n      AND `)}
    ORDER BY ${orderBy(keys)}
    OFFSET 0
  ) AS scored${sql.join(
    scoredFilters.map((filter, index) => sql`${sql.raw(index === 0 ? '\n  WHERE' : '\n    AND')} ${filter}`),
    sql``,
  )}`;
  const byPrice = criteria.ordering === 'price' || criteria.ordering === '-price';
  const candidates = sql`candidates AS (
  ${scored(place ? [withinRadius(sql.ref('c.location'), place)] : [])}
)`;
  // Every matching car sorted, then probed in order: when no walk filled the page.
  const sorted = (walkFailed: RawBuilder<unknown>) => sql`sorted AS (
  SELECT candidates.* FROM candidates
  WHERE ${walkFailed}
    AND ${free('candidates')}
  ORDER BY ${orderBy(keys)}
  LIMIT ${limit}
)`;
  let steps: RawBuilder<unknown>;
  if (criteria.agencyId || byPrice) {
    // An agency's cars are few: sort them all. In price order, the walks (price-walk.ts) came first.
    steps = sql`${candidates},
${sorted(sql`true`)},
page AS (SELECT * FROM sorted)`;
  } else {
    // Outside the walk's LIMIT, so the radius cannot steer the walk onto the GiST index.
    const nearby = place ? sql`${withinRadius(sql.ref('walk.location'), place)} AND ` : sql``;
    // The walk's LIMIT is a subquery the planner cannot read, so it plans for a tenth of the
    // rows, off the ordering's index; a limit it can read, near the size of a small fleet, made it
    // sort the whole fleet first (1.7 ms at 2,000 cars against 0.1 ms).
    steps = sql`walk AS (
  ${scored([])}
  LIMIT (SELECT ${walkLimit}::int8)
),
walked AS (
  SELECT walk.* FROM walk
  WHERE ${nearby}${free('walk')}
  ORDER BY ${orderBy(keys)}
  LIMIT ${limit}
),
${candidates},
${sorted(sql`(SELECT count(*) FROM walked) < ${limit}`)},
page AS (
  SELECT * FROM walked WHERE (SELECT count(*) FROM walked) = ${limit}
  UNION ALL
  SELECT * FROM sorted
)`;
  }

  const result = sql`SELECT page.id, page.make, page.model, page.year, page.car_type, page.transmission, page.seats, page.fuel_type,
  page.daily_rate, page.currency, page.deposit_amount, a.id AS agency_id, a.name AS agency_name,
  a.rating_average AS agency_rating_average, a.review_count AS agency_review_count, page.stay_price,
  ${rentalTermsJson('c', 'a', stay)} AS terms,${place ? sql`\n  page.chord, ${greatCircleDistance(sql.ref('page.location'), place)} AS distance_m,` : sql``}
  ARRAY(
    SELECT i.s3_key FROM car_images AS i
    WHERE i.car_id = page.id AND i.status = 'ready'
    ORDER BY i.position, i.id) AS image_keys
FROM page JOIN cars AS c ON c.id = page.id JOIN agencies AS a ON a.id = page.agency_id`;
  return sql<SearchRow>`WITH ${steps}
${result}
ORDER BY ${orderBy(keys)}`;
}

/**
 * The filters on `cars AS c` every search applies to a car itself, whatever walks it: listed
 * (published, not deleted), and the transmission and seats asked for.
 */
export function listedCarFilters(criteria: SearchCriteria): RawBuilder<unknown>[] {
  const filters: RawBuilder<unknown>[] = [sql`c.is_published`, sql`c.deleted_at IS NULL`];
  if (criteria.transmission) filters.push(sql`c.transmission = ${criteria.transmission}`);
  if (criteria.seatsMin !== undefined) filters.push(sql`c.seats >= ${criteria.seatsMin}::int2`);
  return filters;
}

/** The keys as the scored subquery's columns (its aliases), for comparisons outside it. */
function scoredKeys(keys: SortKey[]): SortKey[] {
  return keys.map((key) => ({ ...key, expression: sql.ref(`scored.${key.alias}`) }));
}

function orderBy(keys: SortKey[]): RawBuilder<unknown> {
  return sql.join(keys.map((key) => sql`${sql.ref(key.alias)} ${sql.raw(key.direction)}`));
}

function toResult(row: SearchRow, request: RentalRequest, criteria: SearchCriteria, context: SearchContext): SearchResultJson {
  const terms = parseRentalTerms(row.terms);
  const price = quoteRental(terms, request, context.rates);
  const landmark = criteria.deliveryLandmark;
  const deliveryFee = landmark === undefined ? undefined : terms.deliveryFees[landmark];
  return {
    id: row.id,
    make: row.make,
    model: row.model,
    year: row.year,
    car_type: row.car_type,
    transmission: row.transmission,
    seats: row.seats,
    fuel_type: row.fuel_type,
    daily_rate: row.daily_rate,
    currency: row.currency,
    days: price.days,
    total_price: price.total_price,
    price_breakdown: price.breakdown,
    deposit_amount: row.deposit_amount,
    images: context.imageUrl ? row.image_keys.map((key) => ({ url: context.imageUrl!(key) })) : [],
    agency: { id: row.agency_id, name: row.agency_name, rating_average: row.agency_rating_average, review_count: row.agency_review_count },
    ...(row.distance_m !== undefined ? { distance_km: kilometres(row.distance_m) } : {}),
    ...(landmark === undefined
      ? {}
      : {
          delivery:
            deliveryFee === undefined
              ? null
              : {
                  landmark,
                  fee: deliveryFee,
                  total_price: quoteRental(terms, { ...request, pickupLandmark: landmark, returnLandmark: landmark }, context.rates).total_price,
                },
        }),
  };
}
