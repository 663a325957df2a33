import { describe, expect, it } from 'vitest';
import { RentalRuleBroken } from '#core/errors';
import {
  datesOnly,
  isoWeekday,
  isWithinOpeningHours,
  minimumRentalDays,
  quoteRental,
  rentalRuleBroken,
  type RentalRequest,
  type RentalTerms,
} from '#core/pricing/terms';

/** A car with no rules beyond its rate, overridden per test. */
function terms(overrides: Partial<RentalTerms> = {}): RentalTerms {
  return {
    carId: 'car',
    agencyId: 'agency',
    carTermsVersion: 1,
    agencyTermsVersion: 1,
    dailyRate: 100_000,
    depositAmount: 500_000,
    seasons: [],
    lengthDiscounts: { weekly: { fromDays: 7, percent: 0 }, monthly: { fromDays: 28, percent: 0 } },
    minRentalDays: 1,
    minNoticeHours: 0,
    maxLeadDays: null,
    turnaroundDays: 0,
    openingHours: [],
    afterHoursFee: null,
    deliveryFees: {},
    ...overrides,
  };
}

// 2027-01-09 is a Saturday; 10:00 in Bangkok (UTC+7) is 03:00 UTC.
const NOW = new Date('2027-01-09T03:00:00Z');
const request = (startDate: string, endDate: string, changes: Partial<RentalRequest> = {}): RentalRequest => ({ ...datesOnly(startDate, endDate), ...changes });
const ruleOf = (broken: RentalRuleBroken | undefined) => (broken ? { rule: broken.extensions?.rule, status: broken.status, slug: broken.slug } : undefined);

// Monday to Friday 09:00–18:00; closed at weekends.
const WEEKDAYS_9_TO_6 = [1, 2, 3, 4, 5].map((weekday) => ({ weekday, opens: '09:00', closes: '18:00' }));

describe('isoWeekday', () => {
  it('numbers Monday 1 … Sunday 7, before 1970 too', () => {
    expect(['2027-01-11', '2027-01-12', '2027-01-13', '2027-01-14', '2027-01-15', '2027-01-16', '2027-01-17'].map(isoWeekday)).toEqual([1, 2, 3, 4, 5, 6, 7]);
    expect(isoWeekday('1970-01-01')).toBe(4);
    expect(isoWeekday('1969-12-28')).toBe(7);
    expect(isoWeekday('2028-02-29')).toBe(2);
  });
});

describe('minimumRentalDays: the car’s, or the season covering the start date when stricter', () => {
  const high = { name: 'High', startDate: '2027-01-15', endDate: '2027-01-31', dailyRate: 150_000, minRentalDays: 5 };
  const car = terms({
    minRentalDays: 3,
    seasons: [high, { name: 'Low', startDate: '2027-02-01', endDate: '2027-02-28', dailyRate: 80_000, minRentalDays: 2 }],
  });

  it('uses the season of the start date, both ends of the season included', () => {
    expect(minimumRentalDays(car, '2027-01-14')).toBe(3);
    expect(minimumRentalDays(car, '2027-01-15')).toBe(5);
    expect(minimumRentalDays(car, '2027-01-31')).toBe(5);
  });

  it('never goes below the car’s own minimum, and a season without one keeps the car’s', () => {
    expect(minimumRentalDays(car, '2027-02-01')).toBe(3);
    expect(minimumRentalDays(terms({ minRentalDays: 2, seasons: [{ ...high, minRentalDays: null }] }), '2027-01-20')).toBe(2);
  });
});

describe('rentalRuleBroken: the first rule a request breaks, as a 409 rental-rule', () => {
  it('min_rental_days: fewer days than the minimum is refused; exactly the minimum is not', () => {
    const car = terms({ minRentalDays: 3 });
    expect(ruleOf(rentalRuleBroken(car, request('2027-01-20', '2027-01-21'), NOW))).toEqual({ rule: 'min_rental_days', status: 409, slug: 'rental-rule' });
    expect(rentalRuleBroken(car, request('2027-01-20', '2027-01-22'), NOW)).toBeUndefined();
  });

  it('min_rental_days: a season’s stricter minimum counts for rentals starting in it, not for one starting the day before', () => {
    const car = terms({ seasons: [{ name: 'New Year', startDate: '2027-01-20', endDate: '2027-01-25', dailyRate: 200_000, minRentalDays: 4 }] });
    const broken = rentalRuleBroken(car, request('2027-01-20', '2027-01-22'), NOW);
    expect(ruleOf(broken)?.rule).toBe('min_rental_days');
    expect(broken?.message).toContain('at least 4 days');
    expect(rentalRuleBroken(car, request('2027-01-20', '2027-01-23'), NOW)).toBeUndefined();
    expect(rentalRuleBroken(car, request('2027-01-19', '2027-01-20'), NOW)).toBeUndefined();
  });

  it('min_notice: a pick-up exactly the notice away is allowed; a minute sooner is refused (times in Bangkok)', () => {
    const car = terms({ minNoticeHours: 24 });
    expect(rentalRuleBroken(car, request('2027-01-10', '2027-01-11', { pickupTime: '10:00' }), NOW)).toBeUndefined();
    expect(ruleOf(rentalRuleBroken(car, request('2027-01-10', '2027-01-11', { pickupTime: '09:59' }), NOW))?.rule).toBe('min_notice');
    // The return time plays no part.
    expect(rentalRuleBroken(car, request('2027-01-10', '2027-01-10', { pickupTime: '10:00', returnTime: '00:00' }), NOW)).toBeUndefined();
  });

  it('min_notice: without a notice rule, even a pick-up earlier today is allowed', () => {
    expect(rentalRuleBroken(terms(), request('2027-01-09', '2027-01-09', { pickupTime: '08:00' }), NOW)).toBeUndefined();
  });

  it('max_lead_days: a start up to today (Bangkok) + the lead is allowed, a day later is refused', () => {
    const car = terms({ maxLeadDays: 30 });
    expect(rentalRuleBroken(car, request('2027-02-08', '2027-02-09'), NOW)).toBeUndefined();
    expect(ruleOf(rentalRuleBroken(car, request('2027-02-09', '2027-02-10'), NOW))?.rule).toBe('max_lead_days');
    // At 01:00 in Bangkok on the 10th (18:00 UTC on the 9th) today is already the 10th.
    expect(rentalRuleBroken(car, request('2027-02-09', '2027-02-10'), new Date('2027-01-09T18:00:00Z'))).toBeUndefined();
  });

  it('delivery: a landmark the agency does not serve is refused, for the pick-up and for the return; its own address always works', () => {
    const car = terms({ deliveryFees: { 'phuket-airport': 50_000 } });
    expect(
      rentalRuleBroken(car, request('2027-01-20', '2027-01-22', { pickupLandmark: 'phuket-airport', returnLandmark: 'phuket-airport' }), NOW),
    ).toBeUndefined();
    expect(rentalRuleBroken(car, request('2027-01-20', '2027-01-22', { pickupLandmark: null, returnLandmark: null }), NOW)).toBeUndefined();
    const pickup = rentalRuleBroken(car, request('2027-01-20', '2027-01-22', { pickupLandmark: 'patong-beach' }), NOW);
    expect(ruleOf(pickup)?.rule).toBe('delivery');
    expect(pickup?.message).toContain('patong-beach');
    expect(ruleOf(rentalRuleBroken(car, request('2027-01-20', '2027-01-22', { returnLandmark: 'kata-beach' }), NOW))?.rule).toBe('delivery');
  });

  it('opening_hours: opens ≤ time < closes, for the pick-up and for the return', () => {
    const car = terms({ openingHours: WEEKDAYS_9_TO_6 });
    // Monday 2027-01-11 to Tuesday 2027-01-12.
    const at = (pickupTime: string, returnTime: string) =>
      ruleOf(rentalRuleBroken(car, request('2027-01-11', '2027-01-12', { pickupTime, returnTime }), NOW))?.rule;
    expect(at('09:00', '17:59')).toBeUndefined();
    expect(at('08:59', '12:00')).toBe('opening_hours');
    expect(at('12:00', '18:00')).toBe('opening_hours');
    const broken = rentalRuleBroken(car, request('2027-01-11', '2027-01-12', { returnTime: '18:00' }), NOW);
    expect(broken?.message).toContain('the return');
  });

  it('opening_hours: a weekday without hours is closed all day; an agency without any hours hands over at any time', () => {
    // Saturday 2027-01-16.
    expect(ruleOf(rentalRuleBroken(terms({ openingHours: WEEKDAYS_9_TO_6 }), request('2027-01-16', '2027-01-18', { pickupTime: '12:00' }), NOW))?.rule).toBe(
      'opening_hours',
    );
    expect(
      rentalRuleBroken(terms({ openingHours: [] }), request('2027-01-16', '2027-01-18', { pickupTime: '03:00', returnTime: '23:59' }), NOW),
    ).toBeUndefined();
  });

  it('opening_hours: an agency with an after-hours fee hands over outside its hours (even for a fee of 0)', () => {
    for (const fee of [0, 40_000]) {
      expect(
        rentalRuleBroken(terms({ openingHours: WEEKDAYS_9_TO_6, afterHoursFee: fee }), request('2027-01-16', '2027-01-18', { pickupTime: '22:00' }), NOW),
      ).toBeUndefined();
    }
  });

  it('names the first rule broken, in the order a traveller fixes them: length, notice, lead, places, hours', () => {
    const strict = terms({ minRentalDays: 3, minNoticeHours: 48, maxLeadDays: 1, openingHours: WEEKDAYS_9_TO_6 });
    const all = request('2027-01-09', '2027-01-09', { pickupTime: '03:00', pickupLandmark: 'patong-beach' });
    expect(ruleOf(rentalRuleBroken(strict, all, NOW))?.rule).toBe('min_rental_days');
    expect(ruleOf(rentalRuleBroken(strict, { ...all, endDate: '2027-01-11' }, NOW))?.rule).toBe('min_notice');
    expect(ruleOf(rentalRuleBroken(strict, request('2027-01-16', '2027-01-18', { pickupTime: '03:00', pickupLandmark: 'patong-beach' }), NOW))?.rule).toBe(
      'max_lead_days',
    );
    const relaxed = { ...strict, maxLeadDays: null };
    expect(ruleOf(rentalRuleBroken(relaxed, request('2027-01-16', '2027-01-18', { pickupTime: '03:00', pickupLandmark: 'patong-beach' }), NOW))?.rule).toBe(
      'delivery',
    );
    expect(ruleOf(rentalRuleBroken(relaxed, request('2027-01-16', '2027-01-18', { pickupTime: '03:00' }), NOW))?.rule).toBe('opening_hours');
  });
});

describe('isWithinOpeningHours', () => {
  it('is true at opening, false at closing', () => {
    expect(isWithinOpeningHours(WEEKDAYS_9_TO_6, '2027-01-11', '09:00')).toBe(true);
    expect(isWithinOpeningHours(WEEKDAYS_9_TO_6, '2027-01-11', '18:00')).toBe(false);
    expect(isWithinOpeningHours(WEEKDAYS_9_TO_6, '2027-01-17', '12:00')).toBe(false);
    expect(isWithinOpeningHours([], '2027-01-17', '12:00')).toBe(true);
  });
});

describe('quoteRental: the request’s price from the car’s terms', () => {
  const rates = { serviceFeeBps: 500, vatBps: 700 };
  const car = terms({ openingHours: WEEKDAYS_9_TO_6, afterHoursFee: 30_000, deliveryFees: { 'phuket-airport': 50_000, 'patong-beach': 0 } });

  it('charges the after-hours fee per hand-over outside the hours and the delivery fee per hand-over at a landmark', () => {
    // Saturday pick-up at the airport (closed: after hours), Monday return at 10:00 in Patong (open, free delivery).
    const price = quoteRental(
      car,
      request('2027-01-16', '2027-01-18', { pickupTime: '12:00', pickupLandmark: 'phuket-airport', returnLandmark: 'patong-beach' }),
      rates,
    );
    expect(price.breakdown.pickup).toEqual({ landmark: 'phuket-airport', delivery_fee: 50_000, after_hours_fee: 30_000 });
    expect(price.breakdown.return).toEqual({ landmark: 'patong-beach', delivery_fee: 0, after_hours_fee: 0 });
    expect(price.subtotal).toBe(300_000 + 50_000 + 30_000);
  });

  it('cannot price what the agency does not offer: it throws the rule, as rentalRuleBroken names it', () => {
    expect(() => quoteRental(car, request('2027-01-16', '2027-01-18', { pickupLandmark: 'kata-beach' }), rates)).toThrow(RentalRuleBroken);
    expect(() => quoteRental({ ...car, afterHoursFee: null }, request('2027-01-16', '2027-01-18'), rates)).toThrow(RentalRuleBroken);
  });
});
