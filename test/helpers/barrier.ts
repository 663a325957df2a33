import { sql, type Kysely } from 'kysely';
import type { Database } from '#core/database';

/**
 * A barrier inside the database, for races of bookings: holds the cars' rows FOR UPDATE while
 * `start` sends its requests, until `parties` backends are waiting on a lock, then lets them all
 * go at once. A booking's hold (hold_booking(), migration 2026_12_03_0012) takes its car's row
 * FOR KEY SHARE after counting the customer's hold limits and right before its insert, so the
 * requests released together count and insert at the same moment: the worst case a constraint
 * or a lock must survive. (A barrier in Node, before the call, would not be one: each call takes
 * about a millisecond, and on two cores they would mostly run one after another.)
 * Gives up waiting after 20 s and releases anyway: the test's own assertions then fail.
 */
export async function raceAtCarLocks<T>(db: Kysely<Database>, carIds: readonly string[], parties: number, start: () => Promise<T>): Promise<T> {
  return db.connection().execute(async (holder) => {
    await sql`BEGIN`.execute(holder);
    await sql`SELECT 1 FROM cars WHERE id = ANY(${[...carIds]}::uuid[]) FOR UPDATE`.execute(holder);
    const running = start();
    running.catch(() => undefined); // its rejection is the caller's, after the release
    const deadline = Date.now() + 20_000;
    while (Date.now() < deadline) {
      const { rows } = await sql<{ waiting: number }>`
        SELECT count(*)::int AS waiting FROM pg_stat_activity
        WHERE datname = current_database() AND wait_event_type = 'Lock'`.execute(db);
      if (rows[0]!.waiting >= parties) break;
      await new Promise((resolve) => setTimeout(resolve, 10));
    }
    await sql`COMMIT`.execute(holder);
    return running;
  });
}
