import { sql, type RawBuilder } from 'kysely';
import { conflictExists } from '../availability/conflicts';
import { greatCircleDistance, withinRadius } from '../geo/place';
import { rowsToFetch } from '../pagination';
import type { PricingRates } from '../pricing/pricing';
import { parseRentalTerms, quoteRental, rentalRuleBroken, rentalTermsJson, type RentalRequest } from '../pricing/terms';
import type { SearchCriteria, SearchRow } from './search-cars';
import { segmentsOfStay, type Stay } from './stay-price';

/**
 * The first walk of a search in price order, as a small statement plus the pricing function:
 *
 * 1. SQL reads car_price_segments in order of the bound of each car's price per day for these
 *    dates (low_day_price ascending for `price`, high_day_price descending for `-price`: migration
 *    0016), keeping, as the index hands them over, the rows of cars within the radius and free
 *    on the dates with their turnaround buffers (the probe), up to FIRST_PRICE_WALK rows and one
 *    more: the edge, the first row not walked. It answers the walked cars that pass the car
 *    filters, each with its rental terms, and the edge.
 * 2. Node applies the rental rules (rentalRuleBroken()) and prices each car with quoteRental(),
 *    the functions booking uses, so search lists exactly what booking accepts at the price it
 *    charges; the key is the price of the days (the subtotal without the hand-overs' charges,
 *    as stayPrice() computes it in the full statement).
 * 3. A walked car can be on the page only if no car beyond the edge can precede it: every such
 *    car costs at least days × the edge's bound (at most, descending), ties going by id. The
 *    page is settled when it is full of such cars, or when the walk read every row.
 *
 * Planning a statement with the pricing in it cost ~2 ms, as much as running it; this one plans
 * in a fraction of that, and pricing ~65 cars in Node costs ~0.1 ms.
 */

export interface PriceWalkRow extends Omit<SearchRow, 'stay_price'> {
  edge_bound: number | null;
  edge_car_id: string | null;
}

/**
 * Two CTEs, `<segments>` and `<edge>`: the walk of car_price_segments in bound order (cheapest
 * per day first for `price`, dearest first for `-price`), keeping the rows of the stay's dates,
 * tier and car type, of cars within the radius and free on the dates with their buffers, `rows`
 * of them and one more; and that one more, the first row not walked, if the walk was cut short.
 * Every car the walk did not meet costs at least days × the edge's bound (at most, descending),
 * ties going by id. Both the first walk and the full statement's walk (searchQuery()) are this;
 * `extra` is a condition on the rows (the full statement's: run only if an earlier walk failed).
 */
export function segmentWalk(
  names: { segments: string; edge: string },
  criteria: SearchCriteria,
  stay: Stay,
  rows: number,
  extra: RawBuilder<unknown> = sql`true`,
): RawBuilder<unknown> {
  const ascending = criteria.ordering === 'price';
  const bound = sql.ref(ascending ? 'g.low_day_price' : 'g.high_day_price');
  const direction = sql.raw(ascending ? 'ASC' : 'DESC');
  const reverse = sql.raw(ascending ? 'DESC' : 'ASC');
  const segments = sql.id(names.segments);
  const { place } = criteria;
  const rowFilters: RawBuilder<unknown>[] = [segmentsOfStay('g', stay)];
  if (criteria.carType) rowFilters.push(sql`g.car_type = ${criteria.carType}`);
  // A car whose every row costs more per day than max_price costs more per day, and vice versa.
  if (ascending && criteria.maxPrice !== undefined) rowFilters.push(sql`g.low_day_price <= ${criteria.maxPrice}::int4`);
  if (!ascending && criteria.minPrice !== undefined) rowFilters.push(sql`g.high_day_price >= ${criteria.minPrice}::int4`);
  const rental = sql`g.daily_rate::int8 * ${stay.days}::int8`;
  const coveringKey = sql`${rental} - (${rental} * g.percent * 100 + 5000) / 10000`;
  // A row covering the whole stay is the car's only row in it and prices it exactly: a car
  // outside the band is skipped by the index, not walked.
  const covering = sql`g.start_date <= ${stay.startDate}::date AND g.end_date >= ${stay.endDate}::date`;
  if (ascending && criteria.minPrice !== undefined)
    rowFilters.push(sql`NOT (${covering} AND ${coveringKey} < ${criteria.minPrice}::int8 * ${stay.days}::int8)`);
  if (!ascending && criteria.maxPrice !== undefined)
    rowFilters.push(sql`NOT (${covering} AND ${coveringKey} > ${criteria.maxPrice}::int8 * ${stay.days}::int8)`);
  rowFilters.push(extra);
  // Within the radius, and free (the probe), on the rows as the index hands them over in bound
  // order: the walk counts only cars that can be on the page, and only those are priced.
  const onTheWay = [
    ...(place ? [withinRadius(sql.ref('g.location'), place)] : []),
    sql`NOT ${conflictExists(sql.ref('g.car_id'), stay, sql.ref('g.turnaround_days'))}`,
  ];
  // The rows come from a subquery with a LIMIT the planner cannot read, so that it keeps the
  // index order (it takes a radius for a handful of rows, and would rather sort them).
  return sql`${segments} AS (
  SELECT g.car_id, g.bound FROM (
    SELECT g.car_id, ${bound} AS bound, g.location, g.turnaround_days FROM car_price_segments AS g
    WHERE ${sql.join(rowFilters, sql`\n      AND `)}
    ORDER BY ${bound} ${direction}, g.car_id ${direction}
    LIMIT (SELECT 1000000000::int8)
  ) AS g
  WHERE ${sql.join(onTheWay, sql` AND `)}
  ORDER BY g.bound ${direction}, g.car_id ${direction}
  LIMIT ${rows + 1}
),
${sql.id(names.edge)} AS (
  SELECT ${segments}.bound, ${segments}.car_id FROM ${segments}
  WHERE (SELECT count(*) FROM ${segments}) > ${rows}
  ORDER BY ${segments}.bound ${reverse}, ${segments}.car_id ${reverse}
  LIMIT 1
)`;
}

/** The statement of step 1; one row of nulls but the edge when no walked car passes the filters. */
export function firstPriceWalkQuery(criteria: SearchCriteria, stay: Stay, walkRows: number): RawBuilder<PriceWalkRow> {
  const { place } = criteria;
  const carFilters: RawBuilder<unknown>[] = [sql`c.is_published`, sql`c.deleted_at IS NULL`];
  if (criteria.transmission) carFilters.push(sql`c.transmission = ${criteria.transmission}`);
  if (criteria.seatsMin !== undefined) carFilters.push(sql`c.seats >= ${criteria.seatsMin}::int2`);
  return sql<PriceWalkRow>`WITH ${segmentWalk({ segments: 'segments', edge: 'edge' }, criteria, stay, walkRows)},
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
SELECT walked.*, edge.bound AS edge_bound, edge.car_id AS edge_car_id
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
  const edge = rows[0]?.edge_car_id ? { price: stay.days * rows[0].edge_bound!, id: rows[0].edge_car_id } : undefined;
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
    if (edge && !precedes(position, edge)) continue;
    const { edge_bound: _bound, edge_car_id: _car, ...car } = row;
    candidates.push({ ...car, stay_price: price });
  }
  candidates.sort((a, b) => (precedes({ price: a.stay_price, id: a.id }, { price: b.stay_price, id: b.id }) ? -1 : 1));
  const page = candidates.slice(0, rowsToFetch(criteria));
  return page.length === rowsToFetch(criteria) || !edge ? page : undefined;
}
