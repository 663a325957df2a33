import { randomUUID } from 'node:crypto';
import { beforeAll, describe, expect, it } from 'vitest';
import { handler } from '#functions/api/bookings/create-booking';
import { useApi } from '../helpers/api';
import { createCustomer } from '../helpers/auth';
import { bookingWorld, type BookingWorld } from '../helpers/bookings';
import { bangkokDate } from '../helpers/cars';
import { apiEvent, lambdaContext } from '../helpers/events';
import { useRoundTripCounter } from '../helpers/round-trips';

/**
 * The database work of one booking, counted (docs/bookings.md, "Round trips"): every
 * statement a POST /bookings/ sends, BEGIN and COMMIT included, through a hook on pg's client.
 * A count, not a time: it grows when someone adds a query to the hot path, on any machine.
 * The settled numbers: a new booking is 4 (the caller's lookup, the car, hold_booking(), the
 * attach); taken dates are 3 (no attach, no Stripe); a replay is 4 (the caller, the car, the hold
 * finding its key used, the stored answer read without a lock).
 */
const NEW_BOOKING_ROUND_TRIPS = 4;
const TAKEN_DATES_ROUND_TRIPS = 3;
const REPLAY_ROUND_TRIPS = 4;

const api = useApi();
const counted = useRoundTripCounter();
let world: BookingWorld;

beforeAll(async () => {
  world = await bookingWorld(api);
});

async function countedBooking(token: string, body: Record<string, unknown>, key = randomUUID()) {
  const event = apiEvent({
    method: 'POST',
    path: '/api/v1/bookings/',
    headers: { authorization: `Bearer ${token}`, 'content-type': 'application/json', 'idempotency-key': key },
    body: JSON.stringify(body),
  });
  const { result, statements } = await counted(() => handler(event, lambdaContext('round-trips')));
  return { status: result.statusCode, statements };
}

describe('the database round trips of one booking', () => {
  it(`a new booking takes ${NEW_BOOKING_ROUND_TRIPS}, and its replay ${REPLAY_ROUND_TRIPS}`, async () => {
    const customer = await createCustomer();
    const body = { car_id: world.car.id, start_date: bangkokDate(30), end_date: bangkokDate(32) };
    await countedBooking(customer.token, { ...body, start_date: bangkokDate(200), end_date: bangkokDate(200) }); // warm: pools connected
    const key = randomUUID();
    const made = await countedBooking(customer.token, body, key);
    expect(made.status).toBe(201);
    expect(made.statements, made.statements.join('\n')).toHaveLength(NEW_BOOKING_ROUND_TRIPS);
    const replayed = await countedBooking(customer.token, body, key);
    expect(replayed.status).toBe(201);
    expect(replayed.statements, replayed.statements.join('\n')).toHaveLength(REPLAY_ROUND_TRIPS);
  });

  it(`taken dates are refused in ${TAKEN_DATES_ROUND_TRIPS}, without a transaction`, async () => {
    const first = await createCustomer();
    const second = await createCustomer();
    const body = { car_id: world.car.id, start_date: bangkokDate(40), end_date: bangkokDate(41) };
    expect((await countedBooking(first.token, body)).status).toBe(201);
    const refused = await countedBooking(second.token, body);
    expect(refused.status).toBe(409);
    expect(refused.statements, refused.statements.join('\n')).toHaveLength(TAKEN_DATES_ROUND_TRIPS);
    expect(refused.statements.filter((text) => /^(begin|start transaction)/i.test(text))).toEqual([]);
  });
});
