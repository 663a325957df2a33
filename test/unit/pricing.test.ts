import { describe, expect, it } from 'vitest';
import { DEFAULT_PRICING_RATES, percentOf, priceRental } from '#core/pricing/pricing';

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
