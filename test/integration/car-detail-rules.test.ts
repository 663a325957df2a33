import { describe, expect, it } from 'vitest';
import { handler } from '#functions/api/cars/get-car';
import { addDays } from '#core/availability/dates';
import { priceRental } from '#core/pricing/pricing';
import { isoWeekday } from '#core/pricing/terms';
import { getDb } from '#platform/db';
import { useApi } from '../helpers/api';
import { setAgencyTerms } from '../helpers/cars';
import { createAgency, createBooking, createCar, inDays, type CarFixture } from '../helpers/catalog';
import { apiEvent, lambdaContext } from '../helpers/events';
import { useRoundTripCounter } from '../helpers/round-trips';

/**
 * GET /cars/{id}/ under the rental rules (issue 17): the price of the requested days, times and
 * places from the car's seasons, length discount and its agency's fees, with its breakdown; the
 * turnaround buffers in availability and unavailable_ranges; the first rule a request breaks.
 */
const api = useApi();
const counted = useRoundTripCounter();

const MONDAY_TO_FRIDAY_9_TO_6 = [1, 2, 3, 4, 5].map((weekday) => ({ weekday, opens: '09:00', closes: '18:00' }));

/** The first day on or after `from` that is this ISO weekday. */
function nextWeekday(from: string, weekday: number): string {
  let day = from;
  while (isoWeekday(day) !== weekday) day = addDays(day, 1);
  return day;
}

interface AgencyTerms {
  hours?: { weekday: number; opens: string; closes: string }[];
  afterHoursFee?: number | null;
  delivery?: Record<string, number>;
}

/** A published car of a new agency, with the agency's hours, after-hours fee and delivery places and the car's seasons. */
async function rentalCar(
  car: CarFixture = {},
  agency: AgencyTerms = {},
  seasons: { name: string; start: string; end: string; rate: number; minDays?: number }[] = [],
) {
  const { id: agencyId } = await createAgency();
  const db = getDb();
  await setAgencyTerms(agencyId, { afterHoursFee: null, ...agency });
  const created = await createCar(agencyId, car);
  if (seasons.length) {
    await db
      .insertInto('car_seasons')
      .values(
        seasons.map((season) => ({
          car_id: created.id,
          name: season.name,
          start_date: season.start,
          end_date: season.end,
          daily_rate: season.rate,
          min_rental_days: season.minDays ?? null,
        })),
      )
      .execute();
  }
  return created;
}

function detail(carId: string, params: Record<string, string> = {}) {
  return api.get(`/cars/${carId}/?${new URLSearchParams(params).toString()}`);
}

describe('GET /cars/{id}/: the price of the requested days, times and places', () => {
  it('prices each day at its season’s rate, takes the weekly discount, adds delivery and after-hours fees, and shows how', async () => {
    const saturday = nextWeekday(inDays(20), 6);
    const friday = addDays(saturday, 6);
    const car = await rentalCar(
      { daily_rate: 100_000, deposit_amount: 300_000, weekly_discount_days: 7, weekly_discount_percent: 10, monthly_discount_percent: 20 },
      { hours: MONDAY_TO_FRIDAY_9_TO_6, afterHoursFee: 30_000, delivery: { 'phuket-airport': 50_000 } },
      [
        { name: 'Over already', start: inDays(-30), end: inDays(-1), rate: 1_000 },
        { name: 'High season', start: addDays(saturday, 4), end: addDays(saturday, 60), rate: 150_000, minDays: 2 },
      ],
    );
    // Saturday pick-up at the airport (closed: after hours); Friday return at 17:00 at the agency (open).
    const answer = await detail(car.id, {
      start_date: saturday,
      end_date: friday,
      pickup_time: '10:00',
      return_time: '17:00',
      pickup_landmark: 'phuket-airport',
    });
    expect(answer.status, answer.text).toBe(200);

    const rental = 4 * 100_000 + 3 * 150_000;
    const subtotal = rental - 85_000 + 50_000 + 30_000;
    expect(answer.body.availability).toEqual({ start_date: saturday, end_date: friday, available: true });
    expect(answer.body.price_breakdown).toEqual({
      daily_rates: [
        { start_date: saturday, end_date: addDays(saturday, 3), days: 4, daily_rate: 100_000, season: null },
        { start_date: addDays(saturday, 4), end_date: friday, days: 3, daily_rate: 150_000, season: 'High season' },
      ],
      rental,
      length_discount: { percent: 10, amount: 85_000 },
      pickup: { landmark: 'phuket-airport', delivery_fee: 50_000, after_hours_fee: 30_000 },
      return: { landmark: null, delivery_fee: 0, after_hours_fee: 0 },
    });
    const fees = Math.floor((subtotal * 500 + 5_000) / 10_000);
    const tax = Math.floor(((subtotal + fees) * 700 + 5_000) / 10_000);
    expect(answer.body.price).toEqual({
      days: 7,
      daily_rate: Math.round(rental / 7),
      subtotal,
      fees,
      tax,
      total_price: subtotal + fees + tax,
      deposit_amount: 300_000,
      currency: 'thb',
    });

    // The rules behind that price, for a traveller to read before booking: the season over already is not among them.
    expect(answer.body.rental_terms).toEqual({
      seasons: [{ name: 'High season', start_date: addDays(saturday, 4), end_date: addDays(saturday, 60), daily_rate: 150_000, min_rental_days: 2 }],
      weekly_discount: { from_days: 7, percent: 10 },
      monthly_discount: { from_days: 28, percent: 20 },
      min_rental_days: 1,
      min_notice_hours: 0,
      max_lead_days: null,
      turnaround_days: 0,
      opening_hours: MONDAY_TO_FRIDAY_9_TO_6,
      after_hours_fee: 30_000,
      delivery: [{ landmark: 'phuket-airport', fee: 50_000 }],
    });
  });

  it('the same days at the agency within its hours cost the days alone; the default hand-over is 10:00 at the agency', async () => {
    const monday = nextWeekday(inDays(20), 1);
    const car = await rentalCar({ daily_rate: 100_000 }, { hours: MONDAY_TO_FRIDAY_9_TO_6, afterHoursFee: 30_000, delivery: { 'phuket-airport': 50_000 } });
    const answer = await detail(car.id, { start_date: monday, end_date: addDays(monday, 2) });
    expect(answer.body.price_breakdown.pickup).toEqual({ landmark: null, delivery_fee: 0, after_hours_fee: 0 });
    expect(answer.body.price).toMatchObject({ subtotal: 300_000 });
    // Both hand-overs after hours: the fee twice.
    const late = await detail(car.id, { start_date: monday, end_date: addDays(monday, 2), pickup_time: '18:00', return_time: '08:59' });
    expect(late.body.price).toMatchObject({ subtotal: 300_000 + 2 * 30_000 });
    expect(late.body.availability.available).toBe(true);
  });

  it('an agency with no rules shows empty terms and the base-rate price, as before', async () => {
    const car = await rentalCar({ daily_rate: 90_000, deposit_amount: 500_000 });
    const answer = await detail(car.id, { start_date: inDays(10), end_date: inDays(12) });
    expect(answer.body.price).toEqual({
      ...withoutBreakdown(priceRental({ dailyRate: 90_000, depositAmount: 500_000, startDate: inDays(10), endDate: inDays(12) })),
      daily_rate: 90_000,
    });
    expect(answer.body.rental_terms).toMatchObject({ seasons: [], opening_hours: [], after_hours_fee: null, delivery: [], turnaround_days: 0 });
  });
});

function withoutBreakdown(price: ReturnType<typeof priceRental>) {
  const { breakdown: _breakdown, daily_rate_at_booking: _rate, ...rest } = price;
  return rest;
}

describe('GET /cars/{id}/: turnaround buffers', () => {
  it('unavailable_ranges hold each rental’s buffer after it and the car’s own buffer before it', async () => {
    const car = await rentalCar({ turnaround_days: 1 });
    const booking = await createBooking(car, inDays(20), inDays(22));
    await getDb().updateTable('reservations').set({ turnaround_days: 1 }).where('id', '=', booking.id).execute();
    const answer = await detail(car.id);
    expect(answer.body.rental_terms.turnaround_days).toBe(1);
    // Day 19: a rental ending then would need day 20 for its buffer; day 23: the booking's buffer.
    expect(answer.body.unavailable_ranges).toEqual([{ start_date: inDays(19), end_date: inDays(23) }]);
  });

  it('dates inside a buffer are not available, on either side of a booking; the day after the buffer is', async () => {
    const car = await rentalCar({ turnaround_days: 1 });
    const booking = await createBooking(car, inDays(20), inDays(22));
    await getDb().updateTable('reservations').set({ turnaround_days: 1 }).where('id', '=', booking.id).execute();
    const availableFor = async (start: number, end: number) => (await detail(car.id, { start_date: inDays(start), end_date: inDays(end) })).body.availability;
    expect(await availableFor(23, 25)).toEqual({ start_date: inDays(23), end_date: inDays(25), available: false });
    expect((await availableFor(24, 25)).available).toBe(true);
    // Ending the day before the booking leaves the car no day to be turned around.
    expect((await availableFor(15, 19)).available).toBe(false);
    expect((await availableFor(15, 18)).available).toBe(true);
  });

  it('a booking made with a buffer keeps it, even after the car’s buffer is lowered', async () => {
    const car = await rentalCar({ turnaround_days: 2 });
    const booking = await createBooking(car, inDays(20), inDays(22));
    await getDb().updateTable('reservations').set({ turnaround_days: 2 }).where('id', '=', booking.id).execute();
    await getDb().updateTable('cars').set({ turnaround_days: 0 }).where('id', '=', car.id).execute();
    const answer = await detail(car.id, { start_date: inDays(24), end_date: inDays(25) });
    expect(answer.body.availability.available).toBe(false);
    expect(answer.body.unavailable_ranges).toEqual([{ start_date: inDays(20), end_date: inDays(24) }]);
  });
});

describe('GET /cars/{id}/: a request the rules refuse is not available, and the rule is named', () => {
  it('min_rental_days: the price is still shown, so the traveller sees what the longer stay costs', async () => {
    const car = await rentalCar({ min_rental_days: 3 });
    const short = await detail(car.id, { start_date: inDays(10), end_date: inDays(11) });
    expect(short.body.availability).toEqual({
      start_date: inDays(10),
      end_date: inDays(11),
      available: false,
      rule: { rule: 'min_rental_days', detail: expect.stringContaining('at least 3 days') },
    });
    expect(short.body.price.days).toBe(2);
    const enough = await detail(car.id, { start_date: inDays(10), end_date: inDays(12) });
    expect(enough.body.availability).toEqual({ start_date: inDays(10), end_date: inDays(12), available: true });
  });

  it('a season’s stricter minimum counts from its first day', async () => {
    const car = await rentalCar({}, {}, [{ name: 'New Year', start: inDays(30), end: inDays(40), rate: 200_000, minDays: 5 }]);
    expect((await detail(car.id, { start_date: inDays(30), end_date: inDays(33) })).body.availability.rule.rule).toBe('min_rental_days');
    expect((await detail(car.id, { start_date: inDays(29), end_date: inDays(32) })).body.availability.available).toBe(true);
  });

  it('min_notice and max_lead_days', async () => {
    const car = await rentalCar({ min_notice_hours: 72, max_lead_days: 30 });
    expect((await detail(car.id, { start_date: inDays(1), end_date: inDays(3) })).body.availability.rule.rule).toBe('min_notice');
    expect((await detail(car.id, { start_date: inDays(31), end_date: inDays(33) })).body.availability.rule.rule).toBe('max_lead_days');
    expect((await detail(car.id, { start_date: inDays(30), end_date: inDays(32) })).body.availability.available).toBe(true);
  });

  it('delivery to a place the agency does not serve, or a hand-over outside hours without a fee: refused and not priced', async () => {
    const monday = nextWeekday(inDays(20), 1);
    const car = await rentalCar({}, { hours: MONDAY_TO_FRIDAY_9_TO_6, afterHoursFee: null, delivery: { 'phuket-airport': 50_000 } });
    const elsewhere = await detail(car.id, { start_date: monday, end_date: addDays(monday, 1), return_landmark: 'patong-beach' });
    expect(elsewhere.status).toBe(200);
    expect(elsewhere.body.availability).toMatchObject({ available: false, rule: { rule: 'delivery', detail: expect.stringContaining('patong-beach') } });
    expect(elsewhere.body).not.toHaveProperty('price');
    expect(elsewhere.body).not.toHaveProperty('price_breakdown');
    const late = await detail(car.id, { start_date: monday, end_date: addDays(monday, 1), pickup_time: '19:30' });
    expect(late.body.availability).toMatchObject({ available: false, rule: { rule: 'opening_hours' } });
    expect(late.body).not.toHaveProperty('price');
    const served = await detail(car.id, {
      start_date: monday,
      end_date: addDays(monday, 1),
      pickup_landmark: 'phuket-airport',
      return_landmark: 'phuket-airport',
    });
    expect(served.body.availability.available).toBe(true);
    expect(served.body.price_breakdown).toMatchObject({ pickup: { delivery_fee: 50_000 }, return: { delivery_fee: 50_000 } });
  });
});

describe('GET /cars/{id}/: the request’s parameters', () => {
  it.each([
    [`pickup_time=25:00`, 'pickup_time'],
    [`return_time=9:00`, 'return_time'],
    [`return_time=noon`, 'return_time'],
    [`pickup_landmark=Patong Beach`, 'pickup_landmark'],
    [`pickup_landmark=atlantis`, 'pickup_landmark'],
    [`return_landmark=atlantis`, 'return_landmark'],
  ])('%s → 400 naming it', async (query, path) => {
    const car = await rentalCar();
    const answer = await api.get(`/cars/${car.id}/?start_date=${inDays(10)}&end_date=${inDays(11)}&${query}`);
    expect(answer.status, answer.text).toBe(400);
    expect(answer.body.errors.map((error: { path: string }) => error.path)).toContain(path);
  });

  it('times and places without dates are a 400; an unknown landmark is a 400 even for an unknown car', async () => {
    const car = await rentalCar();
    const noDates = await api.get(`/cars/${car.id}/?pickup_time=10:00`);
    expect(noDates.status).toBe(400);
    expect(noDates.body.errors).toContainEqual({ path: 'pickup_time', message: 'needs start_date and end_date' });
    const unknown = await api.get(`/cars/3f1c0c8e-0000-4000-8000-000000000000/?start_date=${inDays(10)}&end_date=${inDays(11)}&pickup_landmark=atlantis`);
    expect(unknown.status).toBe(400);
  });

  it('is two round trips with dates, rules and terms: the car with its terms and availability, then its taken days', async () => {
    const car = await rentalCar({ turnaround_days: 1 }, { hours: MONDAY_TO_FRIDAY_9_TO_6, afterHoursFee: 30_000, delivery: { 'phuket-airport': 50_000 } });
    const event = apiEvent({
      method: 'GET',
      path: `/api/v1/cars/${car.id}/`,
      pathParameters: { id: car.id },
      query: { start_date: inDays(10), end_date: inDays(12), pickup_landmark: 'phuket-airport' },
    });
    await handler(event, lambdaContext('car-detail-rules')); // the process reads the landmarks once
    const { result, statements } = await counted(() => handler(event, lambdaContext('car-detail-rules')));
    expect(result.statusCode, result.body).toBe(200);
    expect(statements, statements.join('\n')).toHaveLength(2);
  });
});
