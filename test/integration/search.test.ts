import { describe, expect, it } from 'vitest';
import { addDays, addMonths, todayInBangkok } from '#core/availability/dates';
import { priceRental } from '#core/pricing/pricing';
import { forgetConfig } from '#platform/config';
import { getDb } from '#platform/db';
import { useApi } from '../helpers/api';
import { addImage, createAgency, createBlock, createBooking, createCar, inDays } from '../helpers/catalog';

const api = useApi();

/** GET /cars/ with these parameters. */
function search(params: Record<string, string | number>) {
  return api.get(`/cars/?${new URLSearchParams(Object.entries(params).map(([key, value]): [string, string] => [key, String(value)])).toString()}`);
}

/** The ids of one agency's cars free on the days (the agency filter keeps tests apart). */
async function freeCarIds(agencyId: string, startDate: string, endDate: string, extra: Record<string, string | number> = {}) {
  const answer = await search({ start_date: startDate, end_date: endDate, agency_id: agencyId, limit: 100, ...extra });
  expect(answer.status, answer.text).toBe(200);
  return answer.body.results.map((car: { id: string }) => car.id);
}

describe('GET /cars/: the conflict rule (inclusive on both ends)', () => {
  const D = inDays(30);

  it('a reservation ending on the requested start day conflicts; one ending the day before does not', async () => {
    const agency = await createAgency();
    const endsOnStart = await createCar(agency.id);
    const endsDayBefore = await createCar(agency.id);
    await createBooking(endsOnStart, addDays(D, -3), D);
    await createBooking(endsDayBefore, addDays(D, -3), addDays(D, -1));
    const free = await freeCarIds(agency.id, D, addDays(D, 2));
    expect(free).not.toContain(endsOnStart.id);
    expect(free).toContain(endsDayBefore.id);
  });

  it('a reservation starting on the requested end day conflicts; one starting the day after does not', async () => {
    const agency = await createAgency();
    const startsOnEnd = await createCar(agency.id);
    const startsDayAfter = await createCar(agency.id);
    await createBooking(startsOnEnd, addDays(D, 2), addDays(D, 5));
    await createBooking(startsDayAfter, addDays(D, 3), addDays(D, 5));
    const free = await freeCarIds(agency.id, D, addDays(D, 2));
    expect(free).not.toContain(startsOnEnd.id);
    expect(free).toContain(startsDayAfter.id);
  });

  it('a one-day request conflicts with a reservation covering that day, and one around it', async () => {
    const agency = await createAgency();
    const sameDay = await createCar(agency.id);
    const around = await createCar(agency.id);
    await createBooking(sameDay, D, D);
    await createBooking(around, addDays(D, -5), addDays(D, 5));
    expect(await freeCarIds(agency.id, D, D)).toEqual([]);
  });

  it('live pending holds, confirmed and completed bookings and agency blocks hold dates; nothing else does', async () => {
    const agency = await createAgency();
    const holding = {
      pendingLive: await createCar(agency.id),
      confirmed: await createCar(agency.id),
      // A rental that ended keeps its days (an early return has already shortened them).
      completed: await createCar(agency.id),
      block: await createCar(agency.id),
    };
    const free = {
      pendingExpired: await createCar(agency.id),
      cancelled: await createCar(agency.id),
      expired: await createCar(agency.id),
      blockCancelled: await createCar(agency.id),
    };
    const [start, end] = [D, addDays(D, 3)];
    await createBooking(holding.pendingLive, start, end, { status: 'pending', expiresAt: new Date(Date.now() + 10 * 60_000) });
    await createBooking(holding.confirmed, start, end);
    await createBlock(holding.block.id, start, end);
    // A hold past its expires_at frees the dates at once, before the expiry job marks it.
    await createBooking(free.pendingExpired, start, end, { status: 'pending', expiresAt: new Date(Date.now() - 1000) });
    await createBooking(free.cancelled, start, end, { status: 'cancelled' });
    await createBooking(free.expired, start, end, { status: 'expired' });
    await createBooking(holding.completed, start, end, { status: 'completed' });
    await createBlock(free.blockCancelled.id, start, end, 'cancelled');

    const ids = await freeCarIds(agency.id, start, end);
    expect(ids.sort()).toEqual(
      Object.values(free)
        .map((car) => car.id)
        .sort(),
    );
  });
});

describe('GET /cars/: what is listed', () => {
  it('answers each car with its agency, ready photos in order and the price of the stay', async () => {
    const agency = await createAgency({ name: 'Kata Car Rent', rating_average: 4.6, review_count: 31 });
    const car = await createCar(agency.id, { make: 'Honda', model: 'City', year: 2025, daily_rate: 123_450, deposit_amount: 500_000 });
    const second = await addImage(car.id, 2);
    const first = await addImage(car.id, 1);
    await addImage(car.id, 0, 'pending');
    const [start, end] = [inDays(10), inDays(12)];

    const answer = await search({ start_date: start, end_date: end, agency_id: agency.id });
    expect(answer.status).toBe(200);
    const price = priceRental({ dailyRate: 123_450, depositAmount: 500_000, startDate: start, endDate: end });
    const base = process.env.IMAGES_PUBLIC_BASE_URL;
    expect(answer.body).toEqual({
      results: [
        {
          id: car.id,
          make: 'Honda',
          model: 'City',
          year: 2025,
          car_type: 'economy',
          transmission: 'automatic',
          seats: 5,
          fuel_type: 'petrol',
          daily_rate: 123_450,
          currency: 'thb',
          days: 3,
          total_price: price.total_price,
          price_breakdown: price.breakdown,
          deposit_amount: 500_000,
          images: [{ url: `${base}/${first}` }, { url: `${base}/${second}` }],
          agency: { id: agency.id, name: 'Kata Car Rent', rating_average: 4.6, review_count: 31 },
        },
      ],
      next_cursor: null,
    });
    // 3 days × 1,234.50 THB + 5 % fee + 7 % VAT on both.
    expect(price.total_price).toBe(370_350 + 18_518 + 27_221);
  });

  it('lists no photos where photos have no public home (IMAGES_PUBLIC_BASE_URL unset)', async () => {
    const agency = await createAgency();
    const car = await createCar(agency.id);
    await addImage(car.id, 0);
    const base = process.env.IMAGES_PUBLIC_BASE_URL;
    delete process.env.IMAGES_PUBLIC_BASE_URL;
    forgetConfig();
    try {
      const answer = await search({ start_date: inDays(3), end_date: inDays(4), agency_id: agency.id });
      expect(answer.body.results).toMatchObject([{ id: car.id, images: [] }]);
      expect((await api.get(`/cars/${car.id}/`)).body.images).toEqual([]);
    } finally {
      process.env.IMAGES_PUBLIC_BASE_URL = base;
      forgetConfig();
    }
  });

  it('never shows unpublished or deleted cars', async () => {
    const agency = await createAgency();
    const published = await createCar(agency.id);
    await createCar(agency.id, { is_published: false });
    await createCar(agency.id, { deleted: true });
    expect(await freeCarIds(agency.id, inDays(5), inDays(6))).toEqual([published.id]);
  });

  it('filters by car_type, transmission, seats_min and agency_id', async () => {
    const agency = await createAgency();
    const other = await createAgency();
    const suv = await createCar(agency.id, { car_type: 'suv', seats: 7, transmission: 'automatic' });
    const pickup = await createCar(agency.id, { car_type: 'pickup', seats: 5, transmission: 'manual' });
    const scooter = await createCar(agency.id, { car_type: 'scooter', seats: 2, transmission: 'automatic' });
    const elsewhere = await createCar(other.id, { car_type: 'suv', seats: 7 });
    const [start, end] = [inDays(3), inDays(4)];

    expect(await freeCarIds(agency.id, start, end, { car_type: 'suv' })).toEqual([suv.id]);
    expect(await freeCarIds(agency.id, start, end, { transmission: 'manual' })).toEqual([pickup.id]);
    expect((await freeCarIds(agency.id, start, end, { seats_min: 5 })).sort()).toEqual([suv.id, pickup.id].sort());
    expect(await freeCarIds(agency.id, start, end, { seats_min: 7 })).toEqual([suv.id]);
    expect(await freeCarIds(agency.id, start, end, { seats_min: 2, car_type: 'scooter' })).toEqual([scooter.id]);
    expect(await freeCarIds(other.id, start, end)).toEqual([elsewhere.id]);
  });

  it('treats both price bounds as inclusive', async () => {
    const agency = await createAgency();
    const rates = [49_999, 50_000, 75_000, 100_000, 100_001];
    const cars = await Promise.all(rates.map((daily_rate) => createCar(agency.id, { daily_rate })));
    const ids = await freeCarIds(agency.id, inDays(3), inDays(4), { min_price: 50_000, max_price: 100_000 });
    expect(ids).toEqual([cars[1]!.id, cars[2]!.id, cars[3]!.id]);
    expect(await freeCarIds(agency.id, inDays(3), inDays(4), { min_price: 100_000 })).toEqual([cars[3]!.id, cars[4]!.id]);
    expect(await freeCarIds(agency.id, inDays(3), inDays(4), { max_price: 50_000, min_price: 50_000 })).toEqual([cars[1]!.id]);
  });

  it('accepts a one-day rental today and a 90-day rental starting 24 months ahead', async () => {
    const agency = await createAgency();
    const car = await createCar(agency.id, { daily_rate: 100_000 });
    const today = todayInBangkok();
    const oneDay = await search({ start_date: today, end_date: today, agency_id: agency.id });
    expect(oneDay.body.results).toMatchObject([{ id: car.id, days: 1 }]);
    const latest = addMonths(today, 24);
    const long = await search({ start_date: latest, end_date: addDays(latest, 89), agency_id: agency.id });
    expect(long.status).toBe(200);
    expect(long.body.results).toMatchObject([{ id: car.id, days: 90 }]);
  });
});

/** Great-circle distance on earthdistance's sphere (radius 6378.168 km), by the haversine formula. */
function haversineKm(a: { lat: number; lng: number }, b: { lat: number; lng: number }): number {
  const R = 6378.168;
  const rad = (degrees: number) => (degrees * Math.PI) / 180;
  const h = Math.sin(rad(b.lat - a.lat) / 2) ** 2 + Math.cos(rad(a.lat)) * Math.cos(rad(b.lat)) * Math.sin(rad(b.lng - a.lng) / 2) ** 2;
  return 2 * R * Math.asin(Math.sqrt(h));
}

/** The point `km` north of a place (along its meridian). */
const north = (place: { lat: number; lng: number }, km: number) => ({ lat: place.lat + (km / 6378.168) * (180 / Math.PI), lng: place.lng });

describe('GET /cars/: around a place', () => {
  it('keeps cars within radius_km by great-circle distance and reports distance_km', async () => {
    // Away from every other test's cars (the Andaman Sea west of Phuket).
    const centre = { lat: 7.5, lng: 97.5 };
    const agency = await createAgency({ lat: 7.6, lng: 97.4 });
    const placed = [
      { km: 0, at: centre },
      { km: 4.95, at: north(centre, 4.95) },
      { km: 5.05, at: north(centre, 5.05) },
      { km: NaN, at: { lat: 7.52, lng: 97.53 } },
      { km: NaN, at: { lat: 7.47, lng: 97.46 } },
    ];
    const cars = await Promise.all(placed.map(({ at }) => createCar(agency.id, { lat: at.lat, lng: at.lng })));
    const answer = await search({ start_date: inDays(3), end_date: inDays(4), near: `${centre.lat},${centre.lng}`, radius_km: 5, limit: 100 });
    expect(answer.status).toBe(200);

    const expected = placed.map(({ at }, index) => ({ id: cars[index]!.id, km: haversineKm(centre, at) })).filter((car) => car.km <= 5);
    expect(expected.map((car) => car.id)).not.toContain(cars[2]!.id); // 5.05 km: just outside
    expect(expected.map((car) => car.id)).toContain(cars[1]!.id); // 4.95 km: just inside
    expect(answer.body.results.map((car: { id: string }) => car.id).sort()).toEqual(expected.map((car) => car.id).sort());
    for (const result of answer.body.results) {
      const car = expected.find((candidate) => candidate.id === result.id)!;
      expect(Math.abs(result.distance_km - car.km)).toBeLessThan(0.05);
      expect(result.distance_km).toBe(Math.round(result.distance_km * 100) / 100);
    }
  });

  it('orders nearest first with ordering=distance', async () => {
    const centre = { lat: 7.3, lng: 97.3 };
    const agency = await createAgency({ lat: 7.3, lng: 97.3 });
    const far = await createCar(agency.id, north(centre, 3));
    const near = await createCar(agency.id, north(centre, 1));
    const atAgency = await createCar(agency.id); // no own position: the agency's, 0 km
    const middle = await createCar(agency.id, north(centre, 2));
    const answer = await search({ start_date: inDays(3), end_date: inDays(4), near: `${centre.lat},${centre.lng}`, ordering: 'distance' });
    expect(answer.body.results.map((car: { id: string }) => car.id)).toEqual([atAgency.id, near.id, middle.id, far.id]);
    expect(answer.body.results.map((car: { distance_km: number }) => car.distance_km)).toEqual([0, 1, 2, 3]);
  });

  it('searches around a landmark by slug, 5 km by default', async () => {
    const landmark = await getDb().selectFrom('landmarks').selectAll().where('slug', '=', 'promthep-cape').executeTakeFirstOrThrow();
    const agency = await createAgency({ lat: landmark.lat, lng: landmark.lng });
    const close = await createCar(agency.id, north(landmark, 4.9));
    const beyond = await createCar(agency.id, north(landmark, 5.1));
    const wider = await createCar(agency.id, north(landmark, 9.5));
    const byDefault = await freeCarIds(agency.id, inDays(3), inDays(4), { landmark: 'promthep-cape' });
    expect(byDefault).toEqual([close.id]);
    const tenKm = await freeCarIds(agency.id, inDays(3), inDays(4), { landmark: 'promthep-cape', radius_km: 10 });
    expect(tenKm.sort()).toEqual([close.id, beyond.id, wider.id].sort());
  });

  it('places a car without its own position at its agency, and moves it when the agency moves', async () => {
    const agency = await createAgency({ lat: 7.1, lng: 97.1 });
    const follows = await createCar(agency.id);
    const stays = await createCar(agency.id, { lat: 7.1, lng: 97.1 });
    await getDb().updateTable('agencies').set({ lat: 7.0, lng: 97.0 }).where('id', '=', agency.id).execute();
    const [start, end] = [inDays(3), inDays(4)];
    expect(await freeCarIds(agency.id, start, end, { near: '7.0,97.0', radius_km: 1 })).toEqual([follows.id]);
    expect(await freeCarIds(agency.id, start, end, { near: '7.1,97.1', radius_km: 1 })).toEqual([stays.id]);
    // … and a car given its own position later moves there.
    await getDb().updateTable('cars').set({ lat: 7.1, lng: 97.1 }).where('id', '=', follows.id).execute();
    expect((await freeCarIds(agency.id, start, end, { near: '7.1,97.1', radius_km: 1 })).sort()).toEqual([follows.id, stays.id].sort());
  });
});

describe('GET /cars/{id}/', () => {
  it('shows a published car with its effective position, agency, photos and taken days', async () => {
    const agency = await createAgency({ name: 'Rawai Wheels', phone: '+66 76 111 222', lat: 7.7729, lng: 98.3262 });
    const car = await createCar(agency.id, { description: 'Helmets included', pickup_address: null });
    const photo = await addImage(car.id, 0);
    const answer = await api.get(`/cars/${car.id}/`);
    expect(answer.status).toBe(200);
    expect(answer.body).toMatchObject({
      id: car.id,
      description: 'Helmets included',
      pickup_address: null,
      lat: 7.7729,
      lng: 98.3262,
      images: [{ url: `${process.env.IMAGES_PUBLIC_BASE_URL}/${photo}` }],
      agency: { id: agency.id, name: 'Rawai Wheels', phone: '+66 76 111 222', rating_average: 0, review_count: 0 },
      unavailable_ranges: [],
    });
    expect(answer.body).not.toHaveProperty('availability');
  });

  it('tells whether the car is free on the given days, with their price', async () => {
    const agency = await createAgency();
    const car = await createCar(agency.id, { daily_rate: 100_000, deposit_amount: 300_000 });
    await createBooking(car, inDays(20), inDays(22));
    const taken = await api.get(`/cars/${car.id}/?start_date=${inDays(22)}&end_date=${inDays(24)}`);
    expect(taken.body.availability).toEqual({ start_date: inDays(22), end_date: inDays(24), available: false });
    const free = await api.get(`/cars/${car.id}/?start_date=${inDays(23)}&end_date=${inDays(24)}`);
    expect(free.body.availability).toEqual({ start_date: inDays(23), end_date: inDays(24), available: true });
    expect(free.body.price).toEqual({
      days: 2,
      daily_rate: 100_000,
      subtotal: 200_000,
      fees: 10_000,
      tax: 14_700,
      total_price: 224_700,
      deposit_amount: 300_000,
      currency: 'thb',
    });
  });

  it('lists the taken days of the next 90, merged and clipped, never who or why', async () => {
    const agency = await createAgency();
    const car = await createCar(agency.id);
    await createBooking(car, inDays(-3), inDays(1)); // running now: clipped to today
    await createBooking(car, inDays(5), inDays(7));
    await createBlock(car.id, inDays(8), inDays(9)); // back to back with the booking: one range
    await createBooking(car, inDays(12), inDays(12), { status: 'pending' });
    await createBooking(car, inDays(15), inDays(16), { status: 'cancelled' });
    await createBooking(car, inDays(18), inDays(19), { status: 'pending', expiresAt: new Date(Date.now() - 1000) });
    await createBooking(car, inDays(85), inDays(95)); // clipped to the 90th day
    await createBooking(car, inDays(100), inDays(101)); // beyond the window

    const answer = await api.get(`/cars/${car.id}/`);
    expect(answer.body.unavailable_ranges).toEqual([
      { start_date: inDays(0), end_date: inDays(1) },
      { start_date: inDays(5), end_date: inDays(9) },
      { start_date: inDays(12), end_date: inDays(12) },
      { start_date: inDays(85), end_date: inDays(89) },
    ]);
  });

  it('is 404 for an unpublished, deleted or unknown car, and 400 for an id that is no UUID', async () => {
    const agency = await createAgency();
    const unpublished = await createCar(agency.id, { is_published: false });
    const deleted = await createCar(agency.id, { deleted: true });
    for (const id of [unpublished.id, deleted.id, '3f1c0c8e-0000-4000-8000-000000000000']) {
      const answer = await api.get(`/cars/${id}/`);
      expect(answer.status).toBe(404);
      expect(answer.headers.get('content-type')).toBe('application/problem+json');
    }
    const bad = await api.get('/cars/not-a-uuid/');
    expect(bad.status).toBe(400);
    expect(bad.body.errors).toContainEqual({ path: 'id', message: expect.any(String) });
  });
});

describe('GET /landmarks/', () => {
  it('serves the Phuket landmarks page by page, each once', async () => {
    const seen: { slug: string; name: string; lat: number; lng: number }[] = [];
    let cursor: string | null = null;
    do {
      const answer: { status: number; body: { results: typeof seen; next_cursor: string | null } } = await api.get(
        `/landmarks/?limit=5${cursor ? `&cursor=${cursor}` : ''}`,
      );
      expect(answer.status).toBe(200);
      expect(answer.body.results.length).toBeLessThanOrEqual(5);
      seen.push(...answer.body.results);
      cursor = answer.body.next_cursor;
    } while (cursor);
    const slugs = seen.map((landmark) => landmark.slug);
    expect(new Set(slugs).size).toBe(slugs.length);
    expect(slugs.length).toBeGreaterThanOrEqual(12);
    expect(slugs).toEqual([...slugs].sort());
    for (const slug of ['phuket-airport', 'patong-beach', 'kata-beach', 'karon-beach', 'kamala-beach', 'rawai-beach', 'chalong-pier', 'phuket-old-town']) {
      expect(slugs).toContain(slug);
    }
    const airport = seen.find((landmark) => landmark.slug === 'phuket-airport')!;
    expect(airport).toEqual({
      slug: 'phuket-airport',
      name: 'Phuket International Airport (HKT)',
      lat: expect.closeTo(8.113, 2),
      lng: expect.closeTo(98.317, 2),
    });
    for (const landmark of seen) {
      // All on or around the island.
      expect(landmark.lat).toBeGreaterThan(7.7);
      expect(landmark.lat).toBeLessThan(8.2);
      expect(landmark.lng).toBeGreaterThan(98.25);
      expect(landmark.lng).toBeLessThan(98.45);
    }
  });
});

describe('GET /agencies/{id}/', () => {
  it('shows the profile with its count of published cars, and no hand-over rules when the agency set none', async () => {
    const agency = await createAgency({ name: 'Chalong Motors', phone: '+66 76 111 333', lat: 7.84, lng: 98.34 });
    await createCar(agency.id);
    await createCar(agency.id);
    await createCar(agency.id, { is_published: false });
    await createCar(agency.id, { deleted: true });
    const answer = await api.get(`/agencies/${agency.id}/`);
    expect(answer.status).toBe(200);
    expect(answer.body).toEqual({
      id: agency.id,
      name: 'Chalong Motors',
      phone: '+66 76 111 333',
      address: '1 Beach Rd, Phuket',
      lat: 7.84,
      lng: 98.34,
      rating_average: 0,
      review_count: 0,
      car_count: 2,
      // No opening hours: cars are handed over at any time, so no after-hours fee; delivers nowhere.
      opening_hours: [],
      after_hours_fee: null,
      delivery: [],
    });
  });

  it('is 404 for an unknown agency and 400 for an id that is no UUID', async () => {
    expect((await api.get('/agencies/3f1c0c8e-0000-4000-8000-000000000000/')).status).toBe(404);
    const bad = await api.get('/agencies/42/');
    expect(bad.status).toBe(400);
    expect(bad.body.errors).toContainEqual({ path: 'id', message: expect.any(String) });
  });
});

describe('bad query parameters are a 400 naming the parameter, never a 500', () => {
  const today = todayInBangkok();
  const start = inDays(10);
  const end = inDays(12);
  const nextYear = Number(today.slice(0, 4)) + 1;
  const dates = `start_date=${start}&end_date=${end}`;
  const cases: Array<[string, string]> = [
    ['', 'start_date'],
    [`start_date=${start}`, 'end_date'],
    [`start_date=2027-1-10&end_date=${end}`, 'start_date'],
    [`start_date=tomorrow&end_date=${end}`, 'start_date'],
    [`start_date=${nextYear}-02-30&end_date=${nextYear}-03-02`, 'start_date'],
    [`start_date=${start}&end_date=${nextYear}-13-01`, 'end_date'],
    [`start_date=${addDays(today, -1)}&end_date=${end}`, 'start_date'],
    [`start_date=${addDays(addMonths(today, 24), 1)}&end_date=${addDays(addMonths(today, 24), 2)}`, 'start_date'],
    [`start_date=${start}&end_date=${addDays(start, -1)}`, 'end_date'],
    [`start_date=${start}&end_date=${addDays(start, 90)}`, 'end_date'],
    [`${dates}&limit=0`, 'limit'],
    [`${dates}&limit=101`, 'limit'],
    [`${dates}&limit=abc`, 'limit'],
    [`${dates}&limit=2.5`, 'limit'],
    [`${dates}&cursor=not-a-cursor`, 'cursor'],
    [`${dates}&colour=red`, 'query'],
    [`${dates}&car_type=boat`, 'car_type'],
    [`${dates}&car_type=suv&car_type=van`, 'car_type'],
    [`${dates}&transmission=cvt`, 'transmission'],
    [`${dates}&ordering=cheapest`, 'ordering'],
    [`${dates}&ordering=distance`, 'ordering'],
    [`${dates}&min_price=-1`, 'min_price'],
    [`${dates}&min_price=1.5`, 'min_price'],
    [`${dates}&max_price=abc`, 'max_price'],
    [`${dates}&max_price=99999999999`, 'max_price'],
    [`${dates}&min_price=200000&max_price=100000`, 'min_price'],
    [`${dates}&seats_min=0`, 'seats_min'],
    [`${dates}&agency_id=not-a-uuid`, 'agency_id'],
    [`${dates}&near=7.89`, 'near'],
    [`${dates}&near=abc,def`, 'near'],
    [`${dates}&near=91,98.3`, 'near'],
    [`${dates}&near=7.89,98.29,1`, 'near'],
    [`${dates}&near=7.89,98.29&radius_km=0`, 'radius_km'],
    [`${dates}&near=7.89,98.29&radius_km=51`, 'radius_km'],
    [`${dates}&near=7.89,98.29&radius_km=-1`, 'radius_km'],
    [`${dates}&near=7.89,98.29&radius_km=five`, 'radius_km'],
    [`${dates}&radius_km=5`, 'radius_km'],
    [`${dates}&near=7.89,98.29&landmark=patong-beach`, 'landmark'],
    [`${dates}&landmark=Patong Beach`, 'landmark'],
    [`${dates}&landmark=atlantis`, 'landmark'],
  ];

  it.each(cases)('GET /cars/?%s → 400 at %s', async (query, path) => {
    const answer = await api.get(`/cars/?${query}`);
    expect(answer.status, answer.text).toBe(400);
    expect(answer.headers.get('content-type')).toBe('application/problem+json');
    expect(answer.body.errors.map((error: { path: string }) => error.path)).toContain(path);
  });

  it('refuses a cursor issued for another ordering', async () => {
    const agency = await createAgency();
    await createCar(agency.id);
    await createCar(agency.id);
    const first = await search({ start_date: start, end_date: end, agency_id: agency.id, limit: 1 });
    const other = await search({ start_date: start, end_date: end, agency_id: agency.id, limit: 1, ordering: 'rating', cursor: first.body.next_cursor });
    expect(other.status).toBe(400);
    expect(other.body.errors).toContainEqual({ path: 'cursor', message: expect.any(String) });
  });

  it.each([
    [`start_date=${start}`, 'end_date'],
    [`end_date=${end}`, 'start_date'],
    [`start_date=${addDays(today, -1)}&end_date=${end}`, 'start_date'],
    [`start_date=${start}&end_date=${nextYear}-02-30`, 'end_date'],
    ['colour=red', 'query'],
  ])('GET /cars/{id}/?%s → 400 at %s', async (query, path) => {
    const agency = await createAgency();
    const car = await createCar(agency.id);
    const answer = await api.get(`/cars/${car.id}/?${query}`);
    expect(answer.status, answer.text).toBe(400);
    expect(answer.body.errors.map((error: { path: string }) => error.path)).toContain(path);
  });

  it.each([
    ['limit=0', 'limit'],
    ['limit=abc', 'limit'],
    ['cursor=%%%', 'cursor'],
    ['near=7.8,98.3', 'query'],
  ])('GET /landmarks/?%s → 400 at %s', async (query, path) => {
    const answer = await api.get(`/landmarks/?${query}`);
    expect(answer.status, answer.text).toBe(400);
    expect(answer.body.errors.map((error: { path: string }) => error.path)).toContain(path);
  });
});
