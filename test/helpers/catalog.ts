import { randomUUID } from 'node:crypto';
import { sql, type Insertable } from 'kysely';
import { addDays, todayInBangkok } from '#core/availability/dates';
import type { CarsTable } from '#core/cars/table';
import { priceRental } from '#core/pricing/pricing';
import type { ReservationStatus } from '#core/reservations/table';
import { getDb } from '#platform/db';
import { uniqueAgency } from './auth';

/**
 * Catalogue fixtures written straight into the test file's database (search needs no auth,
 * so users get random cognito_sub values and never sign in).
 */

/** A day `days` from today in Asia/Bangkok, 'YYYY-MM-DD'. */
export const inDays = (days: number) => addDays(todayInBangkok(), days);

export async function createTestUser(role: 'customer' | 'agency_admin' = 'customer') {
  const sub = randomUUID();
  return getDb()
    .insertInto('users')
    .values({ cognito_sub: `test-${sub}`, email: `${role}-${sub}@example.com`, full_name: 'Catalogue Fixture', role, email_verified_at: new Date() })
    .returning(['id', 'email'])
    .executeTakeFirstOrThrow();
}

export interface AgencyFixture {
  name?: string;
  phone?: string;
  lat?: number;
  lng?: number;
  rating_average?: number;
  review_count?: number;
}

export async function createAgency(fixture: AgencyFixture = {}) {
  const admin = await createTestUser('agency_admin');
  const unique = uniqueAgency('Fixture Rentals');
  const agency = await getDb()
    .insertInto('agencies')
    .values({
      admin_user_id: admin.id,
      name: fixture.name ?? unique.name,
      phone: fixture.phone ?? unique.phone,
      address: '1 Beach Rd, Phuket',
      lat: fixture.lat ?? 7.8961,
      lng: fixture.lng ?? 98.2967,
    })
    .returning(['id', 'name', 'lat', 'lng'])
    .executeTakeFirstOrThrow();
  if (fixture.review_count) {
    // As if that many reviews had come in (rating_sum is what the reviews trigger maintains).
    const ratingSum = Math.round((fixture.rating_average ?? 5) * fixture.review_count);
    await sql`
      UPDATE agencies SET review_count = ${fixture.review_count}, rating_sum = ${ratingSum}, rating_average = ${fixture.rating_average ?? 5}
      WHERE id = ${agency.id}`.execute(getDb());
  }
  return agency;
}

export type CarFixture = Partial<Omit<Insertable<CarsTable>, 'agency_id' | 'deleted_at'>> & { deleted?: boolean };

/** A published economy car at its agency's location unless told otherwise. */
export async function createCar(agencyId: string, fixture: CarFixture = {}) {
  const { deleted, ...columns } = fixture;
  const car = await getDb()
    .insertInto('cars')
    .values({
      agency_id: agencyId,
      make: 'Toyota',
      model: 'Yaris Ativ',
      year: 2024,
      car_type: 'economy',
      transmission: 'automatic',
      seats: 5,
      fuel_type: 'petrol',
      daily_rate: 90_000,
      deposit_amount: 500_000,
      is_published: true,
      ...columns,
    })
    .returning(['id', 'daily_rate', 'deposit_amount'])
    .executeTakeFirstOrThrow();
  if (deleted) await getDb().updateTable('cars').set({ deleted_at: new Date() }).where('id', '=', car.id).execute();
  return car;
}

let customerId: string | undefined;

/** A customer booking of the car, priced like a real one; pending ones hold for 15 minutes unless told. */
export async function createBooking(
  car: { id: string; daily_rate: number; deposit_amount: number },
  startDate: string,
  endDate: string,
  options: { status?: ReservationStatus; expiresAt?: Date } = {},
) {
  customerId ??= (await createTestUser('customer')).id;
  const status = options.status ?? 'confirmed';
  const { breakdown, ...price } = priceRental({ dailyRate: car.daily_rate, depositAmount: car.deposit_amount, startDate, endDate });
  return getDb()
    .insertInto('reservations')
    .values({
      car_id: car.id,
      kind: 'booking',
      status,
      start_date: startDate,
      end_date: endDate,
      customer_id: customerId,
      expires_at: options.expiresAt ?? (status === 'pending' ? new Date(Date.now() + 15 * 60_000) : null),
      // The stored price is the price of the dates (the columns are RentalPrice's, its breakdown as JSON).
      ...price,
      price_breakdown: JSON.stringify(breakdown),
      payment_intent_id: null,
      reason: null,
    })
    .returning('id')
    .executeTakeFirstOrThrow();
}

/** An agency block (maintenance). */
export async function createBlock(carId: string, startDate: string, endDate: string, status: 'confirmed' | 'cancelled' = 'confirmed') {
  return getDb()
    .insertInto('reservations')
    .values({
      car_id: carId,
      kind: 'block',
      status,
      start_date: startDate,
      end_date: endDate,
      reason: 'Scheduled service',
    })
    .returning('id')
    .executeTakeFirstOrThrow();
}

export async function addImage(carId: string, position: number, status: 'pending' | 'ready' = 'ready') {
  const key = `cars/${carId}/${randomUUID()}.jpg`;
  await getDb().insertInto('car_images').values({ car_id: carId, s3_key: key, content_type: 'image/jpeg', content_length: 1000, status, position }).execute();
  return key;
}
