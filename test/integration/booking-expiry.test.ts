import { describe, expect, it } from 'vitest';
import { runExpiry } from '#core/bookings/expiry';
import { getDb } from '#platform/db';
import { paymentProvider } from '#platform/payments';
import { stripeStandin } from '../helpers/stripe';
import { handler as expireHolds } from '#functions/jobs/expire-holds';
import { useApi } from '../helpers/api';
import { book, bookingWorld } from '../helpers/bookings';
import { bangkokDate } from '../helpers/cars';

const api = useApi();

describe('the expiry job', () => {
  it('expires unpaid holds past their 15 minutes, cancels their intents and frees the dates; fresh holds stay', async () => {
    const world = await bookingWorld(api);
    const overdue = await book(api, world.customer.token, { car_id: world.car.id, start_date: bangkokDate(30), end_date: bangkokDate(31) });
    const fresh = await book(api, world.customer.token, { car_id: world.car.id, start_date: bangkokDate(40), end_date: bangkokDate(41) });
    await getDb()
      .updateTable('reservations')
      .set({ expires_at: new Date(Date.now() - 60_000) })
      .where('id', '=', overdue.body.id)
      .execute();

    expect(await expireHolds()).toEqual({ expired: 1 });
    const statuses = await getDb().selectFrom('reservations').select(['id', 'status']).where('car_id', '=', world.car.id).orderBy('start_date').execute();
    expect(statuses).toEqual([
      { id: overdue.body.id, status: 'expired' },
      { id: fresh.body.id, status: 'pending' },
    ]);
    expect((await stripeStandin.intent(overdue.body.payment.intent_id)).status).toBe('canceled');
    expect((await stripeStandin.intent(fresh.body.payment.intent_id)).status).toBe('requires_payment_method');
    // A second run finds nothing left to do.
    expect((await runExpiry(getDb(), await paymentProvider())).expired).toBe(0);
  });

  it('keeps idempotency keys for at least 24 hours and forgets them after 48', async () => {
    const world = await bookingWorld(api);
    const made = await book(api, world.customer.token, { car_id: world.car.id, start_date: bangkokDate(30), end_date: bangkokDate(30) }, 'key-to-age');
    const age = (hours: number) =>
      getDb()
        .updateTable('idempotency_keys')
        .set({ created_at: new Date(Date.now() - hours * 3_600_000) } as never)
        .where('key', '=', 'key-to-age')
        .execute();
    await age(30);
    await runExpiry(getDb(), await paymentProvider());
    expect(await getDb().selectFrom('idempotency_keys').select('key').where('key', '=', 'key-to-age').executeTakeFirst()).toBeDefined();
    await age(49);
    await runExpiry(getDb(), await paymentProvider());
    expect(await getDb().selectFrom('idempotency_keys').select('key').where('key', '=', 'key-to-age').executeTakeFirst()).toBeUndefined();
    expect(made.status).toBe(201);
  });
});
