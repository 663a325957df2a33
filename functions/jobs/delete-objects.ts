import { overdueObjectDeletions, runObjectDeletions } from '#core/cars/object-deletions';
import { getDb } from '#platform/db';
import { logger } from '#platform/logger';
import { s3ImageStorage } from '#platform/s3';

/**
 * Every 5 minutes (EventBridge in AWS, an interval in the local server): photo objects whose
 * rows were deleted but which the request could not remove from the bucket (S3 failed or was
 * slow) are removed now, retried with growing waits until they are gone.
 */
export async function handler(): Promise<{ deleted: number; retrying: number }> {
  const db = getDb('write');
  const run = await runObjectDeletions(db, s3ImageStorage);
  if (run.deleted + run.retrying > 0) logger.info('removed photo objects of deleted photos', { ...run });
  // Still there after a day: failing the run makes the DeleteObjectsErrors alarm see it
  // (docs/operations.md); object_deletions.last_error says why.
  const overdue = await overdueObjectDeletions(db);
  if (overdue > 0) throw new Error(`${overdue} photo object(s) could not be removed for over a day; see object_deletions.last_error`);
  return run;
}
