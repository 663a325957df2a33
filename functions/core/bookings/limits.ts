import { TooManyRequests } from '../errors';

/**
 * How much of the fleet one customer may tie up. Without limits one fresh account held every
 * published car for a three-month window with unpaid 15-minute holds, and cancel-and-rebook
 * kept it going forever. The per-IP layer in front (the WAF rate rule, lib/waf-stack.ts) slows
 * a flood of requests; these limits stop a slow, patient hoarder, per account, whatever IP it
 * comes from.
 */
export interface HoldLimits {
  /** Unpaid (pending, live) holds a customer may have at once. */
  maxUnpaidHolds: number;
  /** Bookings a customer may create in any rolling hour (paid, unpaid, cancelled alike). */
  maxBookingsPerHour: number;
}

export const DEFAULT_HOLD_LIMITS: HoldLimits = { maxUnpaidHolds: 2, maxBookingsPerHour: 6 };

/** What hold_booking() (migration 2026_12_03_0012) says in the DETAIL of its RB429 refusal. */
export interface HoldLimitReached {
  limit: 'unpaid_holds' | 'bookings_per_hour';
  count: number;
  /** When a slot frees up: the first live hold's expiry, or the hour's oldest booking ageing out. */
  retry_after_seconds: number;
}

/**
 * The 429 for a booking beyond the customer's limits, with a Retry-After that says when a slot
 * frees up. The limits are counted in the booking's hold, hold_booking(), under a lock on the
 * customer's row (FOR NO KEY UPDATE: it queues the same customer's other bookings there, but
 * not the foreign-key checks of anyone else's writes), so parallel requests of one customer
 * are counted one after another and cannot all slip past a count that each would see as under
 * the limit.
 */
export function holdLimitRefusal(reached: HoldLimitReached, limits: HoldLimits): TooManyRequests {
  if (reached.limit === 'unpaid_holds') {
    return new TooManyRequests(
      `You already hold ${reached.count} unpaid booking${reached.count === 1 ? '' : 's'}, the most at once (${limits.maxUnpaidHolds}). Pay the deposit of one or cancel it, or wait until a hold expires.`,
      reached.retry_after_seconds,
      { extensions: { limit: 'unpaid_holds', max: limits.maxUnpaidHolds } },
    );
  }
  return new TooManyRequests(
    `You have made ${reached.count} bookings in the last hour, the most allowed (${limits.maxBookingsPerHour}). Please try again later.`,
    reached.retry_after_seconds,
    { extensions: { limit: 'bookings_per_hour', max: limits.maxBookingsPerHour } },
  );
}
