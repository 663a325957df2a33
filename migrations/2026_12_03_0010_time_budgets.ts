import { sql, type Kysely } from 'kysely';

/**
 * Time budgets on the server for the functions' two roles, so that no statement, lock wait or
 * forgotten transaction of theirs runs on past the point where its answer is useful
 * (docs/operations.md#time-budgets). Set on the roles, not per session: a session `SET` pins the
 * connection in RDS Proxy, while a role's settings apply by themselves at every login.
 *
 * - statement_timeout 5 s: the slowest legitimate statement of the app is far below it (search
 *   ~10 ms at 10,000 cars and 1M reservations, docs/benchmarks.md; the expiry job's one UPDATE of
 *   the holds due in a minute and its payment tasks in batches of 200), and 5 s leaves the client
 *   (query_timeout 6 s) and the API function (12 s) room to answer 503 themselves.
 * - lock_timeout 3 s: locks here are held for one short transaction (booking, block, payment
 *   task); a wait longer than that is a stuck holder, and the request is better answered 503.
 * - idle_in_transaction_session_timeout 10 s: no transaction waits on the network any more
 *   (payments and e-mail run after commit); one left open by a crashed or frozen client would
 *   otherwise hold its row locks and the rows' dates until the proxy noticed.
 *
 * The owner (migrations, the seed, the benchmarks) keeps the server's defaults. Roles are
 * cluster-wide, so every database on the server sees these; two migrations on one server at once
 * can collide on the setting's catalog row, hence the retry.
 */
const ROLES = ['rental_app', 'rental_reader'];
const SETTINGS = { statement_timeout: '5s', lock_timeout: '3s', idle_in_transaction_session_timeout: '10s' };

async function alterRoles(db: Kysely<any>, statement: (role: string, setting: string, value: string) => string): Promise<void> {
  for (const role of ROLES) {
    for (const [setting, value] of Object.entries(SETTINGS)) {
      // Inside the migration's transaction a failed statement cannot simply be retried: the
      // block's own exception handler (a subtransaction) does it. "tuple concurrently updated"
      // is an internal error (XX000); a concurrent first setting of the row, a unique violation.
      await sql`
        DO $$ BEGIN
          FOR attempt IN 1..5 LOOP
            BEGIN
              EXECUTE ${sql.lit(statement(role, setting, value))};
              RETURN;
            EXCEPTION WHEN internal_error OR unique_violation THEN
              IF attempt = 5 THEN RAISE; END IF;
              PERFORM pg_sleep(0.05 * attempt);
            END;
          END LOOP;
        END $$`.execute(db);
    }
  }
}

const quoteIdent = (name: string) => `"${name.replaceAll('"', '""')}"`;

export async function up(db: Kysely<any>): Promise<void> {
  await alterRoles(db, (role, setting, value) => `ALTER ROLE ${quoteIdent(role)} SET ${setting} = '${value}'`);
}

export async function down(db: Kysely<any>): Promise<void> {
  await alterRoles(db, (role, setting) => `ALTER ROLE ${quoteIdent(role)} RESET ${setting}`);
}
