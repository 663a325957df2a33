import { describe, expect, it } from 'vitest';
import { getDb } from '#platform/db';
import { useApi, type ApiAnswer } from '../helpers/api';
import { createCustomer } from '../helpers/auth';
import { book, bookingWorld, deliverStripeEvent, stripeEvent, type BookingWorld } from '../helpers/bookings';
import { bangkokDate } from '../helpers/cars';
import { stripeStandin } from '../helpers/stripe';

/**
 * Issue 14, item 3: whatever order Stripe delivers an intent's events in, and however many at
 * once, the booking ends where the payment state machine (docs/bookings.md) says, and at most
 * one refund is made per intent. Each intent is first moved at the Stripe stand-in through a
 * realistic history; then all three event types are delivered for it, in every order, in
 * sequence and all at once. The events are delivered as they are (nothing moved at Stripe).
 */
const api = useApi();

type Move = 'fail' | 'succeed' | 'cancel';

interface History {
  name: string;
  moves: Move[];
  /** The hold expired (the minute job) before the events arrive. */
  expiredFirst?: boolean;
  /** The table's answer. */
  booking: 'confirmed' | 'cancelled' | 'expired';
  intent: 'succeeded' | 'canceled';
  refunds: 0 | 1;
}

const HISTORIES: History[] = [
  { name: 'declined, then paid with another card', moves: ['fail', 'succeed'], booking: 'confirmed', intent: 'succeeded', refunds: 0 },
  { name: 'paid', moves: ['succeed'], booking: 'confirmed', intent: 'succeeded', refunds: 0 },
  { name: 'canceled at Stripe', moves: ['cancel'], booking: 'cancelled', intent: 'canceled', refunds: 0 },
  // Still payable at Stripe: the webhook cancels the intent first, so nothing can be charged later.
  { name: 'declined', moves: ['fail'], booking: 'cancelled', intent: 'canceled', refunds: 0 },
  { name: 'declined, then canceled', moves: ['fail', 'cancel'], booking: 'cancelled', intent: 'canceled', refunds: 0 },
  { name: 'paid after the hold expired', moves: ['succeed'], expiredFirst: true, booking: 'expired', intent: 'succeeded', refunds: 1 },
];

const EVENT_TYPES = ['payment_intent.succeeded', 'payment_intent.payment_failed', 'payment_intent.canceled'] as const;

function permutations<T>(items: readonly T[]): T[][] {
  if (items.length <= 1) return [[...items]];
  return items.flatMap((item, index) => permutations([...items.slice(0, index), ...items.slice(index + 1)]).map((rest) => [item, ...rest]));
}

const ORDERS = permutations(EVENT_TYPES);

let day = 20;
/** A pending booking of its own customer (hold limits are per customer) on a day of its own. */
async function pendingBooking(world: BookingWorld) {
  const customer = await createCustomer();
  const date = bangkokDate(day++);
  const made = await book(api, customer.token, { car_id: world.car.id, start_date: date, end_date: date });
  expect(made.status).toBe(201);
  return { id: made.body.id as string, intent: made.body.payment.intent_id as string };
}

async function live(history: History, world: BookingWorld) {
  const booking = await pendingBooking(world);
  if (history.expiredFirst) await getDb().updateTable('reservations').set({ status: 'expired' }).where('id', '=', booking.id).execute();
  for (const move of history.moves) await stripeStandin[move](booking.intent);
  return booking;
}

async function deliverAll(intent: string, order: readonly string[], concurrently: boolean): Promise<ApiAnswer<{ outcome: string }>[]> {
  const events = order.map((type) => stripeEvent(type, intent));
  if (concurrently) return Promise.all(events.map((event) => deliverStripeEvent(api, event)));
  const answers = [];
  for (const event of events) answers.push(await deliverStripeEvent(api, event));
  return answers;
}

const statusOf = async (id: string) => (await getDb().selectFrom('reservations').select('status').where('id', '=', id).executeTakeFirstOrThrow()).status;
const refundNotices = async (id: string) =>
  (
    await getDb()
      .selectFrom('notifications')
      .select('id')
      .where('reservation_id', '=', id)
      .where('kind', '=', 'deposit_refunded')
      .where('channel', '=', 'email')
      .execute()
  ).length;

describe('the payment state machine converges whatever the order of its events', () => {
  for (const history of HISTORIES) {
    for (const concurrently of [true, false]) {
      it(`${history.name}: every order ${concurrently ? 'at once' : 'in sequence'} → ${history.booking}, ${history.refunds} refund(s)`, async () => {
        const world = await bookingWorld(api);
        const finals: Array<{ order: string; booking: string; intent: string; refunds: number; notices: number; statuses: number[] }> = [];
        for (const order of ORDERS) {
          const booking = await live(history, world);
          const answers = await deliverAll(booking.intent, order, concurrently);
          finals.push({
            order: order.join(' → '),
            booking: await statusOf(booking.id),
            intent: (await stripeStandin.intent(booking.intent)).status,
            refunds: (await stripeStandin.refunds(booking.intent)).length,
            notices: await refundNotices(booking.id),
            statuses: answers.map((answer) => answer.status),
          });
        }
        const expected = ORDERS.map((order) => ({
          order: order.join(' → '),
          booking: history.booking,
          intent: history.intent,
          refunds: history.refunds,
          notices: history.refunds,
          statuses: [200, 200, 200],
        }));
        expect(finals).toEqual(expected);
      });
    }
  }
});
