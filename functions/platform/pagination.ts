import { sql, type RawBuilder, type SelectQueryBuilder, type SqlBool } from 'kysely';
import * as z from 'zod';
import { isCalendarDate } from '#core/availability/dates';
import { ValidationError } from '#core/errors';
import { isStorableText, queryInteger } from './schemas';

/**
 * How every collection pages, in one place: the page size, the opaque cursor and the keyset
 * comparison. A list declares its order once (SortKey[]); keysetPage() then orders the query,
 * starts it after the cursor's position and fetches one row more than the page, and pageFrom()
 * turns the rows into `{ results, next_cursor }`.
 */

/** Results per page: `?limit=` when given (1 to max), else the default. */
export const PAGE_SIZE = { default: 20, max: 100 } as const;

/** Pagination of every collection: ?limit= and an opaque ?cursor=. */
export const PageQuery = z.object({
  limit: queryInteger(1, PAGE_SIZE.max)
    .default(PAGE_SIZE.default)
    .meta({ description: `Results per page (1–${PAGE_SIZE.max}, default ${PAGE_SIZE.default})` }),
  cursor: z.string().max(500).optional().meta({ description: 'The `next_cursor` of the previous page; absent for the first page' }),
});

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

/**
 * Opaque cursors for keyset pagination: the sort key of the last row of a page, as
 * base64url JSON. Clients treat it as a token, but nothing stops them from forging one, and
 * its values go into SQL as typed parameters: each is checked against the kind its column
 * needs, so a tampered or foreign cursor is a 400 here instead of a PostgreSQL error.
 */
export function encodeCursor(position: readonly (string | number | null)[]): string {
  return Buffer.from(JSON.stringify(position)).toString('base64url');
}

/**
 * What one position of a cursor holds:
 * - `uuid`      a UUID
 * - `timestamp` an instant with its offset, as `toISOString()` or PostgreSQL's timestamptz text
 *               writes it (`2026-01-05T03:04:05.123Z`, `2026-01-05 10:04:05.123456+07`)
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
export function keysetAfter(keys: readonly SortKey[], values: readonly (string | number)[]): RawBuilder<SqlBool> {
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

/**
 * A page of a Kysely select in the order of `keys`: ordered by them, after the position of
 * `page.cursor` (400 for a cursor this order did not issue), one row more than the page.
 * Shape the rows with pageFrom().
 */
export function keysetPage<DB, TB extends keyof DB, O>(
  query: SelectQueryBuilder<DB, TB, O>,
  keys: readonly SortKey[],
  page: PageRequest,
): SelectQueryBuilder<DB, TB, O> {
  const after = decodeCursor(page.cursor, cursorKinds(keys));
  let paged = after ? query.where(keysetAfter(keys, after)) : query;
  for (const key of keys) paged = paged.orderBy(key.expression, key.direction);
  return paged.limit(rowsToFetch(page));
}

/**
 * Shapes a page from rows fetched with rowsToFetch(): the extra row only tells that there is
 * a next page, whose cursor is the sort key of the last row shown.
 */
export function pageFrom<Row, Item>(
  rows: Row[],
  page: Pick<PageRequest, 'limit'>,
  toItem: (row: Row) => Item,
  sortKey: (row: Row) => readonly (string | number | null)[],
): Page<Item> {
  const shown = rows.slice(0, page.limit);
  const last = shown.at(-1);
  return {
    results: shown.map(toItem),
    next_cursor: rows.length > page.limit && last !== undefined ? encodeCursor(sortKey(last)) : null,
  };
}
