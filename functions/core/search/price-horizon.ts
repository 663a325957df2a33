import { sql, type Kysely } from 'kysely';
import type { Database } from '../database';

/** Cars whose rows one call of extend_price_segment_horizon() rewrites at most: a short transaction each. */
const HORIZON_BATCH = 500;

/**
 * Keeps car_price_segments reaching as far as a search can (migration 0017): its rows are kept
 * by calendar month from this month on, and a car's rows are rewritten only when the car or its
 * seasons change, so each day the job rewrites those of cars whose rows stop too soon. A car
 * rewritten today reaches 30 months ahead; the rows are rewritten once they reach less than 28
 * (the latest stay ends 24 months and 89 days ahead), so a missed day or two loses nothing.
 * Returns how many cars it rewrote.
 */
export async function extendPriceHorizon(db: Kysely<Database>): Promise<number> {
  let total = 0;
  for (;;) {
    const { rows } = await sql<{ rewritten: number }>`SELECT extend_price_segment_horizon(${HORIZON_BATCH}::int4) AS rewritten`.execute(db);
    const rewritten = rows[0]!.rewritten;
    total += rewritten;
    if (rewritten < HORIZON_BATCH) return total;
  }
}
