import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { addDays, rentalDays } from '#core/availability/dates';
import { DEFAULT_PRICING_RATES, lengthDiscountPercent, percentOf, priceRental, type RentalPriceInput, type SeasonRate } from '#core/pricing/pricing';

const rental = (dailyRate: number, startDate: string, endDate: string, depositAmount = 500_000) => ({ dailyRate, depositAmount, startDate, endDate });

describe('priceRental: the one price of a rental, in integer satang', () => {
  it('bills a one-day rental (start = end) for one day', () => {
    expect(priceRental(rental(100_000, '2027-01-10', '2027-01-10'))).toEqual({
      days: 1,
      daily_rate_at_booking: 100_000,
      subtotal: 100_000,
      fees: 5_000, // 5 % service fee
      tax: 7_350, // 7 % VAT on 105,000
      total_price: 112_350,
      deposit_amount: 500_000,
      currency: 'thb',
      breakdown: {
        daily_rates: [{ start_date: '2027-01-10', end_date: '2027-01-10', days: 1, daily_rate: 100_000, season: null }],
        rental: 100_000,
        length_discount: { percent: 0, amount: 0 },
        pickup: { landmark: null, delivery_fee: 0, after_hours_fee: 0 },
        return: { landmark: null, delivery_fee: 0, after_hours_fee: 0 },
      },
    });
  });

  it('counts both ends: 10 → 12 January is 3 days', () => {
    const price = priceRental(rental(80_000, '2027-01-10', '2027-01-12'));
    expect(price.days).toBe(3);
    expect(price.subtotal).toBe(240_000);
  });

  it('charges the fee on the subtotal and VAT on subtotal + fee, each rounded half-up to a satang', () => {
    // 2 × 123.45 THB = 24,690 satang; fee 1,234.5 → 1,235; VAT 7 % of 25,925 = 1,814.75 → 1,815.
    expect(priceRental(rental(12_345, '2027-03-01', '2027-03-02'))).toMatchObject({ subtotal: 24_690, fees: 1_235, tax: 1_815, total_price: 27_740 });
    // Just under a half rounds down: 5 % of 9 satang is 0.45 → 0.
    expect(percentOf(9, 500)).toBe(0);
    expect(percentOf(10, 500)).toBe(1); // 0.5 → 1
    expect(percentOf(29, 500)).toBe(1); // 1.45 → 1
    expect(percentOf(30, 500)).toBe(2); // 1.5 → 2
  });

  it('always adds up: total = subtotal + fees + tax, deposit apart', () => {
    for (let rate = 1; rate < 5_000_000; rate = rate * 3 + 7) {
      const price = priceRental(rental(rate, '2027-01-01', '2027-01-17', 123));
      expect(price.total_price).toBe(price.subtotal + price.fees + price.tax);
      expect(price.deposit_amount).toBe(123);
      expect(Number.isInteger(price.fees) && Number.isInteger(price.tax)).toBe(true);
    }
  });

  it('takes its rates as configuration (basis points)', () => {
    expect(DEFAULT_PRICING_RATES).toEqual({ serviceFeeBps: 500, vatBps: 700 });
    expect(priceRental(rental(100_000, '2027-01-10', '2027-01-10'), { serviceFeeBps: 0, vatBps: 0 })).toMatchObject({ fees: 0, tax: 0, total_price: 100_000 });
    expect(priceRental(rental(100_000, '2027-01-10', '2027-01-10'), { serviceFeeBps: 1_000, vatBps: 1_000 })).toMatchObject({
      fees: 10_000,
      tax: 11_000,
      total_price: 121_000,
    });
  });

  it('stays exact for the largest rate over the longest rental', () => {
    const price = priceRental(rental(2_147_483_647, '2027-01-01', '2027-03-31'));
    const subtotal = 2_147_483_647n * 90n;
    const fees = (subtotal * 500n + 5_000n) / 10_000n;
    const tax = ((subtotal + fees) * 700n + 5_000n) / 10_000n;
    expect(price).toMatchObject({ days: 90, subtotal: Number(subtotal), fees: Number(fees), tax: Number(tax), total_price: Number(subtotal + fees + tax) });
    expect(percentOf(900_719_925_474, 9_999)).toBe(Number((900_719_925_474n * 9_999n + 5_000n) / 10_000n));
  });

  it('refuses what cannot be priced', () => {
    expect(() => priceRental(rental(100_000, '2027-01-10', '2027-01-09'))).toThrow(RangeError);
    expect(() => priceRental(rental(-1, '2027-01-10', '2027-01-10'))).toThrow(RangeError);
    expect(() => priceRental(rental(99.5, '2027-01-10', '2027-01-10'))).toThrow(RangeError);
    expect(() => priceRental(rental(100, '2027-01-10', '2027-01-10'), { serviceFeeBps: 10_001, vatBps: 700 })).toThrow(RangeError);
  });
});

const FC_SEED = Number(process.env.FC_SEED ?? 20261203);
const FC_RUNS = Number(process.env.FC_RUNS ?? 200);

const runsOf = (input: RentalPriceInput) =>
  priceRental(input).breakdown.daily_rates.map((run) => [run.start_date, run.end_date, run.days, run.daily_rate, run.season]);

describe('priceRental: each day at its season’s rate, in runs', () => {
  const base = { dailyRate: 100_000, depositAmount: 500_000 };

  it('prices the days a season covers at its rate and the rest at the base rate', () => {
    const input = {
      ...base,
      startDate: '2027-01-10',
      endDate: '2027-01-14',
      seasons: [{ name: 'High', startDate: '2027-01-12', endDate: '2027-01-20', dailyRate: 150_000 }],
    };
    expect(runsOf(input)).toEqual([
      ['2027-01-10', '2027-01-11', 2, 100_000, null],
      ['2027-01-12', '2027-01-14', 3, 150_000, 'High'],
    ]);
    expect(priceRental(input)).toMatchObject({ days: 5, subtotal: 2 * 100_000 + 3 * 150_000, breakdown: { rental: 650_000 } });
  });

  it('a one-off peak inside a split season is its own run between the season’s two halves', () => {
    const seasons = [
      { name: 'High season', startDate: '2027-01-03', endDate: '2027-03-31', dailyRate: 150_000 },
      { name: 'New Year', startDate: '2026-12-30', endDate: '2027-01-02', dailyRate: 250_000 },
      { name: 'High season', startDate: '2026-12-15', endDate: '2026-12-29', dailyRate: 150_000 },
    ];
    expect(runsOf({ ...base, startDate: '2026-12-28', endDate: '2027-01-04', seasons })).toEqual([
      ['2026-12-28', '2026-12-29', 2, 150_000, 'High season'],
      ['2026-12-30', '2027-01-02', 4, 250_000, 'New Year'],
      ['2027-01-03', '2027-01-04', 2, 150_000, 'High season'],
    ]);
    // Starting before the season and ending inside the peak: base days first.
    expect(runsOf({ ...base, startDate: '2026-12-13', endDate: '2026-12-31', seasons })).toEqual([
      ['2026-12-13', '2026-12-14', 2, 100_000, null],
      ['2026-12-15', '2026-12-29', 15, 150_000, 'High season'],
      ['2026-12-30', '2026-12-31', 2, 250_000, 'New Year'],
    ]);
  });

  it('ignores seasons that end before the rental or start after it, to the day', () => {
    const seasons = [
      { name: 'Before', startDate: '2027-01-01', endDate: '2027-01-09', dailyRate: 1 },
      { name: 'After', startDate: '2027-01-15', endDate: '2027-01-31', dailyRate: 1 },
    ];
    expect(runsOf({ ...base, startDate: '2027-01-10', endDate: '2027-01-14', seasons })).toEqual([['2027-01-10', '2027-01-14', 5, 100_000, null]]);
    // One day later at either end, the season's day is in.
    expect(runsOf({ ...base, startDate: '2027-01-09', endDate: '2027-01-15', seasons })).toEqual([
      ['2027-01-09', '2027-01-09', 1, 1, 'Before'],
      ['2027-01-10', '2027-01-14', 5, 100_000, null],
      ['2027-01-15', '2027-01-15', 1, 1, 'After'],
    ]);
  });

  it('a season covering the whole rental is one run, clipped to the rental', () => {
    const seasons = [{ name: 'Monsoon', startDate: '2027-05-01', endDate: '2027-10-31', dailyRate: 80_000 }];
    expect(runsOf({ ...base, startDate: '2027-06-01', endDate: '2027-06-03', seasons })).toEqual([['2027-06-01', '2027-06-03', 3, 80_000, 'Monsoon']]);
  });
});

describe('priceRental: length discounts', () => {
  const tiers = { weekly: { fromDays: 7, percent: 10 }, monthly: { fromDays: 28, percent: 25 } };
  const priced = (days: number, dailyRate = 100_000) =>
    priceRental({ dailyRate, depositAmount: 0, startDate: '2027-02-01', endDate: addDays('2027-02-01', days - 1), lengthDiscounts: tiers });

  it('6 days pay full price; 7 days get the weekly percent', () => {
    expect(priced(6).breakdown.length_discount).toEqual({ percent: 0, amount: 0 });
    expect(priced(6).subtotal).toBe(600_000);
    expect(priced(7).breakdown.length_discount).toEqual({ percent: 10, amount: 70_000 });
    expect(priced(7).subtotal).toBe(630_000);
  });

  it('a monthly tier left at 0 % does not take the weekly discount away from a longer rental', () => {
    const weeklyOnly = { weekly: { fromDays: 7, percent: 10 }, monthly: { fromDays: 28, percent: 0 } };
    const price = priceRental({ dailyRate: 100_000, depositAmount: 0, startDate: '2027-02-01', endDate: '2027-03-02', lengthDiscounts: weeklyOnly });
    expect(price.breakdown.length_discount).toEqual({ percent: 10, amount: 300_000 });
  });

  it('27 days get the weekly percent; 28 the monthly one alone, never both', () => {
    expect(priced(27).breakdown.length_discount).toEqual({ percent: 10, amount: 270_000 });
    expect(priced(28).breakdown.length_discount).toEqual({ percent: 25, amount: 700_000 });
    expect(priced(28).subtotal).toBe(2_100_000);
  });

  it('follows the car’s own thresholds', () => {
    const price = priceRental({
      dailyRate: 100_000,
      depositAmount: 0,
      startDate: '2027-02-01',
      endDate: '2027-02-03',
      lengthDiscounts: { weekly: { fromDays: 3, percent: 5 }, monthly: { fromDays: 14, percent: 20 } },
    });
    expect(price.breakdown.length_discount).toEqual({ percent: 5, amount: 15_000 });
  });

  it('discounts the sum of the season rates, rounded half-up', () => {
    // 7 × 12,345 = 86,415 satang; 10 % = 8,641.5 → 8,642.
    expect(priced(7, 12_345).breakdown.length_discount).toEqual({ percent: 10, amount: 8_642 });
    const withSeason = priceRental({
      dailyRate: 100_000,
      depositAmount: 0,
      startDate: '2027-02-01',
      endDate: '2027-02-07',
      seasons: [{ name: 'Chinese New Year', startDate: '2027-02-05', endDate: '2027-02-08', dailyRate: 200_000 }],
      lengthDiscounts: tiers,
    });
    expect(withSeason.breakdown.rental).toBe(4 * 100_000 + 3 * 200_000);
    expect(withSeason.breakdown.length_discount.amount).toBe(100_000);
    expect(withSeason.subtotal).toBe(900_000);
  });

  it('refuses a percent outside 0..90', () => {
    expect(() => lengthDiscountPercent(7, { weekly: { fromDays: 7, percent: 91 }, monthly: { fromDays: 28, percent: 0 } })).toThrow(RangeError);
  });
});

describe('priceRental: hand-over fees', () => {
  it('adds each hand-over’s delivery and after-hours fee to the subtotal, undiscounted, and charges fee and VAT on them', () => {
    const price = priceRental({
      dailyRate: 100_000,
      depositAmount: 0,
      startDate: '2027-02-01',
      endDate: '2027-02-07',
      lengthDiscounts: { weekly: { fromDays: 7, percent: 10 }, monthly: { fromDays: 28, percent: 20 } },
      pickup: { landmark: 'phuket-airport', deliveryFee: 50_000, afterHoursFee: 30_000 },
      return: { landmark: 'patong-beach', deliveryFee: 40_000, afterHoursFee: 0 },
    });
    expect(price.subtotal).toBe(700_000 - 70_000 + 50_000 + 30_000 + 40_000);
    expect(price.fees).toBe(percentOf(price.subtotal, 500));
    expect(price.tax).toBe(percentOf(price.subtotal + price.fees, 700));
    expect(price.breakdown.pickup).toEqual({ landmark: 'phuket-airport', delivery_fee: 50_000, after_hours_fee: 30_000 });
    expect(price.breakdown.return).toEqual({ landmark: 'patong-beach', delivery_fee: 40_000, after_hours_fee: 0 });
  });

  it('refuses a fee that is no amount of satang', () => {
    const input = { dailyRate: 100_000, depositAmount: 0, startDate: '2027-02-01', endDate: '2027-02-01' };
    expect(() => priceRental({ ...input, pickup: { landmark: null, deliveryFee: -1, afterHoursFee: 0 } })).toThrow(RangeError);
    expect(() => priceRental({ ...input, return: { landmark: null, deliveryFee: 0, afterHoursFee: 0.5 } })).toThrow(RangeError);
  });
});

describe('priceRental: daily_rate_at_booking', () => {
  it('is the rental ÷ days rounded half-up: the base rate when no season applies', () => {
    const seasonal = (rates: number[]) =>
      priceRental({
        dailyRate: rates[0]!,
        depositAmount: 0,
        startDate: '2027-02-01',
        endDate: addDays('2027-02-01', rates.length - 1),
        seasons: rates.slice(1).map((rate, index) => ({
          name: `day ${index + 2}`,
          startDate: addDays('2027-02-02', index),
          endDate: addDays('2027-02-02', index),
          dailyRate: rate,
        })),
      }).daily_rate_at_booking;
    expect(seasonal([100_000, 100_001])).toBe(100_001); // 100,000.5 → up
    expect(seasonal([100_000, 100_000, 100_001])).toBe(100_000); // 100,000.33 → down
    expect(seasonal([100_000, 100_001, 100_001])).toBe(100_001); // 100,000.67 → up
    expect(priceRental({ dailyRate: 99_999, depositAmount: 0, startDate: '2027-02-01', endDate: '2027-02-20' }).daily_rate_at_booking).toBe(99_999);
    // Before the length discount: the discount is its own line.
    expect(
      priceRental({
        dailyRate: 100_000,
        depositAmount: 0,
        startDate: '2027-02-01',
        endDate: '2027-02-07',
        lengthDiscounts: { weekly: { fromDays: 7, percent: 10 }, monthly: { fromDays: 28, percent: 20 } },
      }).daily_rate_at_booking,
    ).toBe(100_000);
  });
});

/** A car's rates around a window: seasons laid end to end with gaps (possibly none), never overlapping. */
const WINDOW_START = '2027-01-01';
const seasonsArbitrary = fc
  .array(fc.record({ gap: fc.integer({ min: 0, max: 12 }), length: fc.integer({ min: 1, max: 30 }), dailyRate: fc.integer({ min: 1, max: 5_000_000 }) }), {
    maxLength: 8,
  })
  .map((specs) => {
    let next = -15;
    return specs.map((spec, index): SeasonRate => {
      const startDate = addDays(WINDOW_START, next + spec.gap);
      const endDate = addDays(startDate, spec.length - 1);
      next = next + spec.gap + spec.length;
      return { name: `season ${index}`, startDate, endDate, dailyRate: spec.dailyRate };
    });
  });
const handOverArbitrary = fc.record({
  landmark: fc.option(fc.constantFrom('phuket-airport', 'patong-beach'), { nil: null }),
  deliveryFee: fc.integer({ min: 0, max: 10_000_000 }),
  afterHoursFee: fc.integer({ min: 0, max: 10_000_000 }),
});
const inputArbitrary = fc
  .record({
    dailyRate: fc.integer({ min: 1, max: 5_000_000 }),
    depositAmount: fc.integer({ min: 0, max: 10_000_000 }),
    startOffset: fc.integer({ min: 0, max: 120 }),
    days: fc.integer({ min: 1, max: 90 }),
    // In any order: the pricing function sorts them itself.
    seasons: seasonsArbitrary.chain((seasons) => fc.shuffledSubarray(seasons, { minLength: seasons.length })),
    weeklyDays: fc.integer({ min: 2, max: 60 }),
    monthlyExtra: fc.integer({ min: 1, max: 30 }),
    weeklyPercent: fc.integer({ min: 0, max: 90 }),
    monthlyPercent: fc.integer({ min: 0, max: 90 }),
    pickup: handOverArbitrary,
    return: handOverArbitrary,
  })
  .map((draw): RentalPriceInput => ({
    dailyRate: draw.dailyRate,
    depositAmount: draw.depositAmount,
    startDate: addDays(WINDOW_START, draw.startOffset),
    endDate: addDays(WINDOW_START, draw.startOffset + draw.days - 1),
    seasons: draw.seasons,
    lengthDiscounts: {
      weekly: { fromDays: draw.weeklyDays, percent: draw.weeklyPercent },
      monthly: { fromDays: draw.weeklyDays + draw.monthlyExtra, percent: draw.monthlyPercent },
    },
    pickup: draw.pickup,
    return: draw.return,
  }));

describe('priceRental: properties over random cars and rentals (fast-check, fixed seed)', () => {
  const options = { seed: FC_SEED, numRuns: FC_RUNS };

  it('the runs cover every day of the rental exactly once, in order, each at the rate of its day', () => {
    fc.assert(
      fc.property(inputArbitrary, (input) => {
        const { daily_rates: runs } = priceRental(input).breakdown;
        const rateOf = (day: string) => input.seasons!.find((season) => season.startDate <= day && day <= season.endDate)?.dailyRate ?? input.dailyRate;
        const days: string[] = [];
        for (const run of runs) {
          expect(run.days).toBe(rentalDays(run.start_date, run.end_date));
          expect(run.days).toBeGreaterThan(0);
          for (let day = run.start_date; day <= run.end_date; day = addDays(day, 1)) {
            expect(rateOf(day), day).toBe(run.daily_rate);
            days.push(day);
          }
        }
        const expected = Array.from({ length: rentalDays(input.startDate, input.endDate) }, (_, index) => addDays(input.startDate, index));
        expect(days).toEqual(expected);
      }),
      options,
    );
  });

  it('the subtotal is reproduced from the breakdown alone, and the discount is the largest percent of the tiers reached', () => {
    fc.assert(
      fc.property(inputArbitrary, (input) => {
        const price = priceRental(input);
        const { breakdown } = price;
        const rental = breakdown.daily_rates.reduce((sum, run) => sum + run.days * run.daily_rate, 0);
        expect(breakdown.rental).toBe(rental);
        const tiers = input.lengthDiscounts!;
        const reached = [tiers.weekly, tiers.monthly].filter((tier) => price.days >= tier.fromDays);
        const percent = Math.max(0, ...reached.map((tier) => tier.percent));
        expect(breakdown.length_discount).toEqual({ percent, amount: percentOf(rental, percent * 100) });
        const handOvers = [breakdown.pickup, breakdown.return].reduce((sum, charge) => sum + charge.delivery_fee + charge.after_hours_fee, 0);
        expect(price.subtotal).toBe(rental - breakdown.length_discount.amount + handOvers);
        expect(price.daily_rate_at_booking).toBe(Math.floor((2 * rental + price.days) / (2 * price.days)));
      }),
      options,
    );
  });

  it('total = subtotal + fees + tax, fees and tax from the configured rates', () => {
    fc.assert(
      fc.property(inputArbitrary, fc.integer({ min: 0, max: 10_000 }), fc.integer({ min: 0, max: 10_000 }), (input, serviceFeeBps, vatBps) => {
        const price = priceRental(input, { serviceFeeBps, vatBps });
        expect(price.fees).toBe(percentOf(price.subtotal, serviceFeeBps));
        expect(price.tax).toBe(percentOf(price.subtotal + price.fees, vatBps));
        expect(price.total_price).toBe(price.subtotal + price.fees + price.tax);
        expect(price.deposit_amount).toBe(input.depositAmount);
      }),
      options,
    );
  });
});
