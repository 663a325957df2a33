import { randomUUID } from 'node:crypto';
import type { Kysely } from 'kysely';
import type { Database } from '#core/database';
import type { ReservationStatus } from '#core/reservations/table';
import { getDb } from '#platform/db';
import { PATONG, uniqueAgency, uniqueEmail } from './auth';

/**
 * Rows written straight into the test database, for tests about what happens after a booking
 * exists (reviews, notifications, reminders): no Cognito user is needed to own them. Users are
 * verified and agencies have a name and phone of their own, as the schema requires.
 */

export async function insertUser(
  role: 'customer' | 'agency_admin',
  /** verified: false leaves email_verified_at out, e.g. for a database migrated only part way. */
  options: { fullName?: string; email?: string; verified?: boolean } = {},
  db: Kysely<Database> = getDb(),
): Promise<{ id: string; email: string; fullName: string }> {
  const email = options.email ?? uniqueEmail(role === 'customer' ? 'customer' : 'agency');
  const fullName = options.fullName ?? (role === 'customer' ? 'Somchai Kittisak' : 'Nok Admin');
  const row = await db
    .insertInto('users')
    .values({ cognito_sub: randomUUID(), email, full_name: fullName, role, ...(options.verified === false ? {} : { email_verified_at: new Date() }) })
    .returning('id')
    .executeTakeFirstOrThrow();
  return { id: row.id, email, fullName };
}

export async function insertAgency(
  options: { name?: string; phone?: string; adminUserId?: string } = {},
  db: Kysely<Database> = getDb(),
): Promise<{ id: string; name: string; phone: string; adminUserId: string; adminEmail: string }> {
  const admin = options.adminUserId
    ? await db.selectFrom('users').select(['id', 'email']).where('id', '=', options.adminUserId).executeTakeFirstOrThrow()
    : await insertUser('agency_admin', {}, db);
  const unique = uniqueAgency('Kata Scooters');
  const name = options.name ?? unique.name;
  const phone = options.phone ?? unique.phone;
  const row = await db
    .insertInto('agencies')
    .values({ admin_user_id: admin.id, name, phone, address: 'Kata Rd 12, Karon', ...PATONG })
    .returning('id')
    .executeTakeFirstOrThrow();
  return { id: row.id, name, phone, adminUserId: admin.id, adminEmail: admin.email };
}

export async function insertCar(
  agencyId: string,
  overrides: { make?: string; model?: string; daily_rate?: number; pickup_address?: string | null; turnaround_days?: number } = {},
  db: Kysely<Database> = getDb(),
): Promise<string> {
  const row = await db
    .insertInto('cars')
    .values({
      agency_id: agencyId,
      make: overrides.make ?? 'Honda',
      model: overrides.model ?? 'PCX 160',
      year: 2024,
      car_type: 'scooter',
      transmission: 'automatic',
      seats: 2,
      fuel_type: 'petrol',
      daily_rate: overrides.daily_rate ?? 35_000,
      deposit_amount: 300_000,
      lat: null,
      lng: null,
      pickup_address: overrides.pickup_address === undefined ? null : overrides.pickup_address,
      is_published: true,
      ...(overrides.turnaround_days === undefined ? {} : { turnaround_days: overrides.turnaround_days }),
    })
    .returning('id')
    .executeTakeFirstOrThrow();
  return row.id;
}

/** A car of a new agency, and `customers` customers (in one insert) to race for it: the booking races' world. */
export async function insertCarAndCustomers(
  db: Kysely<Database>,
  customers: number,
  car: Parameters<typeof insertCar>[1] = {},
): Promise<{ carId: string; users: { id: string; email: string }[] }> {
  const agency = await insertAgency({}, db);
  const carId = await insertCar(agency.id, car, db);
  const users = await db
    .insertInto('users')
    .values(
      Array.from({ length: customers }, (_, index) => ({
        cognito_sub: randomUUID(),
        email: uniqueEmail(`racer-${index}`),
        full_name: `Racer ${index}`,
        role: 'customer' as const,
      })),
    )
    .returning(['id', 'email'])
    .execute();
  return { carId, users };
}

/**
 * A booking row with prices that satisfy the table's checks (total = subtotal + fees + tax).
 * A confirmed or completed row has its deposit paid through the platform (as the webhook leaves
 * it) unless `depositPaid: false` (an agency that confirmed without a payment).
 */
export async function insertBookingRow(
  booking: {
    carId: string;
    customerId: string;
    status: ReservationStatus;
    start: string;
    end: string;
    dailyRate?: number;
    fees?: number;
    tax?: number;
    depositPaid?: boolean;
  },
  db: Kysely<Database> = getDb(),
): Promise<string> {
  const days = Math.round((Date.parse(booking.end) - Date.parse(booking.start)) / 86_400_000) + 1;
  const dailyRate = booking.dailyRate ?? 35_000;
  const subtotal = days * dailyRate;
  const fees = booking.fees ?? 0;
  const tax = booking.tax ?? 0;
  const row = await db
    .insertInto('reservations')
    .values({
      car_id: booking.carId,
      kind: 'booking',
      status: booking.status,
      start_date: booking.start,
      end_date: booking.end,
      customer_id: booking.customerId,
      expires_at: booking.status === 'pending' ? new Date(Date.now() + 15 * 60_000) : null,
      days,
      daily_rate_at_booking: dailyRate,
      subtotal,
      fees,
      tax,
      total_price: subtotal + fees + tax,
      deposit_amount: 300_000,
      payment_intent_id: null,
      // Left out when unpaid, so the helper also writes into databases migrated only part way.
      ...((booking.depositPaid ?? ['confirmed', 'completed'].includes(booking.status)) ? { deposit_paid_at: new Date() } : {}),
      reason: null,
    })
    .returning('id')
    .executeTakeFirstOrThrow();
  return row.id;
}
