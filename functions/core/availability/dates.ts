import type { FieldProblem } from '../errors';

/**
 * Calendar dates as the API defines them: 'YYYY-MM-DD' strings, whole days in Asia/Bangkok,
 * ranges inclusive on both ends. Pure functions; "today" is always passed in (or derived from
 * an injected instant), so the rules are testable at any moment, midnight included.
 */

export const RENTAL_TIME_ZONE = 'Asia/Bangkok';
/** Longest rental, in (inclusive) days. */
export const MAX_RENTAL_DAYS = 90;
/** How far ahead a rental may start, in calendar months from today. */
export const MAX_MONTHS_AHEAD = 24;

const DATE_SHAPE = /^\d{4}-\d{2}-\d{2}$/;
const DAY_MS = 86_400_000;

/** 'YYYY-MM-DD' naming a day that exists (no Feb 30, no month 13). */
export function isCalendarDate(value: string): boolean {
  if (!DATE_SHAPE.test(value)) return false;
  const time = Date.parse(`${value}T00:00:00Z`);
  return Number.isFinite(time) && new Date(time).toISOString().slice(0, 10) === value;
}

/** Days since 1970-01-01 of a calendar date. */
export function dayNumber(date: string): number {
  return Date.parse(`${date}T00:00:00Z`) / DAY_MS;
}

export function fromDayNumber(day: number): string {
  return new Date(day * DAY_MS).toISOString().slice(0, 10);
}

export function addDays(date: string, days: number): string {
  return fromDayNumber(dayNumber(date) + days);
}

/** The same day n months later, clamped to the month's last day (2027-01-31 + 1 month = 2027-02-28). */
export function addMonths(date: string, months: number): string {
  const [year, month, day] = date.split('-').map(Number) as [number, number, number];
  const target = new Date(Date.UTC(year, month - 1 + months, 1));
  const lastDay = new Date(Date.UTC(target.getUTCFullYear(), target.getUTCMonth() + 1, 0)).getUTCDate();
  target.setUTCDate(Math.min(day, lastDay));
  return target.toISOString().slice(0, 10);
}

/** Days a rental occupies and bills: both ends count, so start = end is one day. */
export function rentalDays(startDate: string, endDate: string): number {
  return dayNumber(endDate) - dayNumber(startDate) + 1;
}

/**
 * Asia/Bangkok has kept UTC+7 without daylight saving since 1920, so the offset is arithmetic:
 * an Intl.DateTimeFormat with a time zone costs ~20 ms of ICU loading at a cold start.
 */
const BANGKOK_OFFSET_MS = 7 * 3_600_000;

/**
 * Today's date in Asia/Bangkok at the given instant (UTC+7: 17:00 UTC is already tomorrow).
 * The one "today" of the code base: rules compare it with dates, and queries take it as a
 * parameter rather than asking the database for its own.
 */
export function todayInBangkok(now: Date = new Date()): string {
  return new Date(now.getTime() + BANGKOK_OFFSET_MS).toISOString().slice(0, 10);
}

/** The instant a calendar day begins in Asia/Bangkok (2027-01-10 begins at 2027-01-09T17:00:00Z). */
export function startOfBangkokDay(date: string): Date {
  return new Date(Date.parse(`${date}T00:00:00Z`) - BANGKOK_OFFSET_MS);
}

/**
 * What is wrong with a requested rental range, given today in Asia/Bangkok: a start in the
 * past or more than 24 months ahead, an end before the start, more than 90 days. Both dates
 * must already be calendar dates. Empty when the range is acceptable.
 */
export function rentalRangeProblems(startDate: string, endDate: string, today: string): FieldProblem[] {
  const problems: FieldProblem[] = [];
  if (startDate < today) problems.push({ path: 'start_date', message: `must not be in the past (today is ${today} in ${RENTAL_TIME_ZONE})` });
  const latestStart = addMonths(today, MAX_MONTHS_AHEAD);
  if (startDate > latestStart) problems.push({ path: 'start_date', message: `must be at most ${MAX_MONTHS_AHEAD} months ahead (${latestStart})` });
  if (endDate < startDate) problems.push({ path: 'end_date', message: 'must not be before start_date' });
  else if (rentalDays(startDate, endDate) > MAX_RENTAL_DAYS) {
    problems.push({
      path: 'end_date',
      message: `must be at most ${MAX_RENTAL_DAYS} days after start_date, both days included (${addDays(startDate, MAX_RENTAL_DAYS - 1)})`,
    });
  }
  return problems;
}
