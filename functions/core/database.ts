import type { CarImagesTable, CarsTable, ObjectDeletionsTable } from './cars/table';
import type { LandmarksTable } from './geo/table';
import type { NotificationsTable } from './notifications/table';
import type { PaymentEventsTable, PaymentTasksTable } from './payments/table';
import type { AgencyDeliveryOptionsTable, AgencyOpeningHoursTable, CarSeasonsTable } from './pricing/table';
import type { IdempotencyKeysTable, ReservationsTable } from './reservations/table';
import type { ReviewsTable } from './reviews/table';
import type { AgenciesTable, IdentityDeletionsTable, UsersTable, VerificationCodesTable } from './users/table';

/** The whole database as Kysely sees it; each table's type lives beside its feature. */
export interface Database {
  users: UsersTable;
  agencies: AgenciesTable;
  cars: CarsTable;
  car_seasons: CarSeasonsTable;
  agency_opening_hours: AgencyOpeningHoursTable;
  agency_delivery_options: AgencyDeliveryOptionsTable;
  car_images: CarImagesTable;
  object_deletions: ObjectDeletionsTable;
  reservations: ReservationsTable;
  idempotency_keys: IdempotencyKeysTable;
  payment_events: PaymentEventsTable;
  payment_tasks: PaymentTasksTable;
  reviews: ReviewsTable;
  notifications: NotificationsTable;
  landmarks: LandmarksTable;
  verification_codes: VerificationCodesTable;
  identity_deletions: IdentityDeletionsTable;
}

/**
 * Text PostgreSQL stores as sent: no NUL (a text column cannot hold it: SQLSTATE 22021) and
 * well-formed UTF-16 (node-postgres silently turns a lone surrogate into U+FFFD, so the row
 * would not say what the client sent).
 */
export function isStorableText(value: string): boolean {
  return !value.includes('\u0000') && value.isWellFormed();
}
