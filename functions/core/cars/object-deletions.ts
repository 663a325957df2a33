import { sql, type Kysely } from 'kysely';
import type { Database } from '../database';
import type { ImageStorage } from './image-storage';

/**
 * Photo objects to remove from the store (migration 2026_12_03_0013_object_deletions). A
 * transaction that deletes photo rows records their objects here and commits; the objects are
 * removed after the commit, so no store call happens while a transaction is open and none is
 * lost if the store fails: what the request could not remove, the scheduled job removes later.
 */

/** How long a claimed deletion is a worker's before another may take it over. */
export const OBJECT_DELETION_LEASE_SECONDS = 60;

/** Records, in the caller's transaction, objects to remove once it has committed. */
export async function scheduleObjectDeletions(trx: Kysely<Database>, keys: readonly string[]): Promise<void> {
  if (keys.length === 0) return;
  await trx
    .insertInto('object_deletions')
    .values([...new Set(keys)].map((s3_key) => ({ s3_key })))
    .onConflict((conflict) => conflict.column('s3_key').doNothing())
    .execute();
}

export interface ObjectDeletionRun {
  deleted: number;
  retrying: number;
}

/** Waits between tries: 30 s, 1 min, 2 min … at most an hour; objects are kept trying for. */
export function objectDeletionRetrySeconds(attempts: number): number {
  return Math.min(3600, 30 * 2 ** Math.max(0, attempts - 1));
}

/**
 * Removes due objects: these keys (right after the commit that scheduled them) or any due (the
 * job). Claims first (moves available_at ahead by the lease, SKIP LOCKED, no transaction kept
 * open), then calls the store, then forgets the rows, or records the error and when to retry.
 */
export async function runObjectDeletions(
  db: Kysely<Database>,
  storage: ImageStorage,
  options: { keys?: readonly string[]; limit?: number } = {},
): Promise<ObjectDeletionRun> {
  if (options.keys?.length === 0) return { deleted: 0, retrying: 0 };
  const claimed = await db
    .updateTable('object_deletions')
    .set({ attempts: sql<number>`attempts + 1`, available_at: sql<Date>`now() + make_interval(secs => ${OBJECT_DELETION_LEASE_SECONDS})` })
    .where('s3_key', 'in', (eb) => {
      let due = eb
        .selectFrom('object_deletions')
        .select('s3_key')
        .where('available_at', '<=', sql<Date>`now()`)
        .orderBy('available_at')
        .limit(options.limit ?? 500)
        .forUpdate()
        .skipLocked();
      if (options.keys) due = due.where('s3_key', 'in', options.keys);
      return due;
    })
    .returning(['s3_key', 'attempts'])
    .execute();
  if (claimed.length === 0) return { deleted: 0, retrying: 0 };
  const keys = claimed.map((row) => row.s3_key);
  try {
    await storage.delete(keys);
  } catch (error) {
    const attempts = Math.min(...claimed.map((row) => row.attempts));
    await db
      .updateTable('object_deletions')
      .set({
        available_at: sql<Date>`now() + make_interval(secs => ${objectDeletionRetrySeconds(attempts)})`,
        last_error: String(error instanceof Error ? error.message : error).slice(0, 1000),
      })
      .where('s3_key', 'in', keys)
      .execute();
    return { deleted: 0, retrying: keys.length };
  }
  await db.deleteFrom('object_deletions').where('s3_key', 'in', keys).execute();
  return { deleted: keys.length, retrying: 0 };
}

/**
 * Right after the commit that scheduled them: removes these objects at once, so the common case
 * completes within the request. A failure changes nothing the caller answers (the rows are gone
 * and the agency's delete stands); the deletions stay and the job retries them.
 */
export async function runObjectDeletionsAfterCommit(db: Kysely<Database>, storage: ImageStorage, keys: readonly string[]): Promise<void> {
  if (keys.length === 0) return;
  await runObjectDeletions(db, storage, { keys }).catch(() => undefined);
}

/** Deletions still not done a day after they were recorded: the store refuses them, and a person should look. */
export async function overdueObjectDeletions(db: Kysely<Database>): Promise<number> {
  const { overdue } = await db
    .selectFrom('object_deletions')
    .select((eb) => eb.fn.countAll<string>().as('overdue'))
    .where('created_at', '<', sql<Date>`now() - interval '1 day'`)
    .executeTakeFirstOrThrow();
  return Number(overdue);
}
