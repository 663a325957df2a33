import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { runExpiry } from '#core/bookings/expiry';
import { getDb } from '#platform/db';
import { paymentProvider, setPaymentProviderForTests } from '#platform/payments';
import { useApi } from '../helpers/api';
import { createCustomer } from '../helpers/auth';
import { book, bookingWorld, postStripeEvent, stripeEvent, type BookingWorld } from '../helpers/bookings';
import { bangkokDate } from '../helpers/cars';
import { guardProvider } from '../helpers/payment-guard';
import { stripeStandin } from '../helpers/stripe';

/**
 * Issue 13's rule, checked against PostgreSQL itself: no code path calls the payment provider
 * while a transaction is open. Every path that moves money runs here one after another through
 * the real handlers, the real Stripe adapter and the stand-in, with a provider that looks for
 * sessions `idle in transaction` at each call (test/helpers/payment-guard.ts). Each path also
 * ends in the state Stripe must be in, so a wrong call (refunding an unpaid intent) fails here.
 */
const api = useApi();
const db = getDb();
let guard: ReturnType<typeof guardProvider>;

beforeAll(async () => {
  guard = guardProvider(await paymentProvider());
  setPaymentProviderForTests(guard.provider);
});
afterAll(async () => {
  setPaymentProviderForTests(undefined);
  await guard.close();
});

let day = 20;
/** A booking by a fresh customer (one customer may make only a few an hour). */
async function pendingBooking(world: BookingWorld, start = bangkokDate((day += 3))) {
  const customer = await createCustomer();
  const made = await book(api, customer.token, { car_id: world.car.id, start_date: start, end_date: start });
  expect(made.status).toBe(201);
  return { id: made.body.id as string, intent: made.body.payment.intent_id as string, customer };
}
async function paidBooking(world: BookingWorld) {
  const booking = await pendingBooking(world);
  await stripeStandin.succeed(booking.intent);
  expect((await postStripeEvent(api, stripeEvent('payment_intent.succeeded', booking.intent))).body.outcome).toBe('confirmed');
  return booking;
}
const statusAtStripe = async (intentId: string) => (await stripeStandin.intent(intentId)).status;
const refundsAtStripe = async (intentId: string) => (await stripeStandin.refunds(intentId)).length;

describe('every path that moves money calls Stripe with no transaction open', () => {
  let world: BookingWorld;
  beforeAll(async () => {
    world = await bookingWorld(api);
  });

  it('the customer cancels an unpaid booking: the intent is cancelled', async () => {
    const booking = await pendingBooking(world);
    expect((await api.post(`/bookings/${booking.id}/cancel/`, undefined, { token: booking.customer.token })).status).toBe(200);
    expect(await statusAtStripe(booking.intent)).toBe('canceled');
  });

  it('the customer cancels a paid booking 48 hours ahead: refunded once', async () => {
    const booking = await paidBooking(world);
    expect((await api.post(`/bookings/${booking.id}/cancel/`, undefined, { token: booking.customer.token })).body.refund).toEqual({ amount: 500_000 });
    expect(await refundsAtStripe(booking.intent)).toBe(1);
  });

  it('the customer cancels a paid booking less than 48 hours ahead: nothing refunded', async () => {
    const booking = await pendingBooking(world, bangkokDate(1));
    await stripeStandin.succeed(booking.intent);
    await postStripeEvent(api, stripeEvent('payment_intent.succeeded', booking.intent));
    expect((await api.post(`/bookings/${booking.id}/cancel/`, undefined, { token: booking.customer.token })).body.refund).toBeNull();
    expect(await refundsAtStripe(booking.intent)).toBe(0);
  });

  it('the agency cancels a booking it confirmed without payment: the intent is cancelled, no refund asked for (Stripe would refuse it)', async () => {
    const booking = await pendingBooking(world);
    expect((await api.patch(`/agency/bookings/${booking.id}/`, { status: 'confirmed' }, { token: world.agency.token })).status).toBe(200);
    const cancelled = await api.patch(`/agency/bookings/${booking.id}/`, { status: 'cancelled' }, { token: world.agency.token });
    expect(cancelled.status).toBe(200);
    expect(await statusAtStripe(booking.intent)).toBe('canceled');
    const task = await db.selectFrom('payment_tasks').select(['kind', 'status']).where('reservation_id', '=', booking.id).execute();
    expect(task).toEqual([{ kind: 'cancel_intent', status: 'done' }]);
  });

  it('the agency cancels a paid booking: refunded in full', async () => {
    const booking = await paidBooking(world);
    expect((await api.patch(`/agency/bookings/${booking.id}/`, { status: 'cancelled' }, { token: world.agency.token })).status).toBe(200);
    expect(await refundsAtStripe(booking.intent)).toBe(1);
  });

  it('the agency completes a paid rental: no money moves', async () => {
    const booking = await pendingBooking(world, bangkokDate(0));
    await stripeStandin.succeed(booking.intent);
    await postStripeEvent(api, stripeEvent('payment_intent.succeeded', booking.intent));
    const before = guard.calls.length;
    expect((await api.patch(`/agency/bookings/${booking.id}/`, { status: 'completed' }, { token: world.agency.token })).status).toBe(200);
    expect(guard.calls.length).toBe(before);
    expect(await statusAtStripe(booking.intent)).toBe('succeeded');
  });

  it('a hold expires (the minute job), then its payment arrives late: the intent is cancelled, the late payment refunded', async () => {
    const expiring = await pendingBooking(world);
    await db
      .updateTable('reservations')
      .set({ expires_at: new Date(Date.now() - 1000) })
      .where('id', '=', expiring.id)
      .execute();
    await runExpiry(db, guard.provider);
    expect(await statusAtStripe(expiring.intent)).toBe('canceled');

    const late = await pendingBooking(world);
    await db
      .updateTable('reservations')
      .set({ expires_at: new Date(Date.now() - 1000) })
      .where('id', '=', late.id)
      .execute();
    await stripeStandin.succeed(late.intent); // paid at Stripe a moment before the expiry cancelled it
    await runExpiry(db, guard.provider); // cancelling a succeeded intent is nothing to cancel
    expect((await postStripeEvent(api, stripeEvent('payment_intent.succeeded', late.intent))).body.outcome).toBe('refunded');
    expect(await refundsAtStripe(late.intent)).toBe(1);
  });

  it('a payment fails: the booking is cancelled and its intent cancelled, so nothing can be charged later', async () => {
    const booking = await pendingBooking(world);
    await stripeStandin.fail(booking.intent);
    expect((await postStripeEvent(api, stripeEvent('payment_intent.payment_failed', booking.intent))).body.outcome).toBe('cancelled');
    expect(await statusAtStripe(booking.intent)).toBe('canceled');
  });

  it('a block expires an overdue hold of the car: its intent is cancelled', async () => {
    const booking = await pendingBooking(world);
    await db
      .updateTable('reservations')
      .set({ expires_at: new Date(Date.now() - 1000) })
      .where('id', '=', booking.id)
      .execute();
    const start = bangkokDate(day);
    const blocked = await api.post(
      `/agency/cars/${world.car.id}/blocks/`,
      { start_date: start, end_date: start, reason: 'Service' },
      { token: world.agency.token },
    );
    expect(blocked.status).toBe(201);
    expect(await statusAtStripe(booking.intent)).toBe('canceled');
  });

  it('a booking expires another customer’s overdue hold on the car: its intent is cancelled', async () => {
    const booking = await pendingBooking(world);
    await db
      .updateTable('reservations')
      .set({ expires_at: new Date(Date.now() - 1000) })
      .where('id', '=', booking.id)
      .execute();
    await pendingBooking(world, bangkokDate(day));
    expect(await statusAtStripe(booking.intent)).toBe('canceled');
  });

  it('…and in none of them was a transaction open while Stripe was called', () => {
    expect(guard.calls.length).toBeGreaterThan(15);
    expect(new Set(guard.calls.map((call) => call.method))).toEqual(new Set(['createDepositIntent', 'cancelIntent', 'refundDeposit', 'retrieveIntent']));
    expect(guard.violations()).toEqual([]);
  });
});

describe('the guard itself', () => {
  it('sees a provider call made inside a transaction (so the check above can fail)', async () => {
    const probe = guardProvider(await paymentProvider());
    try {
      const world = await bookingWorld(api);
      const booking = await pendingBooking(world);
      await db.transaction().execute(async (trx) => {
        await trx.selectFrom('reservations').select('id').where('id', '=', booking.id).forUpdate().execute();
        await probe.provider.cancelIntent(booking.intent);
      });
      expect(probe.violations()).toEqual([{ method: 'cancelIntent', openTransactions: 1 }]);
    } finally {
      await probe.close();
    }
  });
});
