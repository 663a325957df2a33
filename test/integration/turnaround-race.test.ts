import { randomUUID } from 'node:crypto';
import { sql } from 'kysely';
import { afterAll, beforeEach, describe, expect, it } from 'vitest';
import { addDays } from '#core/availability/dates';
import { createBooking } from '#core/bookings/create';
import { BookingConflict } from '#core/errors';
import { DEFAULT_PRICING_RATES } from '#core/pricing/pricing';
import { getDb } from '#platform/db';
import { paymentProvider } from '#platform/payments';
import { useApi } from '../helpers/api';
import { createCustomer } from '../helpers/auth';
import { raceAtCarLocks } from '../helpers/barrier';
import { book, bookingWorld, type BookingWorld } from '../helpers/bookings';
import { bangkokDate, setCarTerms } from '../helpers/cars';
import { connect, createScratchDatabase } from '../helpers/db';
import { insertCarAndCustomers } from '../helpers/rentals';

/**
 * The turnaround buffer (issue 17): a car with turnaround_days T cannot start a rental within T
 * days after another ends, whichever of the two arrives first and even when they arrive at
 * once. Each reservation holds its days plus its buffer (held_period), and the exclusion
 * constraint refuses any two that overlap; the race and its counter-proof show that the
 * constraint, not a check in the application, is what holds.
 */

const api = useApi();

describe('a car with one day of turnaround', () => {
  let world: BookingWorld;
  const end = bangkokDate(30); // D: the end of rental A
  const rentalA = { start_date: bangkokDate(28), end_date: end };

  beforeEach(async () => {
    world = await bookingWorld(api);
    await setCarTerms(world.car.id, { turnaround_days: 1 });
  });

  const bookAsNewCustomer = async (dates: { start_date: string; end_date: string }) =>
    book(api, (await createCustomer()).token, { car_id: world.car.id, ...dates });

  const holding = async () =>
    getDb()
      .selectFrom('reservations')
      .select(['start_date', 'end_date', 'held_until'])
      .where('car_id', '=', world.car.id)
      .where('status', 'in', ['pending', 'confirmed'])
      .orderBy('start_date')
      .execute();

  it('refuses B starting the day after A ends, when A came first', async () => {
    expect((await bookAsNewCustomer(rentalA)).status).toBe(201);
    const refused = await bookAsNewCustomer({ start_date: bangkokDate(31), end_date: bangkokDate(32) });
    expect(refused.status).toBe(409);
    expect(refused.body.type).toBe('/api/v1/problems/dates-not-available/');
    expect(await holding()).toEqual([{ start_date: bangkokDate(28), end_date: end, held_until: bangkokDate(31) }]);
  });

  it('refuses A ending the day before B starts, when B came first', async () => {
    expect((await bookAsNewCustomer({ start_date: bangkokDate(31), end_date: bangkokDate(32) })).status).toBe(201);
    const refused = await bookAsNewCustomer(rentalA);
    expect(refused.status).toBe(409);
    expect(refused.body.type).toBe('/api/v1/problems/dates-not-available/');
    expect(await holding()).toEqual([{ start_date: bangkokDate(31), end_date: bangkokDate(32), held_until: bangkokDate(33) }]);
  });

  it('books B starting two days after A ends (the buffer day between them), in either order', async () => {
    expect((await bookAsNewCustomer(rentalA)).status).toBe(201);
    expect((await bookAsNewCustomer({ start_date: bangkokDate(32), end_date: bangkokDate(33) })).status).toBe(201);
    // And the other way round, further on: B first, then A ending two days before it.
    expect((await bookAsNewCustomer({ start_date: bangkokDate(50), end_date: bangkokDate(51) })).status).toBe(201);
    expect((await bookAsNewCustomer({ start_date: bangkokDate(46), end_date: bangkokDate(48) })).status).toBe(201);
    expect(await holding()).toHaveLength(4);
  });

  it('refuses a block on the buffer day after a booking, and takes one the day after it (blocks hold no buffer of their own)', async () => {
    expect((await bookAsNewCustomer(rentalA)).status).toBe(201);
    const blocks = `/agency/cars/${world.car.id}/blocks/`;
    const onBuffer = await api.post(blocks, { start_date: bangkokDate(31), end_date: bangkokDate(31), reason: 'Detailing' }, { token: world.agency.token });
    expect(onBuffer.status).toBe(409);
    const after = await api.post(blocks, { start_date: bangkokDate(32), end_date: bangkokDate(32), reason: 'Detailing' }, { token: world.agency.token });
    expect(after.status).toBe(201);
    // A block right before a booking is fine too: only rentals need the car cleaned after them.
    const before = await api.post(blocks, { start_date: bangkokDate(27), end_date: bangkokDate(27), reason: 'Service' }, { token: world.agency.token });
    expect(before.status).toBe(201);
    const stored = await getDb()
      .selectFrom('reservations')
      .select(['kind', 'start_date', 'held_until'])
      .where('car_id', '=', world.car.id)
      .where('status', '=', 'confirmed')
      .orderBy('start_date')
      .execute();
    expect(stored).toEqual([
      { kind: 'block', start_date: bangkokDate(27), held_until: bangkokDate(27) },
      { kind: 'block', start_date: bangkokDate(32), held_until: bangkokDate(32) },
    ]);
  });
});

/** The longest buffer a car may have: every one-day rental below falls inside the others' buffers. */
const TURNAROUND_DAYS = 14;
const CONTENDERS = TURNAROUND_DAYS + 1;

/**
 * CONTENDERS customers each book one day of the car, on consecutive days: no two rentals share
 * a day, but each falls inside the others' buffer. They are released together from a barrier
 * in the database right before their inserts (raceAtCarLocks).
 */
async function race(url: string) {
  const db = connect(url, CONTENDERS + 5);
  try {
    const { carId, users } = await insertCarAndCustomers(db, CONTENDERS, { turnaround_days: TURNAROUND_DAYS });
    const payments = await paymentProvider();
    const outcomes = await raceAtCarLocks(db, [carId], CONTENDERS, () =>
      Promise.allSettled(
        users.map((user, index) =>
          createBooking(
            db,
            {
              customerId: user.id,
              customerEmail: user.email,
              idempotencyKey: randomUUID(),
              carId,
              startDate: bangkokDate(20 + index),
              endDate: bangkokDate(20 + index),
            },
            { payments, rates: DEFAULT_PRICING_RATES },
          ),
        ),
      ),
    );
    const rows = await db
      .selectFrom('reservations')
      .select(['start_date', 'held_until'])
      .where('car_id', '=', carId)
      .where('status', 'in', ['pending', 'confirmed'])
      .execute();
    return { outcomes, rows };
  } finally {
    await db.destroy();
  }
}

describe(`${CONTENDERS} one-day rentals on consecutive days of a car with ${TURNAROUND_DAYS} days of turnaround, released at once`, () => {
  const scratch: Array<{ drop: () => Promise<void> }> = [];
  afterAll(async () => {
    for (const database of scratch) await database.drop();
  });

  it(`let exactly 1 in, holding its day and its ${TURNAROUND_DAYS} days of buffer; the others get 409`, async () => {
    const database = await createScratchDatabase({ fromTemplate: true });
    scratch.push(database);
    const { outcomes, rows } = await race(database.url);
    expect(rows).toHaveLength(1);
    const [winner] = rows;
    expect(winner!.held_until).toBe(addDays(winner!.start_date, TURNAROUND_DAYS));
    const lost = outcomes.flatMap((outcome) => (outcome.status === 'rejected' ? [outcome.reason as unknown] : []));
    expect(outcomes.filter((outcome) => outcome.status === 'fulfilled')).toHaveLength(1);
    expect(lost).toHaveLength(CONTENDERS - 1);
    for (const reason of lost) expect(reason).toBeInstanceOf(BookingConflict);
  }, 60_000);

  it('let more than one in on a copy of the schema without the exclusion constraint (so the race above is real)', async () => {
    const database = await createScratchDatabase({ fromTemplate: true });
    scratch.push(database);
    const admin = connect(database.url, 1);
    await sql`ALTER TABLE reservations DROP CONSTRAINT reservations_no_overlap`.execute(admin);
    await admin.destroy();
    const { outcomes, rows } = await race(database.url);
    expect(rows.length).toBeGreaterThan(1);
    expect(outcomes.filter((outcome) => outcome.status === 'fulfilled')).toHaveLength(rows.length);
  }, 60_000);
});
