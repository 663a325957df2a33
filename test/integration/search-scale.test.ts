import { sql } from 'kysely';
import { describe, expect, it } from 'vitest';
import { DEFAULT_PRICING_RATES } from '#core/pricing/pricing';
import { sortKeys } from '#core/search/ordering';
import { PRICE_WALKS } from '#core/search/price-walk';
import { rentalRequestOf, searchCars, searchQuery, type SearchCriteria } from '#core/search/search-cars';
import { stayOf } from '#core/search/stay-price';
import { getDb } from '#platform/db';
import { useApi } from '../helpers/api';
import { createAgency, createBooking, createCar, inDays } from '../helpers/catalog';

useApi(); // the test file's database and environment

const context = { rates: DEFAULT_PRICING_RATES, imageUrl: undefined };

/** `count` published scooters standing at the agency, at daily rates dailyRate + 1, + 2, … (500 a statement: each car's price rows are written by a trigger, within the statement's time budget). */
async function createCarsAt(agencyId: string, count: number, dailyRate: number) {
  for (let from = 1; from <= count; from += 500) {
    await sql`
      INSERT INTO cars (agency_id, make, model, year, car_type, transmission, seats, fuel_type, daily_rate, deposit_amount, is_published)
      SELECT ${agencyId}::uuid, 'Honda', 'Click 160', 2025, 'scooter', 'automatic', 2, 'petrol', ${dailyRate}::int4 + n, 100000, true
      FROM generate_series(${from}::int4, ${Math.min(count, from + 499)}::int4) AS n`.execute(getDb());
  }
}

/**
 * What one search read, from PostgreSQL's counters of the transaction it ran in: index entries of
 * car_price_segments (the walks) and rows of cars (the walked cars, read by their key).
 */
async function searchReads(criteria: SearchCriteria): Promise<{ page: string[]; segmentEntries: number; carsRead: number }> {
  return getDb()
    .transaction()
    .execute(async (trx) => {
      const page = await searchCars(trx, criteria, context);
      const { rows } = await sql<{ segment_entries: string; cars_read: string }>`
        SELECT (SELECT sum(pg_stat_get_xact_tuples_returned(indexrelid)) FROM pg_index WHERE indrelid = 'car_price_segments'::regclass) AS segment_entries,
               pg_stat_get_xact_tuples_returned('cars_pkey'::regclass) AS cars_read`.execute(trx);
      return { page: page.results.map((car) => car.id), segmentEntries: Number(rows[0]!.segment_entries), carsRead: Number(rows[0]!.cars_read) };
    });
}

describe('GET /cars/ near a place, as the fleet grows', () => {
  it('walks only the rows of the map cells around the place, not the cheaper cars of the rest of the fleet', async () => {
    const centre = { lat: 6.9, lng: 97.9 }; // the Andaman Sea, away from every other test's cars
    const agency = await createAgency(centre);
    await createCarsAt(agency.id, 600, 4_000);
    // The rest of the fleet, ~140 km away and cheaper than every car near the centre.
    await createCarsAt((await createAgency({ lat: 6.0, lng: 97.0 })).id, 3_000, 500);
    // No agency filter: that would hand the agency's cars over in price order either way.
    // Days 5–7 of a month ahead: one month of rows (a stay across two walks both months' rows).
    const month = inDays(40).slice(0, 8);
    const near: SearchCriteria = { startDate: `${month}05`, endDate: `${month}07`, place: { ...centre, radiusKm: 5 }, ordering: 'price', limit: 20 };

    const nearby = await searchReads(near);
    const expected = (await searchCars(getDb(), near, context)).results;
    expect(expected.map((car) => car.daily_rate)).toEqual(Array.from({ length: 20 }, (_, index) => 4_001 + index));
    expect(nearby.page).toEqual(expected.map((car) => car.id));
    // One short walk: the first PRICE_WALKS[0] + 1 rows of the centre's cells (each car has one
    // row a month here), and their cars.
    expect(nearby.segmentEntries).toBeLessThanOrEqual(2 * (PRICE_WALKS[0]! + 1));
    expect(nearby.carsRead).toBeLessThanOrEqual(PRICE_WALKS[0]! + 1);

    // Counter-proof: a radius too wide for the cells (more than four) walks the fleet's rows in
    // price order, the 3,000 cheaper cars' first, keeping only those within the radius.
    const wide = await searchReads({ ...near, place: { ...centre, radiusKm: 12 } });
    expect(wide.page).toEqual(expected.map((car) => car.id));
    expect(wide.segmentEntries).toBeGreaterThan(3_000);
  });

  it('falls back to every car within the radius when the walk does not fill the page, with the same answer', async () => {
    const centre = { lat: 6.7, lng: 97.7 };
    const agency = await createAgency({ lat: 6.5, lng: 97.5 }); // ~31 km away: its own cars are outside
    await createCarsAt(agency.id, 40, 20_000);
    const near = [
      await createCar(agency.id, { lat: centre.lat, lng: centre.lng, daily_rate: 300_000 }),
      await createCar(agency.id, { lat: centre.lat + 0.01, lng: centre.lng, daily_rate: 310_000 }),
      await createCar(agency.id, { lat: centre.lat, lng: centre.lng + 0.01, daily_rate: 320_000 }),
    ];
    await createBooking(near[1]!, inDays(10), inDays(11));
    const criteria: SearchCriteria = {
      startDate: inDays(10),
      endDate: inDays(12),
      agencyId: agency.id,
      place: { ...centre, radiusKm: 5 },
      ordering: 'price',
      limit: 20,
    };
    const keys = sortKeys(criteria.ordering, criteria.place);
    const ids = async (walkLimit?: number) =>
      (await searchQuery(criteria, keys, undefined, stayOf(rentalRequestOf(criteria), new Date()), walkLimit).execute(getDb())).rows.map((row) => row.id);

    // Walking 10 of the 43 cars finds none within 5 km; walking them all finds fewer than a page.
    expect(await ids(10)).toEqual([near[0]!.id, near[2]!.id]);
    expect(await ids()).toEqual([near[0]!.id, near[2]!.id]);
  });
});
