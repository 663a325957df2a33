import { sql } from 'kysely';
import { describe, expect, it } from 'vitest';
import { addDays, addMonths } from '#core/availability/dates';
import { DEFAULT_PRICING_RATES, priceRental } from '#core/pricing/pricing';
import { sortKeys } from '#core/search/ordering';
import { PRICE_WALKS } from '#core/search/price-walk';
import { rentalRequestOf, searchCars, searchQuery, type SearchCriteria } from '#core/search/search-cars';
import { stayOf } from '#core/search/stay-price';
import { getDb } from '#platform/db';
import { useApi } from '../helpers/api';
import { addSeason, everyDay, setAgencyTerms } from '../helpers/cars';
import { createAgency, createBooking, createCar, inDays, type CarFixture } from '../helpers/catalog';

/**
 * GET /cars/ under the rental rules (issue 17): the stay's price orders, filters and pages the
 * results, and only cars the request could book are listed. Each test stands its cars at a
 * place of its own in the Andaman Sea and searches around it, so the search walks the price
 * segments as it does fleet-wide (an agency filter would sort the agency's few cars instead).
 */
const api = useApi();

let nextPlace = 0;
/** A place no other test of this file uses, and an agency there. */
async function placeWithAgency(agency: Parameters<typeof createAgency>[0] = {}) {
  const at = { lat: 6.0 + 0.05 * nextPlace, lng: 96.5 };
  nextPlace += 1;
  return { near: `${at.lat},${at.lng}`, agency: await createAgency({ ...at, ...agency }) };
}

interface Result {
  id: string;
  daily_rate: number;
  days: number;
  total_price: number;
  delivery?: { landmark: string; fee: number; total_price: number } | null;
}

async function search(params: Record<string, string | number>): Promise<Result[]> {
  const query = new URLSearchParams(Object.entries(params).map(([key, value]): [string, string] => [key, String(value)]));
  const answer = await api.get(`/cars/?${query.toString()}`);
  expect(answer.status, answer.text).toBe(200);
  return answer.body.results;
}

const ids = (results: Result[]) => results.map((car) => car.id);

describe('GET /cars/ orders and filters by the price of the requested stay', () => {
  const [START, END] = [inDays(40), inDays(43)]; // 4 days

  it('lists a car whose high season makes it dearer after a car with a higher base rate', async () => {
    const { near, agency } = await placeWithAgency();
    const seasonal = await createCar(agency.id, { daily_rate: 100_000 });
    await addSeason(seasonal.id, { name: 'High', start: addDays(START, -10), end: addDays(END, 10), dailyRate: 200_000 });
    const steady = await createCar(agency.id, { daily_rate: 150_000 });

    const results = await search({ start_date: START, end_date: END, near, radius_km: 1 });
    expect(ids(results)).toEqual([steady.id, seasonal.id]);
    expect(results[1]!.daily_rate).toBe(100_000); // still the base rate
    expect(results[1]!.total_price).toBe(priceRental({ dailyRate: 200_000, depositAmount: 0, startDate: START, endDate: END }).total_price);
    expect(ids(await search({ start_date: START, end_date: END, near, radius_km: 1, ordering: '-price' }))).toEqual([seasonal.id, steady.id]);
    // Out of season the base rates decide again.
    const [before, beforeEnd] = [addDays(START, -20), addDays(START, -17)];
    expect(ids(await search({ start_date: before, end_date: beforeEnd, near, radius_km: 1 }))).toEqual([seasonal.id, steady.id]);
  });

  it('bounds the stay’s price per day with min_price and max_price, both inclusive', async () => {
    const { near, agency } = await placeWithAgency();
    const seasonal = await createCar(agency.id, { daily_rate: 100_000 });
    await addSeason(seasonal.id, { name: 'Peak', start: START, end: addDays(START, 1), dailyRate: 300_000 }); // 2 days of 4 at 3,000 THB: 2,000 a day
    const steady = await createCar(agency.id, { daily_rate: 150_000 });
    const base = { start_date: START, end_date: END, near, radius_km: 1 };

    expect(ids(await search({ ...base, min_price: 160_000 }))).toEqual([seasonal.id]);
    expect(ids(await search({ ...base, max_price: 160_000 }))).toEqual([steady.id]);
    expect(ids(await search({ ...base, min_price: 200_000, max_price: 200_000 }))).toEqual([seasonal.id]);
    expect(ids(await search({ ...base, min_price: 150_000, max_price: 199_999 }))).toEqual([steady.id]);
    expect(ids(await search({ ...base, min_price: 150_001, max_price: 199_999 }))).toEqual([]);
  });

  it('bounds the stay’s price per day across a month end, where each car’s price rows are cut in two', async () => {
    const { near, agency } = await placeWithAgency();
    const nextMonth = `${addMonths(inDays(40), 1).slice(0, 8)}01`;
    const [start, end] = [addDays(nextMonth, -2), addDays(nextMonth, 1)]; // 2 days each side of the month end
    const steady = await createCar(agency.id, { daily_rate: 150_000 }); // one run over the whole stay
    const mixed = await createCar(agency.id, { daily_rate: 100_000 });
    await addSeason(mixed.id, { name: 'New month', start: nextMonth, end: addDays(nextMonth, 10), dailyRate: 300_000 }); // 2,000 a day
    const base = { start_date: start, end_date: end, near, radius_km: 1 };

    expect(ids(await search({ ...base, min_price: 160_000 }))).toEqual([mixed.id]);
    expect(ids(await search({ ...base, max_price: 160_000 }))).toEqual([steady.id]);
    expect(ids(await search({ ...base, min_price: 150_000, max_price: 150_000 }))).toEqual([steady.id]);
    expect(ids(await search({ ...base, min_price: 200_000, max_price: 200_000, ordering: '-price' }))).toEqual([mixed.id]);
    expect(ids(await search({ ...base, min_price: 150_001, max_price: 199_999 }))).toEqual([]);
  });

  it('applies the length discount of the tier the stay reaches, in order and bounds', async () => {
    const { near, agency } = await placeWithAgency();
    // 7 days: 1,000 × 7 − 20 % = 5,600 (800 a day) against 850 × 7 = 5,950.
    const discounted = await createCar(agency.id, { daily_rate: 100_000, weekly_discount_days: 7, weekly_discount_percent: 20 });
    const plain = await createCar(agency.id, { daily_rate: 85_000 });
    const week = { start_date: START, end_date: addDays(START, 6), near, radius_km: 1 };
    expect(ids(await search(week))).toEqual([discounted.id, plain.id]);
    expect(ids(await search({ ...week, max_price: 80_000 }))).toEqual([discounted.id]);
    // 6 days reach no tier.
    expect(ids(await search({ ...week, end_date: addDays(START, 5) }))).toEqual([plain.id, discounted.id]);
  });

  it('pages by stay price without repeating or skipping a car, whatever the page size and walk length', async () => {
    const { near, agency } = await placeWithAgency();
    const fixtures: { car: CarFixture; season?: [number, number, number] }[] = [
      { car: { daily_rate: 100_000 }, season: [-5, 1, 180_000] },
      { car: { daily_rate: 120_000 } },
      { car: { daily_rate: 120_000 } },
      { car: { daily_rate: 90_000 }, season: [2, 30, 200_000] },
      { car: { daily_rate: 200_000, weekly_discount_days: 3, weekly_discount_percent: 50 } },
      { car: { daily_rate: 110_000 }, season: [0, 0, 60_000] },
      { car: { daily_rate: 130_000 } },
      { car: { daily_rate: 125_000, weekly_discount_days: 2, weekly_discount_percent: 10 } },
      { car: { daily_rate: 95_000 }, season: [3, 3, 300_000] },
      { car: { daily_rate: 140_000 } },
    ];
    const expected: { id: string; price: number }[] = [];
    for (const { car: fixture, season } of fixtures) {
      const car = await createCar(agency.id, fixture);
      const seasons = season ? [{ name: 'S', startDate: addDays(START, season[0]), endDate: addDays(START, season[1]), dailyRate: season[2] }] : [];
      for (const s of seasons) await addSeason(car.id, { name: s.name, start: s.startDate, end: s.endDate, dailyRate: s.dailyRate });
      const discount = { fromDays: fixture.weekly_discount_days ?? 7, percent: fixture.weekly_discount_percent ?? 0 };
      const price = priceRental({
        dailyRate: car.daily_rate,
        depositAmount: 0,
        startDate: START,
        endDate: END,
        seasons,
        lengthDiscounts: { weekly: discount, monthly: { fromDays: 28, percent: 0 } },
      });
      expected.push({ id: car.id, price: price.subtotal });
    }
    expected.sort((a, b) => a.price - b.price || (a.id < b.id ? -1 : 1));

    for (const ordering of ['price', '-price'] as const) {
      const order = ordering === 'price' ? expected.map((car) => car.id) : expected.map((car) => car.id).reverse();
      for (const limit of [1, 3, 4, 100]) {
        const seen: string[] = [];
        let cursor: string | undefined;
        do {
          const query = new URLSearchParams({
            start_date: START,
            end_date: END,
            near,
            radius_km: '1',
            ordering,
            limit: String(limit),
            ...(cursor ? { cursor } : {}),
          });
          const answer = await api.get(`/cars/?${query.toString()}`);
          expect(answer.status, answer.text).toBe(200);
          seen.push(...ids(answer.body.results));
          cursor = answer.body.next_cursor ?? undefined;
        } while (cursor);
        expect(seen).toEqual(order);
      }
      // The full statement alone (what runs when the walks do not settle a page): the same page.
      const criteria: SearchCriteria = {
        startDate: START,
        endDate: END,
        place: { lat: Number(near.split(',')[0]), lng: 96.5, radiusKm: 1 },
        ordering,
        limit: 4,
      };
      const stay = stayOf(rentalRequestOf(criteria), new Date());
      const { rows } = await searchQuery(criteria, sortKeys(ordering, criteria.place), undefined, stay).execute(getDb());
      expect(rows.map((row) => row.id)).toEqual(order.slice(0, 5));
      // The walks (priced in Node) at any lengths, settling pages themselves, resuming where the
      // last stopped, or handing them to the full statement: every page the same, in order.
      for (const walks of [[1], [1, 1], [2, 3], [1, 20], [20], Array.from({ length: 12 }, () => 1)]) {
        for (const limit of [1, 3]) {
          const seen: string[] = [];
          let cursor: string | undefined;
          do {
            const page = await searchCars(
              getDb(),
              { ...criteria, limit, ...(cursor ? { cursor } : {}) },
              { rates: DEFAULT_PRICING_RATES, imageUrl: undefined, priceWalks: walks },
            );
            seen.push(...page.results.map((car) => car.id));
            cursor = page.next_cursor ?? undefined;
          } while (cursor);
          expect(seen, `walks ${JSON.stringify(walks)}, limit ${limit}`).toEqual(order);
        }
      }
    }
  });
});

describe('GET /cars/ lists only cars the request could book', () => {
  it('walks on past cheaper cars the rules turn away, whatever the walks, in both orders', async () => {
    const { near, agency } = await placeWithAgency();
    const [start, end] = [inDays(20), inDays(21)]; // 2 days
    // Interleaved by base rate: cars rented for 5 days at least (not bookable for 2) and cars that
    // are, two of those with a dear second day (their walk bound is below their price, so they
    // stay unsettled for a while and must be priced again after the rules turn cars away).
    const bookable: { id: string; price: number }[] = [];
    for (let index = 0; index < 8; index++) {
      const dailyRate = 100_000 + index * 1_000;
      if (index % 2 === 0) {
        await createCar(agency.id, { daily_rate: dailyRate, min_rental_days: 5 });
        continue;
      }
      const car = await createCar(agency.id, { daily_rate: dailyRate });
      const dearSecondDay = index === 1 || index === 5;
      if (dearSecondDay) await addSeason(car.id, { name: 'Dear day', start: end, end, dailyRate: dailyRate + 60_000 });
      bookable.push({ id: car.id, price: 2 * dailyRate + (dearSecondDay ? 60_000 : 0) });
    }
    const expected = bookable.sort((a, b) => a.price - b.price || (a.id < b.id ? -1 : 1)).map((car) => car.id);
    const criteria: SearchCriteria = {
      startDate: start,
      endDate: end,
      place: { lat: Number(near.split(',')[0]), lng: 96.5, radiusKm: 1 },
      ordering: 'price',
      limit: 1,
    };
    // Settled cars the rules reject send search back to the database for the rest of the walks;
    // short walks make that happen at every page.
    for (const walks of [[1, 1, 1, 1, 1, 1, 1, 1, 1, 1], [2, 2, 2, 2, 2], [3], PRICE_WALKS]) {
      for (const ordering of ['price', '-price'] as const) {
        const seen: string[] = [];
        let cursor: string | undefined;
        do {
          const page = await searchCars(
            getDb(),
            { ...criteria, ordering, ...(cursor ? { cursor } : {}) },
            { rates: DEFAULT_PRICING_RATES, imageUrl: undefined, priceWalks: walks },
          );
          seen.push(...page.results.map((car) => car.id));
          cursor = page.next_cursor ?? undefined;
        } while (cursor);
        expect(seen, `walks ${JSON.stringify(walks)}, ${ordering}`).toEqual(ordering === 'price' ? expected : [...expected].reverse());
      }
    }
  });

  it('a car rented for at least 3 days is not listed for 2, and is for 3; a season’s minimum counts from its start', async () => {
    const { near, agency } = await placeWithAgency();
    const threeDays = await createCar(agency.id, { min_rental_days: 3 });
    const seasonal = await createCar(agency.id);
    await addSeason(seasonal.id, { name: 'Long stays', start: inDays(30), end: inDays(40), dailyRate: 90_000, minRentalDays: 5 });
    const where = { near, radius_km: 1 };

    expect(ids(await search({ ...where, start_date: inDays(20), end_date: inDays(21) }))).toEqual([seasonal.id]);
    expect((await search({ ...where, start_date: inDays(20), end_date: inDays(22) })).map((car) => car.id).sort()).toEqual([threeDays.id, seasonal.id].sort());
    expect(ids(await search({ ...where, start_date: inDays(30), end_date: inDays(33) }))).toEqual([threeDays.id]);
    expect((await search({ ...where, start_date: inDays(30), end_date: inDays(34) })).map((car) => car.id).sort()).toEqual([threeDays.id, seasonal.id].sort());
  });

  it('a car that needs notice is not listed for a pick-up too soon', async () => {
    const { near, agency } = await placeWithAgency();
    const needsNotice = await createCar(agency.id, { min_notice_hours: 72 });
    const where = { near, radius_km: 1 };
    expect(await search({ ...where, start_date: inDays(1), end_date: inDays(2) })).toEqual([]);
    expect(ids(await search({ ...where, start_date: inDays(5), end_date: inDays(6) }))).toEqual([needsNotice.id]);
  });

  it('a car booked at most 30 days ahead is listed for a start 30 days ahead, not 31', async () => {
    const { near, agency } = await placeWithAgency();
    const car = await createCar(agency.id, { max_lead_days: 30 });
    const where = { near, radius_km: 1 };
    expect(ids(await search({ ...where, start_date: inDays(30), end_date: inDays(31) }))).toEqual([car.id]);
    expect(await search({ ...where, start_date: inDays(31), end_date: inDays(32) })).toEqual([]);
  });

  it('a closed agency’s car is not listed at the pick-up time unless it charges an after-hours fee, then with the fee', async () => {
    const closed = await placeWithAgency();
    await setAgencyTerms(closed.agency.id, { hours: everyDay('09:00', '17:00') });
    const closedCar = await createCar(closed.agency.id, { daily_rate: 100_000 });
    const withFee = await placeWithAgency();
    await setAgencyTerms(withFee.agency.id, { hours: everyDay('09:00', '17:00') });
    await getDb().updateTable('agencies').set({ after_hours_fee: 50_000 }).where('id', '=', withFee.agency.id).execute();
    const feeCar = await createCar(withFee.agency.id, { daily_rate: 100_000 });
    const [start, end] = [inDays(12), inDays(14)];
    const evening = { start_date: start, end_date: end, pickup_time: '20:00', radius_km: 1 };

    expect(await search({ ...evening, near: closed.near })).toEqual([]);
    expect(ids(await search({ start_date: start, end_date: end, pickup_time: '09:00', near: closed.near, radius_km: 1 }))).toEqual([closedCar.id]);
    const [listed] = await search({ ...evening, near: withFee.near });
    expect(listed!.id).toBe(feeCar.id);
    const oneFee = priceRental({
      dailyRate: 100_000,
      depositAmount: 0,
      startDate: start,
      endDate: end,
      pickup: { landmark: null, deliveryFee: 0, afterHoursFee: 50_000 },
    });
    expect(listed!.total_price).toBe(oneFee.total_price);
    // The return outside the hours too: two fees.
    const [both] = await search({ ...evening, return_time: '07:00', near: withFee.near });
    expect(both!.total_price).toBe(
      priceRental(
        {
          dailyRate: 100_000,
          depositAmount: 0,
          startDate: start,
          endDate: end,
          pickup: { landmark: null, deliveryFee: 0, afterHoursFee: 50_000 },
          return: { landmark: null, deliveryFee: 0, afterHoursFee: 50_000 },
        },
        DEFAULT_PRICING_RATES,
      ).total_price,
    );
  });

  it('turnaround: a car kept a day after a rental ending on D is not listed from D + 1, is from D + 2', async () => {
    const { near, agency } = await placeWithAgency();
    const car = await createCar(agency.id, { turnaround_days: 1 });
    const D = inDays(20);
    const booking = await createBooking(car, addDays(D, -3), D);
    await getDb().updateTable('reservations').set({ turnaround_days: 1 }).where('id', '=', booking.id).execute();
    const where = { near, radius_km: 1 };
    expect(await search({ ...where, start_date: addDays(D, 1), end_date: addDays(D, 2) })).toEqual([]);
    expect(ids(await search({ ...where, start_date: addDays(D, 2), end_date: addDays(D, 3) }))).toEqual([car.id]);
  });

  it('turnaround: a stay ending the day before a booking starts is refused when the car’s own buffer reaches it', async () => {
    const { near, agency } = await placeWithAgency();
    const buffered = await createCar(agency.id, { turnaround_days: 1 });
    const unbuffered = await createCar(agency.id);
    const D = inDays(25);
    await createBooking(buffered, D, addDays(D, 2));
    await createBooking(unbuffered, D, addDays(D, 2));
    const where = { near, radius_km: 1 };
    expect(ids(await search({ ...where, start_date: addDays(D, -3), end_date: addDays(D, -1) }))).toEqual([unbuffered.id]);
    expect((await search({ ...where, start_date: addDays(D, -4), end_date: addDays(D, -2) })).map((car) => car.id).sort()).toEqual(
      [buffered.id, unbuffered.id].sort(),
    );
  });
});

describe('GET /cars/?landmark=: delivery there', () => {
  it('says per car whether its agency delivers to the landmark, with the fee and the delivered price', async () => {
    const landmark = await getDb().selectFrom('landmarks').selectAll().where('slug', '=', 'nai-harn-beach').executeTakeFirst();
    const at = landmark ?? (await getDb().selectFrom('landmarks').selectAll().orderBy('slug').executeTakeFirstOrThrow());
    const delivering = await createAgency({ lat: at.lat, lng: at.lng });
    const notDelivering = await createAgency({ lat: at.lat, lng: at.lng });
    await sql`INSERT INTO agency_delivery_options (agency_id, landmark_slug, fee) VALUES (${delivering.id}::uuid, ${at.slug}, 30000)`.execute(getDb());
    const delivered = await createCar(delivering.id, { daily_rate: 100_000 });
    const collectOnly = await createCar(notDelivering.id, { daily_rate: 100_001 });
    const [start, end] = [inDays(8), inDays(10)];

    const results = await search({ start_date: start, end_date: end, landmark: at.slug, radius_km: 0.5 });
    const byId = Object.fromEntries(results.map((car) => [car.id, car]));
    const withDelivery = priceRental({
      dailyRate: 100_000,
      depositAmount: 0,
      startDate: start,
      endDate: end,
      pickup: { landmark: at.slug, deliveryFee: 30_000, afterHoursFee: 0 },
      return: { landmark: at.slug, deliveryFee: 30_000, afterHoursFee: 0 },
    });
    expect(byId[delivered.id]!.delivery).toEqual({ landmark: at.slug, fee: 30_000, total_price: withDelivery.total_price });
    expect(byId[delivered.id]!.total_price).toBe(priceRental({ dailyRate: 100_000, depositAmount: 0, startDate: start, endDate: end }).total_price);
    expect(byId[collectOnly.id]!.delivery).toBeNull();

    const near = await search({ start_date: start, end_date: end, near: `${at.lat},${at.lng}`, radius_km: 0.5 });
    expect(near.find((car) => car.id === delivered.id)).not.toHaveProperty('delivery');
  });
});
