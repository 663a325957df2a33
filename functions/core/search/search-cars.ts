import { sql, type Kysely, type RawBuilder } from 'kysely';
import { pageFrom } from '#platform/pagination';
import { conflictExists, type DateRange } from '../availability/conflicts';
import type { CarType, FuelType, Transmission } from '../cars/table';
import type { Database } from '../database';
import { chordDistance, greatCircleDistance, kilometres, withinRadius, type Place } from '../geo/place';
import { priceRental, type PricingRates } from '../pricing/pricing';
import { afterKey, decodeSortCursor, sortKeys, sortPosition, type SortKey } from './ordering';

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

export interface SearchResult {
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
  days: number;
  total_price: number;
  deposit_amount: number;
  images: { url: string }[];
  agency: { id: string; name: string; rating_average: number; review_count: number };
  distance_km?: number;
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
 * Two shapes, both chosen by measurement (docs/benchmarks.md):
 * - Anywhere: walk the ordering's index (cars_search_price_idx, the type or agency one, or
 *   agencies by rating), probe each car for a conflict (index-only, a few µs), stop when the
 *   page is full. Cost grows with how many cars are booked, not with the fleet.
 * - Near a place: the GiST index hands over the cars within the radius, those are sorted by
 *   the ordering (cheap: no probe yet), then probed in that order until the page is full.
 *   The planner misjudges how many cars a radius holds, so the shape is spelled out.
 */
export async function searchCars(db: Kysely<Database>, criteria: SearchCriteria, context: SearchContext): Promise<{ results: SearchResult[]; next_cursor: string | null }> {
  const keys = sortKeys(criteria.ordering, criteria.place);
  const after = decodeSortCursor(criteria.cursor, criteria.ordering, keys);
  const { rows } = await searchQuery(criteria, keys, after).execute(db);
  return pageFrom(
    rows,
    criteria.limit,
    (row) => toResult(row, criteria, context),
    (row) => sortPosition(criteria.ordering, keys, row),
  );
}

/** The one SQL statement of a search page (limit + 1 rows, the extra one only says "there is more"). */
export function searchQuery(criteria: SearchCriteria, keys: SortKey[], after: (string | number)[] | undefined): RawBuilder<SearchRow> {
  const { place, startDate, endDate } = criteria;
  const filters: RawBuilder<unknown>[] = [sql`c.is_published`, sql`c.deleted_at IS NULL`];
  if (criteria.carType) filters.push(sql`c.car_type = ${criteria.carType}`);
  if (criteria.transmission) filters.push(sql`c.transmission = ${criteria.transmission}`);
  if (criteria.minPrice !== undefined) filters.push(sql`c.daily_rate >= ${criteria.minPrice}::int4`);
  if (criteria.maxPrice !== undefined) filters.push(sql`c.daily_rate <= ${criteria.maxPrice}::int4`);
  if (criteria.seatsMin !== undefined) filters.push(sql`c.seats >= ${criteria.seatsMin}::int2`);
  if (criteria.agencyId) filters.push(sql`c.agency_id = ${criteria.agencyId}::uuid`);
  if (place) filters.push(withinRadius(sql.ref('c.location'), place));
  if (after) filters.push(afterKey(keys, after));
  const where = sql.join(filters, sql`\n    AND `);
  const columns = sql`c.id, c.make, c.model, c.year, c.car_type, c.transmission, c.seats, c.fuel_type,
    c.daily_rate, c.currency, c.deposit_amount, a.id AS agency_id, a.name AS agency_name,
    a.rating_average AS agency_rating_average, a.review_count AS agency_review_count`;
  const limit = criteria.limit + 1;

  const page = place
    ? sql`candidates AS (
  SELECT ${columns},
    c.location, ${chordDistance(sql.ref('c.location'), place)} AS chord
  FROM cars AS c JOIN agencies AS a ON a.id = c.agency_id
  WHERE ${where}
  ORDER BY ${orderBy(keys, 'expression')}
),
page AS (
  SELECT candidates.*, ${greatCircleDistance(sql.ref('candidates.location'), place)} AS distance_m
  FROM candidates
  WHERE NOT ${conflictExists(sql.ref('candidates.id'), { startDate, endDate })}
  ORDER BY ${orderBy(keys, 'alias')}
  LIMIT ${limit}
)`
    : sql`page AS (
  SELECT ${columns}
  FROM cars AS c JOIN agencies AS a ON a.id = c.agency_id
  WHERE ${where}
    AND NOT ${conflictExists(sql.ref('c.id'), { startDate, endDate })}
  ORDER BY ${orderBy(keys, 'expression')}
  LIMIT ${limit}
)`;

  return sql<SearchRow>`WITH ${page}
SELECT page.*, ARRAY(
    SELECT i.s3_key FROM car_images AS i
    WHERE i.car_id = page.id AND i.status = 'ready'
    ORDER BY i.position, i.id) AS image_keys
FROM page
ORDER BY ${orderBy(keys, 'alias')}`;
}

function orderBy(keys: SortKey[], as: 'expression' | 'alias'): RawBuilder<unknown> {
  return sql.join(keys.map((key) => sql`${as === 'alias' ? sql.ref(key.alias) : key.expression} ${sql.raw(key.direction)}`));
}

function toResult(row: SearchRow, criteria: SearchCriteria, context: SearchContext): SearchResult {
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
