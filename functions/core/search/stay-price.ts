import { sql, type RawBuilder, type SqlBool } from 'kysely';
import { dayNumber, rentalDays, startOfBangkokDay, todayInBangkok } from '../availability/dates';
import { isoWeekday, type RentalRequest } from '../pricing/terms';

/**
 * The price of a stay and the rental rules, in SQL, for search: the same arithmetic as
 * priceRental() and the same rules as rentalRuleBroken() (core/pricing/), which
 * test/integration/search-stay-price.test.ts holds equal for random cars, seasons, discounts,
 * hours and dates. Search orders, filters and pages by the stay price; the price it shows is
 * quoteRental()'s, computed in Node from the page's terms.
 */

/** A search request as the SQL below reads it: the days, and the hand-overs' weekdays and times, fixed in Node. */
export interface Stay {
  startDate: string;
  endDate: string;
  days: number;
  pickupTime: string;
  returnTime: string;
  /** ISO weekday (1 Monday … 7 Sunday) of the pick-up and of the return. */
  pickupWeekday: number;
  returnWeekday: number;
  /** Milliseconds from now to the pick-up (start_date at pickup_time, Bangkok); negative when past. */
  msUntilPickup: number;
  /** Days from today (Bangkok) to start_date. */
  daysAhead: number;
}

export function stayOf(request: Pick<RentalRequest, 'startDate' | 'endDate' | 'pickupTime' | 'returnTime'>, now: Date): Stay {
  const [hours, minutes] = request.pickupTime.split(':').map(Number) as [number, number];
  const pickupAt = startOfBangkokDay(request.startDate).getTime() + (hours * 60 + minutes) * 60_000;
  return {
    startDate: request.startDate,
    endDate: request.endDate,
    days: rentalDays(request.startDate, request.endDate),
    pickupTime: request.pickupTime,
    returnTime: request.returnTime,
    pickupWeekday: isoWeekday(request.startDate),
    returnWeekday: isoWeekday(request.endDate),
    msUntilPickup: pickupAt - now.getTime(),
    daysAhead: dayNumber(request.startDate) - dayNumber(todayInBangkok(now)),
  };
}

const column = (alias: string, name: string) => sql.ref(`${alias}.${name}`);

/**
 * The per-car and per-agency lookups stayPrice() and stayAllowed() read, as LATERAL joins for a
 * query over `cars AS <car>` joined with `agencies AS <agency>` (one scan of each's few rows):
 * - car_stay.rental: the sum of the stay's days' rates (base rate × days + Σ seasons overlapping
 *   the stay (season rate − base rate) × days overlapped), and car_stay.season_min_days: the
 *   minimum of the season covering the start, if any;
 * - hand_overs.pickup_outside / return_outside: the agency has opening hours and none of the
 *   hand-over's weekday contains its time (opens ≤ time < closes).
 */
export function stayJoins(car: string, agency: string, stay: Stay): RawBuilder<unknown> {
  const c = (name: string) => column(car, name);
  const open = (weekday: number, time: string) => sql`h.weekday = ${weekday}::int2 AND h.opens <= ${time}::time AND ${time}::time < h.closes`;
  return sql`CROSS JOIN LATERAL (
      SELECT ${c('daily_rate')}::int8 * ${stay.days}::int8 + coalesce(sum((s.daily_rate - ${c('daily_rate')})::int8
               * (least(s.end_date, ${stay.endDate}::date) - greatest(s.start_date, ${stay.startDate}::date) + 1)), 0)::int8 AS rental,
             max(s.min_rental_days) FILTER (WHERE s.start_date <= ${stay.startDate}::date) AS season_min_days
      FROM car_seasons AS s
      WHERE s.car_id = ${c('id')} AND s.end_date >= ${stay.startDate}::date AND s.start_date <= ${stay.endDate}::date) AS car_stay
    CROSS JOIN LATERAL (
      SELECT count(*) > 0 AND NOT coalesce(bool_or(${open(stay.pickupWeekday, stay.pickupTime)}), false) AS pickup_outside,
             count(*) > 0 AND NOT coalesce(bool_or(${open(stay.returnWeekday, stay.returnTime)}), false) AS return_outside
      FROM agency_opening_hours AS h
      WHERE h.agency_id = ${column(agency, 'id')}) AS hand_overs`;
}

/**
 * THE stay price as search orders and filters by it (int8, satang), over stayJoins():
 *
 *   rental   = car_stay.rental: each day at its season's rate, else the base rate
 *   discount = rental × the largest percent of the tiers reached, half-up (percentOf: floor((rental × bps + 5000) / 10000))
 *   key      = rental − discount
 *
 * = priceRental()'s subtotal without the hand-over charges: the price of the days. Delivery and
 * after-hours fees depend on where and when the car changes hands, not on the car's days, and
 * are shown in each result's total_price; leaving them out keeps the key a function of the
 * car's rates alone, which car_price_segments bounds exactly (migrations 0016, 0017). A car whose agency
 * is closed at a hand-over and offers no after-hours fee is not bookable at all (stayAllowed()).
 */
export function stayPrice(car: string, stay: Stay): RawBuilder<number> {
  const c = (name: string) => column(car, name);
  const days = sql`${stay.days}::int4`;
  const percent = sql`greatest(CASE WHEN ${days} >= ${c('monthly_discount_days')} THEN ${c('monthly_discount_percent')} ELSE 0 END,
      CASE WHEN ${days} >= ${c('weekly_discount_days')} THEN ${c('weekly_discount_percent')} ELSE 0 END)`;
  return sql<number>`(car_stay.rental - (car_stay.rental * (${percent}) * 100 + 5000) / 10000)`;
}

/**
 * The rental rules of rentalRuleBroken() but the delivery place's (search delivers nowhere unless
 * asked, and then shows whether it can), over stayJoins(): length (the car's minimum, or the
 * minimum of the season covering the start when stricter), notice (only when the car asks for
 * some), lead time, and both hand-overs inside the opening hours unless the agency offers an
 * after-hours fee. Availability (conflictExists) is checked apart, last, as the most expensive.
 */
export function stayAllowed(car: string, agency: string, stay: Stay): RawBuilder<SqlBool> {
  const c = (name: string) => column(car, name);
  const days = sql`${stay.days}::int4`;
  return sql<SqlBool>`${days} >= ${c('min_rental_days')}
    AND ${days} >= coalesce(car_stay.season_min_days, 1)
    AND (${c('min_notice_hours')} = 0 OR ${c('min_notice_hours')} * 3600000::int8 <= ${stay.msUntilPickup}::int8)
    AND (${c('max_lead_days')} IS NULL OR ${stay.daysAhead}::int4 <= ${c('max_lead_days')})
    AND (${column(agency, 'after_hours_fee')} IS NOT NULL OR NOT (hand_overs.pickup_outside OR hand_overs.return_outside))`;
}
