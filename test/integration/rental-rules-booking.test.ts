import { randomUUID } from 'node:crypto';
import { sql, type Kysely } from 'kysely';
import { beforeEach, describe, expect, it } from 'vitest';
import type { Database } from '#core/database';
import { getDb } from '#platform/db';
import { useApi } from '../helpers/api';
import { createCustomer, type TestUser } from '../helpers/auth';
import { book, bookingWorld, type BookingWorld } from '../helpers/bookings';
import { addSeason, bangkokDate, everyDay, insertBooking, setAgencyTerms, setCarTerms } from '../helpers/cars';
import { connect, ownerUrl } from '../helpers/db';

/**
 * POST /bookings/ under the car's rental rules (issue 17): each rule refuses with 409
 * `rental-rule` naming it, before anything is written; what the rules allow is charged by the
 * one pricing function (seasons, length discounts, delivery and after-hours fees), stored with
 * its breakdown and shown in every booking answer.
 */

const api = useApi();
let world: BookingWorld;
let agencyId: string;

beforeEach(async () => {
  world = await bookingWorld(api); // 900 THB a day, 5,000 THB deposit, no rules
  agencyId = world.agency.agency!.id;
});

/** What the car holds and the customer's idempotency keys: a refusal must leave both untouched. */
async function written(customer: TestUser) {
  const db = getDb();
  const [reservations, keys] = await Promise.all([
    db
      .selectFrom('reservations')
      .select((eb) => eb.fn.countAll<string>().as('n'))
      .where('car_id', '=', world.car.id)
      .executeTakeFirstOrThrow(),
    db
      .selectFrom('idempotency_keys')
      .select((eb) => eb.fn.countAll<string>().as('n'))
      .where('customer_id', '=', customer.user.id)
      .executeTakeFirstOrThrow(),
  ]);
  return { reservations: Number(reservations.n), keys: Number(keys.n) };
}

/** Books as a fresh customer (each may hold only two unpaid bookings). */
async function bookAsNewCustomer(body: Record<string, unknown>) {
  const customer = await createCustomer();
  return { customer, answer: await book(api, customer.token, { car_id: world.car.id, ...body }) };
}

/** Expects the request to be refused by `rule`, with nothing written. */
async function expectRefusedBy(rule: string, body: Record<string, unknown>) {
  const { customer, answer } = await bookAsNewCustomer(body);
  expect(answer.status, answer.text).toBe(409);
  expect(answer.headers.get('content-type')).toMatch(/^application\/problem\+json/);
  expect(answer.body).toMatchObject({ type: '/api/v1/problems/rental-rule/', status: 409, rule });
  expect(answer.body.detail).toEqual(expect.any(String));
  expect(await written(customer)).toEqual({ reservations: 0, keys: 0 });
  return answer;
}

describe('each rule refuses with 409 rental-rule naming it, and writes nothing', () => {
  it('min_rental_days: shorter than the car’s minimum is refused; the minimum itself is booked', async () => {
    await setCarTerms(world.car.id, { min_rental_days: 3 });
    await expectRefusedBy('min_rental_days', { start_date: bangkokDate(20), end_date: bangkokDate(21) });
    expect((await bookAsNewCustomer({ start_date: bangkokDate(20), end_date: bangkokDate(22) })).answer.status).toBe(201);
  });

  it('min_rental_days: a season’s stricter minimum applies to rentals starting in it, not to the same length before it', async () => {
    await addSeason(world.car.id, { name: 'New Year', start: bangkokDate(30), end: bangkokDate(40), dailyRate: 150_000, minRentalDays: 5 });
    const refused = await expectRefusedBy('min_rental_days', { start_date: bangkokDate(30), end_date: bangkokDate(33) });
    expect(refused.body.detail).toContain('at least 5 days');
    expect((await bookAsNewCustomer({ start_date: bangkokDate(25), end_date: bangkokDate(28) })).answer.status).toBe(201);
    expect((await bookAsNewCustomer({ start_date: bangkokDate(31), end_date: bangkokDate(35) })).answer.status).toBe(201);
  });

  it('min_notice: a pick-up sooner than the notice is refused; one after it is booked', async () => {
    await setCarTerms(world.car.id, { min_notice_hours: 48 });
    // Tomorrow 10:00 Bangkok is at most 34 hours away, whatever the time now; in 3 days, at least 58.
    await expectRefusedBy('min_notice', { start_date: bangkokDate(1), end_date: bangkokDate(2) });
    expect((await bookAsNewCustomer({ start_date: bangkokDate(3), end_date: bangkokDate(4) })).answer.status).toBe(201);
  });

  it('max_lead_days: a start further ahead than the car’s lead time is refused; the last day allowed is booked', async () => {
    await setCarTerms(world.car.id, { max_lead_days: 30 });
    await expectRefusedBy('max_lead_days', { start_date: bangkokDate(31), end_date: bangkokDate(32) });
    expect((await bookAsNewCustomer({ start_date: bangkokDate(30), end_date: bangkokDate(31) })).answer.status).toBe(201);
  });

  it('delivery: a pick-up or return at a landmark the agency does not serve is refused', async () => {
    await setAgencyTerms(agencyId, { delivery: { 'phuket-airport': 50_000 } });
    await expectRefusedBy('delivery', { start_date: bangkokDate(20), end_date: bangkokDate(21), pickup_landmark: 'kata-beach' });
    await expectRefusedBy('delivery', {
      start_date: bangkokDate(20),
      end_date: bangkokDate(21),
      pickup_landmark: 'phuket-airport',
      return_landmark: 'kata-beach',
    });
  });

  it('opening_hours: a hand-over outside the hours is refused when the agency offers no after-hours service', async () => {
    await setAgencyTerms(agencyId, { hours: everyDay('08:00', '18:00'), afterHoursFee: null });
    await expectRefusedBy('opening_hours', { start_date: bangkokDate(20), end_date: bangkokDate(21), pickup_time: '20:00' });
    // Closing time itself is outside (opens ≤ time < closes).
    await expectRefusedBy('opening_hours', { start_date: bangkokDate(20), end_date: bangkokDate(21), return_time: '18:00' });
    await expectRefusedBy('opening_hours', { start_date: bangkokDate(20), end_date: bangkokDate(21), return_time: '07:59' });
    expect(
      (await bookAsNewCustomer({ start_date: bangkokDate(20), end_date: bangkokDate(21), pickup_time: '08:00', return_time: '17:59' })).answer.status,
    ).toBe(201);
  });

  it('an earlier answer of the same key still replays after the rules changed to refuse it', async () => {
    const customer = await createCustomer();
    const key = randomUUID();
    const body = { car_id: world.car.id, start_date: bangkokDate(20), end_date: bangkokDate(21) };
    const first = await book(api, customer.token, body, key);
    expect(first.status).toBe(201);
    await setCarTerms(world.car.id, { min_rental_days: 5 });
    const again = await book(api, customer.token, body, key);
    expect(again.status).toBe(201);
    expect(again.headers.get('idempotent-replayed')).toBe('true');
    expect(again.body).toEqual(first.body);
  });
});

describe('hand-over times and places are validated (400) before any rule', () => {
  it('refuses a time that is not HH:MM within the day, an unknown landmark and unknown fields, writing nothing', async () => {
    const customer = await createCustomer();
    // A rule that would refuse every request: validation must answer first.
    await setCarTerms(world.car.id, { min_rental_days: 10 });
    const base = { car_id: world.car.id, start_date: bangkokDate(20), end_date: bangkokDate(21) };
    for (const [field, value] of [
      ['pickup_time', '24:00'],
      ['pickup_time', '9:00'],
      ['return_time', '10:00:00'],
      ['return_time', 1000],
      ['pickup_landmark', 'atlantis'],
      ['return_landmark', 'atlantis'],
      ['pickup_landmark', ''],
    ] as const) {
      const answer = await book(api, customer.token, { ...base, [field]: value });
      expect(answer.status, `${field}: ${JSON.stringify(value)} → ${answer.text}`).toBe(400);
      expect(answer.body.errors.map((error: { path: string }) => error.path)).toContain(field);
    }
    expect((await book(api, customer.token, { ...base, pickup_place: 'phuket-airport' })).status).toBe(400);
    expect(await written(customer)).toEqual({ reservations: 0, keys: 0 });
  });

  it('the same key with another hand-over is another request (409); stating the defaults is the same request (replayed)', async () => {
    const customer = await createCustomer();
    const key = randomUUID();
    const body = { car_id: world.car.id, start_date: bangkokDate(20), end_date: bangkokDate(21) };
    const first = await book(api, customer.token, body, key);
    expect(first.status).toBe(201);
    const sameWithDefaults = await book(api, customer.token, { ...body, pickup_time: '10:00', return_time: '10:00', pickup_landmark: null }, key);
    expect(sameWithDefaults.status).toBe(201);
    expect(sameWithDefaults.body.id).toBe(first.body.id);
    const otherTime = await book(api, customer.token, { ...body, pickup_time: '11:00' }, key);
    expect(otherTime.status).toBe(409);
    expect(otherTime.body.detail).toContain('Idempotency-Key');
    expect(await written(customer)).toEqual({ reservations: 1, keys: 1 });
  });
});

describe('what the rules allow is charged as the pricing function says, and stored with its breakdown', () => {
  it('season days at the season’s rate, the rest at the car’s: the breakdown is answered, stored and shown later', async () => {
    await addSeason(world.car.id, { name: 'High season', start: bangkokDate(32), end: bangkokDate(33), dailyRate: 150_000 });
    const { customer, answer } = await bookAsNewCustomer({ start_date: bangkokDate(30), end_date: bangkokDate(34) });
    expect(answer.status, answer.text).toBe(201);
    const breakdown = {
      daily_rates: [
        { start_date: bangkokDate(30), end_date: bangkokDate(31), days: 2, daily_rate: 90_000, season: null },
        { start_date: bangkokDate(32), end_date: bangkokDate(33), days: 2, daily_rate: 150_000, season: 'High season' },
        { start_date: bangkokDate(34), end_date: bangkokDate(34), days: 1, daily_rate: 90_000, season: null },
      ],
      rental: 570_000,
      length_discount: { percent: 0, amount: 0 },
      pickup: { landmark: null, delivery_fee: 0, after_hours_fee: 0 },
      return: { landmark: null, delivery_fee: 0, after_hours_fee: 0 },
    };
    // 570,000 / 5 days = 114,000 a day on average.
    expect(answer.body).toMatchObject({ days: 5, subtotal: 570_000, daily_rate_at_booking: 114_000, price_breakdown: breakdown });
    const row = await getDb()
      .selectFrom('reservations')
      .select(['price_breakdown', 'subtotal', 'daily_rate_at_booking'])
      .where('id', '=', answer.body.id)
      .executeTakeFirstOrThrow();
    expect(row).toEqual({ price_breakdown: breakdown, subtotal: 570_000, daily_rate_at_booking: 114_000 });
    const later = await api.get(`/bookings/${answer.body.id}/`, { token: customer.token });
    expect(later.body.price_breakdown).toEqual(breakdown);
  });

  it('the weekly discount from 7 days, the monthly from 28, none below 7', async () => {
    await setCarTerms(world.car.id, { weekly_discount_days: 7, weekly_discount_percent: 10, monthly_discount_days: 28, monthly_discount_percent: 25 });
    const six = await bookAsNewCustomer({ start_date: bangkokDate(10), end_date: bangkokDate(15) });
    expect(six.answer.body).toMatchObject({ days: 6, subtotal: 540_000, price_breakdown: { rental: 540_000, length_discount: { percent: 0, amount: 0 } } });
    const week = await bookAsNewCustomer({ start_date: bangkokDate(20), end_date: bangkokDate(26) });
    // 7 × 90,000 = 630,000 − 10 % = 567,000.
    expect(week.answer.body).toMatchObject({
      days: 7,
      subtotal: 567_000,
      price_breakdown: { rental: 630_000, length_discount: { percent: 10, amount: 63_000 } },
    });
    const month = await bookAsNewCustomer({ start_date: bangkokDate(40), end_date: bangkokDate(67) });
    // 28 × 90,000 = 2,520,000 − 25 % = 1,890,000.
    expect(month.answer.body).toMatchObject({
      days: 28,
      subtotal: 1_890_000,
      price_breakdown: { rental: 2_520_000, length_discount: { percent: 25, amount: 630_000 } },
    });
    // The average rate is before the discount: the car's rate.
    expect(month.answer.body.daily_rate_at_booking).toBe(90_000);
  });

  it('a delivery fee for each hand-over at a landmark; none at the agency’s address', async () => {
    await setAgencyTerms(agencyId, { delivery: { 'phuket-airport': 50_000, 'patong-beach': 20_000 } });
    const both = await bookAsNewCustomer({
      start_date: bangkokDate(20),
      end_date: bangkokDate(21),
      pickup_landmark: 'phuket-airport',
      return_landmark: 'patong-beach',
    });
    expect(both.answer.status, both.answer.text).toBe(201);
    expect(both.answer.body).toMatchObject({
      subtotal: 180_000 + 50_000 + 20_000,
      pickup_landmark: 'phuket-airport',
      return_landmark: 'patong-beach',
      price_breakdown: {
        pickup: { landmark: 'phuket-airport', delivery_fee: 50_000, after_hours_fee: 0 },
        return: { landmark: 'patong-beach', delivery_fee: 20_000, after_hours_fee: 0 },
      },
    });
    const pickupOnly = await bookAsNewCustomer({ start_date: bangkokDate(30), end_date: bangkokDate(31), pickup_landmark: 'phuket-airport' });
    expect(pickupOnly.answer.body).toMatchObject({
      subtotal: 180_000 + 50_000,
      pickup_landmark: 'phuket-airport',
      return_landmark: null,
      price_breakdown: { return: { landmark: null, delivery_fee: 0 } },
    });
  });

  it('the after-hours fee for each hand-over outside the opening hours, when the agency offers it', async () => {
    await setAgencyTerms(agencyId, { hours: everyDay('08:00', '18:00'), afterHoursFee: 30_000 });
    const late = await bookAsNewCustomer({ start_date: bangkokDate(20), end_date: bangkokDate(21), pickup_time: '21:30', return_time: '09:00' });
    expect(late.answer.status, late.answer.text).toBe(201);
    expect(late.answer.body).toMatchObject({
      subtotal: 180_000 + 30_000,
      pickup_time: '21:30',
      return_time: '09:00',
      price_breakdown: { pickup: { after_hours_fee: 30_000 }, return: { after_hours_fee: 0 } },
    });
    const bothOutside = await bookAsNewCustomer({ start_date: bangkokDate(30), end_date: bangkokDate(31), pickup_time: '06:00', return_time: '23:59' });
    expect(bothOutside.answer.body.subtotal).toBe(180_000 + 2 * 30_000);
  });

  it('terms changed between the read and the hold (hold_booking() refuses them: RB412) are read again and charged as they are now', async () => {
    const customer = await createCustomer();
    const start = bangkokDate(30);
    const end = bangkokDate(31);
    // Hold the car's row as an agency's write would, so the booking's hold waits on it after
    // the request has read and priced the car's terms; add a season meanwhile (its trigger
    // moves the car's terms version) and let the hold go on.
    // (A pool of its own: the handlers' pool may be a single connection.)
    const db = connect(ownerUrl(), 2);
    const answer = await db
      .connection()
      .execute(async (agency) => {
        await sql`BEGIN`.execute(agency);
        await sql`SELECT 1 FROM cars WHERE id = ${world.car.id}::uuid FOR UPDATE`.execute(agency);
        const booking = book(api, customer.token, { car_id: world.car.id, start_date: start, end_date: end });
        await waitForBackendsWaitingOnLocks(db, 1);
        await agency.insertInto('car_seasons').values({ car_id: world.car.id, name: 'Peak', start_date: start, end_date: end, daily_rate: 200_000 }).execute();
        await sql`COMMIT`.execute(agency);
        return booking;
      })
      .finally(() => db.destroy());
    expect(answer.status, answer.text).toBe(201);
    expect(answer.body).toMatchObject({
      subtotal: 400_000,
      daily_rate_at_booking: 200_000,
      price_breakdown: { daily_rates: [{ start_date: start, end_date: end, days: 2, daily_rate: 200_000, season: 'Peak' }] },
    });
    expect(await written(customer)).toEqual({ reservations: 1, keys: 1 });
  });
});

describe('every booking answer carries the hand-over and the breakdown', () => {
  it('created, the customer’s detail and list, the agency’s list and the cancellation show the same; older rows show null', async () => {
    await setAgencyTerms(agencyId, { delivery: { 'phuket-airport': 50_000 } });
    const { customer, answer } = await bookAsNewCustomer({
      start_date: bangkokDate(20),
      end_date: bangkokDate(21),
      pickup_time: '09:30',
      return_time: '16:45',
      pickup_landmark: 'phuket-airport',
    });
    expect(answer.status, answer.text).toBe(201);
    const handOver = { pickup_time: '09:30', return_time: '16:45', pickup_landmark: 'phuket-airport', return_landmark: null };
    const expected = { id: answer.body.id, ...handOver, price_breakdown: answer.body.price_breakdown };
    expect(answer.body).toMatchObject(expected);
    expect(answer.body.price_breakdown.pickup).toEqual({ landmark: 'phuket-airport', delivery_fee: 50_000, after_hours_fee: 0 });
    expect((await api.get(`/bookings/${answer.body.id}/`, { token: customer.token })).body).toMatchObject(expected);
    expect((await api.get('/bookings/', { token: customer.token })).body.results).toEqual([expect.objectContaining(expected)]);
    const agencyList = await api.get(`/agency/bookings/?car_id=${world.car.id}`, { token: world.agency.token });
    expect(agencyList.body.results).toEqual([expect.objectContaining(expected)]);
    const cancelled = await api.post(`/bookings/${answer.body.id}/cancel/`, undefined, { token: customer.token });
    expect(cancelled.status).toBe(200);
    expect(cancelled.body).toMatchObject({ ...expected, status: 'cancelled' });

    // A booking from before hand-overs and breakdowns were stored.
    const older = await insertBooking(world.car.id, { status: 'confirmed', start: bangkokDate(40), end: bangkokDate(41) });
    const olderAnswer = await api.get(`/agency/bookings/?car_id=${world.car.id}&from=${bangkokDate(40)}`, { token: world.agency.token });
    expect(olderAnswer.body.results).toEqual([
      expect.objectContaining({ id: older, pickup_time: null, return_time: null, pickup_landmark: null, return_landmark: null, price_breakdown: null }),
    ]);
  });
});

/** Until `count` backends of this database wait on a lock (the booking's hold, behind the agency's row lock). */
async function waitForBackendsWaitingOnLocks(db: Kysely<Database>, count: number): Promise<void> {
  const deadline = Date.now() + 20_000;
  while (Date.now() < deadline) {
    const { rows } = await sql<{ waiting: number }>`
      SELECT count(*)::int AS waiting FROM pg_stat_activity
      WHERE datname = current_database() AND wait_event_type = 'Lock'`.execute(db);
    if (rows[0]!.waiting >= count) return;
    await new Promise((resolve) => setTimeout(resolve, 10));
  }
  throw new Error(`fewer than ${count} backends waited on a lock within 20 s`);
}
