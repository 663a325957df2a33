import { ValidationError } from '#core/errors';

/**
 * Opaque cursors for keyset pagination: the sort key of the last row of a page, as
 * base64url JSON. Clients treat it as a token; a tampered or foreign cursor is a 400.
 */
export function encodeCursor(position: readonly (string | number | null)[]): string {
  return Buffer.from(JSON.stringify(position)).toString('base64url');
}

export function decodeCursor(cursor: string | undefined, shape: readonly ('string' | 'number' | 'nullable-number')[]): (string | number | null)[] | undefined {
  if (cursor === undefined) return undefined;
  let position: unknown;
  try {
    position = JSON.parse(Buffer.from(cursor, 'base64url').toString('utf8'));
  } catch {
    position = undefined;
  }
  const valid =
    Array.isArray(position) &&
    position.length === shape.length &&
    position.every((value, index) => {
      const kind = shape[index];
      if (kind === 'string') return typeof value === 'string' && value.length <= 100;
      if (kind === 'number') return typeof value === 'number' && Number.isFinite(value);
      return value === null || (typeof value === 'number' && Number.isFinite(value));
    });
  if (!valid) throw new ValidationError('The cursor is not valid.', { errors: [{ path: 'cursor', message: 'is not a cursor this endpoint issued' }] });
  return position as (string | number | null)[];
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
