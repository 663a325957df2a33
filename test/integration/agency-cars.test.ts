import { randomUUID } from 'node:crypto';
import { sql, type Insertable, type Kysely } from 'kysely';
import { beforeAll, describe, expect, it } from 'vitest';
import { createCar, MAX_CARS_PER_AGENCY } from '#core/cars/inventory';
import type { CarInput } from '#core/cars/shape';
import type { CarsTable } from '#core/cars/table';
import type { Database } from '#core/database';
import { Conflict } from '#core/errors';
import { getDb } from '#platform/db';
import { useApi } from '../helpers/api';
import { createAgencyAdmin, createCustomer, type TestUser } from '../helpers/auth';
import { connect, createScratchDatabase } from '../helpers/db';
import {
  addPhoto,
  bangkokDate,
  carBody,
  createCarFor,
  insertBlock,
  insertBooking,
  keyOfUploadUrl,
  objectExists,
  putObject,
  startUpload,
  tinyJpeg,
} from '../helpers/cars';

const api = useApi();

let admin: TestUser;
beforeAll(async () => {
  admin = await createAgencyAdmin({ name: 'Patong Wheels' });
});

const thisYear = Number(new Intl.DateTimeFormat('en', { timeZone: 'Asia/Bangkok', year: 'numeric' }).format(new Date()));

/** A cars row for direct inserts, with the same values as a valid POST body. */
function carRowValues(agencyId: string, overrides: Record<string, unknown> = {}): Insertable<CarsTable> {
  return { ...(carBody(overrides) as Omit<Insertable<CarsTable>, 'agency_id'>), agency_id: agencyId };
}

async function carRow(id: string) {
  return getDb().selectFrom('cars').selectAll().where('id', '=', id).executeTakeFirst();
}

describe('POST /agency/cars/', () => {
  it('creates an unpublished car in the caller’s agency: 201 with the whole car and its Location', async () => {
    const answer = await api.post('/agency/cars/', carBody({ description: 'Clean, with dash cam', pickup_address: 'Patong Beach Rd 5' }), {
      token: admin.token,
    });
    expect(answer.status).toBe(201);
    expect(answer.body).toEqual({
      id: expect.any(String),
      agency_id: admin.agency!.id,
      make: 'Toyota',
      model: 'Yaris Ativ',
      year: 2024,
      car_type: 'economy',
      transmission: 'automatic',
      seats: 5,
      fuel_type: 'petrol',
      daily_rate: 90_000,
      deposit_amount: 500_000,
      currency: 'thb',
      description: 'Clean, with dash cam',
      lat: null,
      lng: null,
      pickup_address: 'Patong Beach Rd 5',
      is_published: false,
      // The rental rules a car has unless told otherwise: no discount, any length, any notice, no buffer.
      weekly_discount: { from_days: 7, percent: 0 },
      monthly_discount: { from_days: 28, percent: 0 },
      min_rental_days: 1,
      min_notice_hours: 0,
      max_lead_days: null,
      turnaround_days: 0,
      images: [],
      created_at: expect.stringMatching(/^\d{4}-\d\d-\d\dT/),
      updated_at: expect.stringMatching(/^\d{4}-\d\d-\d\dT/),
    });
    expect(answer.headers.get('location')).toBe(`/api/v1/agency/cars/${answer.body.id}/`);
    const row = await carRow(answer.body.id);
    expect(row).toMatchObject({ agency_id: admin.agency!.id, is_published: false, deleted_at: null });
  });

  it('publishes a new car only when is_published: true is sent, and keeps the car’s own location', async () => {
    const published = await createCarFor(api, admin.token, { is_published: true, lat: 7.9, lng: 98.3 });
    expect(published).toMatchObject({ is_published: true, lat: 7.9, lng: 98.3 });
    const unpublished = await createCarFor(api, admin.token, { is_published: false });
    expect(unpublished.is_published).toBe(false);
  });

  it('refuses unknown fields, agency_id included, with a 400 naming them, creating nothing', async () => {
    const other = await createAgencyAdmin();
    const before = await getDb()
      .selectFrom('cars')
      .select((eb) => eb.fn.countAll<number>().as('n'))
      .executeTakeFirstOrThrow();
    const answer = await api.post('/agency/cars/', carBody({ agency_id: other.agency!.id, color: 'red' }), { token: admin.token });
    expect(answer.status).toBe(400);
    expect(answer.headers.get('content-type')).toBe('application/problem+json');
    expect(answer.body.errors).toContainEqual({ path: 'body', message: expect.stringMatching(/agency_id.*color|color.*agency_id/) });
    const after = await getDb()
      .selectFrom('cars')
      .select((eb) => eb.fn.countAll<number>().as('n'))
      .executeTakeFirstOrThrow();
    expect(after.n).toBe(before.n);
  });

  it('refuses values outside the documented enums with 400', async () => {
    for (const [field, value] of [
      ['car_type', 'spaceship'],
      ['car_type', 'SUV'],
      ['transmission', 'cvt'],
      ['fuel_type', 'coal'],
    ] as const) {
      const answer = await api.post('/agency/cars/', carBody({ [field]: value }), { token: admin.token });
      expect(answer.status, `${field}=${value}`).toBe(400);
      expect(answer.body.errors.map((error: { path: string }) => error.path)).toContain(field);
    }
    for (const carType of ['economy', 'compact', 'suv', 'pickup', 'van', 'luxury', 'scooter', 'big_bike']) {
      expect((await api.post('/agency/cars/', carBody({ car_type: carType }), { token: admin.token })).status, carType).toBe(201);
    }
  });

  it('refuses out-of-range values with 400 and accepts the bounds themselves', async () => {
    const refused: Record<string, unknown>[] = [
      { year: 1949 },
      { year: thisYear + 2 },
      { year: 2020.5 },
      { seats: 0 },
      { seats: 61 },
      { daily_rate: 0 },
      { daily_rate: 10_000_001 },
      { daily_rate: 900.5 },
      { daily_rate: '90000' },
      { deposit_amount: -1 },
      { deposit_amount: 0 },
      { deposit_amount: 999 },
      { deposit_amount: 10_000_001 },
      { make: 'x'.repeat(201) },
      { model: '' },
      { model: '   ' },
      { description: 'x'.repeat(5001) },
      { pickup_address: 'x'.repeat(501) },
      { lat: 91, lng: 98.3 },
      { lat: 7.9, lng: 181 },
      { is_published: 'yes' },
    ];
    for (const change of refused) {
      const answer = await api.post('/agency/cars/', carBody(change), { token: admin.token });
      expect(answer.status, JSON.stringify(change).slice(0, 80)).toBe(400);
    }
    const accepted: Record<string, unknown>[] = [
      { year: 1950 },
      { year: thisYear + 1 },
      { seats: 1 },
      { seats: 60 },
      { daily_rate: 1 },
      { daily_rate: 10_000_000 },
      { deposit_amount: 1_000 },
      { deposit_amount: 10_000_000 },
      { make: 'x'.repeat(200) },
      { description: 'x'.repeat(5000) },
    ];
    for (const change of accepted) {
      const answer = await api.post('/agency/cars/', carBody(change), { token: admin.token });
      expect(answer.status, JSON.stringify(change).slice(0, 80)).toBe(201);
    }
  });

  it('refuses a deposit below THB 10 (1,000 satang, Stripe’s minimum charge) with a 400 naming the minimum, on create and on PATCH', async () => {
    for (const deposit_amount of [0, 999]) {
      const created = await api.post('/agency/cars/', carBody({ deposit_amount }), { token: admin.token });
      expect(created.status, String(deposit_amount)).toBe(400);
      expect(created.body.errors).toEqual([{ path: 'deposit_amount', message: expect.stringMatching(/at least 1000 satang \(THB 10\)/) }]);
    }
    const car = await createCarFor(api, admin.token, { deposit_amount: 1_000 });
    expect(car.deposit_amount).toBe(1_000);
    const patched = await api.patch(`/agency/cars/${car.id}/`, { deposit_amount: 0 }, { token: admin.token });
    expect(patched.status).toBe(400);
    expect(patched.body.errors).toEqual([{ path: 'deposit_amount', message: expect.stringMatching(/at least 1000 satang \(THB 10\)/) }]);
    expect(await carRow(car.id)).toMatchObject({ deposit_amount: 1_000 });
  });

  it('takes lat and lng together or not at all (400 for one without the other)', async () => {
    for (const location of [{ lat: 7.9 }, { lng: 98.3 }, { lat: 7.9, lng: null }, { lat: null, lng: 98.3 }]) {
      const answer = await api.post('/agency/cars/', carBody(location), { token: admin.token });
      expect(answer.status, JSON.stringify(location)).toBe(400);
      expect(answer.body.errors[0].message).toMatch(/lat and lng go together/);
    }
    const atAgency = await createCarFor(api, admin.token, { lat: null, lng: null });
    expect(atAgency).toMatchObject({ lat: null, lng: null });
  });

  it('refuses a missing required field and malformed JSON with 400', async () => {
    const { make: _make, ...withoutMake } = carBody();
    const missing = await api.post('/agency/cars/', withoutMake, { token: admin.token });
    expect(missing.status).toBe(400);
    expect(missing.body.errors).toContainEqual({ path: 'make', message: expect.any(String) });
    const malformed = await api.request('POST', '/agency/cars/', { token: admin.token, rawBody: '{"make":', headers: { 'content-type': 'application/json' } });
    expect(malformed.status).toBe(400);
  });
});

describe('GET /agency/cars/', () => {
  it('lists the caller’s own cars, published or not, and no other agency’s', async () => {
    const owner = await createAgencyAdmin();
    const neighbour = await createAgencyAdmin();
    const published = await createCarFor(api, owner.token, { is_published: true });
    const draft = await createCarFor(api, owner.token);
    const foreign = await createCarFor(api, neighbour.token, { is_published: true });

    const answer = await api.get('/agency/cars/', { token: owner.token });
    expect(answer.status).toBe(200);
    expect(answer.body.results.map((car: { id: string }) => car.id)).toEqual([published.id, draft.id]);
    expect(answer.body.next_cursor).toBeNull();
    expect(answer.body.results[1]).toEqual(draft);
    expect(JSON.stringify(answer.body)).not.toContain(foreign.id);
  });

  it('pages through every car exactly once in (created_at, id) order, even when created_at ties', async () => {
    const owner = await createAgencyAdmin();
    for (let index = 0; index < 3; index += 1) await createCarFor(api, owner.token, { model: `Solo ${index}` });
    // Four cars in one transaction share created_at to the microsecond: the id decides.
    await getDb()
      .transaction()
      .execute(async (trx) => {
        for (let index = 0; index < 4; index += 1) {
          await trx
            .insertInto('cars')
            .values(carRowValues(owner.agency!.id, { model: `Batch ${index}` }))
            .execute();
        }
      });
    const expected = await getDb().selectFrom('cars').select('id').where('agency_id', '=', owner.agency!.id).orderBy('created_at').orderBy('id').execute();
    expect(expected).toHaveLength(7);

    const seen: string[] = [];
    let cursor: string | null = null;
    let pages = 0;
    do {
      const query: string = cursor ? `?limit=2&cursor=${encodeURIComponent(cursor)}` : '?limit=2';
      const page = await api.get(`/agency/cars/${query}`, { token: owner.token });
      expect(page.status).toBe(200);
      expect(page.body.results.length).toBeLessThanOrEqual(2);
      seen.push(...page.body.results.map((car: { id: string }) => car.id));
      cursor = page.body.next_cursor;
      pages += 1;
    } while (cursor);
    expect(pages).toBe(4);
    expect(seen).toEqual(expected.map((row) => row.id));
  });

  it('defaults to 20 per page and refuses a limit outside 1..100 or a tampered cursor with 400', async () => {
    const owner = await createAgencyAdmin();
    await getDb()
      .insertInto('cars')
      .values(Array.from({ length: 21 }, () => carRowValues(owner.agency!.id)))
      .execute();
    const first = await api.get('/agency/cars/', { token: owner.token });
    expect(first.body.results).toHaveLength(20);
    expect(first.body.next_cursor).toEqual(expect.any(String));

    for (const query of [
      '?limit=0',
      '?limit=101',
      '?limit=ten',
      '?cursor=not-a-cursor',
      `?cursor=${Buffer.from('["x","y"]').toString('base64url')}`,
      '?page=2', // an unknown parameter, as on every list
      '?limit=5&published=true',
    ]) {
      const answer = await api.get(`/agency/cars/${query}`, { token: owner.token });
      expect(answer.status, query).toBe(400);
      expect(answer.headers.get('content-type')).toBe('application/problem+json');
    }
  });
});

describe('GET and PATCH /agency/cars/{id}/', () => {
  it('returns one of your cars with its ready photos only, by position', async () => {
    const car = await createCarFor(api, admin.token);
    const first = await addPhoto(api, admin.token, car.id);
    await startUpload(api, admin.token, car.id, { content_type: 'image/png', content_length: 100 }); // pending: not shown
    const second = await addPhoto(api, admin.token, car.id);

    const answer = await api.get(`/agency/cars/${car.id}/`, { token: admin.token });
    expect(answer.status).toBe(200);
    expect(answer.body).toEqual({
      ...car,
      images: [
        { id: first.id, url: first.url, position: 0 },
        { id: second.id, url: second.url, position: 1 },
      ],
    });
    // The path without its trailing slash is the same route.
    expect((await api.get(`/agency/cars/${car.id}`, { token: admin.token })).body).toEqual(answer.body);
  });

  it('PATCH changes only the fields sent and moves updated_at', async () => {
    const car = await createCarFor(api, admin.token, { lat: 7.9, lng: 98.3 });
    const answer = await api.patch(`/agency/cars/${car.id}/`, { daily_rate: 120_000, is_published: true }, { token: admin.token });
    expect(answer.status).toBe(200);
    expect(answer.body).toEqual({ ...car, daily_rate: 120_000, is_published: true, updated_at: expect.any(String) });
    expect(Date.parse(answer.body.updated_at)).toBeGreaterThan(Date.parse(car.updated_at));
    expect(answer.body.created_at).toBe(car.created_at);
    expect(await carRow(car.id)).toMatchObject({ daily_rate: 120_000, is_published: true, make: 'Toyota' });
  });

  it('PATCH can unpublish a car and move it back to its agency’s location with lat and lng null', async () => {
    const car = await createCarFor(api, admin.token, { is_published: true, lat: 7.9, lng: 98.3 });
    const answer = await api.patch(`/agency/cars/${car.id}/`, { is_published: false, lat: null, lng: null }, { token: admin.token });
    expect(answer.status).toBe(200);
    expect(answer.body).toMatchObject({ is_published: false, lat: null, lng: null });
  });

  it('PATCH refuses unknown or read-only fields, invalid values and half a location with 400, changing nothing', async () => {
    const car = await createCarFor(api, admin.token, { lat: 7.9, lng: 98.3 });
    const bodies: Record<string, unknown>[] = [
      { colour: 'red' },
      { id: randomUUID() },
      { agency_id: randomUUID() },
      { currency: 'usd' },
      { created_at: '2020-01-01T00:00:00Z' },
      { car_type: 'tank' },
      { seats: 0 },
      { daily_rate: 0 },
      { deposit_amount: 999 },
      { deposit_amount: 10_000_001 },
      { year: thisYear + 2 },
      { description: 'x'.repeat(5001) },
      { lat: null },
      { lng: 98.1 },
      { make: null },
    ];
    for (const body of bodies) {
      const answer = await api.patch(`/agency/cars/${car.id}/`, body, { token: admin.token });
      expect(answer.status, JSON.stringify(body).slice(0, 80)).toBe(400);
    }
    expect((await api.get(`/agency/cars/${car.id}/`, { token: admin.token })).body).toEqual(car);
  });

  it('answers a non-UUID id with 400 on every verb, before looking anything up', async () => {
    const image = randomUUID();
    const calls = [
      () => api.get('/agency/cars/not-a-uuid/', { token: admin.token }),
      () => api.patch('/agency/cars/not-a-uuid/', { seats: 4 }, { token: admin.token }),
      () => api.delete('/agency/cars/not-a-uuid/', { token: admin.token }),
      () => api.post('/agency/cars/not-a-uuid/images/', { content_type: 'image/jpeg', content_length: 10 }, { token: admin.token }),
      () => api.post(`/agency/cars/not-a-uuid/images/${image}/confirm/`, undefined, { token: admin.token }),
      () => api.delete(`/agency/cars/${randomUUID()}/images/123/`, { token: admin.token }),
    ];
    for (const call of calls) {
      const answer = await call();
      expect(answer.status).toBe(400);
      expect(answer.body.errors[0].message).toBe('must be a UUID');
    }
  });
});

describe('tenancy: an agency sees and touches only its own cars', () => {
  it('answers 404 (never 403) for another agency’s car on every verb, in both directions, and changes nothing', async () => {
    const agencies = [await createAgencyAdmin({ name: 'Kata Cars' }), await createAgencyAdmin({ name: 'Karon Bikes' })];
    const cars = await Promise.all(agencies.map((agency) => createCarFor(api, agency.token, { is_published: true })));
    const photos = await Promise.all(agencies.map((agency, index) => addPhoto(api, agency.token, cars[index]!.id)));
    const pendings = await Promise.all(
      agencies.map((agency, index) => startUpload(api, agency.token, cars[index]!.id, { content_type: 'image/jpeg', content_length: tinyJpeg().length })),
    );

    for (const [me, them] of [
      [0, 1],
      [1, 0],
    ] as const) {
      const token = agencies[me]!.token;
      const car = cars[them]!.id;
      const answers = [
        await api.get(`/agency/cars/${car}/`, { token }),
        await api.patch(`/agency/cars/${car}/`, { is_published: false }, { token }),
        await api.delete(`/agency/cars/${car}/`, { token }),
        await api.post(`/agency/cars/${car}/images/`, { content_type: 'image/jpeg', content_length: 10 }, { token }),
        await api.post(`/agency/cars/${car}/images/${pendings[them]!.id}/confirm/`, undefined, { token }),
        await api.delete(`/agency/cars/${car}/images/${photos[them]!.id}/`, { token }),
        // Their photo through my own car's path is no better.
        await api.delete(`/agency/cars/${cars[me]!.id}/images/${photos[them]!.id}/`, { token }),
        await api.post(`/agency/cars/${cars[me]!.id}/images/${pendings[them]!.id}/confirm/`, undefined, { token }),
      ];
      for (const answer of answers) {
        expect(answer.status).toBe(404);
        expect(answer.body.type).toBe('/api/v1/problems/not-found/');
        expect(answer.text).not.toContain(agencies[them]!.agency!.id);
      }
      const list = await api.get('/agency/cars/?limit=100', { token });
      expect(list.body.results.map((listed: { id: string }) => listed.id)).toEqual([cars[me]!.id]);
    }

    for (const [index, car] of cars.entries()) {
      const answer = await api.get(`/agency/cars/${car.id}/`, { token: agencies[index]!.token });
      expect(answer.body).toMatchObject({ is_published: true, images: [{ id: photos[index]!.id }] });
      const pending = await getDb().selectFrom('car_images').select('status').where('id', '=', pendings[index]!.id).executeTakeFirstOrThrow();
      expect(pending.status).toBe('pending');
      expect(await objectExists(photos[index]!.url.split(`${process.env.IMAGES_BUCKET}/`)[1]!)).toBe(true);
    }
  });

  it('answers a customer with 403 and an anonymous caller with 401 on every agency route', async () => {
    const customer = await createCustomer();
    const car = await createCarFor(api, admin.token);
    const image = randomUUID();
    const routes: [string, string, unknown?][] = [
      ['GET', '/agency/cars/'],
      ['POST', '/agency/cars/', carBody()],
      ['GET', `/agency/cars/${car.id}/`],
      ['PATCH', `/agency/cars/${car.id}/`, { seats: 2 }],
      ['DELETE', `/agency/cars/${car.id}/`],
      ['POST', `/agency/cars/${car.id}/images/`, { content_type: 'image/jpeg', content_length: 10 }],
      ['POST', `/agency/cars/${car.id}/images/${image}/confirm/`],
      ['DELETE', `/agency/cars/${car.id}/images/${image}/`],
    ];
    for (const [method, path, body] of routes) {
      const asCustomer = await api.request(method, path, { token: customer.token, body });
      expect(asCustomer.status, `${method} ${path}`).toBe(403);
      const anonymous = await api.request(method, path, { body });
      expect(anonymous.status, `${method} ${path}`).toBe(401);
    }
    expect(await carRow(car.id)).toMatchObject({ deleted_at: null, seats: 5 });
  });
});

describe('DELETE /agency/cars/{id}/', () => {
  it('removes a car that never had a reservation: 204, then 404 everywhere, the row gone', async () => {
    const car = await createCarFor(api, admin.token);
    const answer = await api.delete(`/agency/cars/${car.id}/`, { token: admin.token });
    expect(answer.status).toBe(204);
    expect(answer.text).toBe('');
    expect(await carRow(car.id)).toBeUndefined();
    expect((await api.get(`/agency/cars/${car.id}/`, { token: admin.token })).status).toBe(404);
    expect((await api.delete(`/agency/cars/${car.id}/`, { token: admin.token })).status).toBe(404);
  });

  it('refuses with 409 while a confirmed booking ends today or later, pointing to unpublishing', async () => {
    for (const [start, end] of [
      [bangkokDate(10), bangkokDate(12)],
      [bangkokDate(-3), bangkokDate(0)],
    ]) {
      const car = await createCarFor(api, admin.token, { is_published: true });
      await insertBooking(car.id, { status: 'confirmed', start: start!, end: end! });
      const answer = await api.delete(`/agency/cars/${car.id}/`, { token: admin.token });
      expect(answer.status, `${start}..${end}`).toBe(409);
      expect(answer.headers.get('content-type')).toBe('application/problem+json');
      expect(answer.body.detail).toMatch(/unpublish/i);
      expect(await carRow(car.id)).toMatchObject({ deleted_at: null, is_published: true });
    }
  });

  it('deletes despite a rental completed today (the car is back), where a confirmed one ending today still refuses', async () => {
    const returned = await createCarFor(api, admin.token);
    await insertBooking(returned.id, { status: 'completed', start: bangkokDate(-2), end: bangkokDate(0) });
    expect((await api.delete(`/agency/cars/${returned.id}/`, { token: admin.token })).status).toBe(204);
    expect((await carRow(returned.id))?.deleted_at).toBeInstanceOf(Date);

    const onTheRoad = await createCarFor(api, admin.token);
    await insertBooking(onTheRoad.id, { status: 'confirmed', start: bangkokDate(-2), end: bangkokDate(0) });
    expect((await api.delete(`/agency/cars/${onTheRoad.id}/`, { token: admin.token })).status).toBe(409);
    expect(await carRow(onTheRoad.id)).toMatchObject({ deleted_at: null });
  });

  it('refuses with 409 while an unexpired pending booking is upcoming, and keeps the car’s photos', async () => {
    const car = await createCarFor(api, admin.token);
    const photo = await addPhoto(api, admin.token, car.id);
    await insertBooking(car.id, { status: 'pending', start: bangkokDate(5), end: bangkokDate(6), expiresAt: new Date(Date.now() + 10 * 60_000) });
    expect((await api.delete(`/agency/cars/${car.id}/`, { token: admin.token })).status).toBe(409);
    expect((await api.get(`/agency/cars/${car.id}/`, { token: admin.token })).body.images).toEqual([{ id: photo.id, url: photo.url, position: 0 }]);
    expect((await fetch(photo.url)).status).toBe(200);
  });

  it('deletes despite past, cancelled, expired and lapsed pending bookings and future blocks, keeping the row (soft delete) so bookings keep their car', async () => {
    const car = await createCarFor(api, admin.token, { is_published: true });
    const bookings = [
      await insertBooking(car.id, { status: 'completed', start: bangkokDate(-20), end: bangkokDate(-18) }),
      await insertBooking(car.id, { status: 'confirmed', start: bangkokDate(-10), end: bangkokDate(-1) }),
      await insertBooking(car.id, { status: 'cancelled', start: bangkokDate(3), end: bangkokDate(4) }),
      await insertBooking(car.id, { status: 'expired', start: bangkokDate(6), end: bangkokDate(7) }),
      // Still 'pending', but its hold ran out: it holds nothing.
      await insertBooking(car.id, { status: 'pending', start: bangkokDate(9), end: bangkokDate(10), expiresAt: new Date(Date.now() - 60_000) }),
    ];
    await insertBlock(car.id, bangkokDate(20), bangkokDate(22));

    const answer = await api.delete(`/agency/cars/${car.id}/`, { token: admin.token });
    expect(answer.status).toBe(204);

    const row = await carRow(car.id);
    expect(row?.deleted_at).toBeInstanceOf(Date);
    expect(row?.is_published).toBe(false);
    const kept = await getDb().selectFrom('reservations').select('id').where('car_id', '=', car.id).where('kind', '=', 'booking').execute();
    expect(kept.map((booking) => booking.id).sort()).toEqual([...bookings].sort());

    // A deleted car is 404 on every verb and gone from the list.
    expect((await api.get(`/agency/cars/${car.id}/`, { token: admin.token })).status).toBe(404);
    expect((await api.patch(`/agency/cars/${car.id}/`, { is_published: true }, { token: admin.token })).status).toBe(404);
    expect((await api.delete(`/agency/cars/${car.id}/`, { token: admin.token })).status).toBe(404);
    expect((await api.post(`/agency/cars/${car.id}/images/`, { content_type: 'image/jpeg', content_length: 10 }, { token: admin.token })).status).toBe(404);
    const list = await api.get('/agency/cars/?limit=100', { token: admin.token });
    expect(list.body.results.map((listed: { id: string }) => listed.id)).not.toContain(car.id);
    expect((await carRow(car.id))?.is_published).toBe(false);
  });

  it('removes the car’s photos with it: ready and pending rows, and their S3 objects', async () => {
    const car = await createCarFor(api, admin.token);
    const ready = await addPhoto(api, admin.token, car.id);
    const pending = await startUpload(api, admin.token, car.id, { content_type: 'image/jpeg', content_length: tinyJpeg().length });
    expect(await putObject(pending.upload.url, tinyJpeg(), 'image/jpeg')).toBe(200);
    const readyKey = ready.url.slice(`${process.env.IMAGES_PUBLIC_BASE_URL}/`.length);
    const pendingKey = keyOfUploadUrl(pending.upload.url);
    expect(await objectExists(readyKey)).toBe(true);
    expect(await objectExists(pendingKey)).toBe(true);
    await insertBooking(car.id, { status: 'completed', start: bangkokDate(-5), end: bangkokDate(-4) });

    expect((await api.delete(`/agency/cars/${car.id}/`, { token: admin.token })).status).toBe(204);

    expect(await objectExists(readyKey)).toBe(false);
    expect(await objectExists(pendingKey)).toBe(false);
    expect((await fetch(ready.url)).status).toBe(404);
    const rows = await getDb().selectFrom('car_images').select('id').where('car_id', '=', car.id).execute();
    expect(rows).toEqual([]);
  });

  it('hides a deleted car by deleted_at alone, whatever its published flag says', async () => {
    const car = await createCarFor(api, admin.token);
    await insertBooking(car.id, { status: 'completed', start: bangkokDate(-5), end: bangkokDate(-4) });
    expect((await api.delete(`/agency/cars/${car.id}/`, { token: admin.token })).status).toBe(204);
    await sql`UPDATE cars SET is_published = true WHERE id = ${car.id}`.execute(getDb());
    expect((await api.get(`/agency/cars/${car.id}/`, { token: admin.token })).status).toBe(404);
    const list = await api.get('/agency/cars/?limit=100', { token: admin.token });
    expect(list.body.results.map((listed: { id: string }) => listed.id)).not.toContain(car.id);
  });
});

describe('at most MAX_CARS_PER_AGENCY cars per agency', () => {
  /** Fills an agency up to `count` cars in one INSERT, as if it had created them one by one. */
  async function fillFleet(db: Kysely<Database>, agencyId: string, count: number) {
    await db
      .insertInto('cars')
      .values(Array.from({ length: count }, () => carRowValues(agencyId)))
      .execute();
  }

  it('answers 409 naming the cap for the car beyond it; deleted cars do not count', async () => {
    const fleet = await createAgencyAdmin({ name: 'Chalong Fleet' });
    const agencyId = fleet.agency!.id;
    await fillFleet(getDb(), agencyId, MAX_CARS_PER_AGENCY - 1);
    expect((await api.post('/agency/cars/', carBody(), { token: fleet.token })).status).toBe(201);

    const refused = await api.post('/agency/cars/', carBody(), { token: fleet.token });
    expect(refused.status).toBe(409);
    expect(refused.headers.get('content-type')).toMatch(/^application\/problem\+json/);
    expect(refused.body).toMatchObject({ type: '/api/v1/problems/conflict/', status: 409 });
    expect(refused.body.detail).toContain(`at most ${MAX_CARS_PER_AGENCY} cars`);
    const live = () =>
      getDb()
        .selectFrom('cars')
        .select((eb) => eb.fn.countAll<number>().as('n'))
        .where('agency_id', '=', agencyId)
        .where('deleted_at', 'is', null)
        .executeTakeFirstOrThrow();
    expect((await live()).n).toBe(MAX_CARS_PER_AGENCY);

    // Another agency is not affected by this one's fleet.
    expect((await api.post('/agency/cars/', carBody(), { token: admin.token })).status).toBe(201);

    // A car kept as deleted (it had bookings) frees its place.
    await sql`UPDATE cars SET deleted_at = now() WHERE id = (SELECT id FROM cars WHERE agency_id = ${agencyId} LIMIT 1)`.execute(getDb());
    expect((await api.post('/agency/cars/', carBody(), { token: fleet.token })).status).toBe(201);
    expect((await api.post('/agency/cars/', carBody(), { token: fleet.token })).status).toBe(409);
  });

  it('lets exactly one of 10 parallel requests take the last place, even when all of them counted first', async () => {
    const CONTENDERS = 10;
    const scratch = await createScratchDatabase({ fromTemplate: true });
    const db = connect(scratch.url, CONTENDERS + 2);
    const observer = connect(scratch.url, 1);
    try {
      const owner = await db
        .insertInto('users')
        .values({ cognito_sub: randomUUID(), email: `${randomUUID()}@example.com`, full_name: 'Fleet Owner', role: 'agency_admin' })
        .returning('id')
        .executeTakeFirstOrThrow();
      const agency = await db
        .insertInto('agencies')
        .values({ admin_user_id: owner.id, name: 'Full Fleet', phone: '+66 76 000 001', address: 'Chalong', lat: 7.84, lng: 98.34 })
        .returning('id')
        .executeTakeFirstOrThrow();
      await fillFleet(db, agency.id, MAX_CARS_PER_AGENCY - 1);

      // Each transaction waits between its count and its insert until every contender has
      // either counted too or is waiting for the agency lock: without the lock, all of them
      // count MAX - 1 before any inserts (a race test without a barrier can pass falsely).
      let counted = 0;
      const waitForEveryone = async () => {
        counted += 1;
        for (;;) {
          const { rows } = await sql<{ n: number }>`
            SELECT count(*)::int AS n FROM pg_stat_activity WHERE datname = current_database() AND wait_event_type = 'Lock'`.execute(observer);
          if (counted + rows[0]!.n >= CONTENDERS) return;
          await new Promise((resolve) => setTimeout(resolve, 5));
        }
      };
      const outcomes = await Promise.allSettled(
        Array.from({ length: CONTENDERS }, () => createCar(db, agency.id, carBody() as unknown as CarInput, { beforeInsert: waitForEveryone })),
      );

      expect(outcomes.filter((outcome) => outcome.status === 'fulfilled')).toHaveLength(1);
      for (const outcome of outcomes) if (outcome.status === 'rejected') expect(outcome.reason).toBeInstanceOf(Conflict);
      const { n } = await db
        .selectFrom('cars')
        .select((eb) => eb.fn.countAll<number>().as('n'))
        .where('agency_id', '=', agency.id)
        .executeTakeFirstOrThrow();
      expect(n).toBe(MAX_CARS_PER_AGENCY);
    } finally {
      await observer.destroy();
      await db.destroy();
      await scratch.drop();
    }
  }, 60_000);
});
