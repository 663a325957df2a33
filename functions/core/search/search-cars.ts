import { sql, type Kysely, type RawBuilder } from 'kysely';
import { conflictExists, type DateRange } from '../availability/conflicts';
import type { CarType, FuelType, Transmission } from '../cars/table';
import type { Database } from '../database';
import { chordDistance, greatCircleDistance, kilometres, withinRadius, type Place } from '../geo/place';
import { keysetAfter, pageOfRows, rowsToFetch } from '../pagination';
import { priceRental, type PricingRates } from '../pricing/pricing';
import { decodeSortCursor, sortKeys, sortPosition, type SortKey } from './ordering';
import type { SearchResultJson } from './shape';

export const ORDERINGS = ['price', '-price', 'distance', 'rating'] as const;
export type Ordering = (typeof ORDERINGS)[number];

export interface SearchCriteria extends DateRange {
  carType?: CarType;
  transmission?: Transmission;
  /** Inclusive bounds on the daily rate, satang. */
  minPrice?: number;
  maxPrice?: number;
  seatsMin?: number;
  agencyId?: string;
  place?: Place;
  ordering: Ordering;
  limit: number;
  cursor?: string;
}

export interface SearchContext {
  rates: PricingRates;
  /** The public URL of a photo's S3 key; without one, results carry no images. */
  imageUrl: ((s3Key: string) => string) | undefined;
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
  chord?: number;
  distance_m?: number;
  image_keys: string[];
}

/**
 * Public search: published, non-deleted cars matching the filters with no date-holding
 * reservation overlapping the requested days, one keyset page in the requested order, with
 * their agency, ready photos and the price of the stay, in ONE query.
 *
 * The shape, chosen by measurement (docs/search.md, docs/benchmarks.md) and spelled out so the
 * planner cannot pick another:
 * 1. Walk: the first WALK_LIMIT cars matching the filters in the ordering's order, off its
 *    index (cars_search_price_idx, the type or agency one, agencies by rating, or nearest first),
 *    keep those within the radius if there is a place, probe each for a conflict (index-only, a
 *    few µs) and stop when the page is full. Cost grows with how many cars are booked and how
 *    busy the place is, not with the fleet.
 * 2. Only when the walk did not fill the page (the fleet nearly booked out, narrow filters, a
 *    quiet place): every matching car, sorted by the ordering (no probe yet), then probed in
 *    that order until the page is full; near a place the GiST index hands over the cars within
 *    the radius, which are few exactly when the walk failed.
 * The walk is a subquery with its own LIMIT because the planner, left to choose, misjudges
 * both how many cars are free (it multiplies the two date bounds' selectivities as if
 * independent, thinks every car is booked, and probes the whole fleet) and how many cars a
 * radius holds.
 */
export async function searchCars(
  db: Kysely<Database>,
  criteria: SearchCriteria,
  context: SearchContext,
): Promise<{ results: SearchResultJson[]; next_cursor: string | null }> {
  const keys = sortKeys(criteria.ordering, criteria.place);
  const after = decodeSortCursor(criteria.cursor, criteria.ordering, keys);
  const { rows } = await searchQuery(criteria, keys, after).execute(db);
  return pageOfRows(
    rows,
    criteria,
    (row) => toResult(row, criteria, context),
    (row) => sortPosition(criteria.ordering, keys, row),
  );
}

/**
 * How many cars, in the ordering's order, a search walks before it falls back to sorting every
 * match. Near a place the walk fills a page when at least (limit + 1) / (WALK_LIMIT × share of
 * cars free) of the matching fleet is within the radius: 21 / (2,000 × 0.6) ≈ 2 % for a default
 * page; below that the radius holds so few cars that sorting them is cheap. Measured:
 * docs/benchmarks.md, fleet-size sweep.
 */
export const WALK_LIMIT = 2_000;

/** The one SQL statement of a search page (rowsToFetch(): one row more than the page, which only says "there is more"). */
export function searchQuery(criteria: SearchCriteria, keys: SortKey[], after: (string | number)[] | undefined, walkLimit = WALK_LIMIT): RawBuilder<SearchRow> {
  const { place, startDate, endDate } = criteria;
  const filters: RawBuilder<unknown>[] = [sql`c.is_published`, sql`c.deleted_at IS NULL`];
  if (criteria.carType) filters.push(sql`c.car_type = ${criteria.carType}`);
  if (criteria.transmission) filters.push(sql`c.transmission = ${criteria.transmission}`);
  if (criteria.minPrice !== undefined) filters.push(sql`c.daily_rate >= ${criteria.minPrice}::int4`);
  if (criteria.maxPrice !== undefined) filters.push(sql`c.daily_rate <= ${criteria.maxPrice}::int4`);
  if (criteria.seatsMin !== undefined) filters.push(sql`c.seats >= ${criteria.seatsMin}::int2`);
  if (criteria.agencyId) filters.push(sql`c.agency_id = ${criteria.agencyId}::uuid`);
  // e.g. for rating: (rating, reviews) < (r, n) OR ((rating, reviews) = (r, n) AND (agency, rate, id) > (a, p, i))
  if (after) filters.push(keysetAfter(keys, after));
  const limit = rowsToFetch(criteria);
  const free = (carId: string) => sql`NOT ${conflictExists(sql.ref(carId), { startDate, endDate })}`;
  // Agencies are joined into the walk only when the ordering reads them (rating); otherwise
  // only for the page's rows, at the end.
  const byAgency = keys.some((key) => key.alias.startsWith('agency_'));
  const matching = (extra: RawBuilder<unknown>[]) => sql`SELECT c.id, c.make, c.model, c.year, c.car_type, c.transmission, c.seats, c.fuel_type,
    c.daily_rate, c.currency, c.deposit_amount, c.agency_id${
      byAgency ? sql`, a.rating_average AS agency_rating_average, a.review_count AS agency_review_count` : sql``
    }${place ? sql`,\n    c.location, ${chordDistance(sql.ref('c.location'), place)} AS chord` : sql``}
  FROM cars AS c${byAgency ? sql` JOIN agencies AS a ON a.id = c.agency_id` : sql``}
  WHERE ${sql.join([...filters, ...extra], sql`\n    AND `)}
  ORDER BY ${orderBy(keys, 'expression')}`;
  // Outside the walk's LIMIT, so the radius cannot steer the walk onto the GiST index.
  const nearby = place ? sql`${withinRadius(sql.ref('walk.location'), place)} AND ` : sql``;

  // The walk's LIMIT is a subquery the planner cannot read, so it plans for a tenth of the
  // rows, off the ordering's index; a limit it can read, near the size of a small fleet, made it
  // sort the whole fleet first (1.7 ms at 2,000 cars against 0.1 ms).
  return sql<SearchRow>`WITH walk AS (
  ${matching([])}
  LIMIT (SELECT ${walkLimit}::int8)
),
walked AS (
  SELECT walk.* FROM walk
  WHERE ${nearby}${free('walk.id')}
  ORDER BY ${orderBy(keys, 'alias')}
  LIMIT ${limit}
),
candidates AS (
  ${matching(place ? [withinRadius(sql.ref('c.location'), place)] : [])}
),
sorted AS (
  SELECT candidates.* FROM candidates
  WHERE (SELECT count(*) FROM walked) < ${limit}
    AND ${free('candidates.id')}
  ORDER BY ${orderBy(keys, 'alias')}
  LIMIT ${limit}
),
page AS (
  SELECT * FROM walked WHERE (SELECT count(*) FROM walked) = ${limit}
  UNION ALL
  SELECT * FROM sorted
)
SELECT page.id, page.make, page.model, page.year, page.car_type, page.transmission, page.seats, page.fuel_type,
  page.daily_rate, page.currency, page.deposit_amount, a.id AS agency_id, a.name AS agency_name,
  a.rating_average AS agency_rating_average, a.review_count AS agency_review_count,${
    place ? sql`\n  page.chord, ${greatCircleDistance(sql.ref('page.location'), place)} AS distance_m,` : sql``
  }
  ARRAY(
    SELECT i.s3_key FROM car_images AS i
    WHERE i.car_id = page.id AND i.status = 'ready'
    ORDER BY i.position, i.id) AS image_keys
FROM page JOIN agencies AS a ON a.id = page.agency_id
ORDER BY ${orderBy(keys, 'alias')}`;
}

function orderBy(keys: SortKey[], as: 'expression' | 'alias'): RawBuilder<unknown> {
  return sql.join(keys.map((key) => sql`${as === 'alias' ? sql.ref(key.alias) : key.expression} ${sql.raw(key.direction)}`));
}

function toResult(row: SearchRow, criteria: SearchCriteria, context: SearchContext): SearchResultJson {
  const price = priceRental(
    { dailyRate: row.daily_rate, depositAmount: row.deposit_amount, startDate: criteria.startDate, endDate: criteria.endDate },
    context.rates,
  );
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
    deposit_amount: row.deposit_amount,
    images: context.imageUrl ? row.image_keys.map((key) => ({ url: context.imageUrl!(key) })) : [],
    agency: { id: row.agency_id, name: row.agency_name, rating_average: row.agency_rating_average, review_count: row.agency_review_count },
    ...(row.distance_m !== undefined ? { distance_km: kilometres(row.distance_m) } : {}),
  };
}
