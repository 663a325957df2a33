import { sql } from 'kysely';
import { connect, ownerUrl } from './db';

/**
 * Looks at PostgreSQL itself for sessions of this test file's database that sit inside an open
 * transaction (`idle in transaction`): asked at the moment of a network call (Stripe, S3,
 * Cognito), any such session is a transaction held open across that call, which the project's
 * rule forbids. Run the flows one after another: a concurrent, unrelated transaction would be
 * counted too.
 */
export function openTransactionProbe() {
  const monitor = connect<unknown>(ownerUrl(), 1);
  return {
    async count(): Promise<number> {
      const { rows } = await sql<{ n: number }>`
        SELECT count(*)::int AS n FROM pg_stat_activity
        WHERE datname = current_database() AND pid <> pg_backend_pid() AND state LIKE 'idle in transaction%'`.execute(monitor);
      return rows[0]!.n;
    },
    close: () => monitor.destroy(),
  };
}
