import { randomUUID } from 'node:crypto';
import { beforeEach, describe, expect, it, onTestFinished } from 'vitest';
import { createBooking } from '#core/bookings/create';
import type { PaymentProvider } from '#core/payments/provider';
import { DEFAULT_PRICING_RATES } from '#core/pricing/pricing';
import { getDb } from '#platform/db';
import { paymentProvider, setPaymentProviderForTests } from '#platform/payments';
import { stripeStandin } from '../helpers/stripe';
import { useApi } from '../helpers/api';
import { createAgencyAdmin, createCustomer } from '../helpers/auth';
import { book, bookingWorld, postStripeEvent, stripeEvent, type BookingWorld } from '../helpers/bookings';
import { bangkokDate, createCarFor, insertBooking } from '../helpers/cars';
import { insertBookingRow } from '../helpers/rentals';

const api = useApi();

/** The customer pays at Stripe (the stand-in) and Stripe tells us (the signed webhook): confirmed. */
async function payDeposit(intentId: string) {
  await stripeStandin.succeed(intentId);
  expect((await postStripeEvent(api, stripeEvent('payment_intent.succeeded', intentId))).body.outcome).toBe('confirmed');
}

const countBookings = async (carId: string) =>
  Number(
    (
      await getDb()
        .selectFrom('reservations')
        .select((eb) => eb.fn.countAll().as('n'))
        .where('car_id', '=', carId)
        .executeTakeFirstOrThrow()
    ).n,
  );

/**
 * For the rest of the current test, the handlers' payment provider records every deposit
 * intent asked for and gives each a fresh id (as Stripe would without an idempotency key), so
 * a second intent shows up both in `created` and as a second intent_id. Cancels and refunds
 * go to the Stripe stand-in as usual.
 */
async function recordDepositIntents(): Promise<Array<{ bookingId: string; amount: number }>> {
  const created: Array<{ bookingId: string; amount: number }> = [];
  const recording: PaymentProvider = {
    ...(await paymentProvider()),
    async createDepositIntent({ bookingId, amount }) {
      created.push({ bookingId, amount });
      const intentId = `pi_recorded_${randomUUID().replaceAll('-', '')}`;
      return { provider: 'stripe', intentId, clientSecret: `${intentId}_secret`, amount };
    },
  };
  setPaymentProviderForTests(recording);
  onTestFinished(() => setPaymentProviderForTests(undefined));
  return created;
}

describe('POST /bookings/', () => {
  let world: BookingWorld;
  beforeEach(async () => {
    world = await bookingWorld(api);
  });

  it('books inclusive dates: 3 days billed, priced on the server, pending for 15 minutes with a deposit intent', async () => {
    const start = bangkokDate(30);
    const end = bangkokDate(32);
    const answer = await book(api, world.customer.token, { car_id: world.car.id, start_date: start, end_date: end });
    expect(answer.status).toBe(201);
    // 3 × 900 THB = 2,700; 5 % fee = 135; 7 % VAT on 2,835 = 198.45 → 19,845 satang.
    expect(answer.body).toMatchObject({
      status: 'pending',
      car_id: world.car.id,
      start_date: start,
      end_date: end,
      days: 3,
      daily_rate_at_booking: 90_000,
      subtotal: 270_000,
      fees: 13_500,
      tax: 19_845,
      total_price: 303_345,
      deposit_amount: 500_000,
      currency: 'thb',
      payment: { provider: 'stripe', intent_id: expect.stringMatching(/^pi_/), client_secret: expect.any(String), amount: 500_000 },
    });
    const holdMinutes = (Date.parse(answer.body.expires_at) - Date.now()) / 60_000;
    expect(holdMinutes).toBeGreaterThan(14);
    expect(holdMinutes).toBeLessThanOrEqual(15);
  });

  it('requires an Idempotency-Key header', async () => {
    const answer = await api.post(
      '/bookings/',
      { car_id: world.car.id, start_date: bangkokDate(30), end_date: bangkokDate(30) },
      { token: world.customer.token },
    );
    expect(answer.status).toBe(400);
    expect(answer.body.errors).toContainEqual({
      path: 'Idempotency-Key',
      message: 'is required: a new UUID for each booking attempt, the same one on its retries',
    });
    expect(await countBookings(world.car.id)).toBe(0);
  });

  it('answers the same key and body with the same booking (201) and writes nothing new, no second PaymentIntent either', async () => {
    const intents = await recordDepositIntents();
    const key = randomUUID();
    const body = { car_id: world.car.id, start_date: bangkokDate(30), end_date: bangkokDate(31) };
    const first = await book(api, world.customer.token, body, key);
    const again = await book(api, world.customer.token, body, key);
    expect(again.status).toBe(201);
    expect(again.body).toEqual(first.body);
    expect(again.headers.get('idempotent-replayed')).toBe('true');
    expect(await countBookings(world.car.id)).toBe(1);
    expect(intents).toEqual([{ bookingId: first.body.id, amount: 500_000 }]);
  });

  it('replays a stored 201 as it was even after the car was repriced and unpublished', async () => {
    const key = randomUUID();
    const body = { car_id: world.car.id, start_date: bangkokDate(30), end_date: bangkokDate(31) };
    const first = await book(api, world.customer.token, body, key);
    expect(first.status).toBe(201);
    const changed = await api.patch(
      `/agency/cars/${world.car.id}/`,
      { daily_rate: 250_000, deposit_amount: 700_000, is_published: false },
      { token: world.agency.token },
    );
    expect(changed.status).toBe(200);
    // A new request for the car is refused now …
    expect((await book(api, world.customer.token, { ...body, start_date: bangkokDate(40), end_date: bangkokDate(40) })).status).toBe(404);
    // … but the replay is the first answer, old price and all, and writes nothing.
    const again = await book(api, world.customer.token, body, key);
    expect(again.status).toBe(201);
    expect(again.body).toEqual(first.body);
    expect(again.body).toMatchObject({ daily_rate_at_booking: 90_000, deposit_amount: 500_000 });
    expect(again.headers.get('idempotent-replayed')).toBe('true');
    expect(await countBookings(world.car.id)).toBe(1);
  });

  it('replays a stored 201 as it was even after its start date has passed', async () => {
    const key = randomUUID();
    const body = { car_id: world.car.id, start_date: bangkokDate(1), end_date: bangkokDate(1) };
    const first = await book(api, world.customer.token, body, key);
    expect(first.status).toBe(201);
    // The same request decided three days later, when a new booking for these dates would be a 400.
    const request = {
      customerId: world.customer.user.id,
      customerEmail: world.customer.email,
      idempotencyKey: key,
      carId: body.car_id,
      startDate: body.start_date,
      endDate: body.end_date,
    };
    const later = new Date(Date.now() + 3 * 86_400_000);
    const deps = { payments: await paymentProvider(), rates: DEFAULT_PRICING_RATES, now: later };
    await expect(createBooking(getDb(), { ...request, idempotencyKey: randomUUID() }, deps)).rejects.toMatchObject({ status: 400 });
    const replayed = await createBooking(getDb(), request, deps);
    expect(replayed).toEqual({ booking: first.body, replayed: true });
    expect(await countBookings(world.car.id)).toBe(1);
  });

  it('looks the key up per customer: another customer’s same key and body is a new request of theirs', async () => {
    const key = randomUUID();
    const body = { car_id: world.car.id, start_date: bangkokDate(30), end_date: bangkokDate(31) };
    const mine = await book(api, world.customer.token, body, key);
    const other = await createCustomer();
    const theirs = await book(api, other.token, body, key);
    expect(theirs.status).toBe(409);
    expect(theirs.body.type).toBe('/api/v1/problems/dates-not-available/');
    expect((await book(api, world.customer.token, body, key)).body).toEqual(mine.body);
  });

  it('refuses the same key with another body with 409, after validating that body’s dates (400 first)', async () => {
    const key = randomUUID();
    await book(api, world.customer.token, { car_id: world.car.id, start_date: bangkokDate(30), end_date: bangkokDate(31) }, key);
    const other = await book(api, world.customer.token, { car_id: world.car.id, start_date: bangkokDate(40), end_date: bangkokDate(41) }, key);
    expect(other.status).toBe(409);
    expect(other.body.detail).toMatch(/Idempotency-Key/);
    const badDates = await book(api, world.customer.token, { car_id: world.car.id, start_date: bangkokDate(-1), end_date: bangkokDate(1) }, key);
    expect(badDates.status).toBe(400);
    expect(await countBookings(world.car.id)).toBe(1);
  });

  it('makes one booking and asks the provider for exactly one PaymentIntent from 10 identical requests sent at once', async () => {
    const intents = await recordDepositIntents();
    const key = randomUUID();
    const body = { car_id: world.car.id, start_date: bangkokDate(50), end_date: bangkokDate(52) };
    const answers = await Promise.all(Array.from({ length: 10 }, () => book(api, world.customer.token, body, key)));
    expect(answers.map((answer) => answer.status)).toEqual(Array(10).fill(201));
    expect(new Set(answers.map((answer) => answer.body.id)).size).toBe(1);
    expect(intents).toEqual([{ bookingId: answers[0]!.body.id, amount: 500_000 }]);
    expect(new Set(answers.map((answer) => answer.body.payment.intent_id))).toEqual(new Set([answers[0]!.body.payment.intent_id]));
    expect(await countBookings(world.car.id)).toBe(1);
  });

  it('gives every booking a deposit PaymentIntent: a car with the minimum deposit (THB 10) is pending with an intent for 1,000 satang', async () => {
    const intents = await recordDepositIntents();
    const car = await createCarFor(api, world.agency.token, { is_published: true, deposit_amount: 1_000 });
    const answer = await book(api, world.customer.token, { car_id: car.id, start_date: bangkokDate(30), end_date: bangkokDate(30) });
    expect(answer.status).toBe(201);
    expect(answer.body).toMatchObject({
      status: 'pending',
      deposit_amount: 1_000,
      payment: { provider: 'stripe', intent_id: expect.any(String), client_secret: expect.any(String), amount: 1_000 },
    });
    expect(intents).toEqual([{ bookingId: answer.body.id, amount: 1_000 }]);
  });

  it('refuses with 409, writing nothing and asking for no intent, a car whose stored deposit is below THB 10 (a row written around the API)', async () => {
    const intents = await recordDepositIntents();
    const car = await createCarFor(api, world.agency.token, { is_published: true });
    await getDb().updateTable('cars').set({ deposit_amount: 0 }).where('id', '=', car.id).execute();
    const key = randomUUID();
    const answer = await book(api, world.customer.token, { car_id: car.id, start_date: bangkokDate(30), end_date: bangkokDate(30) }, key);
    expect(answer.status).toBe(409);
    expect(answer.body.detail).toMatch(/deposit is below the minimum of 1000 satang/);
    expect(await countBookings(car.id)).toBe(0);
    expect(intents).toEqual([]);
    const stored = await getDb().selectFrom('idempotency_keys').select('key').where('key', '=', key).executeTakeFirst();
    expect(stored).toBeUndefined();
  });

  it('refuses overlapping dates with 409 under the inclusive rule, and books the day after', async () => {
    await book(api, world.customer.token, { car_id: world.car.id, start_date: bangkokDate(30), end_date: bangkokDate(32) });
    const other = await createCustomer();
    const overlapping = await book(api, other.token, { car_id: world.car.id, start_date: bangkokDate(32), end_date: bangkokDate(34) });
    expect(overlapping.status).toBe(409);
    expect(overlapping.body.type).toBe('/api/v1/problems/dates-not-available/');
    const dayAfter = await book(api, other.token, { car_id: world.car.id, start_date: bangkokDate(33), end_date: bangkokDate(34) });
    expect(dayAfter.status).toBe(201);
  });

  it('lets an expired hold go: the dates can be booked again and the old hold becomes expired', async () => {
    const stale = await insertBooking(world.car.id, {
      status: 'pending',
      start: bangkokDate(30),
      end: bangkokDate(31),
      expiresAt: new Date(Date.now() - 1000),
    });
    const answer = await book(api, world.customer.token, { car_id: world.car.id, start_date: bangkokDate(31), end_date: bangkokDate(32) });
    expect(answer.status).toBe(201);
    const old = await getDb().selectFrom('reservations').select('status').where('id', '=', stale).executeTakeFirstOrThrow();
    expect(old.status).toBe('expired');
  });

  it('refuses a booking over an agency block', async () => {
    const blocked = await api.post(
      `/agency/cars/${world.car.id}/blocks/`,
      { start_date: bangkokDate(30), end_date: bangkokDate(35), reason: 'Service' },
      { token: world.agency.token },
    );
    expect(blocked.status).toBe(201);
    expect((await book(api, world.customer.token, { car_id: world.car.id, start_date: bangkokDate(35), end_date: bangkokDate(36) })).status).toBe(409);
  });

  it('refuses client-sent prices and unknown fields with 400', async () => {
    for (const extra of [{ total_price: 1 }, { daily_rate_at_booking: 1 }, { deposit_amount: 0 }, { status: 'confirmed' }]) {
      const answer = await book(api, world.customer.token, { car_id: world.car.id, start_date: bangkokDate(30), end_date: bangkokDate(30), ...extra });
      expect(answer.status).toBe(400);
    }
    expect(await countBookings(world.car.id)).toBe(0);
  });

  it('refuses bad dates with 400 before looking at the car', async () => {
    const missingCar = randomUUID();
    const cases = [
      { start_date: bangkokDate(-1), end_date: bangkokDate(1), path: 'start_date' },
      { start_date: bangkokDate(10), end_date: bangkokDate(9), path: 'end_date' },
      { start_date: bangkokDate(10), end_date: bangkokDate(100), path: 'end_date' },
      { start_date: bangkokDate(800), end_date: bangkokDate(801), path: 'start_date' },
      { start_date: '2027-02-30', end_date: '2027-03-01', path: 'start_date' },
      { start_date: '10/01/2027', end_date: '2027-01-12', path: 'start_date' },
    ];
    for (const { path, ...dates } of cases) {
      const answer = await book(api, world.customer.token, { car_id: missingCar, ...dates });
      expect(answer.status, JSON.stringify(dates)).toBe(400);
      expect(answer.body.errors.map((error: { path: string }) => error.path)).toContain(path);
    }
  });

  it('answers 404 for an unpublished, deleted or unknown car', async () => {
    const unpublished = await createCarFor(api, world.agency.token, { is_published: false });
    expect((await book(api, world.customer.token, { car_id: unpublished.id, start_date: bangkokDate(30), end_date: bangkokDate(30) })).status).toBe(404);
    expect((await book(api, world.customer.token, { car_id: randomUUID(), start_date: bangkokDate(30), end_date: bangkokDate(30) })).status).toBe(404);
  });

  it('keeps the price of a booking when the car’s rate changes afterwards', async () => {
    const made = await book(api, world.customer.token, { car_id: world.car.id, start_date: bangkokDate(30), end_date: bangkokDate(31) });
    const patched = await api.patch(`/agency/cars/${world.car.id}/`, { daily_rate: 250_000 }, { token: world.agency.token });
    expect(patched.status).toBe(200);
    const later = await api.get(`/bookings/${made.body.id}/`, { token: world.customer.token });
    expect(later.body).toMatchObject({ daily_rate_at_booking: 90_000, subtotal: 180_000, total_price: made.body.total_price });
  });

  it('is for customers only: an agency admin gets 403, anonymous 401', async () => {
    const body = { car_id: world.car.id, start_date: bangkokDate(30), end_date: bangkokDate(30) };
    expect((await book(api, world.agency.token, body)).status).toBe(403);
    expect((await api.post('/bookings/', body, { headers: { 'idempotency-key': randomUUID() } })).status).toBe(401);
  });
});

describe('the customer’s bookings', () => {
  it('lists and shows only the caller’s own bookings; another customer’s is a 404', async () => {
    const world = await bookingWorld(api);
    const mine = await book(api, world.customer.token, { car_id: world.car.id, start_date: bangkokDate(30), end_date: bangkokDate(30) });
    const other = await createCustomer();
    const theirs = await book(api, other.token, { car_id: world.car.id, start_date: bangkokDate(31), end_date: bangkokDate(31) });

    const list = await api.get('/bookings/', { token: world.customer.token });
    expect(list.body.results.map((booking: { id: string }) => booking.id)).toEqual([mine.body.id]);
    expect(list.body.next_cursor).toBeNull();
    expect((await api.get(`/bookings/${mine.body.id}/`, { token: world.customer.token })).status).toBe(200);
    expect((await api.get(`/bookings/${theirs.body.id}/`, { token: world.customer.token })).status).toBe(404);
    expect((await api.post(`/bookings/${theirs.body.id}/cancel/`, undefined, { token: world.customer.token })).status).toBe(404);
  });

  it('pages through bookings newest first with a cursor', async () => {
    const world = await bookingWorld(api);
    const ids: string[] = [];
    // Five bookings of one customer: more than the unpaid holds one may have at once, so rows.
    for (let day = 30; day < 35; day++) {
      ids.push(
        await insertBookingRow({
          carId: world.car.id,
          customerId: world.customer.user.id,
          status: 'confirmed',
          start: bangkokDate(day),
          end: bangkokDate(day),
        }),
      );
    }
    const first = await api.get('/bookings/?limit=2', { token: world.customer.token });
    const second = await api.get(`/bookings/?limit=2&cursor=${first.body.next_cursor}`, { token: world.customer.token });
    const third = await api.get(`/bookings/?limit=2&cursor=${second.body.next_cursor}`, { token: world.customer.token });
    const seen = [...first.body.results, ...second.body.results, ...third.body.results].map((booking: { id: string }) => booking.id);
    expect(seen).toEqual([...ids].reverse());
    expect(third.body.next_cursor).toBeNull();
    expect((await api.get('/bookings/?cursor=garbage', { token: world.customer.token })).status).toBe(400);
  });

  it('cancels a pending booking: dates freed, PaymentIntent cancelled, nothing to refund', async () => {
    const world = await bookingWorld(api);
    const made = await book(api, world.customer.token, { car_id: world.car.id, start_date: bangkokDate(30), end_date: bangkokDate(31) });
    const cancelled = await api.post(`/bookings/${made.body.id}/cancel/`, undefined, { token: world.customer.token });
    expect(cancelled.status).toBe(200);
    expect(cancelled.body).toMatchObject({ status: 'cancelled', refund: null });
    expect((await stripeStandin.intent(made.body.payment.intent_id)).status).toBe('canceled');
    const other = await createCustomer();
    expect((await book(api, other.token, { car_id: world.car.id, start_date: bangkokDate(30), end_date: bangkokDate(31) })).status).toBe(201);
  });

  it('refunds the full deposit of a confirmed booking cancelled 48 hours or more before the start day', async () => {
    const world = await bookingWorld(api);
    const made = await book(api, world.customer.token, { car_id: world.car.id, start_date: bangkokDate(10), end_date: bangkokDate(11) });
    await payDeposit(made.body.payment.intent_id);
    const cancelled = await api.post(`/bookings/${made.body.id}/cancel/`, undefined, { token: world.customer.token });
    expect(cancelled.body).toMatchObject({ status: 'cancelled', refund: { amount: 500_000 } });
    expect(await stripeStandin.refunds(made.body.payment.intent_id)).toMatchObject([{ amount: 500_000, status: 'succeeded' }]);
  });

  it('keeps the deposit of a confirmed booking cancelled less than 48 hours before the start day', async () => {
    const world = await bookingWorld(api);
    const made = await book(api, world.customer.token, { car_id: world.car.id, start_date: bangkokDate(1), end_date: bangkokDate(2) });
    await payDeposit(made.body.payment.intent_id);
    const cancelled = await api.post(`/bookings/${made.body.id}/cancel/`, undefined, { token: world.customer.token });
    expect(cancelled.body).toMatchObject({ status: 'cancelled', refund: null });
    expect(await stripeStandin.refunds(made.body.payment.intent_id)).toEqual([]);
    expect((await stripeStandin.intent(made.body.payment.intent_id)).status).toBe('succeeded');
  });

  it('refuses to cancel a booking twice with 409', async () => {
    const world = await bookingWorld(api);
    const made = await book(api, world.customer.token, { car_id: world.car.id, start_date: bangkokDate(30), end_date: bangkokDate(30) });
    await api.post(`/bookings/${made.body.id}/cancel/`, undefined, { token: world.customer.token });
    expect((await api.post(`/bookings/${made.body.id}/cancel/`, undefined, { token: world.customer.token })).status).toBe(409);
  });
});

describe('the agency’s bookings and blocks', () => {
  it('lists bookings of its own cars only, filtered by status, car and dates', async () => {
    const world = await bookingWorld(api);
    const secondCar = await createCarFor(api, world.agency.token, { is_published: true });
    const a = await book(api, world.customer.token, { car_id: world.car.id, start_date: bangkokDate(30), end_date: bangkokDate(31) });
    const b = await book(api, world.customer.token, { car_id: secondCar.id, start_date: bangkokDate(40), end_date: bangkokDate(41) });
    await getDb().updateTable('reservations').set({ status: 'confirmed', expires_at: null }).where('id', '=', b.body.id).execute();
    const rival = await bookingWorld(api);
    await book(api, rival.customer.token, { car_id: rival.car.id, start_date: bangkokDate(30), end_date: bangkokDate(31) });

    const ids = async (query: string) =>
      (await api.get(`/agency/bookings/${query}`, { token: world.agency.token })).body.results.map((booking: { id: string }) => booking.id);
    expect(await ids('')).toEqual([a.body.id, b.body.id]);
    expect(await ids('?status=confirmed')).toEqual([b.body.id]);
    expect(await ids(`?car_id=${world.car.id}`)).toEqual([a.body.id]);
    expect(await ids(`?from=${bangkokDate(35)}`)).toEqual([b.body.id]);
    expect(await ids(`?to=${bangkokDate(30)}`)).toEqual([a.body.id]);
    const listed = await api.get('/agency/bookings/', { token: world.agency.token });
    expect(listed.body.results[0].customer).toEqual({ full_name: 'Test Traveller', email: world.customer.email });
    expect((await api.get('/agency/bookings/?status=bogus', { token: world.agency.token })).status).toBe(400);
  });

  it('follows the state machine: allowed transitions 200, any other between valid statuses 409, no status 400', async () => {
    const world = await bookingWorld(api);
    const cases: Array<[from: string, to: string, expected: number]> = [
      ['pending', 'confirmed', 200],
      ['pending', 'cancelled', 200],
      ['confirmed', 'cancelled', 200],
      ['confirmed', 'completed', 200],
      ['pending', 'completed', 409],
      ['pending', 'expired', 409],
      ['pending', 'pending', 409],
      ['confirmed', 'pending', 409],
      ['confirmed', 'expired', 409],
      ['cancelled', 'confirmed', 409],
      ['cancelled', 'pending', 409],
      ['expired', 'confirmed', 409],
      ['completed', 'cancelled', 409],
      ['completed', 'confirmed', 409],
    ];
    for (const [index, [from, to, expected]] of cases.entries()) {
      // Each case on its own day, so date-holding rows never overlap; the allowed completion starts today.
      const start = to === 'completed' && expected === 200 ? bangkokDate(0) : bangkokDate(10 + index);
      const id = await insertBooking(world.car.id, { status: from as 'pending', start, end: start });
      const answer = await api.patch(`/agency/bookings/${id}/`, { status: to }, { token: world.agency.token });
      expect(answer.status, `${from} → ${to}`).toBe(expected);
      if (expected === 200) expect(answer.body.status).toBe(to);
    }
    const id = await insertBooking(world.car.id, { status: 'pending', start: bangkokDate(60), end: bangkokDate(60) });
    expect((await api.patch(`/agency/bookings/${id}/`, { status: 'finished' }, { token: world.agency.token })).status).toBe(400);
  });

  it('completes a confirmed booking only on or after its start date', async () => {
    const world = await bookingWorld(api);
    const future = await insertBooking(world.car.id, { status: 'confirmed', start: bangkokDate(5), end: bangkokDate(6) });
    expect((await api.patch(`/agency/bookings/${future}/`, { status: 'completed' }, { token: world.agency.token })).status).toBe(409);
    const today = await insertBooking(world.car.id, { status: 'confirmed', start: bangkokDate(0), end: bangkokDate(1) });
    expect((await api.patch(`/agency/bookings/${today}/`, { status: 'completed' }, { token: world.agency.token })).status).toBe(200);
  });

  it('answers 404 for another agency’s booking, and 403 for a customer', async () => {
    const world = await bookingWorld(api);
    const id = await insertBooking(world.car.id, { status: 'pending', start: bangkokDate(30), end: bangkokDate(30) });
    const rival = await createAgencyAdmin();
    expect((await api.patch(`/agency/bookings/${id}/`, { status: 'confirmed' }, { token: rival.token })).status).toBe(404);
    expect((await api.get('/agency/bookings/', { token: rival.token })).body.results).toEqual([]);
    expect((await api.get('/agency/bookings/', { token: world.customer.token })).status).toBe(403);
  });

  it('blocks dates under the same no-overlap rule, lists and lifts blocks', async () => {
    const world = await bookingWorld(api);
    const blocks = `/agency/cars/${world.car.id}/blocks/`;
    await book(api, world.customer.token, { car_id: world.car.id, start_date: bangkokDate(30), end_date: bangkokDate(31) });
    const overBooking = await api.post(blocks, { start_date: bangkokDate(31), end_date: bangkokDate(33), reason: 'Tyres' }, { token: world.agency.token });
    expect(overBooking.status).toBe(409);
    const block = await api.post(blocks, { start_date: bangkokDate(32), end_date: bangkokDate(33), reason: 'Tyres' }, { token: world.agency.token });
    expect(block.status).toBe(201);
    expect(block.body).toMatchObject({ start_date: bangkokDate(32), end_date: bangkokDate(33), reason: 'Tyres', status: 'confirmed' });
    expect((await api.post(blocks, { start_date: bangkokDate(33), end_date: bangkokDate(34), reason: 'Paint' }, { token: world.agency.token })).status).toBe(
      409,
    );
    expect((await api.get(blocks, { token: world.agency.token })).body.results.map((b: { id: string }) => b.id)).toEqual([block.body.id]);

    expect((await api.delete(`${blocks}${block.body.id}/`, { token: world.agency.token })).status).toBe(204);
    expect((await api.get(blocks, { token: world.agency.token })).body.results).toEqual([]);
    expect((await api.post(blocks, { start_date: bangkokDate(33), end_date: bangkokDate(34), reason: 'Paint' }, { token: world.agency.token })).status).toBe(
      201,
    );
  });

  it('refuses blocks on another agency’s car (404) and bad block input (400)', async () => {
    const world = await bookingWorld(api);
    const rival = await createAgencyAdmin();
    const blocks = `/agency/cars/${world.car.id}/blocks/`;
    expect((await api.post(blocks, { start_date: bangkokDate(30), end_date: bangkokDate(30), reason: 'x' }, { token: rival.token })).status).toBe(404);
    expect((await api.get(blocks, { token: rival.token })).status).toBe(404);
    // Validation is decided before state: a forged cursor is a 400 even for a car that is not yours.
    const forged = Buffer.from('["yesterday","x"]').toString('base64url');
    for (const token of [rival.token, world.agency.token]) {
      const answer = await api.get(`${blocks}?cursor=${forged}`, { token });
      expect(answer.status).toBe(400);
      expect(answer.body.errors).toEqual([{ path: 'cursor', message: expect.any(String) }]);
    }
    for (const body of [
      { start_date: bangkokDate(30), end_date: bangkokDate(29), reason: 'x' },
      { start_date: bangkokDate(30), end_date: bangkokDate(30) },
      { start_date: bangkokDate(30), end_date: bangkokDate(30), reason: 'x', extra: 1 },
      { start_date: bangkokDate(30), end_date: bangkokDate(30), reason: 'x'.repeat(501) },
    ]) {
      expect((await api.post(blocks, body, { token: world.agency.token })).status, JSON.stringify(body)).toBe(400);
    }
  });
});
