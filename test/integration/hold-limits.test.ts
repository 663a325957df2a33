import { randomUUID } from 'node:crypto';
import { sql } from 'kysely';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createBooking } from '#core/bookings/create';
import { DEFAULT_HOLD_LIMITS } from '#core/bookings/limits';
import { TooManyRequests } from '#core/errors';
import { DEFAULT_PRICING_RATES } from '#core/pricing/pricing';
import { getDb } from '#platform/db';
import { paymentProvider } from '#platform/payments';
import { useApi } from '../helpers/api';
import { createAgencyAdmin, createCustomer, type TestUser } from '../helpers/auth';
import { book } from '../helpers/bookings';
import { raceAtCarLocks } from '../helpers/barrier';
import { bangkokDate, createCarFor } from '../helpers/cars';
import { connect, createScratchDatabase } from '../helpers/db';
import { insertAgency, insertCar, insertUser } from '../helpers/rentals';

const api = useApi();

let agency: TestUser;
const cars: string[] = [];

beforeAll(async () => {
  agency = await createAgencyAdmin();
  for (let index = 0; index < 8; index++) cars.push((await createCarFor(api, agency.token, { is_published: true })).id);
});

const dates = { start_date: bangkokDate(40), end_date: bangkokDate(42) };

describe('a customer cannot hoard the fleet with unpaid holds', () => {
  it('holds at most 2 unpaid bookings at once: the third is a 429 problem with Retry-After until the first hold expires', async () => {
    const customer = await createCustomer();
    expect((await book(api, customer.token, { car_id: cars[0], ...dates })).status).toBe(201);
    expect((await book(api, customer.token, { car_id: cars[1], ...dates })).status).toBe(201);

    const third = await book(api, customer.token, { car_id: cars[2], ...dates });
    expect(third.status).toBe(429);
    expect(third.headers.get('content-type')).toMatch(/application\/problem\+json/);
    expect(third.body).toMatchObject({ status: 429, limit: 'unpaid_holds', max: DEFAULT_HOLD_LIMITS.maxUnpaidHolds });
    expect(third.body.detail).toMatch(/unpaid/);
    const retryAfter = Number(third.headers.get('retry-after'));
    expect(retryAfter).toBeGreaterThan(0);
    expect(retryAfter).toBeLessThanOrEqual(15 * 60);
    // Nothing was held for the refused request.
    const held = await getDb().selectFrom('reservations').select('id').where('car_id', '=', cars[2]!).where('customer_id', '=', customer.user.id).execute();
    expect(held).toHaveLength(0);
  });

  it('frees a slot when a hold is cancelled, paid or expired, but the hourly cap stops cancel-and-rebook', async () => {
    const customer = await createCustomer();
    const made: string[] = [];
    // Each round: book, then cancel, so at most one hold is ever unpaid.
    for (let round = 0; round < DEFAULT_HOLD_LIMITS.maxBookingsPerHour; round++) {
      const answer = await book(api, customer.token, { car_id: cars[3 + (round % 2)], ...dates });
      expect(answer.status, `round ${round}`).toBe(201);
      made.push(answer.body.id);
      expect((await api.post(`/bookings/${answer.body.id}/cancel/`, undefined, { token: customer.token })).status).toBe(200);
    }
    const refused = await book(api, customer.token, { car_id: cars[5], ...dates });
    expect(refused.status).toBe(429);
    expect(refused.body).toMatchObject({ limit: 'bookings_per_hour', max: DEFAULT_HOLD_LIMITS.maxBookingsPerHour });
    const retryAfter = Number(refused.headers.get('retry-after'));
    expect(retryAfter).toBeGreaterThan(0);
    expect(retryAfter).toBeLessThanOrEqual(3600);

    // An hour later (the bookings' created_at moved back) the customer can book again.
    await sql`UPDATE reservations SET created_at = created_at - interval '61 minutes' WHERE id = ANY(${made}::uuid[])`.execute(getDb());
    expect((await book(api, customer.token, { car_id: cars[5], ...dates })).status).toBe(201);
  });

  it('replays a stored answer for a repeated Idempotency-Key even at the limit (a replay books nothing new)', async () => {
    const customer = await createCustomer();
    const key = randomUUID();
    const first = await book(api, customer.token, { car_id: cars[6], ...dates }, key);
    expect((await book(api, customer.token, { car_id: cars[7], ...dates })).status).toBe(201);
    const replay = await book(api, customer.token, { car_id: cars[6], ...dates }, key);
    expect(replay.status).toBe(201);
    expect(replay.body.id).toBe(first.body.id);
  });
});

/**
 * CONTENDERS parallel bookings by ONE customer, each for another car, released together from a
 * barrier in the database that sits between the limit count and the insert (raceAtCarLocks):
 * without the per-customer lock every one of them counts zero holds.
 */
async function raceOneCustomer(url: string, options: { unlocked?: true }) {
  const CONTENDERS = 6;
  const db = connect(url, CONTENDERS + 3);
  try {
    const phone = `+66 8${String(Math.floor(Math.random() * 1e8)).padStart(8, '0')}`;
    const agencyRow = await insertAgency({ name: `Race ${randomUUID()}`, phone }, db);
    const carIds: string[] = [];
    for (let index = 0; index < CONTENDERS; index++) carIds.push(await insertCar(agencyRow.id, {}, db));
    const customer = await insertUser('customer', {}, db);
    const payments = await paymentProvider();
    const outcomes = await raceAtCarLocks(db, carIds, CONTENDERS, () =>
      Promise.allSettled(
        carIds.map((carId) =>
          createBooking(
            db,
            {
              customerId: customer.id,
              customerEmail: customer.email,
              idempotencyKey: randomUUID(),
              carId,
              startDate: bangkokDate(20),
              endDate: bangkokDate(21),
            },
            { payments, rates: DEFAULT_PRICING_RATES, ...(options.unlocked ? { unlockedHoldLimits: true as const } : {}) },
          ),
        ),
      ),
    );
    const holds = await db.selectFrom('reservations').select('id').where('customer_id', '=', customer.id).where('status', '=', 'pending').execute();
    return { outcomes, holds: holds.length };
  } finally {
    await db.destroy();
  }
}

describe('parallel bookings of one customer cannot slip past the hold limit', () => {
  const scratch: Array<{ drop: () => Promise<void> }> = [];
  afterAll(async () => {
    for (const database of scratch) await database.drop();
  });

  it('6 at once: exactly 2 holds, 4 × 429 (the limit is counted under a per-customer lock)', async () => {
    const database = await createScratchDatabase({ fromTemplate: true });
    scratch.push(database);
    const { outcomes, holds } = await raceOneCustomer(database.url, {});
    expect(holds).toBe(DEFAULT_HOLD_LIMITS.maxUnpaidHolds);
    const refused = outcomes.flatMap((outcome) => (outcome.status === 'rejected' ? [outcome.reason as unknown] : []));
    expect(refused).toHaveLength(6 - DEFAULT_HOLD_LIMITS.maxUnpaidHolds);
    for (const reason of refused) expect(reason).toBeInstanceOf(TooManyRequests);
  }, 60_000);

  it('counter-proof: without the lock the same race holds more than the limit', async () => {
    const database = await createScratchDatabase({ fromTemplate: true });
    scratch.push(database);
    const { holds } = await raceOneCustomer(database.url, { unlocked: true });
    expect(holds).toBeGreaterThan(DEFAULT_HOLD_LIMITS.maxUnpaidHolds);
  }, 60_000);
});
