import { rentalDays } from '../availability/dates';

/**
 * Marketplace charges on top of the agency's daily rate, in basis points (1 bp = 0.01 %).
 * The service fee is charged on the subtotal; VAT on the subtotal plus the fee.
 */
export interface PricingRates {
  serviceFeeBps: number;
  vatBps: number;
}

/** 5 % service fee, 7 % Thai VAT. Deployments override them through the environment. */
export const DEFAULT_PRICING_RATES: PricingRates = { serviceFeeBps: 500, vatBps: 700 };

export interface RentalPriceInput {
  /** The car's daily rate now, in satang; stored on a booking as daily_rate_at_booking. */
  dailyRate: number;
  depositAmount: number;
  /** 'YYYY-MM-DD', inclusive. */
  startDate: string;
  /** 'YYYY-MM-DD', inclusive. */
  endDate: string;
}

/** Every amount in integer satang (THB minor units). */
export interface RentalPrice {
  days: number;
  daily_rate_at_booking: number;
  subtotal: number;
  fees: number;
  tax: number;
  total_price: number;
  deposit_amount: number;
  currency: 'thb';
}

/**
 * THE price of a rental, shown by search and car detail and stored on a booking.
 *
 * days      = end − start + 1 (inclusive on both ends; one day when start = end)
 * subtotal  = daily rate × days
 * fees      = subtotal × service fee rate, rounded half-up to a satang
 * tax       = (subtotal + fees) × VAT rate, rounded half-up to a satang
 * total     = subtotal + fees + tax (the deposit is held separately, not part of the total)
 *
 * Integer arithmetic only: amount × bps is exact below 2^53, and half-up rounding is
 * floor((amount × bps + 5000) / 10000), taken with an exact integer remainder: no float ever rounds.
 */
export function priceRental(input: RentalPriceInput, rates: PricingRates = DEFAULT_PRICING_RATES): RentalPrice {
  assertSatang('dailyRate', input.dailyRate);
  assertSatang('depositAmount', input.depositAmount);
  assertBps('serviceFeeBps', rates.serviceFeeBps);
  assertBps('vatBps', rates.vatBps);
  const days = rentalDays(input.startDate, input.endDate);
  if (days < 1) throw new RangeError(`The rental ends (${input.endDate}) before it starts (${input.startDate}).`);
  const subtotal = input.dailyRate * days;
  const fees = percentOf(subtotal, rates.serviceFeeBps);
  const tax = percentOf(subtotal + fees, rates.vatBps);
  return {
    days,
    daily_rate_at_booking: input.dailyRate,
    subtotal,
    fees,
    tax,
    total_price: subtotal + fees + tax,
    deposit_amount: input.depositAmount,
    currency: 'thb',
  };
}

/** amount × bps / 10 000, rounded half-up (amount and bps are non-negative integers). */
export function percentOf(amount: number, bps: number): number {
  const scaled = amount * bps + 5_000;
  if (!Number.isSafeInteger(scaled)) throw new RangeError(`${amount} × ${bps} bp is too large to price exactly.`);
  // Subtracting the remainder first keeps the division exact (a float quotient near 2^53 is not).
  return (scaled - (scaled % 10_000)) / 10_000;
}

function assertSatang(name: string, value: number): void {
  if (!Number.isSafeInteger(value) || value < 0) throw new RangeError(`${name} must be a non-negative integer amount of satang, got ${value}.`);
}

function assertBps(name: string, value: number): void {
  if (!Number.isInteger(value) || value < 0 || value > 10_000) throw new RangeError(`${name} must be an integer 0..10000 basis points, got ${value}.`);
}
