import { beforeAll, describe, expect, it } from 'vitest';
import { useApi } from '../helpers/api';
import { createAgency, createBooking, createCar, inDays } from '../helpers/catalog';

/**
 * Keyset pagination of GET /cars/ for every ordering, with and without a place (the two query
 * shapes), on a catalogue full of ties: equal rates, equal agency ratings, cars sharing their
 * agency's position. This file's database holds only these cars.
 */
const api = useApi();

interface Result {
  id: string;
  daily_rate: number;
  distance_km?: number;
  agency: { id: string; rating_average: number; review_count: number };
}

const [START, END] = [inDays(40), inDays(46)];
const CENTRE = '7.9,98.3';
let expectedIds: string[] = [];

beforeAll(async () => {
  const agencies = await Promise.all([
    createAgency({ rating_average: 4.8, review_count: 20, lat: 7.9, lng: 98.3 }),
    createAgency({ rating_average: 4.8, review_count: 20, lat: 7.91, lng: 98.31 }),
    createAgency({ rating_average: 4.5, review_count: 100, lat: 7.88, lng: 98.29 }),
    createAgency({ lat: 7.92, lng: 98.28 }),
  ]);
  const rates = [80_000, 80_000, 80_000, 120_000, 45_000, 45_000, 250_000];
  const available: string[] = [];
  for (const [index, agency] of agencies.entries()) {
    for (const [slot, daily_rate] of rates.entries()) {
      const ownPosition = slot % 3 === 0 ? { lat: agency.lat + slot * 0.001, lng: agency.lng - index * 0.001 } : {};
      const car = await createCar(agency.id, { daily_rate, ...ownPosition });
      if (slot === 5)
        await createBooking(car, inDays(44), inDays(50)); // taken: never listed
      else available.push(car.id);
    }
    await createCar(agency.id, { is_published: false });
  }
  expectedIds = available;
});

async function walk(params: Record<string, string>, limit: number): Promise<Result[]> {
  const results: Result[] = [];
  let cursor: string | null = null;
  for (let page = 0; page < 50; page++) {
    const query = new URLSearchParams({ start_date: START, end_date: END, limit: String(limit), ...params, ...(cursor ? { cursor } : {}) });
    const answer: { status: number; text: string; body: { results: Result[]; next_cursor: string | null } } = await api.get(`/cars/?${query.toString()}`);
    expect(answer.status, answer.text).toBe(200);
    expect(answer.body.results.length).toBeLessThanOrEqual(limit);
    results.push(...answer.body.results);
    cursor = answer.body.next_cursor;
    if (!cursor) return results;
  }
  throw new Error('pagination did not end');
}

const compareIds = (a: Result, b: Result) => (a.id < b.id ? -1 : a.id > b.id ? 1 : 0);
const documentedOrder: Record<string, (a: Result, b: Result) => number> = {
  price: (a, b) => a.daily_rate - b.daily_rate || compareIds(a, b),
  '-price': (a, b) => b.daily_rate - a.daily_rate || compareIds(b, a),
  rating: (a, b) =>
    b.agency.rating_average - a.agency.rating_average ||
    b.agency.review_count - a.agency.review_count ||
    (a.agency.id < b.agency.id ? -1 : a.agency.id > b.agency.id ? 1 : 0) ||
    a.daily_rate - b.daily_rate ||
    compareIds(a, b),
  // distance_km is rounded; cars at the same spot (their agency's) tie and go by id.
  distance: (a, b) => a.distance_km! - b.distance_km!,
};

describe.each<{ where: string; place: Record<string, string> }>([
  { where: 'anywhere', place: {} },
  { where: 'around a place', place: { near: CENTRE, radius_km: '20' } },
])('GET /cars/ pages $where', ({ place }) => {
  const orderings = place.near ? ['price', '-price', 'rating', 'distance'] : ['price', '-price', 'rating'];

  it.each(orderings)('ordering=%s: every available car once, in the documented order, whatever the page size', async (ordering) => {
    const all = await walk({ ...place, ordering }, 100);
    expect(all.map((car) => car.id).sort()).toEqual([...expectedIds].sort());
    expect(all).toEqual([...all].sort(documentedOrder[ordering]));
    for (const limit of [1, 4, 7]) {
      const paged = await walk({ ...place, ordering }, limit);
      expect(paged.map((car) => car.id)).toEqual(all.map((car) => car.id));
    }
  });
});

it('defaults to ordering=price and 20 a page', async () => {
  const answer = await api.get(`/cars/?start_date=${START}&end_date=${END}`);
  expect(answer.body.results).toHaveLength(20);
  const prices = answer.body.results.map((car: Result) => car.daily_rate);
  expect(prices).toEqual([...prices].sort((a, b) => a - b));
  expect(answer.body.next_cursor).toEqual(expect.any(String));
});

describe('GET /cars/ refuses a cursor it did not issue', () => {
  const UUID = '6f1c1d0e-5a8b-4c3d-9e2f-1a2b3c4d5e6f';
  const forge = (position: unknown) => Buffer.from(JSON.stringify(position)).toString('base64url');

  // Each passed the old shape check (a string, then numbers) and reached PostgreSQL's casts.
  it.each([
    ['a rate that is not an integer', 'price', forge(['price', 1.5, UUID])],
    ['a stay price beyond exact integers', 'price', forge(['price', 2 ** 53, UUID])],
    ['a review count beyond PostgreSQL integer', 'rating', forge(['rating', 4.8, 2 ** 31, UUID, 80_000, UUID])],
  ])('%s: 400 problem+json naming the cursor, before any SQL', async (_label, ordering, cursor) => {
    const answer = await api.get(`/cars/?start_date=${START}&end_date=${END}&ordering=${ordering}&cursor=${cursor}`);
    expect(answer.status).toBe(400);
    expect(answer.headers.get('content-type')).toBe('application/problem+json');
    expect(answer.body.errors).toContainEqual({ path: 'cursor', message: expect.any(String) });
  });
});
