import { sql, type Kysely } from 'kysely';
import type { Database } from '../database';
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

/**
 * Refuses a new booking beyond the customer's limits with 429 and a Retry-After that says when
 * a slot frees up (the first live hold's expiry, or the hour's oldest booking ageing out).
 *
 * Call it inside the booking transaction, before the insert. It first locks the customer's
 * users row (FOR NO KEY UPDATE: it queues the same customer's other booking transactions here
 * until this one commits, but not the foreign-key checks of anyone else's writes), so parallel
 * requests of one customer are counted one after another and cannot all slip past a count that
 * each would see as under the limit. `lock: false` exists only for the test that proves it.
 */
export async function assertWithinHoldLimits(
  trx: Kysely<Database>,
  customerId: string,
  limits: HoldLimits,
  options: { lock: boolean } = { lock: true },
): Promise<void> {
  if (options.lock) {
    await trx.selectFrom('users').select('id').where('id', '=', customerId).forNoKeyUpdate().execute();
  }
  // A live hold is at most 15 minutes old, so the last hour's bookings include every one of them
  // (and reservations_customer_idx serves the whole count).
  const usage = await trx
    .selectFrom('reservations')
    .select([
      sql<number>`count(*) FILTER (WHERE status = 'pending' AND expires_at > now())::int`.as('unpaid'),
      sql<number>`coalesce(extract(epoch FROM min(expires_at) FILTER (WHERE status = 'pending' AND expires_at > now()) - now()), 0)::float8`.as('first_hold_frees_in'),
      sql<number>`count(*)::int`.as('last_hour'),
      sql<number>`coalesce(extract(epoch FROM min(created_at) + interval '1 hour' - now()), 0)::float8`.as('hour_slot_frees_in'),
    ])
    .where('customer_id', '=', customerId)
    .where('kind', '=', 'booking')
    .where('created_at', '>', sql<Date>`now() - interval '1 hour'`)
    .executeTakeFirstOrThrow();
  if (usage.unpaid >= limits.maxUnpaidHolds) {
    throw new TooManyRequests(
      `You already hold ${usage.unpaid} unpaid booking${usage.unpaid === 1 ? '' : 's'}, the most at once (${limits.maxUnpaidHolds}). Pay the deposit of one or cancel it, or wait until a hold expires.`,
      usage.first_hold_frees_in,
      { extensions: { limit: 'unpaid_holds', max: limits.maxUnpaidHolds } },
    );
  }
  if (usage.last_hour >= limits.maxBookingsPerHour) {
    throw new TooManyRequests(
      `You have made ${usage.last_hour} bookings in the last hour, the most allowed (${limits.maxBookingsPerHour}). Please try again later.`,
      usage.hour_slot_frees_in,
      { extensions: { limit: 'bookings_per_hour', max: limits.maxBookingsPerHour } },
    );
  }
}
