import { randomUUID } from 'node:crypto';
import { sql } from 'kysely';
import { afterAll, describe, expect, it } from 'vitest';
import { createBooking } from '#core/bookings/create';
import { BookingConflict } from '#core/errors';
import type { PaymentProvider } from '#core/payments/provider';
import { DEFAULT_PRICING_RATES } from '#core/pricing/pricing';
import { paymentProvider } from '#platform/payments';
import { raceAtCarLocks } from '../helpers/barrier';
import { bangkokDate } from '../helpers/cars';
import { connect, createScratchDatabase } from '../helpers/db';
import { insertCarAndCustomers } from '../helpers/rentals';

const CONTENDERS = 50;

/**
 * CONTENDERS customers book the same car for the same dates, released together from a barrier
 * in the database right before their inserts (raceAtCarLocks), so the inserts are in flight at
 * once: the exclusion constraint is what decides (a re-check before the insert does not, under
 * READ COMMITTED).
 */
async function race(url: string) {
  const db = connect(url, CONTENDERS + 5);
  try {
    const { carId, users } = await insertCarAndCustomers(db, CONTENDERS);
    // Counts the deposit intents asked for: a loser must roll back before it pays anything.
    let intents = 0;
    const stripe = await paymentProvider();
    const payments: PaymentProvider = {
      ...stripe,
      async createDepositIntent(input) {
        intents += 1;
        return stripe.createDepositIntent(input);
      },
    };
    const outcomes = await raceAtCarLocks(db, [carId], CONTENDERS, () =>
      Promise.allSettled(
        users.map((user) =>
          createBooking(
            db,
            { customerId: user.id, customerEmail: user.email, idempotencyKey: randomUUID(), carId, startDate: bangkokDate(20), endDate: bangkokDate(22) },
            { payments, rates: DEFAULT_PRICING_RATES },
          ),
        ),
      ),
    );
    const bookings = await db
      .selectFrom('reservations')
      .select((eb) => eb.fn.countAll<number>().as('n'))
      .where('car_id', '=', carId)
      .where('status', 'in', ['pending', 'confirmed'])
      .executeTakeFirstOrThrow();
    return { outcomes, bookings: Number(bookings.n), intents };
  } finally {
    await db.destroy();
  }
}

describe('50 customers racing for the same dates', () => {
  const scratch: Array<{ drop: () => Promise<void> }> = [];
  afterAll(async () => {
    for (const database of scratch) await database.drop();
  });

  it('gives exactly 1 booking with 1 PaymentIntent and 49 conflicts (409), and no other failure', async () => {
    const database = await createScratchDatabase({ fromTemplate: true });
    scratch.push(database);
    const { outcomes, bookings, intents } = await race(database.url);
    const won = outcomes.filter((outcome) => outcome.status === 'fulfilled');
    const lost = outcomes.flatMap((outcome) => (outcome.status === 'rejected' ? [outcome.reason as unknown] : []));
    expect(won).toHaveLength(1);
    expect(lost).toHaveLength(CONTENDERS - 1);
    for (const reason of lost) {
      expect(reason).toBeInstanceOf(BookingConflict);
      expect((reason as BookingConflict).status).toBe(409);
    }
    expect(bookings).toBe(1);
    expect(intents).toBe(1);
  }, 60_000);

  it('double-books on a copy of the schema without the exclusion constraint (so the race above is real)', async () => {
    const database = await createScratchDatabase({ fromTemplate: true });
    scratch.push(database);
    const admin = connect(database.url, 1);
    await sql`ALTER TABLE reservations DROP CONSTRAINT reservations_no_overlap`.execute(admin);
    await admin.destroy();
    const { outcomes, bookings, intents } = await race(database.url);
    expect(bookings).toBeGreaterThan(1);
    expect(intents).toBe(bookings);
    expect(outcomes.filter((outcome) => outcome.status === 'fulfilled').length).toBe(bookings);
  }, 60_000);
});
