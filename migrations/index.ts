import type { Kysely } from 'kysely';
import { Migrator, type Migration, type MigrationProvider } from 'kysely/migration';
import * as coreSchema from './2026_11_25_0001_core_schema';
import * as bookingSupportTables from './2026_11_25_0002_booking_support_tables';
import * as searchAndGeo from './2026_11_25_0003_search_and_geo';
import * as reviewsAndOutbox from './2026_11_25_0004_reviews_and_outbox';
import * as depositRefundedNotice from './2026_12_02_0005_deposit_refunded_notice';
import * as rentalsKeepTheirDates from './2026_12_03_0006_rentals_keep_their_dates';
import * as verifiedAccounts from './2026_12_03_0007_verified_accounts';
import * as databaseRoles from './2026_12_03_0008_database_roles';
import * as paymentTasks from './2026_12_03_0009_payment_tasks';
import * as timeBudgets from './2026_12_03_0010_time_budgets';
import * as outboxLease from './2026_12_03_0011_outbox_lease';
import * as bookingHoldFunction from './2026_12_03_0012_booking_hold_function';
import * as objectDeletions from './2026_12_03_0013_object_deletions';
import * as identityDeletions from './2026_12_03_0014_identity_deletions';
import * as rentalRules from './2026_12_03_0015_rental_rules';
import * as stayPriceSegments from './2026_12_03_0016_stay_price_segments';
import * as priceSegmentsByMonth from './2026_12_03_0017_price_segments_by_month';

/**
 * Every migration, imported statically: a bundled Lambda cannot list a folder at run time.
 * Add new ones at the end; names sort in the order they must run.
 */
export const migrations: Record<string, Migration> = {
  '2026_11_25_0001_core_schema': coreSchema,
  '2026_11_25_0002_booking_support_tables': bookingSupportTables,
  '2026_11_25_0003_search_and_geo': searchAndGeo,
  '2026_11_25_0004_reviews_and_outbox': reviewsAndOutbox,
  '2026_12_02_0005_deposit_refunded_notice': depositRefundedNotice,
  '2026_12_03_0006_rentals_keep_their_dates': rentalsKeepTheirDates,
  '2026_12_03_0007_verified_accounts': verifiedAccounts,
  '2026_12_03_0008_database_roles': databaseRoles,
  '2026_12_03_0009_payment_tasks': paymentTasks,
  '2026_12_03_0010_time_budgets': timeBudgets,
  '2026_12_03_0011_outbox_lease': outboxLease,
  '2026_12_03_0012_booking_hold_function': bookingHoldFunction,
  '2026_12_03_0013_object_deletions': objectDeletions,
  '2026_12_03_0014_identity_deletions': identityDeletions,
  '2026_12_03_0015_rental_rules': rentalRules,
  '2026_12_03_0016_stay_price_segments': stayPriceSegments,
  '2026_12_03_0017_price_segments_by_month': priceSegmentsByMonth,
};

const provider: MigrationProvider = { getMigrations: async () => migrations };

export function createMigrator(db: Kysely<any>): Migrator {
  return new Migrator({ db, provider });
}

/** Runs every pending migration; throws (with the failing migration's name) if one fails. */
export async function migrateToLatest(db: Kysely<any>): Promise<string[]> {
  const { error, results } = await createMigrator(db).migrateToLatest();
  const failed = results?.find((result) => result.status === 'Error');
  if (error) {
    throw new Error(`Migration ${failed?.migrationName ?? '(unknown)'} failed: ${error instanceof Error ? error.message : JSON.stringify(error)}`, {
      cause: error,
    });
  }
  return (results ?? []).map((result) => result.migrationName);
}
