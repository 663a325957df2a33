import fc from 'fast-check';
import { sql } from 'kysely';
import { describe, expect, it } from 'vitest';
import { addMonths, todayInBangkok } from '#core/availability/dates';
import { DEFAULT_PRICING_RATES } from '#core/pricing/pricing';
import { cellsAround, EARTH_RADIUS_M } from '#core/geo/place';
import { extendPriceHorizon } from '#core/search/price-horizon';
import { searchCars } from '#core/search/search-cars';
import { getDb } from '#platform/db';
import { useApi } from '../helpers/api';
import { connect, ownerUrl } from '../helpers/db';
import { addSeason } from '../helpers/cars';
import { createAgency, createCar } from '../helpers/catalog';

/**
 * car_price_segments keyed by month and map cell (migration 0017): which months a car's rows
 * cover and how the daily job extends them, and that the cells search lists around a place
 * hold every point within its radius, on the cells' edges too.
 */
useApi(); // the test file's database and environment

const context = { rates: DEFAULT_PRICING_RATES, imageUrl: undefined };

/** The month of a calendar date as price_segment_month() numbers it: year × 12 + month − 1. */
const segmentMonth = (date: string) => Number(date.slice(0, 4)) * 12 + Number(date.slice(5, 7)) - 1;

async function monthsOf(carId: string): Promise<number[]> {
  const { rows } = await sql<{ month: number }>`
    SELECT DISTINCT month FROM car_price_segments WHERE car_id = ${carId}::uuid ORDER BY month`.execute(getDb());
  return rows.map((row) => row.month);
}

describe('car_price_segments by month', () => {
  it('covers a car from this month (Bangkok) to 30 months ahead, each run of one rate cut at month ends', async () => {
    const agency = await createAgency({ lat: 5.0, lng: 95.0 });
    const car = await createCar(agency.id, { daily_rate: 100_000 });
    const first = segmentMonth(todayInBangkok());
    expect(await monthsOf(car.id)).toEqual(Array.from({ length: 31 }, (_, index) => first + index));

    // A season from the 20th of next month to the 10th of the month after: four runs in those two months.
    const nextMonth = addMonths(`${todayInBangkok().slice(0, 8)}01`, 1);
    const season = { start: `${nextMonth.slice(0, 8)}20`, end: `${addMonths(nextMonth, 1).slice(0, 8)}10` };
    await addSeason(car.id, { name: 'Peak', start: season.start, end: season.end, dailyRate: 150_000 });
    const { rows } = await sql<{ start_date: string; end_date: string; daily_rate: number }>`
      SELECT to_char(start_date, 'YYYY-MM-DD') AS start_date, to_char(end_date, 'YYYY-MM-DD') AS end_date, daily_rate
      FROM car_price_segments WHERE car_id = ${car.id}::uuid AND month IN (${first + 1}::int4, ${first + 2}::int4)
      ORDER BY start_date`.execute(getDb());
    const monthEnd = (date: string) => sql`(date_trunc('month', ${date}::date) + interval '1 month - 1 day')::date`;
    const { rows: ends } = await sql<{ a: string; b: string }>`
      SELECT to_char(${monthEnd(nextMonth)}, 'YYYY-MM-DD') AS a, to_char(${monthEnd(addMonths(nextMonth, 1))}, 'YYYY-MM-DD') AS b`.execute(getDb());
    const afterSeason = `${addMonths(nextMonth, 1).slice(0, 8)}11`;
    expect(rows).toEqual([
      { start_date: nextMonth, end_date: `${nextMonth.slice(0, 8)}19`, daily_rate: 100_000 },
      { start_date: season.start, end_date: ends[0]!.a, daily_rate: 150_000 },
      { start_date: `${addMonths(nextMonth, 1).slice(0, 8)}01`, end_date: season.end, daily_rate: 150_000 },
      { start_date: afterSeason, end_date: ends[0]!.b, daily_rate: 100_000 },
    ]);
  });

  it('the daily job rewrites the rows of cars that stop too soon, and only theirs; search then finds them', async () => {
    const agency = await createAgency({ lat: 5.2, lng: 95.0 });
    const stale = await createCar(agency.id, { daily_rate: 100_000 });
    const current = await createCar(agency.id, { daily_rate: 100_000 });
    const first = segmentMonth(todayInBangkok());
    // As if the stale car's rows were written 11 months ago: they end 20 months ahead.
    const owner = connect(ownerUrl(), 1);
    await sql`DELETE FROM car_price_segments WHERE car_id = ${stale.id}::uuid AND month > ${first + 19}::int4`.execute(owner);
    await owner.destroy();
    const before = (await sql<{ ctid: string }>`SELECT ctid::text FROM car_price_segments WHERE car_id = ${current.id}::uuid`.execute(getDb())).rows;

    // 24 months ahead, the latest start a search takes: the stale car is not found.
    const start = addMonths(todayInBangkok(), 24);
    const search = async () =>
      (
        await searchCars(getDb(), { startDate: start, endDate: start, place: { lat: 5.2, lng: 95.0, radiusKm: 1 }, ordering: 'price', limit: 20 }, context)
      ).results.map((car) => car.id);
    expect(await search()).toEqual([current.id].sort());

    expect(await extendPriceHorizon(getDb())).toBe(1);
    expect(await monthsOf(stale.id)).toEqual(Array.from({ length: 31 }, (_, index) => first + index));
    const after = (await sql<{ ctid: string }>`SELECT ctid::text FROM car_price_segments WHERE car_id = ${current.id}::uuid`.execute(getDb())).rows;
    expect(after).toEqual(before); // untouched
    expect((await search()).sort()).toEqual([stale.id, current.id].sort());
    expect(await extendPriceHorizon(getDb())).toBe(0);
  });
});

describe('the map cells around a place', () => {
  it('hold every point within the radius, by the cell PostgreSQL gives it, on cell edges too', async () => {
    // Points on and near the tenth-of-a-degree lines, around random places.
    const edge = fc
      .integer({ min: -800, max: 800 })
      .chain((tenth) => fc.constantFrom(0, 1e-9, -1e-9, 1e-7, -1e-7, 0.03, -0.03).map((offset) => tenth / 10 + offset));
    const sample = fc.record({
      lat: edge,
      lng: fc.integer({ min: -1700, max: 1700 }).map((tenth) => tenth / 10),
      radiusKm: fc.constantFrom(0.5, 1, 2, 5),
      bearing: fc.double({ min: 0, max: 2 * Math.PI, noNaN: true }),
      fraction: fc.constantFrom(0, 0.5, 0.999, 1),
    });
    await fc.assert(
      fc.asyncProperty(fc.array(sample, { minLength: 50, maxLength: 50 }), async (samples) => {
        // A point at `fraction` of the radius from the place, towards `bearing`.
        const points = samples.map((s) => {
          const angular = (s.radiusKm * 1000 * s.fraction) / EARTH_RADIUS_M;
          const lat = Math.max(-85, Math.min(85, s.lat + (angular * Math.cos(s.bearing) * 180) / Math.PI));
          const lng = s.lng + (angular * Math.sin(s.bearing) * 180) / Math.PI / Math.cos((s.lat * Math.PI) / 180);
          return { place: { lat: s.lat, lng: s.lng, radiusKm: s.radiusKm }, point: { lat, lng } };
        });
        const { rows } = await sql<{ cell: number; distance: number }>`
          SELECT price_segment_cell(ll_to_earth(p.lat, p.lng)) AS cell,
                 earth_distance(ll_to_earth(p.lat, p.lng), ll_to_earth(o.lat, o.lng)) AS distance
          FROM unnest(${points.map((p) => p.point.lat)}::float8[], ${points.map((p) => p.point.lng)}::float8[],
                      ${points.map((p) => p.place.lat)}::float8[], ${points.map((p) => p.place.lng)}::float8[])
               WITH ORDINALITY AS p (lat, lng, o_lat, o_lng, n)
          CROSS JOIN LATERAL (SELECT p.o_lat AS lat, p.o_lng AS lng) AS o
          ORDER BY p.n`.execute(getDb());
        rows.forEach((row, index) => {
          const { place } = points[index]!;
          if (row.distance > place.radiusKm * 1000) return; // rounding put it outside: search would not list it
          expect(cellsAround(place, 100), JSON.stringify({ ...points[index], cell: row.cell })).toContain(row.cell);
        });
      }),
      { seed: 20261203, numRuns: 40 },
    );
  });

  it('are not used for a radius over more than the walk merges, nor across the antimeridian or near a pole', () => {
    expect(cellsAround({ lat: 7.896, lng: 98.2958, radiusKm: 5 }, 4)).toHaveLength(4);
    expect(cellsAround({ lat: 7.85, lng: 98.35, radiusKm: 1 }, 4)).toHaveLength(1);
    expect(cellsAround({ lat: 7.896, lng: 98.2958, radiusKm: 20 }, 4)).toBeUndefined();
    expect(cellsAround({ lat: 0, lng: 179.99, radiusKm: 5 }, 4)).toBeUndefined();
    expect(cellsAround({ lat: 89.9, lng: 0, radiusKm: 5 }, 4)).toBeUndefined();
  });
});
