import { randomUUID } from 'node:crypto';
import { sql, type Insertable } from 'kysely';
import { beforeAll, describe, expect, it } from 'vitest';
import type { ReservationsTable, ReservationStatus } from '#core/reservations/table';
import { rejection, testDb } from '../helpers/db';

/**
 * The database's own guarantees for reservations (migrations/…_core_schema.ts), tested with
 * plain inserts: no application code sits between these rows and the constraints.
 */

const DAILY_RATE = 150_000;
const DAY_MS = 86_400_000;

let customerId: string;
let agencyId: string;

async function insertUser(role: 'customer' | 'agency_admin'): Promise<string> {
  const unique = randomUUID();
  const row = await testDb()
    .insertInto('users')
    .values({ cognito_sub: unique, email: `${role}-${unique}@example.com`, full_name: 'Constraint Tester', role })
    .returning('id')
    .executeTakeFirstOrThrow();
  return row.id;
}

/** A fresh car per test, so no test's reservations hold another test's dates. */
async function newCar(): Promise<string> {
  const row = await testDb()
    .insertInto('cars')
    .values({
      agency_id: agencyId,
      make: 'Toyota',
      model: 'Yaris',
      year: 2024,
      car_type: 'economy',
      transmission: 'automatic',
      seats: 5,
      fuel_type: 'petrol',
      daily_rate: DAILY_RATE,
      deposit_amount: 500_000,
      lat: null,
      lng: null,
      pickup_address: null,
    })
    .returning('id')
    .executeTakeFirstOrThrow();
  return row.id;
}

const inclusiveDays = (start: string, end: string) => Math.round((Date.parse(end) - Date.parse(start)) / DAY_MS) + 1;

/** A complete, consistent customer booking row: days and prices as the server computes them. */
function booking(carId: string, start: string, end: string, overrides: Partial<Insertable<ReservationsTable>> = {}): Insertable<ReservationsTable> {
  const days = inclusiveDays(start, end);
  const subtotal = days * DAILY_RATE;
  const fees = 5_000;
  const tax = Math.round(subtotal * 0.07);
  const status: ReservationStatus = overrides.status ?? 'pending';
  return {
    car_id: carId,
    kind: 'booking',
    status,
    start_date: start,
    end_date: end,
    customer_id: customerId,
    expires_at: status === 'pending' ? new Date(Date.now() + 15 * 60_000) : null,
    days,
    daily_rate_at_booking: DAILY_RATE,
    subtotal,
    fees,
    tax,
    total_price: subtotal + fees + tax,
    deposit_amount: 500_000,
    payment_intent_id: null,
    reason: null,
    ...overrides,
  };
}

/** An agency's maintenance block: no customer, no prices. */
function block(carId: string, start: string, end: string, status: 'confirmed' | 'cancelled' = 'confirmed'): Insertable<ReservationsTable> {
  return {
    car_id: carId,
    kind: 'block',
    status,
    start_date: start,
    end_date: end,
    reason: 'Maintenance',
  };
}

async function insert(row: Insertable<ReservationsTable>): Promise<string> {
  const inserted = await testDb().insertInto('reservations').values(row).returning('id').executeTakeFirstOrThrow();
  return inserted.id;
}

/** Resolves with the error's SQLSTATE and constraint, or fails the test if the insert succeeded. */
const OVERLAP = { code: '23P01', constraint: 'reservations_no_overlap' };
const check = (constraint: string) => ({ code: '23514', constraint });

beforeAll(async () => {
  customerId = await insertUser('customer');
  const adminId = await insertUser('agency_admin');
  const agency = await testDb()
    .insertInto('agencies')
    .values({ admin_user_id: adminId, name: 'Constraint Rentals', phone: '+66 76 000 000', address: 'Patong', lat: 7.8961, lng: 98.2967 })
    .returning('id')
    .executeTakeFirstOrThrow();
  agencyId = agency.id;
});

describe('the no-overlap exclusion constraint', () => {
  it('refuses an overlapping booking of the same car while the first is pending (23P01)', async () => {
    const car = await newCar();
    await insert(booking(car, '2027-01-10', '2027-01-12', { status: 'pending' }));
    expect(await rejection(insert(booking(car, '2027-01-11', '2027-01-15')))).toEqual(OVERLAP);
  });

  it('refuses an overlapping booking of the same car once the first is confirmed (23P01)', async () => {
    const car = await newCar();
    await insert(booking(car, '2027-01-10', '2027-01-12', { status: 'confirmed' }));
    expect(await rejection(insert(booking(car, '2027-01-09', '2027-01-20', { status: 'confirmed' })))).toEqual(OVERLAP);
  });

  it('treats ranges as inclusive: 10..12 conflicts with a request starting on its last day (12..14)', async () => {
    const car = await newCar();
    await insert(booking(car, '2027-01-10', '2027-01-12', { status: 'confirmed' }));
    expect(await rejection(insert(booking(car, '2027-01-12', '2027-01-14')))).toEqual(OVERLAP);
  });

  it('treats ranges as inclusive: 10..12 conflicts with a request ending on its first day (08..10)', async () => {
    const car = await newCar();
    await insert(booking(car, '2027-01-10', '2027-01-12', { status: 'confirmed' }));
    expect(await rejection(insert(booking(car, '2027-01-08', '2027-01-10')))).toEqual(OVERLAP);
  });

  it('lets the next booking start the day after the last day (10..12 then 13..14) and end the day before (08..09)', async () => {
    const car = await newCar();
    await insert(booking(car, '2027-01-10', '2027-01-12', { status: 'confirmed' }));
    await insert(booking(car, '2027-01-13', '2027-01-14'));
    await insert(booking(car, '2027-01-08', '2027-01-09'));
    const held = await testDb().selectFrom('reservations').select('id').where('car_id', '=', car).execute();
    expect(held).toHaveLength(3);
  });

  it('stores the period as the inclusive daterange [start, end] (upper bound = end + 1 day)', async () => {
    const car = await newCar();
    const id = await insert(booking(car, '2027-01-10', '2027-01-12'));
    const { lower, upper, days } = await testDb()
      .selectFrom('reservations')
      .select([sql<string>`lower(period)::text`.as('lower'), sql<string>`upper(period)::text`.as('upper'), 'days'])
      .where('id', '=', id)
      .executeTakeFirstOrThrow();
    expect({ lower, upper, days }).toEqual({ lower: '2027-01-10', upper: '2027-01-13', days: 3 });
  });

  it('makes a one-day rental (start == end) occupy that day, and only that day', async () => {
    const car = await newCar();
    const id = await insert(booking(car, '2027-02-05', '2027-02-05', { status: 'confirmed' }));
    const { empty } = await testDb()
      .selectFrom('reservations')
      .select(sql<boolean>`isempty(period)`.as('empty'))
      .where('id', '=', id)
      .executeTakeFirstOrThrow();
    expect(empty).toBe(false);
    expect(await rejection(insert(booking(car, '2027-02-05', '2027-02-05')))).toEqual(OVERLAP);
    expect(await rejection(insert(booking(car, '2027-02-01', '2027-02-10')))).toEqual(OVERLAP);
    await insert(booking(car, '2027-02-04', '2027-02-04'));
    await insert(booking(car, '2027-02-06', '2027-02-06'));
  });

  it.each(['cancelled', 'expired'] as const)('does not let a %s booking hold its dates', async (status) => {
    const car = await newCar();
    await insert(booking(car, '2027-03-10', '2027-03-12', { status }));
    // Several non-holding rows may even overlap each other.
    await insert(booking(car, '2027-03-11', '2027-03-11', { status }));
    await insert(booking(car, '2027-03-10', '2027-03-12', { status: 'confirmed' }));
  });

  it('lets a completed booking keep its dates (a rental that ended is not a way to free them)', async () => {
    const car = await newCar();
    await insert(booking(car, '2027-03-10', '2027-03-12', { status: 'completed' }));
    expect(await rejection(insert(booking(car, '2027-03-12', '2027-03-13', { status: 'confirmed' })))).toEqual(OVERLAP);
    expect(await rejection(insert(booking(car, '2027-03-11', '2027-03-11', { status: 'completed' })))).toEqual(OVERLAP);
    await insert(booking(car, '2027-03-13', '2027-03-13', { status: 'confirmed' }));
  });

  it('frees the dates when a pending booking is cancelled, and refuses to revive it over a newer booking', async () => {
    const car = await newCar();
    const first = await insert(booking(car, '2027-03-20', '2027-03-22'));
    expect(await rejection(insert(booking(car, '2027-03-21', '2027-03-21')))).toEqual(OVERLAP);
    await testDb().updateTable('reservations').set({ status: 'cancelled' }).where('id', '=', first).execute();
    await insert(booking(car, '2027-03-21', '2027-03-21', { status: 'confirmed' }));
    const revive = testDb().updateTable('reservations').set({ status: 'confirmed' }).where('id', '=', first).execute();
    expect(await rejection(revive)).toEqual(OVERLAP);
  });

  it('refuses a booking over an agency block, and a block over a booking', async () => {
    const blocked = await newCar();
    await insert(block(blocked, '2027-04-10', '2027-04-12'));
    expect(await rejection(insert(booking(blocked, '2027-04-12', '2027-04-13')))).toEqual(OVERLAP);

    const booked = await newCar();
    await insert(booking(booked, '2027-04-10', '2027-04-12', { status: 'confirmed' }));
    expect(await rejection(insert(block(booked, '2027-04-11', '2027-04-11')))).toEqual(OVERLAP);
  });

  it('does not let a cancelled block hold its dates', async () => {
    const car = await newCar();
    await insert(block(car, '2027-04-10', '2027-04-12', 'cancelled'));
    await insert(booking(car, '2027-04-10', '2027-04-12'));
  });

  it('lets another car be booked for the same dates', async () => {
    const car = await newCar();
    const otherCar = await newCar();
    await insert(booking(car, '2027-05-01', '2027-05-07', { status: 'confirmed' }));
    await insert(booking(otherCar, '2027-05-01', '2027-05-07', { status: 'confirmed' }));
    await insert(block(otherCar, '2027-05-08', '2027-05-09'));
  });

  it('answers INSERT … ON CONFLICT DO NOTHING RETURNING id with zero rows (no error) for an overlap', async () => {
    const car = await newCar();
    await insert(booking(car, '2027-06-10', '2027-06-12'));
    const lost = await testDb()
      .insertInto('reservations')
      .values(booking(car, '2027-06-12', '2027-06-15'))
      .onConflict((conflict) => conflict.doNothing())
      .returning('id')
      .execute();
    expect(lost).toEqual([]);
    const won = await testDb()
      .insertInto('reservations')
      .values(booking(car, '2027-06-13', '2027-06-15'))
      .onConflict((conflict) => conflict.doNothing())
      .returning('id')
      .execute();
    expect(won).toHaveLength(1);
    const rows = await testDb().selectFrom('reservations').select('start_date').where('car_id', '=', car).orderBy('start_date').execute();
    expect(rows.map((row) => row.start_date)).toEqual(['2027-06-10', '2027-06-13']);
  });
});

describe('the shape checks of a reservation row', () => {
  it('refuses end_date before start_date (22000 from the inclusive daterange, or the 23514 ordering check)', async () => {
    const car = await newCar();
    const refused = await rejection(insert(booking(car, '2027-07-12', '2027-07-10', { days: -1 })));
    // The generated inclusive daterange refuses reversed bounds (22000) before the CHECK
    // reservations_dates_ordered (23514) is evaluated; either way the row is not written.
    expect(['23514', '22000']).toContain(refused.code);
    const rows = await testDb().selectFrom('reservations').select('id').where('car_id', '=', car).execute();
    expect(rows).toEqual([]);
  });

  it('refuses a booking whose total is not subtotal + fees + tax (23514)', async () => {
    const car = await newCar();
    const row = booking(car, '2027-07-10', '2027-07-12');
    expect(await rejection(insert({ ...row, total_price: row.total_price! - 1 }))).toEqual(check('reservations_total_adds_up'));
  });

  it.each(['subtotal', 'fees', 'tax', 'daily_rate_at_booking', 'deposit_amount'] as const)('refuses negative money in %s (23514)', async (column) => {
    const car = await newCar();
    const row = booking(car, '2027-07-10', '2027-07-12');
    const negative = { ...row, [column]: -100 };
    // Keep the total adding up, so only the non-negative rule can refuse the row.
    negative.total_price = negative.subtotal! + negative.fees! + negative.tax!;
    expect(await rejection(insert(negative))).toEqual(check('reservations_money_not_negative'));
  });

  it('refuses a negative total even if it adds up (23514)', async () => {
    const car = await newCar();
    const row = booking(car, '2027-07-10', '2027-07-12', { subtotal: 0, fees: 0, tax: -1, total_price: -1 });
    expect(await rejection(insert(row))).toEqual(check('reservations_money_not_negative'));
  });

  it('refuses a booking whose days do not match its inclusive dates (23514)', async () => {
    const car = await newCar();
    // 10..12 is 3 days, not 2 (the exclusive count).
    const row = booking(car, '2027-07-10', '2027-07-12');
    expect(await rejection(insert({ ...row, days: 2 }))).toEqual(check('reservations_days_match_dates'));
  });

  it('refuses a booking without a customer or without its prices (23514)', async () => {
    const car = await newCar();
    expect(await rejection(insert(booking(car, '2027-07-10', '2027-07-12', { customer_id: null })))).toEqual(check('reservations_booking_complete'));
    expect(await rejection(insert(booking(car, '2027-07-10', '2027-07-12', { deposit_amount: null })))).toEqual(check('reservations_booking_complete'));
  });

  it('refuses a pending booking without expires_at (23514)', async () => {
    const car = await newCar();
    expect(await rejection(insert(booking(car, '2027-07-10', '2027-07-12', { status: 'pending', expires_at: null })))).toEqual(
      check('reservations_pending_expires'),
    );
  });

  it('refuses a block with a customer, or a block that is pending (23514)', async () => {
    const car = await newCar();
    expect(await rejection(insert({ ...block(car, '2027-07-10', '2027-07-12'), customer_id: customerId }))).toEqual(check('reservations_block_shape'));
    expect(await rejection(insert({ ...block(car, '2027-07-10', '2027-07-12'), status: 'pending', expires_at: new Date() }))).toEqual(
      check('reservations_block_shape'),
    );
  });
});
