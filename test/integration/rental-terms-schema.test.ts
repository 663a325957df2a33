import { sql, type Insertable } from 'kysely';
import { beforeAll, describe, expect, it } from 'vitest';
import type { ReservationsTable } from '#core/reservations/table';
import { rejection, testDb } from '../helpers/db';
import { insertAgency, insertCar, insertUser } from '../helpers/rentals';

/**
 * Migration 0015's guarantees, with plain SQL (no application code between these rows and the
 * database): the turnaround buffer inside the exclusion constraint, one season per day, and
 * the terms versions that hold_booking() compares.
 */

let customerId: string;
let agencyId: string;

/** A fresh car per test, so no test's reservations hold another's days. */
const newCar = (turnaroundDays = 0) => insertCar(agencyId, { turnaround_days: turnaroundDays }, testDb());

/** A confirmed booking holding `turnaroundDays` after its end, as hold_booking() writes one. */
function booking(carId: string, start: string, end: string, turnaroundDays: number): Insertable<ReservationsTable> {
  const days = (Date.parse(end) - Date.parse(start)) / 86_400_000 + 1;
  return {
    car_id: carId,
    kind: 'booking',
    status: 'confirmed',
    start_date: start,
    end_date: end,
    customer_id: customerId,
    days,
    daily_rate_at_booking: 30_000,
    subtotal: days * 30_000,
    fees: 0,
    tax: 0,
    total_price: days * 30_000,
    deposit_amount: 300_000,
    turnaround_days: turnaroundDays,
  };
}

async function insert(row: Insertable<ReservationsTable>): Promise<void> {
  await testDb().insertInto('reservations').values(row).execute();
}

const OVERLAP = { code: '23P01', constraint: 'reservations_no_overlap' };

beforeAll(async () => {
  customerId = (await insertUser('customer', {}, testDb())).id;
  agencyId = (await insertAgency({}, testDb())).id;
});

describe('the turnaround buffer is part of the exclusion constraint', () => {
  it('refuses a rental starting inside the buffer after an earlier one, and accepts the day after it', async () => {
    const carId = await newCar(1);
    await insert(booking(carId, '2027-05-01', '2027-05-03', 1));
    expect(await rejection(insert(booking(carId, '2027-05-04', '2027-05-06', 1)))).toEqual(OVERLAP);
    await insert(booking(carId, '2027-05-05', '2027-05-06', 1));
  });

  it('refuses a rental whose own buffer reaches a later one, whatever order they arrive in', async () => {
    const carId = await newCar(2);
    await insert(booking(carId, '2027-06-10', '2027-06-12', 2));
    // Ends 06-08: its buffer holds 06-09 and 06-10, the later rental's first day.
    expect(await rejection(insert(booking(carId, '2027-06-05', '2027-06-08', 2)))).toEqual(OVERLAP);
    await insert(booking(carId, '2027-06-05', '2027-06-07', 2));
  });

  it('holds the buffer of a completed rental, and of an early return from the day of return', async () => {
    const carId = await newCar(1);
    await insert({ ...booking(carId, '2027-07-01', '2027-07-05', 1), status: 'completed' });
    expect(await rejection(insert(booking(carId, '2027-07-06', '2027-07-07', 1)))).toEqual(OVERLAP);
    await testDb().updateTable('reservations').set({ end_date: '2027-07-03', booked_end_date: '2027-07-05' }).where('car_id', '=', carId).execute();
    // Returned on 07-03: 07-04 is the buffer, 07-05 is free.
    expect(await rejection(insert(booking(carId, '2027-07-04', '2027-07-04', 1)))).toEqual(OVERLAP);
    await insert(booking(carId, '2027-07-05', '2027-07-06', 1));
  });

  it('lets a cancelled rental free its buffer with its days', async () => {
    const carId = await newCar(3);
    await insert({ ...booking(carId, '2027-08-01', '2027-08-02', 3), status: 'cancelled' });
    await insert(booking(carId, '2027-08-03', '2027-08-04', 3));
  });

  it('refuses a buffer on an agency block (23514)', async () => {
    const carId = await newCar();
    const refused = await rejection(
      testDb()
        .insertInto('reservations')
        .values({ car_id: carId, kind: 'block', status: 'confirmed', start_date: '2027-09-01', end_date: '2027-09-02', reason: 'Service', turnaround_days: 1 })
        .execute(),
    );
    expect(refused).toEqual({ code: '23514', constraint: 'reservations_block_no_buffer' });
  });
});

describe('seasons', () => {
  it('allows one season a day per car: an overlapping season is refused, a back-to-back one is not', async () => {
    const carId = await newCar();
    const season = (name: string, start: string, end: string) =>
      testDb().insertInto('car_seasons').values({ car_id: carId, name, start_date: start, end_date: end, daily_rate: 45_000 }).execute();
    await season('High season', '2027-12-15', '2027-12-29');
    expect(await rejection(season('New Year', '2027-12-29', '2028-01-02'))).toEqual({ code: '23P01', constraint: 'car_seasons_no_overlap' });
    await season('New Year', '2027-12-30', '2028-01-02');
  });
});

describe('terms versions', () => {
  const carVersion = async (carId: string) =>
    (await testDb().selectFrom('cars').select('terms_version').where('id', '=', carId).executeTakeFirstOrThrow()).terms_version;
  const agencyVersion = async () =>
    (await testDb().selectFrom('agencies').select('terms_version').where('id', '=', agencyId).executeTakeFirstOrThrow()).terms_version;

  it("moves a car's version when a priced column or one of its seasons changes, and not otherwise", async () => {
    const carId = await newCar();
    const seen = [await carVersion(carId)];
    await testDb().updateTable('cars').set({ description: 'Freshly serviced' }).where('id', '=', carId).execute();
    seen.push(await carVersion(carId));
    await testDb().updateTable('cars').set({ weekly_discount_percent: 10 }).where('id', '=', carId).execute();
    seen.push(await carVersion(carId));
    await testDb().updateTable('cars').set({ turnaround_days: 1 }).where('id', '=', carId).execute();
    seen.push(await carVersion(carId));
    await testDb()
      .insertInto('car_seasons')
      .values({ car_id: carId, name: 'High', start_date: '2027-12-15', end_date: '2028-03-31', daily_rate: 40_000 })
      .execute();
    seen.push(await carVersion(carId));
    await testDb().updateTable('car_seasons').set({ daily_rate: 42_000 }).where('car_id', '=', carId).execute();
    seen.push(await carVersion(carId));
    await testDb().deleteFrom('car_seasons').where('car_id', '=', carId).execute();
    seen.push(await carVersion(carId));
    expect(seen).toEqual([1, 1, 2, 3, 4, 5, 6]);
  });

  it("moves the agency's version when its after-hours fee, opening hours or delivery options change", async () => {
    const before = await agencyVersion();
    await testDb().updateTable('agencies').set({ name: 'Terms Rentals Kata' }).where('id', '=', agencyId).execute();
    expect(await agencyVersion()).toBe(before);
    await testDb().updateTable('agencies').set({ after_hours_fee: 20_000 }).where('id', '=', agencyId).execute();
    expect(await agencyVersion()).toBe(before + 1);
    await testDb().insertInto('agency_opening_hours').values({ agency_id: agencyId, weekday: 1, opens: '08:00', closes: '20:00' }).execute();
    expect(await agencyVersion()).toBe(before + 2);
    await testDb().insertInto('agency_delivery_options').values({ agency_id: agencyId, landmark_slug: 'phuket-airport', fee: 50_000 }).execute();
    expect(await agencyVersion()).toBe(before + 3);
    await sql`DELETE FROM agency_delivery_options WHERE agency_id = ${agencyId}::uuid`.execute(testDb());
    expect(await agencyVersion()).toBe(before + 4);
  });

  it('keeps each car’s seasons and each agency’s hours and delivery places as JSON on its row', async () => {
    const carId = await newCar();
    const lists = async () =>
      testDb()
        .selectFrom('cars as c')
        .innerJoin('agencies as a', 'a.id', 'c.agency_id')
        .select(['c.seasons_json', 'a.opening_hours_json', 'a.delivery_json'])
        .where('c.id', '=', carId)
        .executeTakeFirstOrThrow();
    await testDb()
      .insertInto('car_seasons')
      .values([
        { car_id: carId, name: 'New Year', start_date: '2027-12-30', end_date: '2028-01-02', daily_rate: 60_000, min_rental_days: 3 },
        { car_id: carId, name: 'High', start_date: '2027-12-15', end_date: '2027-12-29', daily_rate: 40_000 },
      ])
      .execute();
    await testDb().deleteFrom('agency_opening_hours').where('agency_id', '=', agencyId).execute();
    await testDb().insertInto('agency_opening_hours').values({ agency_id: agencyId, weekday: 6, opens: '09:30', closes: '18:00' }).execute();
    await testDb().insertInto('agency_delivery_options').values({ agency_id: agencyId, landmark_slug: 'patong-beach', fee: 30_000 }).execute();
    expect(await lists()).toEqual({
      seasons_json: [
        { name: 'High', start_date: '2027-12-15', end_date: '2027-12-29', daily_rate: 40_000, min_rental_days: null },
        { name: 'New Year', start_date: '2027-12-30', end_date: '2028-01-02', daily_rate: 60_000, min_rental_days: 3 },
      ],
      opening_hours_json: [{ weekday: 6, opens: '09:30', closes: '18:00' }],
      delivery_json: [{ landmark: 'patong-beach', fee: 30_000 }],
    });
    await testDb().deleteFrom('car_seasons').where('car_id', '=', carId).execute();
    await testDb().deleteFrom('agency_opening_hours').where('agency_id', '=', agencyId).execute();
    await testDb().deleteFrom('agency_delivery_options').where('agency_id', '=', agencyId).execute();
    expect(await lists()).toEqual({ seasons_json: [], opening_hours_json: [], delivery_json: [] });
  });
});
