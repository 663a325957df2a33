import { sql, type RawBuilder } from 'kysely';
import { conflictExists } from '../availability/conflicts';
import { greatCircleDistance, withinRadius } from '../geo/place';
import { rowsToFetch } from '../pagination';
import type { PricingRates } from '../pricing/pricing';
import { parseRentalTerms, quoteRental, rentalRuleBroken, rentalTermsJson, type RentalRequest } from '../pricing/terms';
import type { SearchCriteria, SearchRow } from './search-cars';
import type { Stay } from './stay-price';

/**
 * The first walk of a search in price order, as a small statement plus the pricing function:
 *
 * 1. SQL reads car_price_segments in order of the bound of each car's price per day for these
 *    dates (low_day_price ascending for `price`, high_day_price descending for `-price`: migration
 *    0016), through a GiST index that hands over only the rows of the stay's dates, discount
 *    tier, car type and radius (a KNN scan), keeping those of cars free on the dates with their
 *    turnaround buffers (the probe), up to FIRST_PRICE_WALK rows and one more: the edge, the
 *    first row not walked. It answers the walked cars that pass the car filters, each with its
 *    rental terms (columns of the car and agency rows), and the edge's bound.
 * 2. Node applies the rental rules (rentalRuleBroken()) and prices each car with quoteRental(),
 *    the functions booking uses, so search lists exactly what booking accepts at the price it
 *    charges; the key is the price of the days (the subtotal without the hand-overs' charges,
 *    as stayPrice() computes it in the full statement).
 * 3. A walked car can be on the page only if no car beyond the edge can precede it: every such
 *    car costs at least days × the edge's bound (at most, descending), so it must cost less
 *    (more). The page is settled when it is full of such cars, or when the walk read every row.
 *
 * Planning a statement with the pricing in it cost ~2 ms, as much as running it; this one plans
 * in a fraction of that, and pricing ~65 cars in Node costs ~0.1 ms.
 */

export interface PriceWalkRow extends Omit<SearchRow, 'stay_price'> {
  /** The bound of the first row not walked; null when the walk read every row. */
  edge_bound: number | null;
}

/** The statement of step 1; one row of nulls but the edge when no walked car passes the filters. */
export function firstPriceWalkQuery(criteria: SearchCriteria, stay: Stay, walkRows: number): RawBuilder<PriceWalkRow> {
  const ascending = criteria.ordering === 'price';
  const bound = sql.ref(ascending ? 'g.low_day_price' : 'g.high_day_price');
  // Nearest to 0 is cheapest first; nearest to the largest int4, dearest first.
  const nearest = sql`${bound} <-> ${ascending ? 0 : 2_147_483_647}::int4`;
  const { place } = criteria;
  const rowFilters: RawBuilder<unknown>[] = [
    sql`daterange(g.start_date, g.end_date, '[]') && daterange(${stay.startDate}::date, ${stay.endDate}::date, '[]')`,
    sql`int4range(g.from_days, g.to_days) @> ${stay.days}::int4`,
  ];
  if (criteria.carType) rowFilters.push(sql`g.car_type = ${criteria.carType}`);
  if (place) rowFilters.push(withinRadius(sql.ref('g.location'), place));
  // A car whose every row costs more per day than max_price costs more per day, and vice versa.
  if (ascending && criteria.maxPrice !== undefined) rowFilters.push(sql`g.low_day_price <= ${criteria.maxPrice}::int4`);
  if (!ascending && criteria.minPrice !== undefined) rowFilters.push(sql`g.high_day_price >= ${criteria.minPrice}::int4`);
  const rental = sql`g.daily_rate::int8 * ${stay.days}::int8`;
  const coveringKey = sql`${rental} - (${rental} * g.percent * 100 + 5000) / 10000`;
  // A row covering the whole stay is the car's only row in it and prices it exactly: a car
  // outside the band is not walked.
  const covering = sql`g.start_date <= ${stay.startDate}::date AND g.end_date >= ${stay.endDate}::date`;
  if (ascending && criteria.minPrice !== undefined)
    rowFilters.push(sql`NOT (${covering} AND ${coveringKey} < ${criteria.minPrice}::int8 * ${stay.days}::int8)`);
  if (!ascending && criteria.maxPrice !== undefined)
    rowFilters.push(sql`NOT (${covering} AND ${coveringKey} > ${criteria.maxPrice}::int8 * ${stay.days}::int8)`);
  rowFilters.push(sql`NOT ${conflictExists(sql.ref('g.car_id'), stay, sql.ref('g.turnaround_days'))}`);
  const carFilters: RawBuilder<unknown>[] = [sql`c.is_published`, sql`c.deleted_at IS NULL`];
  if (criteria.transmission) carFilters.push(sql`c.transmission = ${criteria.transmission}`);
  if (criteria.seatsMin !== undefined) carFilters.push(sql`c.seats >= ${criteria.seatsMin}::int2`);

  // The GiST index car_price_segments_walk_idx hands over only the rows of the stay's dates,
  // tier, type and radius, in bound order (a KNN scan); the availability probe filters them.
  return sql<PriceWalkRow>`WITH segments AS (
  SELECT g.car_id, ${bound} AS bound FROM car_price_segments AS g
  WHERE ${sql.join(rowFilters, sql`\n    AND `)}
  ORDER BY ${nearest}
  LIMIT ${walkRows + 1}
),
-- The last row read, the first not walked: every row not read has a bound at least (at most) as far.
edge AS (
  SELECT ${ascending ? sql`max` : sql`min`}(segments.bound) AS bound FROM segments
  HAVING count(*) > ${walkRows}
),
walked AS (
  SELECT c.id, c.make, c.model, c.year, c.car_type, c.transmission, c.seats, c.fuel_type,
    c.daily_rate, c.currency, c.deposit_amount, a.id AS agency_id, a.name AS agency_name,
    a.rating_average AS agency_rating_average, a.review_count AS agency_review_count,
    ${rentalTermsJson('c', 'a')} AS terms,${place ? sql`\n    ${greatCircleDistance(sql.ref('c.location'), place)} AS distance_m,` : sql``}
    ARRAY(
      SELECT i.s3_key FROM car_images AS i
      WHERE i.car_id = c.id AND i.status = 'ready'
      ORDER BY i.position, i.id) AS image_keys
  FROM cars AS c JOIN agencies AS a ON a.id = c.agency_id
  WHERE c.id = ANY (ARRAY(SELECT DISTINCT segments.car_id FROM segments))
    AND ${sql.join(carFilters, sql` AND `)}
)
SELECT walked.*, edge.bound AS edge_bound
FROM (SELECT 1) AS one
LEFT JOIN edge ON true
LEFT JOIN walked ON true`;
}

/**
 * Steps 2 and 3: the page the first walk settles (rowsToFetch() rows at most, in order), or
 * undefined when the walk was cut short before filling it.
 */
export function pageOfFirstWalk(
  rows: PriceWalkRow[],
  criteria: SearchCriteria,
  request: RentalRequest,
  stay: Stay,
  after: (string | number)[] | undefined,
  context: { rates: PricingRates; now: Date },
): SearchRow[] | undefined {
  const ascending = criteria.ordering === 'price';
  // Every car the walk did not meet costs at least (at most) this; the KNN scan orders equal
  // bounds arbitrarily, so a walked car comes first only when strictly below (above) it.
  const edge = rows[0]?.edge_bound != null ? stay.days * rows[0].edge_bound : undefined;
  const precedes = (a: { price: number; id: string }, b: { price: number; id: string }) =>
    ascending ? a.price < b.price || (a.price === b.price && a.id < b.id) : a.price > b.price || (a.price === b.price && a.id > b.id);
  const cursor = after ? { price: Number(after[0]), id: String(after[1]) } : undefined;
  const candidates: SearchRow[] = [];
  for (const row of rows) {
    if (row.id === null) continue;
    const terms = parseRentalTerms(row.terms);
    if (rentalRuleBroken(terms, request, context.now)) continue;
    const { breakdown } = quoteRental(terms, request, context.rates);
    const price = breakdown.rental - breakdown.length_discount.amount;
    if (criteria.minPrice !== undefined && price < criteria.minPrice * stay.days) continue;
    if (criteria.maxPrice !== undefined && price > criteria.maxPrice * stay.days) continue;
    const position = { price, id: row.id };
    if (cursor && !precedes(cursor, position)) continue;
    if (edge !== undefined && (ascending ? price >= edge : price <= edge)) continue;
    const { edge_bound: _bound, ...car } = row;
    candidates.push({ ...car, stay_price: price });
  }
  candidates.sort((a, b) => (precedes({ price: a.stay_price, id: a.id }, { price: b.stay_price, id: b.id }) ? -1 : 1));
  const page = candidates.slice(0, rowsToFetch(criteria));
  return page.length === rowsToFetch(criteria) || edge === undefined ? page : undefined;
}
