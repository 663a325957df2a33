import { sql, type Kysely } from 'kysely';

/**
 * Least privilege in the database: the functions stop connecting as the owner (the master
 * user, which runs this) and use one of two login roles instead.
 *
 * - rental_app: SELECT/INSERT/UPDATE/DELETE on the application's tables and USAGE on its
 *   sequences; no TRUNCATE, no DDL (PostgreSQL 15+ grants nobody CREATE on schema public), and
 *   nothing on Kysely's migration tables. Every function that writes, and the jobs.
 * - rental_reader: SELECT on what the public read routes and authentication look at, nothing
 *   else: not the idempotency keys, the payment events or the notification outbox.
 *
 * In Aurora the roles log in through RDS Proxy with end-to-end IAM authentication, so they get
 * rds_iam and no password. Locally there is no rds_iam; the dev harness sets a password after
 * migrating (dev/stack.ts), never a migration.
 *
 * Roles are cluster-wide while grants are per database: several databases of one server (the
 * tests' clones and scratch databases) migrate concurrently, so a role is created only if
 * missing, and a concurrent creation (duplicate_object, or unique_violation while the other
 * transaction commits) is no error.
 *
 * Tables later migrations create (as this same owner) get rental_app's grants by default
 * privileges. rental_reader gets nothing by default: a migration adding a table must decide
 * whether public reads or authentication need it, and GRANT SELECT to rental_reader if so.
 *
 * Frozen in time: migrations never import application code (functions/platform/route.ts names
 * the same two roles for the functions and the CDK stack).
 */
const APP_ROLE = 'rental_app';
const READER_ROLE = 'rental_reader';
/** Search, car detail, landmarks, agency profile and reviews, and the caller lookup of authentication. */
const READER_TABLES = ['users', 'agencies', 'cars', 'car_images', 'reservations', 'reviews', 'landmarks'];

export async function up(db: Kysely<any>): Promise<void> {
  for (const role of [APP_ROLE, READER_ROLE]) {
    await sql`
      DO $$ BEGIN
        CREATE ROLE ${sql.id(role)} LOGIN;
      EXCEPTION WHEN duplicate_object OR unique_violation THEN NULL;
      END $$`.execute(db);
  }
  // Aurora's role that lets RDS Proxy (and IAM tokens) log a role in; absent elsewhere.
  await sql`
    DO $$ BEGIN
      IF EXISTS (SELECT 1 FROM pg_roles WHERE rolname = 'rds_iam') THEN
        GRANT rds_iam TO ${sql.id(APP_ROLE)}, ${sql.id(READER_ROLE)};
      END IF;
    EXCEPTION WHEN unique_violation THEN NULL;
    END $$`.execute(db);

  await sql`GRANT USAGE ON SCHEMA public TO ${sql.id(APP_ROLE)}, ${sql.id(READER_ROLE)}`.execute(db);
  // Every table but Kysely's own (kysely_migration, kysely_migration_lock).
  const { rows } = await sql<{ name: string }>`
    SELECT tablename AS name FROM pg_tables
    WHERE schemaname = 'public' AND tablename NOT LIKE 'kysely\\_%'`.execute(db);
  for (const { name } of rows) {
    await sql`GRANT SELECT, INSERT, UPDATE, DELETE ON ${sql.id('public', name)} TO ${sql.id(APP_ROLE)}`.execute(db);
  }
  await sql`GRANT USAGE ON ALL SEQUENCES IN SCHEMA public TO ${sql.id(APP_ROLE)}`.execute(db);
  for (const table of READER_TABLES) {
    await sql`GRANT SELECT ON ${sql.id('public', table)} TO ${sql.id(READER_ROLE)}`.execute(db);
  }
  // For tables and sequences this role (the owner, migrating) creates from now on.
  await sql`ALTER DEFAULT PRIVILEGES IN SCHEMA public GRANT SELECT, INSERT, UPDATE, DELETE ON TABLES TO ${sql.id(APP_ROLE)}`.execute(db);
  await sql`ALTER DEFAULT PRIVILEGES IN SCHEMA public GRANT USAGE ON SEQUENCES TO ${sql.id(APP_ROLE)}`.execute(db);
}

/**
 * Takes back this database's grants and default privileges. The roles themselves stay: they
 * are cluster-wide, other databases of the same server (other stages' or tests' databases) may
 * still use them, and PostgreSQL refuses to drop a role that holds privileges anywhere.
 */
export async function down(db: Kysely<any>): Promise<void> {
  const roles = sql`${sql.id(APP_ROLE)}, ${sql.id(READER_ROLE)}`;
  await sql`ALTER DEFAULT PRIVILEGES IN SCHEMA public REVOKE ALL ON TABLES FROM ${roles}`.execute(db);
  await sql`ALTER DEFAULT PRIVILEGES IN SCHEMA public REVOKE ALL ON SEQUENCES FROM ${roles}`.execute(db);
  await sql`REVOKE ALL ON ALL TABLES IN SCHEMA public FROM ${roles}`.execute(db);
  await sql`REVOKE ALL ON ALL SEQUENCES IN SCHEMA public FROM ${roles}`.execute(db);
  await sql`REVOKE USAGE ON SCHEMA public FROM ${roles}`.execute(db);
}
