import { sql, type Expression, type Kysely, type RawBuilder, type SqlBool } from 'kysely';
import type { Database } from '../database';
import { DATE_HOLDING_STATUSES } from '../reservations/table';
import { addDays } from './dates';

/** An inclusive range of calendar days, 'YYYY-MM-DD'. */
export interface DateRange {
  startDate: string;
  endDate: string;
}

const holdingStatuses = sql.join(DATE_HOLDING_STATUSES.map((status) => sql.lit(status)));

/**
 * THE availability rule, written once. A reservation conflicts with a requested range when
 *
 *   it holds its dates: confirmed (a booking or an agency block), completed (a rental keeps its
 *   days; an early return has already moved its end_date to the day of return), or pending with
 *   a live hold (expires_at still ahead; an expired hold frees the dates even before the expiry
 *   job runs),
 *   and it overlaps, turnaround buffers included: existing.held_until >= requested.start AND
 *   existing.start_date <= requested.end + the car's buffer (held_until = end_date + the
 *   buffer the existing reservation was made with; blocks have none)
 *
 * (both ranges inclusive, as the API defines dates; the same as the exclusion constraint's
 * `held_period && daterange(start, end + buffer, '[]')`). Written on start_date/held_until
 * rather than `held_period` so that one car's probe is an index-only scan of
 * reservations_holding_idx (a few µs) instead of a walk of the constraint's GiST index
 * (~0.1 ms): see docs/benchmarks.md.
 *
 * Parameters are cast to `date`, the columns' type: btree_gist has no cross-type operators, and
 * a comparison across types skips the index.
 */
export function conflictExists(carId: Expression<string>, range: DateRange, bufferDays: Expression<number> | number = 0): RawBuilder<SqlBool> {
  const end =
    bufferDays === 0 ? sql`${range.endDate}::date` : sql`${range.endDate}::date + ${typeof bufferDays === 'number' ? sql`${bufferDays}::int` : bufferDays}`;
  return sql<SqlBool>`EXISTS (
    SELECT 1 FROM reservations AS r
    WHERE r.car_id = ${carId}
      AND ${reservationHoldsDates()}
      AND r.held_until >= ${range.startDate}::date
      AND r.start_date <= ${end})`;
}

/** Whether the reservation of the query (aliased `r`, or unaliased) holds its dates right now (see conflictExists). */
export function reservationHoldsDates(table: 'r' | 'reservations' = 'r'): RawBuilder<SqlBool> {
  const status = sql.ref(`${table}.status`);
  return sql<SqlBool>`${status} IN (${holdingStatuses}) AND (${status} <> 'pending' OR ${sql.ref(`${table}.expires_at`)} > now())`;
}

/**
 * True when no date-holding reservation of the car overlaps the range, with `bufferDays` (the
 * car's turnaround, for a booking; 0 for a block) held after it.
 */
export async function isCarAvailable(db: Kysely<Database>, carId: string, startDate: string, endDate: string, bufferDays = 0): Promise<boolean> {
  const { conflict } = await db
    .selectNoFrom(conflictExists(sql<string>`${carId}::uuid`, { startDate, endDate }, bufferDays).as('conflict'))
    .executeTakeFirstOrThrow();
  return !conflict;
}

/**
 * The days of `window` no rental of the car can include, as ranges clipped to the window,
 * overlapping and back-to-back ones merged, in date order: each holding reservation's days and
 * the turnaround after it, and the car's own turnaround (`bufferDays`) before it, since a rental
 * ending then would need those days. Says nothing about who holds them or why.
 */
export async function unavailableRanges(db: Kysely<Database>, carId: string, window: DateRange, bufferDays = 0): Promise<DateRange[]> {
  const rows = await db
    .selectFrom('reservations as r')
    .select(['r.start_date', 'r.held_until'])
    .where('r.car_id', '=', carId)
    .where(reservationHoldsDates())
    .where('r.held_until', '>=', sql<string>`${window.startDate}::date`)
    .where('r.start_date', '<=', sql<string>`${window.endDate}::date + ${bufferDays}::int`)
    .orderBy('r.start_date')
    .execute();
  return mergeRanges(
    rows
      .map((row) => ({ startDate: addDays(row.start_date, -bufferDays), endDate: row.held_until }))
      .map((range) => ({
        startDate: range.startDate < window.startDate ? window.startDate : range.startDate,
        endDate: range.endDate > window.endDate ? window.endDate : range.endDate,
      }))
      .filter((range) => range.startDate <= range.endDate),
  );
}

/** Merges ranges sorted by start date when they overlap or touch (…-10 and 11-… are one). */
export function mergeRanges(sorted: DateRange[]): DateRange[] {
  const merged: DateRange[] = [];
  for (const range of sorted) {
    const last = merged.at(-1);
    if (last && range.startDate <= addDays(last.endDate, 1)) {
      if (range.endDate > last.endDate) last.endDate = range.endDate;
    } else merged.push({ ...range });
  }
  return merged;
}
