import { CompiledQuery, sql } from 'kysely';
import { describe, expect, it } from 'vitest';
import { DEFAULT_PRICING_RATES } from '#core/pricing/pricing';
import { sortKeys } from '#core/search/ordering';
import { FIRST_PRICE_WALK, rentalRequestOf, searchCars, searchQuery, type SearchCriteria } from '#core/search/search-cars';
import { stayOf } from '#core/search/stay-price';
import { getDb } from '#platform/db';
import { useApi } from '../helpers/api';
import { createAgency, createBooking, createCar, inDays } from '../helpers/catalog';
import { connect, ownerUrl } from '../helpers/db';

useApi(); // the test file's database and environment

const context = { rates: DEFAULT_PRICING_RATES, imageUrl: undefined };

/** `count` published scooters standing at the agency, at daily rates dailyRate + 1, + 2, … */
async function createCarsAt(agencyId: string, count: number, dailyRate: number) {
  await sql`
    INSERT INTO cars (agency_id, make, model, year, car_type, transmission, seats, fuel_type, daily_rate, deposit_amount, is_published)
    SELECT ${agencyId}::uuid, 'Honda', 'Click 160', 2025, 'scooter', 'automatic', 2, 'petrol', ${dailyRate}::int4 + n, 100000, true
    FROM generate_series(1, ${count}::int4) AS n`.execute(getDb());
}

/** How many rows the search's statement read from `cars`, summed over every scan of it (EXPLAIN ANALYZE). */
async function carsRead(criteria: SearchCriteria): Promise<number> {
  const query = searchQuery(criteria, sortKeys(criteria.ordering, criteria.place), undefined, stayOf(rentalRequestOf(criteria), new Date())).compile(getDb());
  const { rows } = await getDb().executeQuery<{ 'QUERY PLAN': [{ Plan: PlanNode }] }>(
    CompiledQuery.raw(`EXPLAIN (ANALYZE, FORMAT JSON) ${query.sql}`, [...query.parameters]),
  );
  const read = (node: PlanNode): number =>
    (node['Relation Name'] === 'cars' ? node['Actual Rows'] * node['Actual Loops'] : 0) + (node.Plans ?? []).reduce((sum, child) => sum + read(child), 0);
  return read(rows[0]!['QUERY PLAN'][0].Plan);
}

interface PlanNode {
  'Relation Name'?: string;
  'Actual Rows': number;
  'Actual Loops': number;
  Plans?: PlanNode[];
}

describe('GET /cars/ near a place, as the fleet grows', () => {
  it('reads about a page of cars around a busy place, not every car within the radius', async () => {
    const centre = { lat: 6.9, lng: 97.9 }; // the Andaman Sea, away from every other test's cars
    const agency = await createAgency(centre);
    await createCarsAt(agency.id, 600, 1_000); // the cheapest cars of this file's database
    await createCarsAt((await createAgency({ lat: 6.0, lng: 97.0 })).id, 3_000, 50_000); // the rest of the fleet, far away
    // As autovacuum would (the owner's right): the planner then knows the fleet.
    const owner = connect(ownerUrl(), 1);
    await sql`ANALYZE cars`.execute(owner);
    await owner.destroy();
    // No agency filter: that would hand the agency's cars over in price order either way.
    const criteria: SearchCriteria = { startDate: inDays(10), endDate: inDays(12), place: { ...centre, radiusKm: 5 }, ordering: 'price', limit: 20 };

    const page = await searchCars(getDb(), criteria, context);
    expect(page.results.map((car) => car.daily_rate)).toEqual(Array.from({ length: 20 }, (_, index) => 1_001 + index));
    // Sorting the radius first read all 600; the first walk prices its rows' cars (and the
    // edge's), then the page's rows are read once more for their terms.
    expect(await carsRead(criteria)).toBeLessThanOrEqual(FIRST_PRICE_WALK + 1 + 21);
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
