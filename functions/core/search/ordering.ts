import { sql } from 'kysely';
import { MAX_RENTAL_DAYS } from '../availability/dates';
import { ValidationError } from '../errors';
import { MAX_SATANG } from '../json';
import { cursorKinds, decodeCursor, type SortKey as PageSortKey } from '../pagination';
import { chordDistance, type Place } from '../geo/place';

/**
 * One column of a search ordering: a sort key of the page (its SQL expression over `cars AS c`
 * joined with `agencies AS a`, direction and type) and the alias it is selected under, which
 * the outer parts of the search query sort on.
 */
export interface SortKey extends PageSortKey {
  alias: string;
  type: 'int4' | 'numeric' | 'float8' | 'uuid';
  /** A numeric key whose values are whole numbers within these bounds: a cursor carrying any other was not issued by search. */
  wholeNumbers?: { min: number; max: number };
}

/**
 * The most a stay can cost, in satang: the longest rental, each day at the highest rate a day can
 * have (migration 0015 caps a season's rate at 100,000,000, above every rate the API sets: a base
 * or season rate up to MAX_SATANG, a rate plan up to 500 % of a base rate), and both hand-overs
 * after hours. A stay price is never negative (the largest discount is 90 %).
 */
export const STAY_PRICE_BOUNDS = { min: 0, max: MAX_RENTAL_DAYS * 100_000_000 + 2 * MAX_SATANG } as const;

/**
 * The stable order of each `ordering`; every one ends in a unique key, so pages never overlap.
 * stay_price is the price of the requested days, without the hand-overs' charges (core/search/stay-price.ts):
 * - price    stay_price ASC, id ASC (the default)
 * - -price   stay_price DESC, id DESC
 * - distance straight-line distance to the place ASC (the great-circle order), id ASC
 * - rating   agency rating_average DESC, review_count DESC, agency id, then stay_price ASC, id ASC
 *            (best agencies first, each agency's cheapest for the stay first)
 */
export function sortKeys(ordering: 'price' | '-price' | 'distance' | 'rating', place: Place | undefined): SortKey[] {
  // The scored subquery of the search query computes it (stayPrice()); an exact integer, sent as numeric.
  const rate = { alias: 'stay_price', expression: sql.ref('stay_price'), type: 'numeric', wholeNumbers: STAY_PRICE_BOUNDS } as const;
  const id = { alias: 'id', expression: sql.ref('c.id'), type: 'uuid' } as const;
  switch (ordering) {
    case 'price':
      return [
        { ...rate, direction: 'asc' },
        { ...id, direction: 'asc' },
      ];
    case '-price':
      return [
        { ...rate, direction: 'desc' },
        { ...id, direction: 'desc' },
      ];
    case 'distance':
      if (!place)
        throw new ValidationError('Ordering by distance needs a place.', { errors: [{ path: 'ordering', message: 'distance needs near or landmark' }] });
      return [
        { alias: 'chord', expression: chordDistance(sql.ref('c.location'), place), type: 'float8', direction: 'asc' },
        { ...id, direction: 'asc' },
      ];
    case 'rating':
      return [
        { alias: 'agency_rating_average', expression: sql.ref('a.rating_average'), type: 'numeric', direction: 'desc' },
        { alias: 'agency_review_count', expression: sql.ref('a.review_count'), type: 'int4', direction: 'desc' },
        { alias: 'agency_id', expression: sql.ref('a.id'), type: 'uuid', direction: 'asc' },
        { ...rate, direction: 'asc' },
        { ...id, direction: 'asc' },
      ];
  }
}

/** What the cursor after `row` carries: the ordering's name, then the row's sort key. */
export function sortPosition(ordering: string, keys: SortKey[], row: object): (string | number)[] {
  return [ordering, ...keys.map((key) => (row as Record<string, string | number>)[key.alias]!)];
}

/** The sort key a cursor carries; 400 if it was not issued for this ordering. */
export function decodeSortCursor(cursor: string | undefined, ordering: string, keys: SortKey[]): (string | number)[] | undefined {
  const position = decodeCursor(cursor, ['text', ...cursorKinds(keys)]);
  if (position === undefined) return undefined;
  const [issuedFor, ...values] = position;
  // decodeCursor checked each value against its column's kind; what is left is the ordering
  // and the bounds of the whole-number keys.
  if (issuedFor !== ordering || keys.some((key, index) => key.wholeNumbers && !isWholeNumberWithin(values[index], key.wholeNumbers))) {
    throw new ValidationError('The cursor is not valid.', {
      errors: [{ path: 'cursor', message: `is not a cursor this search issued for ordering=${ordering}` }],
    });
  }
  return values;
}

function isWholeNumberWithin(value: unknown, bounds: { min: number; max: number }): boolean {
  return Number.isSafeInteger(value) && (value as number) >= bounds.min && (value as number) <= bounds.max;
}
