import { sql, type Kysely } from 'kysely';

/**
 * The outbox's send lease: a worker claims a row by setting leased_until in a short
 * transaction of its own, commits, sends with no transaction open, then marks the row sent.
 * While the lease runs no other worker sends the row; a worker that dies mid-send leaves a lease
 * that lapses, and the row is taken again.
 *
 * Expand only: a nullable column without a default is a catalogue change (no table rewrite),
 * and code that does not know the column keeps working while the new code rolls out.
 *
 * Frozen in time: migrations never import application code.
 */
export async function up(db: Kysely<any>): Promise<void> {
  await sql`ALTER TABLE notifications ADD COLUMN leased_until timestamptz`.execute(db);
}

export async function down(db: Kysely<any>): Promise<void> {
  await sql`ALTER TABLE notifications DROP COLUMN leased_until`.execute(db);
}
