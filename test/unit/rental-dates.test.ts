import { describe, expect, it } from 'vitest';
import { mergeRanges } from '#core/availability/conflicts';
import { addMonths, isCalendarDate, rentalDays, rentalRangeProblems, startOfBangkokDay, todayInBangkok } from '#core/availability/dates';

describe('calendar dates', () => {
  it('accepts only YYYY-MM-DD naming a day that exists', () => {
    expect(isCalendarDate('2028-02-29')).toBe(true); // leap year
    for (const bad of ['2027-02-29', '2027-02-30', '2027-04-31', '2027-13-01', '2027-00-10', '2027-1-10', '27-01-10', '2027-01-10T00:00', ' 2027-01-10', '']) {
      expect(isCalendarDate(bad), bad).toBe(false);
    }
  });

  it('adds months clamped to the end of the month', () => {
    expect(addMonths('2027-01-31', 1)).toBe('2027-02-28');
    expect(addMonths('2028-02-29', 12)).toBe('2029-02-28');
    expect(addMonths('2026-11-25', 24)).toBe('2028-11-25');
  });

  it('counts rental days inclusively', () => {
    expect(rentalDays('2027-01-10', '2027-01-10')).toBe(1);
    expect(rentalDays('2027-01-10', '2027-01-12')).toBe(3);
    expect(rentalDays('2027-02-27', '2027-03-01')).toBe(3);
  });
});

describe('today in Asia/Bangkok (UTC+7) from an injected clock', () => {
  it('turns the day at 17:00 UTC', () => {
    expect(todayInBangkok(new Date('2026-11-25T16:59:59.999Z'))).toBe('2026-11-25');
    expect(todayInBangkok(new Date('2026-11-25T17:00:00.000Z'))).toBe('2026-11-26');
    expect(todayInBangkok(new Date('2026-12-31T17:00:00.000Z'))).toBe('2027-01-01');
    expect(todayInBangkok(new Date('2026-11-25T00:30:00.000Z'))).toBe('2026-11-25');
  });

  it('is the IANA Asia/Bangkok day at every half hour from 2020 to 2040 (a fixed UTC+7, no daylight saving)', () => {
    const zone = new Intl.DateTimeFormat('en-CA', { timeZone: 'Asia/Bangkok', year: 'numeric', month: '2-digit', day: '2-digit' });
    for (let time = Date.UTC(2020, 0, 1); time < Date.UTC(2040, 0, 1); time += 1_800_000) {
      const now = new Date(time);
      if (todayInBangkok(now) !== zone.format(now)) expect(todayInBangkok(now), now.toISOString()).toBe(zone.format(now));
    }
  });

  it('starts a Bangkok day at 17:00 UTC the day before, the instant todayInBangkok() turns to it', () => {
    expect(startOfBangkokDay('2027-01-10').toISOString()).toBe('2027-01-09T17:00:00.000Z');
    expect(startOfBangkokDay('2027-01-01').toISOString()).toBe('2026-12-31T17:00:00.000Z');
    const start = startOfBangkokDay('2027-03-01').getTime();
    expect(todayInBangkok(new Date(start - 1))).toBe('2027-02-28');
    expect(todayInBangkok(new Date(start))).toBe('2027-03-01');
  });

  it('makes yesterday (UTC) a past start once Bangkok has passed midnight', () => {
    const start = '2026-11-25';
    const beforeMidnight = todayInBangkok(new Date('2026-11-25T16:30:00Z'));
    const afterMidnight = todayInBangkok(new Date('2026-11-25T17:30:00Z'));
    expect(rentalRangeProblems(start, start, beforeMidnight)).toEqual([]);
    expect(rentalRangeProblems(start, start, afterMidnight)).toEqual([{ path: 'start_date', message: expect.stringContaining('past') }]);
  });
});

describe('rentalRangeProblems: the date rules of the API', () => {
  const today = '2026-11-25';
  const paths = (start: string, end: string) => rentalRangeProblems(start, end, today).map((problem) => problem.path);

  it('accepts today, a one-day rental, 90 days, and a start exactly 24 months ahead', () => {
    expect(paths(today, today)).toEqual([]);
    expect(paths('2026-12-01', '2027-02-28')).toEqual([]); // 90 days, both ends counted
    expect(paths('2028-11-25', '2028-11-25')).toEqual([]);
  });

  it('refuses a past start, one more than 24 months ahead, an end before the start, and 91 days', () => {
    expect(paths('2026-11-24', '2026-11-30')).toEqual(['start_date']);
    expect(paths('2028-11-26', '2028-11-27')).toEqual(['start_date']);
    expect(paths('2026-12-10', '2026-12-09')).toEqual(['end_date']);
    expect(paths('2026-12-01', '2027-03-01')).toEqual(['end_date']); // 91 days
  });
});

describe('mergeRanges', () => {
  const range = (startDate: string, endDate: string) => ({ startDate, endDate });

  it('merges overlapping, contained and back-to-back ranges and keeps gaps', () => {
    expect(
      mergeRanges([
        range('2027-01-01', '2027-01-03'),
        range('2027-01-02', '2027-01-05'),
        range('2027-01-03', '2027-01-04'),
        range('2027-01-06', '2027-01-06'), // starts the day after: touching
        range('2027-01-08', '2027-01-09'), // a free day before it
      ]),
    ).toEqual([range('2027-01-01', '2027-01-06'), range('2027-01-08', '2027-01-09')]);
    expect(mergeRanges([])).toEqual([]);
  });
});
