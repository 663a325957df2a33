import { sql, type RawBuilder, type SelectQueryBuilder, type SqlBool } from 'kysely';
import { isCalendarDate } from './availability/dates';
import { isStorableText } from './database';
import { ValidationError } from './errors';

/**
 * How every collection pages, in one place: the page size, the opaque cursor and the keyset
 * comparison. A list declares its order once (SortKey[]) and then, before any query:
 *   pagePosition(keys, page)      decodes the cursor (a 400 comes before any 404 or 409)
 *   keysetPage(query, position)   orders the query, starts it after the cursor, fetches one row
 *                                 more than the page and selects each row's own cursor
 *   pageFrom(rows, position, …)   shapes `{ results, next_cursor }`
 * The keys make the cursor: no list restates its sort key by hand.
 */

/** Results per page: `?limit=` when given (1 to max), else the default. */
export const PAGE_SIZE = { default: 20, max: 100 } as const;

/** What a list function needs to know about the page asked for (a route's PageQuery fits). */
export interface PageRequest {
  limit: number;
  cursor?: string | undefined;
}

/** A page of a collection as every list route answers it. */
export interface Page<Item> {
  results: Item[];
  /** The cursor of the next page; null on the last one. */
  next_cursor: string | null;
}

/** One more row than the page: the extra one only tells that there is a next page. */
export const rowsToFetch = (page: Pick<PageRequest, 'limit'>): number => page.limit + 1;

/** The sort key of one row, as a cursor carries it. */
export type CursorPosition = readonly (string | number)[];

/**
 * Opaque cursors for keyset pagination: the sort key of the last row of a page, as
 * base64url JSON. Clients treat it as a token, but nothing stops them from forging one, and
 * its values go into SQL as typed parameters: each is checked against the kind its column
 * needs, so a tampered or foreign cursor is a 400 here instead of a PostgreSQL error.
 */
export function encodeCursor(position: CursorPosition): string {
  return Buffer.from(JSON.stringify(position)).toString('base64url');
}

/**
 * What one position of a cursor holds:
 * - `uuid`      a UUID
 * - `timestamp` an instant with its offset: PostgreSQL's JSON writes `2026-01-05T03:04:05.123456+00:00`;
 *               `toISOString()`'s form and PostgreSQL's timestamptz text (cursors issued before
 *               keysetPage() selected them) are read too
 * - `date`      a calendar date, `YYYY-MM-DD`
 * - `text`      a short string PostgreSQL can store (a slug, an ordering's name)
 * - `int4`      an integer that fits PostgreSQL's integer
 * - `number`    any finite number (numeric, float8)
 */
export type CursorKind = 'uuid' | 'timestamp' | 'date' | 'text' | 'int4' | 'number';
type CursorValue<K extends CursorKind> = K extends 'int4' | 'number' ? number : string;

const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i;
const TIMESTAMP = /^(\d{4}-\d{2}-\d{2})[T ](\d{2}):(\d{2}):(\d{2})(?:\.\d{1,6})?(?:Z|[+-](\d{2})(?::?(\d{2}))?(?::?(\d{2}))?)$/;
const INT4_MIN = -(2 ** 31);
const INT4_MAX = 2 ** 31 - 1;

/** A day PostgreSQL's date accepts as written (it has no year 0). */
const isDate = (value: string) => isCalendarDate(value) && !value.startsWith('0000');

function isTimestamp(value: string): boolean {
  const match = TIMESTAMP.exec(value);
  if (!match) return false;
  const [, date, hours, minutes, seconds, offsetHours = '0', offsetMinutes = '0', offsetSeconds = '0'] = match;
  return (
    isDate(date!) &&
    Number(hours) <= 23 &&
    Number(minutes) <= 59 &&
    Number(seconds) <= 59 &&
    Number(offsetHours) <= 15 &&
    Number(offsetMinutes) <= 59 &&
    Number(offsetSeconds) <= 59
  );
}

const CURSOR_CHECKS: Record<CursorKind, (value: unknown) => boolean> = {
  uuid: (value) => typeof value === 'string' && UUID.test(value),
  timestamp: (value) => typeof value === 'string' && isTimestamp(value),
  date: (value) => typeof value === 'string' && isDate(value),
  text: (value) => typeof value === 'string' && value.length <= 200 && isStorableText(value),
  int4: (value) => Number.isInteger(value) && (value as number) >= INT4_MIN && (value as number) <= INT4_MAX,
  number: (value) => typeof value === 'number' && Number.isFinite(value),
};

/** The position a cursor carries, each value checked against its kind; 400 if any is not. */
export function decodeCursor<const K extends readonly CursorKind[]>(
  cursor: string | undefined,
  kinds: K,
): { -readonly [I in keyof K]: CursorValue<K[I]> } | undefined {
  if (cursor === undefined) return undefined;
  let position: unknown;
  try {
    position = JSON.parse(Buffer.from(cursor, 'base64url').toString('utf8'));
  } catch {
    position = undefined;
  }
  const valid = Array.isArray(position) && position.length === kinds.length && position.every((value, index) => CURSOR_CHECKS[kinds[index]!](value));
  if (!valid) throw new ValidationError('The cursor is not valid.', { errors: [{ path: 'cursor', message: 'is not a cursor this endpoint issued' }] });
  return position as { -readonly [I in keyof K]: CursorValue<K[I]> };
}

/** The SQL type of a sort column, to which the cursor's value for it is cast (the column's own type: no cross-type comparison skips its index). */
export type SortType = 'uuid' | 'timestamptz' | 'date' | 'text' | 'int4' | 'numeric' | 'float8';

const CURSOR_KIND: Record<SortType, CursorKind> = {
  uuid: 'uuid',
  timestamptz: 'timestamp',
  date: 'date',
  text: 'text',
  int4: 'int4',
  numeric: 'number',
  float8: 'number',
};

/** One column of a list's order: the SQL it sorts on, its direction and its type. The last key of an order must be unique (an id), so pages never overlap. */
export interface SortKey {
  expression: RawBuilder<unknown>;
  direction: 'asc' | 'desc';
  type: SortType;
}

/** The kinds a cursor of this order carries, one per key. */
export const cursorKinds = (keys: readonly SortKey[]): CursorKind[] => keys.map((key) => CURSOR_KIND[key.type]);

/**
 * Rows strictly after `values` in the order of `keys`. Keys are grouped into runs of one
 * direction, each compared as a row value: `(a, b) < ($1, $2)` for a descending order, `>` for
 * an ascending one, and for mixed directions
 *   (a, b) < ($1, $2) OR ((a, b) = ($1, $2) AND (c, d) > ($3, $4))
 * so a one-direction order is a single row comparison, which a btree uses as its start point.
 */
export function keysetAfter(keys: readonly SortKey[], values: CursorPosition): RawBuilder<SqlBool> {
  if (keys.length === 0 || values.length !== keys.length) throw new Error('keysetAfter: one value per sort key');
  const runs: { keys: SortKey[]; values: (string | number)[] }[] = [];
  keys.forEach((key, index) => {
    const run = runs.at(-1);
    if (run && run.keys[0]!.direction === key.direction) {
      run.keys.push(key);
      run.values.push(values[index]!);
    } else runs.push({ keys: [key], values: [values[index]!] });
  });
  const row = (run: (typeof runs)[number]) => sql`(${sql.join(run.keys.map((key) => key.expression))})`;
  const given = (run: (typeof runs)[number]) => sql`(${sql.join(run.values.map((value, index) => sql`${value}::${sql.raw(run.keys[index]!.type)}`))})`;
  return runs.reduceRight<RawBuilder<SqlBool> | undefined>((rest, run) => {
    const beyond = sql<SqlBool>`${row(run)} ${sql.raw(run.keys[0]!.direction === 'asc' ? '>' : '<')} ${given(run)}`;
    return rest ? sql<SqlBool>`(${beyond} OR (${row(run)} = ${given(run)} AND ${rest}))` : beyond;
  }, undefined)!;
}

/** A page asked for, its cursor decoded against a list's order: what keysetPage() and pageFrom() need. */
export interface PagePosition {
  keys: readonly SortKey[];
  limit: number;
  /** The sort key of the previous page's last row; undefined on the first page. */
  after: CursorPosition | undefined;
}

/**
 * Where the page asked for starts in the order of `keys`; 400 for a cursor this order did not
 * issue. Call it first, before any query: validation is decided before state, so a forged
 * cursor is a 400 even for a car or an agency that does not exist.
 */
export function pagePosition(keys: readonly SortKey[], page: PageRequest): PagePosition {
  return { keys, limit: page.limit, after: decodeCursor(page.cursor, cursorKinds(keys)) };
}

/** The column keysetPage() selects each row's cursor position under. */
const POSITION = 'page_position';

/**
 * Each row's position as PostgreSQL's JSON writes it: numbers stay numbers, dates are
 * `YYYY-MM-DD` and instants keep their microseconds (a JavaScript Date keeps milliseconds
 * only, and a row in the same millisecond as a page's last one would be skipped), whatever
 * the session's DateStyle.
 */
const positionOf = (keys: readonly SortKey[]) => sql<CursorPosition>`json_build_array(${sql.join(keys.map((key) => key.expression))})`;

/**
 * A page of a Kysely select at `position`: ordered by its keys, after the cursor's position,
 * one row more than the page, each row with its own cursor position. Shape the rows with pageFrom().
 */
export function keysetPage<DB, TB extends keyof DB, O>(query: SelectQueryBuilder<DB, TB, O>, position: PagePosition) {
  let paged = query.select(positionOf(position.keys).as(POSITION));
  if (position.after) paged = paged.where(keysetAfter(position.keys, position.after));
  for (const key of position.keys) paged = paged.orderBy(key.expression, key.direction);
  return paged.limit(rowsToFetch(position));
}

/**
 * Shapes a page from the rows of keysetPage(): the extra row only tells that there is a next
 * page, whose cursor is the position of the last row shown. `toItem` sees the row without it.
 */
export function pageFrom<Row extends { [POSITION]: CursorPosition }, Item>(
  rows: Row[],
  position: Pick<PagePosition, 'limit'>,
  toItem: (row: Omit<Row, typeof POSITION>) => Item,
): Page<Item> {
  return pageOfRows(
    rows,
    position,
    ({ [POSITION]: _position, ...row }) => toItem(row),
    (row) => row[POSITION],
  );
}

/**
 * Shapes a page from rows fetched with rowsToFetch() by a query of its own (search's):
 * `positionOf` gives the sort key of a row.
 */
export function pageOfRows<Row, Item>(
  rows: Row[],
  page: Pick<PageRequest, 'limit'>,
  toItem: (row: Row) => Item,
  positionOf: (row: Row) => CursorPosition,
): Page<Item> {
  const shown = rows.slice(0, page.limit);
  const last = shown.at(-1);
  return {
    results: shown.map(toItem),
    next_cursor: rows.length > page.limit && last !== undefined ? encodeCursor(positionOf(last)) : null,
  };
}
