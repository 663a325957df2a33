import { sql, type Kysely } from 'kysely';

/**
 * Photo objects to remove from the store, as durable work. Deleting a photo or a car used to
 * call S3 inside its database transaction: a slow S3 held the car's row lock, and an S3 error
 * rolled the agency's delete back. Now the transaction deletes the rows and records their
 * objects' keys here; after the commit the request removes them, and the scheduled job
 * (jobs/delete-objects) retries whatever is left. Removing an object twice is harmless.
 *
 * Claimed with a lease (available_at moves ahead while a worker holds the row), as payment
 * tasks are. Frozen in time: migrations never import application code.
 */
export async function up(db: Kysely<any>): Promise<void> {
  await sql`
    CREATE TABLE object_deletions (
      s3_key       text PRIMARY KEY CHECK (char_length(s3_key) BETWEEN 1 AND 1024),
      attempts     integer NOT NULL DEFAULT 0 CHECK (attempts >= 0),
      available_at timestamptz NOT NULL DEFAULT now(),
      last_error   text CHECK (char_length(last_error) <= 1000),
      created_at   timestamptz NOT NULL DEFAULT now()
    )`.execute(db);
  await sql`CREATE INDEX object_deletions_due_idx ON object_deletions (available_at)`.execute(db);
  // Created by the owner after migration 0008: its default privileges already grant rental_app.
}

export async function down(db: Kysely<any>): Promise<void> {
  await sql`DROP TABLE object_deletions`.execute(db);
}
