import { sql, type Kysely } from 'kysely';

/**
 * Identities to remove from Cognito, as durable work. Reclaiming a stale unverified account
 * (registration) used to call Cognito inside the transaction that held the account's row lock.
 * Now that transaction removes the rows and records the identity's sub here; the identity is
 * removed after the commit, by sub (never by e-mail, so a new registration of the same address
 * cannot lose its own identity to it), and any registration of the address removes what a
 * failed attempt left before it creates the new identity.
 *
 * Frozen in time: migrations never import application code.
 */
export async function up(db: Kysely<any>): Promise<void> {
  await sql`
    CREATE TABLE identity_deletions (
      sub        text PRIMARY KEY CHECK (char_length(sub) BETWEEN 1 AND 255),
      email      text NOT NULL,
      last_error text CHECK (char_length(last_error) <= 1000),
      created_at timestamptz NOT NULL DEFAULT now()
    )`.execute(db);
  await sql`CREATE INDEX identity_deletions_email_idx ON identity_deletions (lower(email))`.execute(db);
}

export async function down(db: Kysely<any>): Promise<void> {
  await sql`DROP TABLE identity_deletions`.execute(db);
}
