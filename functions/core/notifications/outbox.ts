import { sql, type AliasedRawBuilder, type Kysely, type RawBuilder } from 'kysely';
import { startOfBangkokDay, todayInBangkok } from '../availability/dates';
import type { Database } from '../database';
import { selectBookingsWithParties } from '../reservations/repository';
import type { Reservation, ReservationStatus } from '../reservations/table';
import type { NotificationChannel } from './table';
import type { BookingPayload } from './templates';

/**
 * The transactional outbox. A notification is a row of `notifications` written in the
 * same transaction as the change it reports, so it exists exactly when the change committed;
 * delivery happens later, outside the request (docs/notifications.md).
 */

export const NOTIFICATION_KINDS = [
  'booking_received',
  'booking_confirmed',
  'booking_cancelled',
  'booking_expired',
  'pickup_reminder',
  'agency_new_booking',
  'review_received',
  'deposit_refunded',
  'email_verification',
  'phone_verification',
] as const;
export type NotificationKind = (typeof NOTIFICATION_KINDS)[number];

export interface NewNotification {
  kind: NotificationKind;
  /** An email address, or an E.164 phone number for the sms channel. */
  recipient: string;
  reservationId?: string;
  payload: Record<string, unknown>;
  /** At most one row per key, ever: a second enqueue with the same key does nothing. */
  dedupeKey?: string;
  /** Not delivered before this instant (default: now). */
  availableAt?: Date;
  channel?: NotificationChannel;
}

/** Queues one notification in the caller's transaction; a duplicate dedupe key is silently ignored. */
export async function enqueueNotification(trx: Kysely<Database>, n: NewNotification): Promise<void> {
  await insertNotification(trx, n);
}

/** Like enqueueNotification; tells whether a row was written (false: the dedupe key existed). */
export async function insertNotification(trx: Kysely<Database>, n: NewNotification): Promise<boolean> {
  return (await insertNotifications(trx, [n])) === 1;
}

/**
 * Queues several notifications in one statement; returns how many rows were new. SMS beyond
 * the daily cap of their number are dropped here, where every SMS is queued.
 */
export async function insertNotifications(trx: Kysely<Database>, notifications: readonly NewNotification[]): Promise<number> {
  const queued = await withinSmsCap(trx, notifications);
  if (queued.length === 0) return 0;
  const inserted = await trx
    .insertInto('notifications')
    .values(
      queued.map((n) => ({
        kind: n.kind,
        channel: n.channel ?? 'email',
        recipient: n.recipient,
        reservation_id: n.reservationId ?? null,
        payload: JSON.stringify(n.payload),
        dedupe_key: n.dedupeKey ?? null,
        available_at: n.availableAt ?? new Date(),
      })),
    )
    .onConflict((conflict) => conflict.column('dedupe_key').doNothing())
    .returning('id')
    .execute();
  return inserted.length;
}

/**
 * The statement that queues e-mail notifications, for a caller that queues them in the same
 * statement as the change they report (a data-modifying WITH): one round trip instead of a
 * transaction. `onlyIf` is the condition (on the caller's WITH queries) under which they are
 * queued. SMS and delayed rows go through insertNotifications(), which counts SMS against their
 * number's daily cap.
 */
export function queueEmailNotificationsSql(notifications: readonly NewNotification[], onlyIf: RawBuilder<unknown>): RawBuilder<unknown> {
  if (notifications.some((n) => (n.channel ?? 'email') !== 'email' || n.availableAt)) {
    throw new Error('queueEmailNotificationsSql takes e-mails due now only: queue SMS and delayed rows with insertNotifications()');
  }
  const records = notifications.map((n) => ({
    kind: n.kind,
    recipient: n.recipient,
    reservation_id: n.reservationId ?? null,
    payload: n.payload,
    dedupe_key: n.dedupeKey ?? null,
  }));
  return sql`
    INSERT INTO notifications (kind, recipient, reservation_id, payload, dedupe_key)
    SELECT n.kind, n.recipient, n.reservation_id, n.payload, n.dedupe_key
    FROM jsonb_to_recordset(${JSON.stringify(records)}::jsonb) AS n (kind text, recipient text, reservation_id uuid, payload jsonb, dedupe_key text)
    WHERE ${onlyIf}
    ON CONFLICT (dedupe_key) DO NOTHING`;
}

/**
 * SMS to one number per day (Bangkok), all kinds together. Every SMS costs money, and a
 * number that receives SMS on someone else's action is what SMS pumping exploits; agency SMS
 * go only to a number its agency verified, and this caps what even a verified one can cost
 * (docs/notifications.md).
 */
export const SMS_PER_NUMBER_PER_DAY = 20;

/**
 * The notifications without the SMS that would pass their number's daily cap. Counting is
 * serialised per number by locking the row of the agency with that number (agency phones are
 * unique) until the caller's commit, so two transactions queuing at once cannot both take the
 * last place. A row lock, not an advisory lock: nothing here may pin an RDS Proxy connection.
 */
async function withinSmsCap(trx: Kysely<Database>, notifications: readonly NewNotification[]): Promise<readonly NewNotification[]> {
  const numbers = [...new Set(notifications.filter((n) => n.channel === 'sms').map((n) => n.recipient))];
  if (numbers.length === 0) return notifications;
  const startOfDay = startOfBangkokDay(todayInBangkok());
  const dropped = new Set<NewNotification>();
  for (const number of numbers.sort()) {
    await trx
      .selectFrom('agencies')
      .select('id')
      .where(sql`agency_phone_key(phone)`, '=', sql`agency_phone_key(${number})`)
      .forNoKeyUpdate()
      .execute();
    const { sent } = await trx
      .selectFrom('notifications')
      .select((eb) => eb.fn.countAll<string>().as('sent'))
      .where('channel', '=', 'sms')
      .where('recipient', '=', number)
      .where('created_at', '>=', startOfDay)
      .executeTakeFirstOrThrow();
    let room = SMS_PER_NUMBER_PER_DAY - Number(sent);
    for (const n of notifications) {
      if (n.channel !== 'sms' || n.recipient !== number) continue;
      if (room > 0) room--;
      else dropped.add(n);
    }
  }
  return notifications.filter((n) => !dropped.has(n));
}

/**
 * 'confirmed': by the agency, without a payment; 'paid': confirmed by the deposit's payment
 * (the only event that texts the agency); 'refunded': a deposit paid after the booking had
 * expired or been cancelled went back to the card.
 */
export type BookingEvent = 'created' | 'confirmed' | 'paid' | 'cancelled' | 'expired' | 'refunded';

/** A booking as its notifications tell it, with who gets them. */
export interface BookingNotice {
  reservationId: string;
  customerEmail: string;
  agencyEmail: string;
  /** The agency's phone as an E.164 number, if the agency verified it (and it can be read as one): else no SMS. */
  agencySmsNumber: string | null;
  /** The booking's status when it was loaded (in the caller's transaction: after its change). */
  status: ReservationStatus;
  /** The payload without its audience. */
  facts: Omit<BookingPayload, 'audience'>;
}

/** The facts of bookings (kind 'booking') for their notifications, by reservation id. */
export async function loadBookingNotices(db: Kysely<Database>, reservationIds: readonly string[]): Promise<Map<string, BookingNotice>> {
  if (reservationIds.length === 0) return new Map();
  const rows = await selectBookingNotices(db, 'reservations').where('reservations.id', 'in', reservationIds).execute();
  return new Map(rows.map((row) => [row.id, bookingNotice(row)]));
}

/**
 * The query behind a booking's notice: the booking with everyone it concerns
 * (selectBookingsWithParties(), whose `source` this is: the booking hold's notice comes back
 * with the hold, in the same round trip). Selects the columns bookingNotice() reads; add more
 * with select().
 */
export function selectBookingNotices(db: Kysely<Database>, source: 'reservations' | AliasedRawBuilder<Reservation, 'reservations'>) {
  return selectBookingsWithParties(db, source).select([
    'reservations.id',
    'reservations.status',
    'reservations.start_date',
    'reservations.end_date',
    'reservations.days',
    'reservations.total_price',
    'reservations.deposit_amount',
    'cars.make',
    'cars.model',
    'cars.pickup_address',
    'agencies.name as agency_name',
    'agencies.phone as agency_phone',
    'agencies.phone_verified_at as agency_phone_verified_at',
    'agencies.address as agency_address',
    'admin.email as agency_email',
    'customer.email as customer_email',
    'customer.full_name as customer_name',
  ]);
}

type BookingNoticeRow = Awaited<ReturnType<ReturnType<typeof selectBookingNotices>['executeTakeFirstOrThrow']>>;

/** A row of selectBookingNotices() as the notice it stands for. */
export function bookingNotice(row: BookingNoticeRow): BookingNotice {
  return {
    reservationId: row.id,
    customerEmail: row.customer_email,
    agencyEmail: row.agency_email,
    agencySmsNumber: row.agency_phone_verified_at ? smsNumber(row.agency_phone) : null,
    status: row.status,
    facts: {
      booking_id: row.id,
      car: `${row.make} ${row.model}`,
      start_date: row.start_date,
      end_date: row.end_date,
      days: row.days!,
      total_price: row.total_price!,
      deposit_amount: row.deposit_amount!,
      currency: 'thb',
      pickup_address: row.pickup_address ?? row.agency_address,
      agency_name: row.agency_name,
      agency_phone: row.agency_phone,
      customer_name: row.customer_name,
    },
  };
}

/**
 * A phone number as written by an agency ("+66 76 000 000", "076-000-000") in E.164, or null.
 * Numbers without a country code are Thai: the leading 0 becomes +66. The unique index on
 * agencies' phones (agency_phone_key() in migration 2026_12_03_0007) reads numbers the same
 * way: change both together.
 */
export function smsNumber(phone: string): string | null {
  let digits = phone.replace(/[\s().-]/g, '');
  if (digits.startsWith('00')) digits = `+${digits.slice(2)}`;
  else if (digits.startsWith('0')) digits = `+66${digits.slice(1)}`;
  else if (!digits.startsWith('+')) digits = `+${digits}`;
  return /^\+[1-9]\d{7,14}$/.test(digits) ? digits : null;
}

/**
 * Queues what a booking's status change tells whom, in the caller's transaction (call it in
 * the transaction that changes the status):
 * - created: booking_received to the customer; agency_new_booking to the agency admin by email
 *   (an unpaid hold costs anyone nothing to make, so it never texts anyone);
 * - paid: booking_confirmed to the customer, and agency_new_booking by SMS to the agency's
 *   phone if the agency verified it (within the number's daily cap; sent only where SMS is on);
 * - confirmed / expired: booking_confirmed / booking_expired to the customer;
 * - cancelled: booking_cancelled to the customer and to the agency admin;
 * - refunded: deposit_refunded to the customer only (the agency never had the booking's money),
 *   saying whether the hold had expired or the booking was cancelled.
 * Each (kind, audience, booking) is queued once however often this is called.
 */
export async function enqueueBookingNotifications(trx: Kysely<Database>, reservationId: string, event: BookingEvent): Promise<void> {
  const notice = (await loadBookingNotices(trx, [reservationId])).get(reservationId);
  if (!notice) throw new Error(`enqueueBookingNotifications: no booking ${reservationId}`);
  // One statement for all of an event's rows: this runs inside every booking transaction.
  await insertNotifications(trx, bookingNotifications(notice, event));
}

/** The rows a booking event makes (pure: tests and the reminder job read it too). */
export function bookingNotifications(notice: BookingNotice, event: BookingEvent): NewNotification[] {
  const id = notice.reservationId;
  const toCustomer = (kind: NotificationKind): NewNotification => ({
    kind,
    recipient: notice.customerEmail,
    reservationId: id,
    payload: { ...notice.facts, audience: 'customer' },
    dedupeKey: `${kind}:customer:${id}`,
  });
  const toAgency = (kind: NotificationKind): NewNotification => ({
    kind,
    recipient: notice.agencyEmail,
    reservationId: id,
    payload: { ...notice.facts, audience: 'agency' },
    dedupeKey: `${kind}:agency:${id}`,
  });
  switch (event) {
    case 'created':
      return [toCustomer('booking_received'), toAgency('agency_new_booking')];
    case 'paid':
      return [
        toCustomer('booking_confirmed'),
        ...(notice.agencySmsNumber
          ? [
              {
                ...toAgency('agency_new_booking'),
                channel: 'sms' as const,
                recipient: notice.agencySmsNumber,
                dedupeKey: `agency_new_booking:agency-sms:${id}`,
              },
            ]
          : []),
      ];
    case 'confirmed':
      return [toCustomer('booking_confirmed')];
    case 'expired':
      return [toCustomer('booking_expired')];
    case 'cancelled':
      return [toCustomer('booking_cancelled'), toAgency('booking_cancelled')];
    case 'refunded': {
      const refunded = toCustomer('deposit_refunded');
      return [{ ...refunded, payload: { ...refunded.payload, booking_status: notice.status } }];
    }
  }
}

/** The pickup reminder of a booking: to the customer, once per booking ever. */
export function pickupReminder(notice: BookingNotice): NewNotification {
  return {
    kind: 'pickup_reminder',
    recipient: notice.customerEmail,
    reservationId: notice.reservationId,
    payload: { ...notice.facts, audience: 'customer' },
    dedupeKey: `reminder:${notice.reservationId}`,
  };
}
