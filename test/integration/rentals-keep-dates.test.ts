import { sql } from 'kysely';
import { beforeEach, describe, expect, it } from 'vitest';
import { getDb } from '#platform/db';
import { useApi } from '../helpers/api';
import { stripeStandin } from '../helpers/stripe';
import { createCustomer, type TestUser } from '../helpers/auth';
import { book, bookingWorld, postStripeEvent, stripeEvent, type BookingWorld } from '../helpers/bookings';
import { bangkokDate } from '../helpers/cars';
import { insertBookingRow } from '../helpers/rentals';

const api = useApi();

let world: BookingWorld;
let other: TestUser;
beforeEach(async () => {
  world = await bookingWorld(api);
  other = await createCustomer();
});

/** A booking of world's car by world's customer, paid through the (signed) webhook: confirmed. */
async function paidBooking(start: string, end: string) {
  const created = await book(api, world.customer.token, { car_id: world.car.id, start_date: start, end_date: end });
  expect(created.status).toBe(201);
  await stripeStandin.succeed(created.body.payment.intent_id);
  expect((await postStripeEvent(api, stripeEvent('payment_intent.succeeded', created.body.payment.intent_id))).body.outcome).toBe('confirmed');
  return created.body.id as string;
}

const setStatus = (bookingId: string, status: string) => api.patch(`/agency/bookings/${bookingId}/`, { status }, { token: world.agency.token });

describe('a completed rental keeps holding its dates', () => {
  it('completing on the last day does not free the car: another customer cannot book the same dates (the early-completion double booking)', async () => {
    const today = bangkokDate(0);
    const bookingId = await paidBooking(today, today);
    const completed = await setStatus(bookingId, 'completed');
    expect(completed.status).toBe(200);
    expect(completed.body).toMatchObject({ status: 'completed', start_date: today, end_date: today, booked_end_date: null });

    const second = await book(api, other.token, { car_id: world.car.id, start_date: today, end_date: today });
    expect(second.status).toBe(409);
  });

  it('completing before end_date is an early return: the rental ends today, only the days after today are freed, the booked end and price stay', async () => {
    const today = bangkokDate(0);
    const bookedEnd = bangkokDate(3);
    const bookingId = await paidBooking(today, bookedEnd);
    const returned = await setStatus(bookingId, 'completed');
    expect(returned.status).toBe(200);
    expect(returned.body).toMatchObject({ status: 'completed', start_date: today, end_date: today, booked_end_date: bookedEnd, days: 4 });

    expect((await book(api, other.token, { car_id: world.car.id, start_date: today, end_date: bangkokDate(1) })).status).toBe(409);
    const afterReturn = await book(api, other.token, { car_id: world.car.id, start_date: bangkokDate(1), end_date: bookedEnd });
    expect(afterReturn.status).toBe(201);
  });

  it('the database itself refuses a reservation over a completed one (exclusion constraint, 23P01)', async () => {
    const start = bangkokDate(-5);
    const end = bangkokDate(-3);
    await insertBookingRow({ carId: world.car.id, customerId: world.customer.user.id, status: 'completed', start, end });
    await expect(
      insertBookingRow({ carId: world.car.id, customerId: other.user.id, status: 'confirmed', start: bangkokDate(-4), end: bangkokDate(-4) }),
    ).rejects.toMatchObject({ code: '23P01' });
  });

  it('an early return on any other day than today cannot be written (booked_end_date only after a shorter end, on completed bookings)', async () => {
    const id = await insertBookingRow({
      carId: world.car.id,
      customerId: world.customer.user.id,
      status: 'confirmed',
      start: bangkokDate(10),
      end: bangkokDate(12),
    });
    await expect(sql`UPDATE reservations SET booked_end_date = end_date + 1 WHERE id = ${id}`.execute(getDb())).rejects.toMatchObject({ code: '23514' });
  });
});

describe('a running rental is ended by the agency, not cancelled by the customer', () => {
  it('the customer cannot cancel on the start day (409 saying why); the booking keeps its dates', async () => {
    const today = bangkokDate(0);
    const bookingId = await paidBooking(today, bangkokDate(2));
    const cancel = await api.post(`/bookings/${bookingId}/cancel/`, undefined, { token: world.customer.token });
    expect(cancel.status).toBe(409);
    expect(cancel.headers.get('content-type')).toMatch(/problem\+json/);
    expect(cancel.body.detail).toMatch(/started/);
    expect((await api.get(`/bookings/${bookingId}/`, { token: world.customer.token })).body.status).toBe('confirmed');
    expect((await book(api, other.token, { car_id: world.car.id, start_date: today, end_date: today })).status).toBe(409);
  });

  it('nor an unpaid hold for today', async () => {
    const today = bangkokDate(0);
    const created = await book(api, world.customer.token, { car_id: world.car.id, start_date: today, end_date: today });
    expect((await api.post(`/bookings/${created.body.id}/cancel/`, undefined, { token: world.customer.token })).status).toBe(409);
  });

  it('the day before the start the customer still can', async () => {
    const bookingId = await paidBooking(bangkokDate(1), bangkokDate(2));
    expect((await api.post(`/bookings/${bookingId}/cancel/`, undefined, { token: world.customer.token })).status).toBe(200);
  });

  it('the agency can cancel a no-show on the start day: the deposit is refunded in full and the dates free up', async () => {
    const today = bangkokDate(0);
    const bookingId = await paidBooking(today, bangkokDate(1));
    const intentId = (await api.get(`/bookings/${bookingId}/`, { token: world.customer.token })).body.payment.intent_id;
    const cancelled = await setStatus(bookingId, 'cancelled');
    expect(cancelled.status).toBe(200);
    expect(await stripeStandin.refunds(intentId)).toMatchObject([{ amount: 500_000, status: 'succeeded' }]);
    expect((await book(api, other.token, { car_id: world.car.id, start_date: today, end_date: today })).status).toBe(201);
  });
});
