import { sql, type Expression, type Kysely, type RawBuilder } from 'kysely';
import { addDays, dayNumber, rentalDays, startOfBangkokDay, todayInBangkok } from '../availability/dates';
import type { Database } from '../database';
import { RentalRuleBroken } from '../errors';
import { priceRental, type LengthDiscounts, type PricingRates, type RentalPrice, type RentalPriceInput, type SeasonRate } from './pricing';

export { RENTAL_RULES, type RentalRule } from '../errors';

/** When a request names no time, the car is picked up and returned at 10:00 (Bangkok). */
export const DEFAULT_HAND_OVER_TIME = '10:00';

/** One weekday's opening hours, 'HH:MM' (ISO weekday: 1 Monday … 7 Sunday). */
export interface OpeningHours {
  weekday: number;
  opens: string;
  closes: string;
}

/**
 * Everything a car's price and rules are computed from: the car's own terms and its agency's.
 * Read in one query (rentalTermsJson()); the versions let hold_booking() refuse a booking priced
 * from terms that changed since.
 */
export interface RentalTerms {
  carId: string;
  agencyId: string;
  carTermsVersion: number;
  agencyTermsVersion: number;
  dailyRate: number;
  depositAmount: number;
  seasons: (SeasonRate & { minRentalDays: number | null })[];
  lengthDiscounts: LengthDiscounts;
  minRentalDays: number;
  minNoticeHours: number;
  maxLeadDays: number | null;
  turnaroundDays: number;
  /** Empty: the agency has set no hours and hands cars over at any time. */
  openingHours: OpeningHours[];
  /** Per hand-over outside the opening hours; null: not offered (such a hand-over is refused). */
  afterHoursFee: number | null;
  /** Landmark slug → fee per hand-over there. */
  deliveryFees: Record<string, number>;
}

/** What a traveller asks for: the days, and when and where the car changes hands. */
export interface RentalRequest {
  startDate: string;
  endDate: string;
  /** 'HH:MM' in Bangkok. */
  pickupTime: string;
  returnTime: string;
  /** A landmark slug to deliver to / collect from; null: the agency's own address. */
  pickupLandmark: string | null;
  returnLandmark: string | null;
}

/** A request as a client may send it: the days, and hand-over times and places it may leave out. */
export type AskedRentalRequest = Pick<RentalRequest, 'startDate' | 'endDate'> & {
  pickupTime?: string | undefined;
  returnTime?: string | undefined;
  pickupLandmark?: string | null | undefined;
  returnLandmark?: string | null | undefined;
};

/** The request with the defaults filled in: a time left out is DEFAULT_HAND_OVER_TIME, a place left out the agency's own address. */
export function rentalRequestWithDefaults(asked: AskedRentalRequest): RentalRequest {
  return {
    startDate: asked.startDate,
    endDate: asked.endDate,
    pickupTime: asked.pickupTime ?? DEFAULT_HAND_OVER_TIME,
    returnTime: asked.returnTime ?? DEFAULT_HAND_OVER_TIME,
    pickupLandmark: asked.pickupLandmark ?? null,
    returnLandmark: asked.returnLandmark ?? null,
  };
}

/** A request for the dates alone: pick-up and return at the agency, at the default time. */
export function datesOnly(startDate: string, endDate: string): RentalRequest {
  return rentalRequestWithDefaults({ startDate, endDate });
}

/** The minimum rental for a request starting on `startDate`: the car's, or its season's when stricter. */
export function minimumRentalDays(terms: RentalTerms, startDate: string): number {
  const season = terms.seasons.find((candidate) => candidate.startDate <= startDate && startDate <= candidate.endDate);
  return Math.max(terms.minRentalDays, season?.minRentalDays ?? 1);
}

/** Whether a hand-over at `time` on `date` is inside the agency's opening hours (opens ≤ time < closes). */
export function isWithinOpeningHours(hours: OpeningHours[], date: string, time: string): boolean {
  if (hours.length === 0) return true;
  const day = hours.find((candidate) => candidate.weekday === isoWeekday(date));
  return day !== undefined && day.opens <= time && time < day.closes;
}

/** 1 Monday … 7 Sunday. */
export function isoWeekday(date: string): number {
  // 1970-01-01 was a Thursday (4).
  return ((((dayNumber(date) + 3) % 7) + 7) % 7) + 1;
}

/**
 * The first of the car's rules the request breaks, as the 409 to answer, or undefined. In the
 * order a traveller fixes them: length, notice, lead time, places, hours. Search lists only
 * cars for which this is undefined (the same rules in SQL, core/search/).
 */
export function rentalRuleBroken(terms: RentalTerms, request: RentalRequest, now: Date): RentalRuleBroken | undefined {
  const days = rentalDays(request.startDate, request.endDate);
  const minimum = minimumRentalDays(terms, request.startDate);
  if (days < minimum) {
    return new RentalRuleBroken('min_rental_days', `This car is rented for at least ${minimum} days from ${request.startDate}; ${days} were asked for.`);
  }
  if (terms.minNoticeHours > 0) {
    const pickupAt = startOfBangkokDay(request.startDate).getTime() + minutesOfDay(request.pickupTime) * 60_000;
    if (pickupAt < now.getTime() + terms.minNoticeHours * 3_600_000) {
      return new RentalRuleBroken(
        'min_notice',
        `This car needs ${terms.minNoticeHours} hours' notice before pick-up; pick it up at ${request.pickupTime} on ${request.startDate} at the earliest ${terms.minNoticeHours} hours from now.`,
      );
    }
  }
  if (terms.maxLeadDays !== null) {
    const latest = addDays(todayInBangkok(now), terms.maxLeadDays);
    if (request.startDate > latest) {
      return new RentalRuleBroken('max_lead_days', `This car can be booked at most ${terms.maxLeadDays} days ahead: start on ${latest} at the latest.`);
    }
  }
  for (const [hand, landmark] of [
    ['pick-up', request.pickupLandmark],
    ['return', request.returnLandmark],
  ] as const) {
    if (landmark !== null && terms.deliveryFees[landmark] === undefined) {
      return new RentalRuleBroken(
        'delivery',
        `The agency does not deliver to or collect from ${landmark}; choose one of its delivery places for the ${hand}, or its own address.`,
      );
    }
  }
  if (terms.afterHoursFee === null) {
    for (const [hand, date, time] of [
      ['pick-up', request.startDate, request.pickupTime],
      ['return', request.endDate, request.returnTime],
    ] as const) {
      if (!isWithinOpeningHours(terms.openingHours, date, time)) {
        return new RentalRuleBroken('opening_hours', `The agency is closed at ${time} on ${date} (the ${hand}) and does not hand cars over after hours.`);
      }
    }
  }
  return undefined;
}

/** The pricing function's input for a request the rules allow (rentalRuleBroken() first). */
export function rentalPriceInput(terms: RentalTerms, request: RentalRequest): RentalPriceInput {
  const handOver = (landmark: string | null, date: string, time: string) => ({
    landmark,
    deliveryFee: landmark === null ? 0 : requireDeliveryFee(terms, landmark),
    afterHoursFee: isWithinOpeningHours(terms.openingHours, date, time) ? 0 : requireAfterHoursFee(terms),
  });
  return {
    dailyRate: terms.dailyRate,
    depositAmount: terms.depositAmount,
    startDate: request.startDate,
    endDate: request.endDate,
    seasons: terms.seasons,
    lengthDiscounts: terms.lengthDiscounts,
    pickup: handOver(request.pickupLandmark, request.startDate, request.pickupTime),
    return: handOver(request.returnLandmark, request.endDate, request.returnTime),
  };
}

/** THE price of a request for a car, as search, car detail and booking show and charge it. */
export function quoteRental(terms: RentalTerms, request: RentalRequest, rates: PricingRates): RentalPrice {
  return priceRental(rentalPriceInput(terms, request), rates);
}

function requireDeliveryFee(terms: RentalTerms, landmark: string): number {
  const fee = terms.deliveryFees[landmark];
  if (fee === undefined) throw new RentalRuleBroken('delivery', `The agency does not deliver to or collect from ${landmark}.`);
  return fee;
}

function requireAfterHoursFee(terms: RentalTerms): number {
  if (terms.afterHoursFee === null) throw new RentalRuleBroken('opening_hours', 'The agency does not hand cars over outside its opening hours.');
  return terms.afterHoursFee;
}

function minutesOfDay(time: string): number {
  const [hours, minutes] = time.split(':').map(Number) as [number, number];
  return hours * 60 + minutes;
}

/**
 * A car's rental terms as one JSON value, for any query over `cars AS <car>` joined with
 * `agencies AS <agency>`; parseRentalTerms() reads it back. With `stay`, only the seasons
 * overlapping those days: all that pricing and the rules of a rental of them read (search, which
 * reads the terms of every car it walks, sends ~1 kB less a car).
 */
export function rentalTermsJson(car: string, agency: string, stay?: { startDate: string; endDate: string }): RawBuilder<RentalTermsRow> {
  const c = (column: string) => sql.ref(`${car}.${column}`);
  const a = (column: string) => sql.ref(`${agency}.${column}`);
  // ISO dates compare as strings.
  const seasons = stay
    ? sql`jsonb_path_query_array(${c('seasons_json')}, '$[*] ? (@.end_date >= $start && @.start_date <= $end)',
        jsonb_build_object('start', ${stay.startDate}::text, 'end', ${stay.endDate}::text))`
    : c('seasons_json');
  // The three lists are derived columns the terms triggers keep (migration 0015).
  return sql<RentalTermsRow>`json_build_object(
    'car_id', ${c('id')}, 'agency_id', ${a('id')},
    'car_terms_version', ${c('terms_version')}, 'agency_terms_version', ${a('terms_version')},
    'daily_rate', ${c('daily_rate')}, 'deposit_amount', ${c('deposit_amount')},
    'weekly_discount_days', ${c('weekly_discount_days')}, 'weekly_discount_percent', ${c('weekly_discount_percent')},
    'monthly_discount_days', ${c('monthly_discount_days')}, 'monthly_discount_percent', ${c('monthly_discount_percent')},
    'min_rental_days', ${c('min_rental_days')}, 'min_notice_hours', ${c('min_notice_hours')},
    'max_lead_days', ${c('max_lead_days')}, 'turnaround_days', ${c('turnaround_days')},
    'after_hours_fee', ${a('after_hours_fee')},
    'seasons', ${seasons}, 'opening_hours', ${a('opening_hours_json')}, 'delivery', ${a('delivery_json')}
  )`;
}

/** rentalTermsJson()'s value as node-postgres returns it. */
export interface RentalTermsRow {
  car_id: string;
  agency_id: string;
  car_terms_version: number;
  agency_terms_version: number;
  daily_rate: number;
  deposit_amount: number;
  weekly_discount_days: number;
  weekly_discount_percent: number;
  monthly_discount_days: number;
  monthly_discount_percent: number;
  min_rental_days: number;
  min_notice_hours: number;
  max_lead_days: number | null;
  turnaround_days: number;
  after_hours_fee: number | null;
  seasons: { name: string; start_date: string; end_date: string; daily_rate: number; min_rental_days: number | null }[];
  opening_hours: OpeningHours[];
  delivery: { landmark: string; fee: number }[];
}

export function parseRentalTerms(row: RentalTermsRow): RentalTerms {
  return {
    carId: row.car_id,
    agencyId: row.agency_id,
    carTermsVersion: row.car_terms_version,
    agencyTermsVersion: row.agency_terms_version,
    dailyRate: row.daily_rate,
    depositAmount: row.deposit_amount,
    seasons: row.seasons.map((season) => ({
      name: season.name,
      startDate: season.start_date,
      endDate: season.end_date,
      dailyRate: season.daily_rate,
      minRentalDays: season.min_rental_days,
    })),
    lengthDiscounts: {
      weekly: { fromDays: row.weekly_discount_days, percent: row.weekly_discount_percent },
      monthly: { fromDays: row.monthly_discount_days, percent: row.monthly_discount_percent },
    },
    minRentalDays: row.min_rental_days,
    minNoticeHours: row.min_notice_hours,
    maxLeadDays: row.max_lead_days,
    turnaroundDays: row.turnaround_days,
    openingHours: row.opening_hours,
    afterHoursFee: row.after_hours_fee,
    deliveryFees: Object.fromEntries(row.delivery.map((option) => [option.landmark, option.fee])),
  };
}

/** The terms of one published, non-deleted car (undefined otherwise), in one query. */
export async function loadRentalTerms(db: Kysely<Database>, carId: Expression<string> | string): Promise<RentalTerms | undefined> {
  const row = await db
    .selectFrom('cars as c')
    .innerJoin('agencies as a', 'a.id', 'c.agency_id')
    .select(rentalTermsJson('c', 'a').as('terms'))
    .where('c.id', '=', carId)
    .where('c.is_published', '=', true)
    .where('c.deleted_at', 'is', null)
    .executeTakeFirst();
  return row ? parseRentalTerms(row.terms) : undefined;
}
