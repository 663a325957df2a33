import { sql, type RawBuilder, type SqlBool } from 'kysely';
import { ValidationError } from '../errors';
import { decodeCursor } from '#platform/pagination';
import { chordDistance, type Place } from '../geo/place';

/**
 * One column of a search ordering: the SQL expression it sorts on (over `cars AS c` joined
 * with `agencies AS a`), the alias it is selected under, its direction, and its SQL type, to
 * which cursor values are cast (the same type as the column: NOTES.md).
 */
export interface SortKey {
  alias: string;
  expression: RawBuilder<unknown>;
  direction: 'asc' | 'desc';
  type: 'int4' | 'numeric' | 'float8' | 'uuid';
}

/**
 * The stable order of each `ordering`; every one ends in a unique key, so pages never overlap:
 * - price    daily_rate ASC, id ASC (the default)
 * - -price   daily_rate DESC, id DESC
 * - distance straight-line distance to the place ASC (the great-circle order), id ASC
 * - rating   agency rating_average DESC, review_count DESC, agency id, then daily_rate ASC, id ASC
 *            (best agencies first, each agency's cheapest first)
 */
export function sortKeys(ordering: 'price' | '-price' | 'distance' | 'rating', place: Place | undefined): SortKey[] {
  const rate = { alias: 'daily_rate', expression: sql.ref('c.daily_rate'), type: 'int4' } as const;
  const id = { alias: 'id', expression: sql.ref('c.id'), type: 'uuid' } as const;
  switch (ordering) {
    case 'price':
      return [{ ...rate, direction: 'asc' }, { ...id, direction: 'asc' }];
    case '-price':
      return [{ ...rate, direction: 'desc' }, { ...id, direction: 'desc' }];
    case 'distance':
      if (!place) throw new ValidationError('Ordering by distance needs a place.', { errors: [{ path: 'ordering', message: 'distance needs near or landmark' }] });
      return [{ alias: 'chord', expression: chordDistance(sql.ref('c.location'), place), type: 'float8', direction: 'asc' }, { ...id, direction: 'asc' }];
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

/**
 * Rows strictly after `values` in the order of `keys`. Keys are grouped into runs of one
 * direction, each compared as a row value, e.g. for rating:
 *   (rating, reviews) < (r, n) OR ((rating, reviews) = (r, n) AND (agency, rate, id) > (a, p, i))
 * so a one-direction ordering is a single row comparison, which the btree uses as a start point.
 */
export function afterKey(keys: SortKey[], values: readonly (string | number)[]): RawBuilder<SqlBool> {
  const runs: { keys: SortKey[]; values: (string | number)[] }[] = [];
  keys.forEach((key, index) => {
    const run = runs.at(-1);
    if (run && run.keys[0]!.direction === key.direction) {
      run.keys.push(key);
      run.values.push(values[index]!);
    } else runs.push({ keys: [key], values: [values[index]!] });
  });
  const row = (run: (typeof runs)[number]) => sql`(${sql.join(run.keys.map((key) => key.expression))})`;
  const given = (run: (typeof runs)[number]) =>
    sql`(${sql.join(run.values.map((value, index) => sql`${value}::${sql.raw(run.keys[index]!.type)}`))})`;
  return runs.reduceRight<RawBuilder<SqlBool> | undefined>((rest, run) => {
    const beyond = sql<SqlBool>`${row(run)} ${sql.raw(run.keys[0]!.direction === 'asc' ? '>' : '<')} ${given(run)}`;
    return rest ? sql<SqlBool>`(${beyond} OR (${row(run)} = ${given(run)} AND ${rest}))` : beyond;
  }, undefined)!;
}

/** What the cursor after `row` carries: the ordering's name, then the row's sort key. */
export function sortPosition(ordering: string, keys: SortKey[], row: object): (string | number)[] {
  return [ordering, ...keys.map((key) => (row as Record<string, string | number>)[key.alias]!)];
}

/** The sort key a cursor carries; 400 if it was not issued for this ordering. */
export function decodeSortCursor(cursor: string | undefined, ordering: string, keys: SortKey[]): (string | number)[] | undefined {
  const position = decodeCursor(cursor, ['text', ...keys.map((key) => (key.type === 'numeric' || key.type === 'float8' ? 'number' : key.type))]);
  if (position === undefined) return undefined;
  const [issuedFor, ...values] = position;
  // decodeCursor checked each value against its column's kind; what is left is the ordering.
  if (issuedFor !== ordering) {
    throw new ValidationError('The cursor is not valid.', { errors: [{ path: 'cursor', message: `is not a cursor this search issued for ordering=${ordering}` }] });
  }
  return values as (string | number)[];
}
