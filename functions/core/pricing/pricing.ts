import { addDays, rentalDays } from '../availability/dates';

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

/** A car's rate over some of its days (a season or a one-off peak), both ends included. */
export interface SeasonRate {
  name: string;
  /** 'YYYY-MM-DD', inclusive. */
  startDate: string;
  endDate: string;
  dailyRate: number;
}

/** Percent off the rental (the sum of its days' rates) from a number of days on. */
export interface LengthDiscount {
  fromDays: number;
  percent: number;
}

/** The weekly and monthly tiers; the largest percent of the tiers a rental reaches applies, alone. */
export interface LengthDiscounts {
  weekly: LengthDiscount;
  monthly: LengthDiscount;
}

/** What one hand-over (the pick-up or the return) costs on top of the days. */
export interface HandOverCharge {
  /** The landmark the car is delivered to or collected from; null: the agency's own address. */
  landmark: string | null;
  deliveryFee: number;
  /** The agency's after-hours fee when the hand-over is outside its opening hours, else 0. */
  afterHoursFee: number;
}

export interface RentalPriceInput {
  /** The car's base daily rate: every day no season covers. */
  dailyRate: number;
  depositAmount: number;
  /** 'YYYY-MM-DD', inclusive. */
  startDate: string;
  /** 'YYYY-MM-DD', inclusive. */
  endDate: string;
  /** At most one covers any day (the database refuses overlapping seasons). */
  seasons?: readonly SeasonRate[];
  lengthDiscounts?: LengthDiscounts;
  pickup?: HandOverCharge;
  return?: HandOverCharge;
}

/** A run of consecutive days at one rate. */
export interface DailyRateRun {
  start_date: string;
  end_date: string;
  days: number;
  daily_rate: number;
  /** The season's name, or null for the car's base rate. */
  season: string | null;
}

/** How a subtotal is made up: stored with a booking and shown with every price (enough to reproduce it). */
export interface PriceBreakdown {
  /** Every day of the rental, in runs of one rate, in date order. */
  daily_rates: DailyRateRun[];
  /** The sum of the days' rates. */
  rental: number;
  length_discount: { percent: number; amount: number };
  pickup: { landmark: string | null; delivery_fee: number; after_hours_fee: number };
  return: { landmark: string | null; delivery_fee: number; after_hours_fee: number };
}

/** Every amount in integer satang (THB minor units). */
export interface RentalPrice {
  days: number;
  /** The rental's average daily rate before the length discount (rental ÷ days, half-up): the base rate when no season applies. */
  daily_rate_at_booking: number;
  subtotal: number;
  fees: number;
  tax: number;
  total_price: number;
  deposit_amount: number;
  currency: 'thb';
  breakdown: PriceBreakdown;
}

const NO_HAND_OVER_CHARGE: HandOverCharge = { landmark: null, deliveryFee: 0, afterHoursFee: 0 };

/**
 * THE price of a rental, shown by search and car detail and stored on a booking.
 *
 * days      = end − start + 1 (inclusive on both ends; one day when start = end)
 * rental    = the sum of each day's rate: its season's, else the car's base rate
 * discount  = rental × the largest length discount of the tiers reached, rounded half-up
 * subtotal  = rental − discount + delivery fees + after-hours fees (pick-up and return)
 * fees      = subtotal × service fee rate, rounded half-up to a satang
 * tax       = (subtotal + fees) × VAT rate, rounded half-up to a satang
 * total     = subtotal + fees + tax (the deposit is held separately, not part of the total)
 *
 * Integer arithmetic only: amount × bps is exact below 2^53, and half-up rounding is
 * floor((amount × bps + 5000) / 10000), taken with an exact integer remainder: no float ever rounds.
 * Search orders and filters by rental − discount + after-hours fees in SQL
 * (core/search/stay-price.ts), which a test holds equal to this function.
 */
export function priceRental(input: RentalPriceInput, rates: PricingRates = DEFAULT_PRICING_RATES): RentalPrice {
  assertSatang('dailyRate', input.dailyRate);
  assertSatang('depositAmount', input.depositAmount);
  assertBps('serviceFeeBps', rates.serviceFeeBps);
  assertBps('vatBps', rates.vatBps);
  const days = rentalDays(input.startDate, input.endDate);
  if (days < 1) throw new RangeError(`The rental ends (${input.endDate}) before it starts (${input.startDate}).`);
  const dailyRates = dailyRateRuns(input);
  const rental = dailyRates.reduce((sum, run) => sum + run.daily_rate * run.days, 0);
  const percent = lengthDiscountPercent(days, input.lengthDiscounts);
  const discount = percentOf(rental, percent * 100);
  const pickup = input.pickup ?? NO_HAND_OVER_CHARGE;
  const dropOff = input.return ?? NO_HAND_OVER_CHARGE;
  for (const [name, charge] of [
    ['pickup', pickup],
    ['return', dropOff],
  ] as const) {
    assertSatang(`${name}.deliveryFee`, charge.deliveryFee);
    assertSatang(`${name}.afterHoursFee`, charge.afterHoursFee);
  }
  const subtotal = rental - discount + pickup.deliveryFee + pickup.afterHoursFee + dropOff.deliveryFee + dropOff.afterHoursFee;
  const fees = percentOf(subtotal, rates.serviceFeeBps);
  const tax = percentOf(subtotal + fees, rates.vatBps);
  return {
    days,
    daily_rate_at_booking: Math.floor((2 * rental + days) / (2 * days)),
    subtotal,
    fees,
    tax,
    total_price: subtotal + fees + tax,
    deposit_amount: input.depositAmount,
    currency: 'thb',
    breakdown: {
      daily_rates: dailyRates,
      rental,
      length_discount: { percent, amount: discount },
      pickup: { landmark: pickup.landmark, delivery_fee: pickup.deliveryFee, after_hours_fee: pickup.afterHoursFee },
      return: { landmark: dropOff.landmark, delivery_fee: dropOff.deliveryFee, after_hours_fee: dropOff.afterHoursFee },
    },
  };
}

/**
 * The percent off a rental of `days` days: the largest of the tiers it reaches (so a monthly
 * tier left at 0 % never takes the weekly discount away from a longer rental), else none.
 */
export function lengthDiscountPercent(days: number, discounts: LengthDiscounts | undefined): number {
  if (!discounts) return 0;
  for (const tier of [discounts.weekly, discounts.monthly]) {
    if (!Number.isInteger(tier.percent) || tier.percent < 0 || tier.percent > 90)
      throw new RangeError(`A length discount must be 0..90 %, got ${tier.percent}.`);
  }
  const reached = [discounts.weekly, discounts.monthly].filter((tier) => days >= tier.fromDays).map((tier) => tier.percent);
  return Math.max(0, ...reached);
}

/** The rental's days in runs of one rate: each season's days at its rate, the rest at the base rate. */
function dailyRateRuns(input: RentalPriceInput): DailyRateRun[] {
  const seasons = [...(input.seasons ?? [])]
    .filter((season) => season.endDate >= input.startDate && season.startDate <= input.endDate)
    .sort((a, b) => (a.startDate < b.startDate ? -1 : 1));
  const runs: DailyRateRun[] = [];
  const push = (startDate: string, endDate: string, dailyRate: number, season: string | null) => {
    if (endDate < startDate) return;
    assertSatang(season === null ? 'dailyRate' : `season ${season} dailyRate`, dailyRate);
    runs.push({ start_date: startDate, end_date: endDate, days: rentalDays(startDate, endDate), daily_rate: dailyRate, season });
  };
  let next = input.startDate;
  for (const season of seasons) {
    const from = season.startDate > next ? season.startDate : next;
    push(next, addDays(from, -1), input.dailyRate, null);
    const to = season.endDate < input.endDate ? season.endDate : input.endDate;
    push(from, to, season.dailyRate, season.name);
    next = addDays(to, 1);
  }
  push(next, input.endDate, input.dailyRate, null);
  return runs;
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
