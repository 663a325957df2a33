import { sql, type Kysely } from 'kysely';

/**
 * A new notification kind, 'deposit_refunded': the customer's email when a deposit paid after
 * the booking's hold had expired (or after the booking was cancelled) is refunded.
 *
 * Expand only: notifications_kind_known allows one more value. Every row the deployed code
 * writes is of a kind still listed, so it keeps working while the new code rolls out; the new
 * code writes 'deposit_refunded' only once this has run. Dropping and adding the constraint in
 * one ALTER TABLE takes the table lock once, for a single scan of notifications that every row
 * passes (they all passed the narrower list).
 *
 * Frozen in time: migrations never import application code.
 */
export async function up(db: Kysely<any>): Promise<void> {
  await sql`
    ALTER TABLE notifications
      DROP CONSTRAINT notifications_kind_known,
      ADD CONSTRAINT notifications_kind_known CHECK (kind IN (
        'booking_received', 'booking_confirmed', 'booking_cancelled', 'booking_expired',
        'pickup_reminder', 'agency_new_booking', 'review_received', 'deposit_refunded'))`.execute(db);
}

/**
 * The old constraint cannot hold 'deposit_refunded' rows, so they are deleted. They cannot be
 * kept under another kind: that would tell the customer something else (a pending one would be
 * sent as, say, 'booking cancelled'), and the old code has no template for them, so a pending
 * one could only fail. Nothing of the refund itself is lost: payment_events keeps the event
 * with outcome 'refunded', and the provider keeps the refund.
 */
export async function down(db: Kysely<any>): Promise<void> {
  await sql`DELETE FROM notifications WHERE kind = 'deposit_refunded'`.execute(db);
  await sql`
    ALTER TABLE notifications
      DROP CONSTRAINT notifications_kind_known,
      ADD CONSTRAINT notifications_kind_known CHECK (kind IN (
        'booking_received', 'booking_confirmed', 'booking_cancelled', 'booking_expired',
        'pickup_reminder', 'agency_new_booking', 'review_received'))`.execute(db);
}
