import { isCalendarDate } from '#core/availability/dates';
import { ValidationError } from '#core/errors';
import { isStorableText } from './schemas';

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
  return isDate(date!) && Number(hours) <= 23 && Number(minutes) <= 59 && Number(seconds) <= 59 && Number(offsetHours) <= 15 && Number(offsetMinutes) <= 59 && Number(offsetSeconds) <= 59;
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

/**
 * Shapes a page from rows fetched with `limit + 1`: the extra row only tells that there is
 * a next page, whose cursor is the sort key of the last row shown.
 */
export function pageFrom<Row, Item>(
  rows: Row[],
  limit: number,
  toItem: (row: Row) => Item,
  sortKey: (row: Row) => readonly (string | number | null)[],
): { results: Item[]; next_cursor: string | null } {
  const shown = rows.slice(0, limit);
  const last = shown.at(-1);
  return {
    results: shown.map(toItem),
    next_cursor: rows.length > limit && last !== undefined ? encodeCursor(sortKey(last)) : null,
  };
}
