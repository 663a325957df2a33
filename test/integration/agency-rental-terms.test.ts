import { randomUUID } from 'node:crypto';
import { beforeAll, describe, expect, it } from 'vitest';
import { loadRentalTerms } from '#core/pricing/terms';
import { getDb } from '#platform/db';
import { useApi, type ApiAnswer } from '../helpers/api';
import { createAgencyAdmin, createCustomer, type TestUser } from '../helpers/auth';
import { bangkokDate, carBody, createCarFor, insertBooking } from '../helpers/cars';

/**
 * The agency's side of the rules Phuket agencies rent by (issue 17): a car's own rules on the
 * car, its seasons, rate plans over several cars, the agency's opening hours with its
 * after-hours fee, and where it delivers. Each route is scoped to the caller's agency (another
 * agency's car is a 404), validated (400 naming the field), and writes all or nothing.
 */

const api = useApi();

let admin: TestUser;
let otherAdmin: TestUser;
beforeAll(async () => {
  [admin, otherAdmin] = await Promise.all([createAgencyAdmin({ name: 'Patong Wheels' }), createAgencyAdmin({ name: 'Rawai Rides' })]);
});

const put = (path: string, body: unknown, token: string) => api.request('PUT', path, { body, token });

/** The paths of a 400's errors, after checking it is one. */
function errorPaths(answer: ApiAnswer): string[] {
  expect(answer.status, answer.text).toBe(400);
  expect(answer.headers.get('content-type')).toBe('application/problem+json');
  return (answer.body.errors as { path: string }[]).map((error) => error.path);
}

const carRow = (id: string) => getDb().selectFrom('cars').selectAll().where('id', '=', id).executeTakeFirstOrThrow();
const agencyRow = (id: string) => getDb().selectFrom('agencies').selectAll().where('id', '=', id).executeTakeFirstOrThrow();
const seasonRows = (carId: string) =>
  getDb()
    .selectFrom('car_seasons')
    .select(['name', 'start_date', 'end_date', 'daily_rate', 'min_rental_days'])
    .where('car_id', '=', carId)
    .orderBy('start_date')
    .execute();

describe('a car’s own rules: POST and PATCH /agency/cars/', () => {
  const rules = {
    weekly_discount: { from_days: 5, percent: 10 },
    monthly_discount: { from_days: 21, percent: 25 },
    min_rental_days: 3,
    min_notice_hours: 24,
    max_lead_days: 180,
    turnaround_days: 1,
  };

  it('creates a car with its rules and answers them; GET answers them again', async () => {
    const car = await createCarFor(api, admin.token, rules);
    expect(car).toMatchObject(rules);
    expect((await api.get(`/agency/cars/${car.id}/`, { token: admin.token })).body).toMatchObject(rules);
    expect(await carRow(car.id)).toMatchObject({
      weekly_discount_days: 5,
      weekly_discount_percent: 10,
      monthly_discount_days: 21,
      monthly_discount_percent: 25,
      min_rental_days: 3,
      min_notice_hours: 24,
      max_lead_days: 180,
      turnaround_days: 1,
    });
  });

  it('refuses rules out of range with 400 naming the field, and accepts the bounds', async () => {
    const refused: [Record<string, unknown>, string][] = [
      [{ weekly_discount: { from_days: 1, percent: 5 } }, 'weekly_discount.from_days'],
      [{ weekly_discount: { from_days: 7, percent: 91 } }, 'weekly_discount.percent'],
      [{ weekly_discount: { from_days: 7, percent: 5.5 } }, 'weekly_discount.percent'],
      [{ monthly_discount: { from_days: 91, percent: 5 } }, 'monthly_discount.from_days'],
      [{ monthly_discount: { percent: -1 } }, 'monthly_discount.percent'],
      [{ weekly_discount: { from_days: 7, percent: 5, extra: 1 } }, 'weekly_discount'],
      [{ min_rental_days: 0 }, 'min_rental_days'],
      [{ min_rental_days: 91 }, 'min_rental_days'],
      [{ min_notice_hours: 721 }, 'min_notice_hours'],
      [{ max_lead_days: 0 }, 'max_lead_days'],
      [{ max_lead_days: 732 }, 'max_lead_days'],
      [{ turnaround_days: 15 }, 'turnaround_days'],
      [{ turnaround_days: -1 }, 'turnaround_days'],
    ];
    for (const [fields, path] of refused) {
      const answer = await api.post('/agency/cars/', carBody(fields), { token: admin.token });
      expect(errorPaths(answer), JSON.stringify(fields)).toContain(path);
    }
    const bounds = {
      weekly_discount: { from_days: 89, percent: 90 },
      monthly_discount: { from_days: 90, percent: 0 },
      min_rental_days: 90,
      min_notice_hours: 720,
      max_lead_days: 731,
      turnaround_days: 14,
    };
    expect(await createCarFor(api, admin.token, bounds)).toMatchObject(bounds);
    expect(await createCarFor(api, admin.token, { max_lead_days: null, min_notice_hours: 0, turnaround_days: 0 })).toMatchObject({ max_lead_days: null });
  });

  it('refuses a monthly tier that does not start after the weekly one with 400 naming it, a missing threshold counting as its default', async () => {
    expect(
      errorPaths(await api.post('/agency/cars/', carBody({ weekly_discount: { from_days: 14 }, monthly_discount: { from_days: 14 } }), { token: admin.token })),
    ).toEqual(['monthly_discount.from_days']);
    // The monthly tier starts at its default, 28 days.
    expect(errorPaths(await api.post('/agency/cars/', carBody({ weekly_discount: { from_days: 30, percent: 5 } }), { token: admin.token }))).toEqual([
      'weekly_discount.from_days',
    ]);
  });

  it('PATCH changes only the parts of a tier sent, and refuses one that would cross the stored other tier with 400 naming it, changing nothing', async () => {
    const car = await createCarFor(api, admin.token, rules);
    const patched = await api.patch(`/agency/cars/${car.id}/`, { weekly_discount: { percent: 15 }, min_rental_days: 2 }, { token: admin.token });
    expect(patched.status, patched.text).toBe(200);
    expect(patched.body).toMatchObject({ ...rules, weekly_discount: { from_days: 5, percent: 15 }, min_rental_days: 2 });

    const before = await carRow(car.id);
    // The stored weekly tier starts at 5 days, the monthly at 21.
    expect(errorPaths(await api.patch(`/agency/cars/${car.id}/`, { monthly_discount: { from_days: 5 } }, { token: admin.token }))).toEqual([
      'monthly_discount.from_days',
    ]);
    expect(errorPaths(await api.patch(`/agency/cars/${car.id}/`, { weekly_discount: { from_days: 21 }, turnaround_days: 2 }, { token: admin.token }))).toEqual([
      'weekly_discount.from_days',
    ]);
    expect(await carRow(car.id)).toEqual(before);
    // Both at once move together.
    const moved = await api.patch(
      `/agency/cars/${car.id}/`,
      { weekly_discount: { from_days: 30 }, monthly_discount: { from_days: 60 } },
      { token: admin.token },
    );
    expect(moved.body).toMatchObject({ weekly_discount: { from_days: 30, percent: 15 }, monthly_discount: { from_days: 60, percent: 25 } });
  });

  it('moves the car’s terms_version when a rule changes, so a booking priced before is priced again', async () => {
    const car = await createCarFor(api, admin.token);
    const before = (await carRow(car.id)).terms_version;
    await api.patch(`/agency/cars/${car.id}/`, { description: 'Fresh tyres' }, { token: admin.token });
    expect((await carRow(car.id)).terms_version).toBe(before);
    await api.patch(`/agency/cars/${car.id}/`, { turnaround_days: 1 }, { token: admin.token });
    expect((await carRow(car.id)).terms_version).toBe(before + 1);
  });

  it("answers another agency's car with 404 and leaves its rules alone", async () => {
    const car = await createCarFor(api, admin.token);
    const answer = await api.patch(`/agency/cars/${car.id}/`, { min_rental_days: 7 }, { token: otherAdmin.token });
    expect(answer.status).toBe(404);
    expect((await carRow(car.id)).min_rental_days).toBe(1);
  });
});

describe('GET and PUT /agency/cars/{id}/seasons/', () => {
  const highSeason = { name: 'High season', start_date: '2027-12-15', end_date: '2027-12-27', daily_rate: 130_000 };
  const newYear = { name: 'New Year', start_date: '2027-12-28', end_date: '2028-01-03', daily_rate: 180_000, min_rental_days: 3 };
  const lateSeason = { name: 'High season', start_date: '2028-01-04', end_date: '2028-03-31', daily_rate: 130_000 };

  it('replaces all the car’s seasons and answers them by start date, with ids and lengths; GET answers the same', async () => {
    const car = await createCarFor(api, admin.token);
    const answer = await put(`/agency/cars/${car.id}/seasons/`, { seasons: [lateSeason, newYear, highSeason] }, admin.token);
    expect(answer.status, answer.text).toBe(200);
    expect(answer.body).toEqual({
      seasons: [
        { id: expect.any(String), car_id: car.id, ...highSeason, days: 13, min_rental_days: null },
        { id: expect.any(String), car_id: car.id, ...newYear, days: 7 },
        { id: expect.any(String), car_id: car.id, ...lateSeason, days: 88, min_rental_days: null },
      ],
    });
    expect((await api.get(`/agency/cars/${car.id}/seasons/`, { token: admin.token })).body).toEqual(answer.body);

    // Again: the old ones are gone, not added to.
    const replaced = await put(`/agency/cars/${car.id}/seasons/`, { seasons: [{ ...newYear, daily_rate: 200_000 }] }, admin.token);
    expect(replaced.body.seasons).toEqual([{ id: expect.any(String), car_id: car.id, ...newYear, daily_rate: 200_000, days: 7 }]);
    expect(await seasonRows(car.id)).toEqual([{ ...newYear, daily_rate: 200_000 }]);
    // The pricing function reads them (the car's terms for search, detail and booking).
    const terms = await loadRentalTerms(getDb(), car.id);
    expect(terms).toBeUndefined(); // unpublished: not bookable, so no terms
    await api.patch(`/agency/cars/${car.id}/`, { is_published: true }, { token: admin.token });
    expect((await loadRentalTerms(getDb(), car.id))!.seasons).toEqual([
      { name: 'New Year', startDate: newYear.start_date, endDate: newYear.end_date, dailyRate: 200_000, minRentalDays: 3 },
    ]);

    const cleared = await put(`/agency/cars/${car.id}/seasons/`, { seasons: [] }, admin.token);
    expect(cleared.body).toEqual({ seasons: [] });
    expect(await seasonRows(car.id)).toEqual([]);
  });

  it('allows past seasons and a season of one day', async () => {
    const car = await createCarFor(api, admin.token);
    const past = { name: 'Last Songkran', start_date: '2020-04-13', end_date: '2020-04-15', daily_rate: 100_000 };
    const oneDay = { name: 'Loy Krathong', start_date: '2027-11-14', end_date: '2027-11-14', daily_rate: 110_000 };
    const answer = await put(`/agency/cars/${car.id}/seasons/`, { seasons: [past, oneDay] }, admin.token);
    expect(answer.status, answer.text).toBe(200);
    expect(answer.body.seasons.map((season: { days: number }) => season.days)).toEqual([3, 1]);
  });

  it('refuses seasons sharing a day with 400 naming both, and leaves the car’s seasons as they were', async () => {
    const car = await createCarFor(api, admin.token);
    await put(`/agency/cars/${car.id}/seasons/`, { seasons: [highSeason] }, admin.token);
    const answer = await put(`/agency/cars/${car.id}/seasons/`, { seasons: [highSeason, lateSeason, { ...newYear, start_date: '2027-12-27' }] }, admin.token);
    expect(errorPaths(answer)).toEqual(['seasons.2.start_date']);
    expect(answer.body.errors[0].message).toMatch(/overlaps seasons\.0 \(High season, 2027-12-15 to 2027-12-27\)/);
    // Touching (one ends the day before the next starts) is fine; a peak inside a season is not.
    const inside = await put(`/agency/cars/${car.id}/seasons/`, { seasons: [{ ...highSeason, end_date: '2028-03-31' }, newYear] }, admin.token);
    expect(errorPaths(inside)).toEqual(['seasons.1.start_date']);
    expect(await seasonRows(car.id)).toEqual([{ ...highSeason, min_rental_days: null }]);
  });

  it('refuses invalid seasons with 400 naming the field', async () => {
    const car = await createCarFor(api, admin.token);
    const refused: [unknown, string][] = [
      [{ seasons: [{ ...highSeason, end_date: '2027-12-14' }] }, 'seasons.0.end_date'],
      [{ seasons: [{ ...highSeason, start_date: '2027-02-30' }] }, 'seasons.0.start_date'],
      [{ seasons: [{ ...highSeason, daily_rate: 0 }] }, 'seasons.0.daily_rate'],
      [{ seasons: [{ ...highSeason, daily_rate: 10_000_001 }] }, 'seasons.0.daily_rate'],
      [{ seasons: [{ ...highSeason, min_rental_days: 91 }] }, 'seasons.0.min_rental_days'],
      [{ seasons: [{ ...highSeason, name: ' ' }] }, 'seasons.0.name'],
      [{ seasons: [{ ...highSeason, rate: 1 }] }, 'seasons.0'],
      [{ seasons: [highSeason], car_id: car.id }, 'body'],
      [{}, 'seasons'],
      [
        {
          seasons: Array.from({ length: 51 }, (_, index) => ({
            ...highSeason,
            start_date: `2030-01-${String((index % 28) + 1).padStart(2, '0')}`,
            end_date: '2030-01-01',
          })),
        },
        'seasons',
      ],
    ];
    for (const [body, path] of refused)
      expect(errorPaths(await put(`/agency/cars/${car.id}/seasons/`, body, admin.token)), JSON.stringify(body).slice(0, 80)).toContain(path);
    expect(await seasonRows(car.id)).toEqual([]);
  });

  it("answers another agency's car (and a deleted one) with 404, writing nothing", async () => {
    const car = await createCarFor(api, admin.token);
    await put(`/agency/cars/${car.id}/seasons/`, { seasons: [highSeason] }, admin.token);
    expect((await api.get(`/agency/cars/${car.id}/seasons/`, { token: otherAdmin.token })).status).toBe(404);
    const answer = await put(`/agency/cars/${car.id}/seasons/`, { seasons: [] }, otherAdmin.token);
    expect(answer.status).toBe(404);
    expect(answer.text).not.toContain('High season');
    expect(await seasonRows(car.id)).toHaveLength(1);
    const gone = await createCarFor(api, admin.token);
    await api.delete(`/agency/cars/${gone.id}/`, { token: admin.token });
    expect((await put(`/agency/cars/${gone.id}/seasons/`, { seasons: [highSeason] }, admin.token)).status).toBe(404);
  });

  it('moves the car’s terms_version, and changes no stored booking’s price', async () => {
    const car = await createCarFor(api, admin.token, { is_published: true });
    const booking = await insertBooking(car.id, { status: 'confirmed', start: bangkokDate(20), end: bangkokDate(22) });
    const stored = () => getDb().selectFrom('reservations').selectAll().where('id', '=', booking).executeTakeFirstOrThrow();
    const [before, priced] = [(await carRow(car.id)).terms_version, await stored()];
    const season = { name: 'Peak', start_date: bangkokDate(15), end_date: bangkokDate(30), daily_rate: 250_000 };
    expect((await put(`/agency/cars/${car.id}/seasons/`, { seasons: [season] }, admin.token)).status).toBe(200);
    expect((await carRow(car.id)).terms_version).toBeGreaterThan(before);
    expect(await stored()).toEqual(priced);
  });
});

describe('POST /agency/seasons/ (a rate plan over several cars)', () => {
  const songkran = { name: 'Songkran', start_date: '2028-04-11', end_date: '2028-04-17' };

  it('adds the season to every listed car at one daily rate: 201 with each car’s season, in the order listed', async () => {
    const [first, second] = [await createCarFor(api, admin.token), await createCarFor(api, admin.token)];
    const answer = await api.post(
      '/agency/seasons/',
      { car_ids: [second.id, first.id], ...songkran, daily_rate: 150_000, min_rental_days: 2 },
      { token: admin.token },
    );
    expect(answer.status, answer.text).toBe(201);
    expect(answer.body).toEqual({
      seasons: [second, first].map((car) => ({ id: expect.any(String), car_id: car.id, ...songkran, days: 7, daily_rate: 150_000, min_rental_days: 2 })),
    });
    for (const car of [first, second]) expect(await seasonRows(car.id)).toEqual([{ ...songkran, daily_rate: 150_000, min_rental_days: 2 }]);
  });

  it('prices each car at a percentage of its own base rate, rounded half-up to a satang', async () => {
    const [cheap, dear] = [await createCarFor(api, admin.token, { daily_rate: 90_010 }), await createCarFor(api, admin.token, { daily_rate: 120_000 })];
    const answer = await api.post('/agency/seasons/', { car_ids: [cheap.id, dear.id], ...songkran, percent_of_base_rate: 115 }, { token: admin.token });
    expect(answer.status, answer.text).toBe(201);
    // 90,010 × 1.15 = 103,511.5 → 103,512; 120,000 × 1.15 = 138,000.
    expect(answer.body.seasons.map((season: { daily_rate: number }) => season.daily_rate)).toEqual([103_512, 138_000]);
  });

  it('adds nothing and answers 409 naming each car that already has a season on those days', async () => {
    const [free, busy] = [await createCarFor(api, admin.token), await createCarFor(api, admin.token)];
    await put(
      `/agency/cars/${busy.id}/seasons/`,
      { seasons: [{ name: 'Easter', start_date: '2028-04-14', end_date: '2028-04-20', daily_rate: 140_000 }] },
      admin.token,
    );
    const answer = await api.post('/agency/seasons/', { car_ids: [free.id, busy.id], ...songkran, daily_rate: 150_000 }, { token: admin.token });
    expect(answer.status, answer.text).toBe(409);
    expect(answer.headers.get('content-type')).toBe('application/problem+json');
    expect(answer.body.detail).toContain(busy.id);
    expect(answer.body.detail).toContain('Easter from 2028-04-14 to 2028-04-20');
    expect(answer.body.detail).not.toContain(free.id);
    expect(await seasonRows(free.id)).toEqual([]);
    expect(await seasonRows(busy.id)).toHaveLength(1);
  });

  it("adds nothing and answers 404 when a car is another agency's, deleted or unknown", async () => {
    const own = await createCarFor(api, admin.token);
    const theirs = await createCarFor(api, otherAdmin.token);
    const deleted = await createCarFor(api, admin.token);
    await api.delete(`/agency/cars/${deleted.id}/`, { token: admin.token });
    for (const stranger of [theirs.id, deleted.id, randomUUID()]) {
      const answer = await api.post('/agency/seasons/', { car_ids: [own.id, stranger], ...songkran, daily_rate: 150_000 }, { token: admin.token });
      expect(answer.status, answer.text).toBe(404);
    }
    expect(await seasonRows(own.id)).toEqual([]);
    expect(await seasonRows(theirs.id)).toEqual([]);
  });

  it('refuses an invalid plan with 400 naming the field, before looking at any car', async () => {
    const car = await createCarFor(api, admin.token);
    const plan = { car_ids: [car.id], ...songkran, daily_rate: 150_000 };
    const refused: [unknown, string][] = [
      [{ ...plan, percent_of_base_rate: 120 }, 'daily_rate'],
      [{ car_ids: [car.id], ...songkran }, 'daily_rate'],
      [{ ...plan, daily_rate: undefined, percent_of_base_rate: 9 }, 'percent_of_base_rate'],
      [{ ...plan, daily_rate: undefined, percent_of_base_rate: 501 }, 'percent_of_base_rate'],
      [{ ...plan, car_ids: [] }, 'car_ids'],
      [{ ...plan, car_ids: [car.id, car.id] }, 'car_ids.1'],
      [{ ...plan, car_ids: Array.from({ length: 101 }, () => randomUUID()) }, 'car_ids'],
      [{ ...plan, car_ids: ['not-a-uuid'] }, 'car_ids.0'],
      [{ ...plan, end_date: '2028-04-10' }, 'end_date'],
      [{ ...plan, min_rental_days: 0 }, 'min_rental_days'],
    ];
    for (const [body, path] of refused)
      expect(errorPaths(await api.post('/agency/seasons/', body, { token: admin.token })), JSON.stringify(body).slice(0, 80)).toContain(path);
    expect(await seasonRows(car.id)).toEqual([]);
  });
});

describe('GET and PUT /agency/opening-hours/', () => {
  const weekdays = [1, 2, 3, 4, 5, 6].map((weekday) => ({ weekday, opens: '08:00', closes: '20:00' }));

  it('answers no hours and no fee for an agency that set none; PUT replaces both and GET answers them', async () => {
    const agency = await createAgencyAdmin();
    expect((await api.get('/agency/opening-hours/', { token: agency.token })).body).toEqual({ hours: [], after_hours_fee: null });
    const body = { hours: [{ weekday: 7, opens: '09:00', closes: '24:00' }, ...weekdays], after_hours_fee: 30_000 };
    const answer = await put('/agency/opening-hours/', body, agency.token);
    expect(answer.status, answer.text).toBe(200);
    const expected = { hours: [...weekdays, { weekday: 7, opens: '09:00', closes: '24:00' }], after_hours_fee: 30_000 };
    expect(answer.body).toEqual(expected);
    expect((await api.get('/agency/opening-hours/', { token: agency.token })).body).toEqual(expected);
    // The rules read them as they were set (core/pricing/terms.ts).
    const car = await createCarFor(api, agency.token, { is_published: true });
    expect((await loadRentalTerms(getDb(), car.id))!).toMatchObject({ openingHours: expected.hours, afterHoursFee: 30_000 });

    const closedOnSundays = await put('/agency/opening-hours/', { hours: weekdays, after_hours_fee: null }, agency.token);
    expect(closedOnSundays.body).toEqual({ hours: weekdays, after_hours_fee: null });
    const anyTime = await put('/agency/opening-hours/', { hours: [], after_hours_fee: null }, agency.token);
    expect(anyTime.body).toEqual({ hours: [], after_hours_fee: null });
    // Another agency's stay as they were.
    expect((await api.get('/agency/opening-hours/', { token: otherAdmin.token })).body).toEqual({ hours: [], after_hours_fee: null });
  });

  it('refuses invalid hours with 400 naming the field, changing nothing', async () => {
    const agency = await createAgencyAdmin();
    await put('/agency/opening-hours/', { hours: weekdays, after_hours_fee: 30_000 }, agency.token);
    const refused: [unknown, string][] = [
      [{ hours: [...weekdays, { weekday: 1, opens: '09:00', closes: '10:00' }], after_hours_fee: null }, 'hours.6.weekday'],
      [{ hours: [{ weekday: 1, opens: '20:00', closes: '08:00' }], after_hours_fee: null }, 'hours.0.closes'],
      [{ hours: [{ weekday: 1, opens: '08:00', closes: '08:00' }], after_hours_fee: null }, 'hours.0.closes'],
      [{ hours: [{ weekday: 8, opens: '08:00', closes: '20:00' }], after_hours_fee: null }, 'hours.0.weekday'],
      [{ hours: [{ weekday: 0, opens: '08:00', closes: '20:00' }], after_hours_fee: null }, 'hours.0.weekday'],
      [{ hours: [{ weekday: 1, opens: '8:00', closes: '20:00' }], after_hours_fee: null }, 'hours.0.opens'],
      [{ hours: [{ weekday: 1, opens: '08:00', closes: '24:30' }], after_hours_fee: null }, 'hours.0.closes'],
      [{ hours: [{ weekday: 1, opens: '08:00', closes: '20:00:00' }], after_hours_fee: null }, 'hours.0.closes'],
      [{ hours: weekdays, after_hours_fee: -1 }, 'after_hours_fee'],
      [{ hours: weekdays, after_hours_fee: 10_000_001 }, 'after_hours_fee'],
      [{ hours: weekdays, after_hours_fee: 300.5 }, 'after_hours_fee'],
      [{ hours: weekdays }, 'after_hours_fee'],
      [{ after_hours_fee: null }, 'hours'],
    ];
    for (const [body, path] of refused)
      expect(errorPaths(await put('/agency/opening-hours/', body, agency.token)), JSON.stringify(body).slice(-80)).toContain(path);
    expect((await api.get('/agency/opening-hours/', { token: agency.token })).body).toEqual({ hours: weekdays, after_hours_fee: 30_000 });
  });

  it('moves the agency’s terms_version on a change', async () => {
    const agency = await createAgencyAdmin();
    const before = (await agencyRow(agency.agency!.id)).terms_version;
    await put('/agency/opening-hours/', { hours: weekdays, after_hours_fee: null }, agency.token);
    const afterHours = (await agencyRow(agency.agency!.id)).terms_version;
    expect(afterHours).toBeGreaterThan(before);
    await put('/agency/opening-hours/', { hours: weekdays, after_hours_fee: 20_000 }, agency.token);
    expect((await agencyRow(agency.agency!.id)).terms_version).toBeGreaterThan(afterHours);
  });
});

describe('GET and PUT /agency/delivery/', () => {
  it('replaces the landmarks the agency delivers to and answers them by slug; GET answers the same', async () => {
    const agency = await createAgencyAdmin();
    expect((await api.get('/agency/delivery/', { token: agency.token })).body).toEqual({ options: [] });
    const options = [
      { landmark: 'phuket-airport', fee: 60_000 },
      { landmark: 'karon-beach', fee: 20_000 },
      { landmark: 'patong-beach', fee: 0 },
    ];
    const answer = await put('/agency/delivery/', { options }, agency.token);
    expect(answer.status, answer.text).toBe(200);
    const sorted = [options[1], options[2], options[0]];
    expect(answer.body).toEqual({ options: sorted });
    expect((await api.get('/agency/delivery/', { token: agency.token })).body).toEqual({ options: sorted });
    const car = await createCarFor(api, agency.token, { is_published: true });
    expect((await loadRentalTerms(getDb(), car.id))!.deliveryFees).toEqual({ 'karon-beach': 20_000, 'patong-beach': 0, 'phuket-airport': 60_000 });

    expect((await put('/agency/delivery/', { options: [{ landmark: 'kata-beach', fee: 25_000 }] }, agency.token)).body).toEqual({
      options: [{ landmark: 'kata-beach', fee: 25_000 }],
    });
    expect((await put('/agency/delivery/', { options: [] }, agency.token)).body).toEqual({ options: [] });
    expect((await api.get('/agency/delivery/', { token: otherAdmin.token })).body).toEqual({ options: [] });
  });

  it('refuses an unknown landmark, a landmark twice or a fee out of range with 400 naming it, changing nothing', async () => {
    const agency = await createAgencyAdmin();
    const options = [{ landmark: 'phuket-airport', fee: 60_000 }];
    await put('/agency/delivery/', { options }, agency.token);
    const refused: [unknown, string][] = [
      [{ options: [...options, { landmark: 'atlantis', fee: 0 }] }, 'options.1.landmark'],
      [{ options: [...options, { landmark: 'phuket-airport', fee: 10 }] }, 'options.1.landmark'],
      [{ options: [{ landmark: 'kata-beach', fee: -1 }] }, 'options.0.fee'],
      [{ options: [{ landmark: 'kata-beach', fee: 10_000_001 }] }, 'options.0.fee'],
      [{ options: [{ landmark: 'kata-beach' }] }, 'options.0.fee'],
      [{ options: [{ landmark: 'kata-beach', fee: 0, name: 'Kata' }] }, 'options.0'],
      [{}, 'options'],
    ];
    for (const [body, path] of refused) expect(errorPaths(await put('/agency/delivery/', body, agency.token)), JSON.stringify(body)).toContain(path);
    const unknown = await put('/agency/delivery/', { options: [{ landmark: 'atlantis', fee: 0 }] }, agency.token);
    expect(unknown.body.errors).toEqual([{ path: 'options.0.landmark', message: 'is not a known landmark: see GET /api/v1/landmarks/' }]);
    expect((await api.get('/agency/delivery/', { token: agency.token })).body).toEqual({ options });
  });

  it('moves the agency’s terms_version on a change', async () => {
    const agency = await createAgencyAdmin();
    const before = (await agencyRow(agency.agency!.id)).terms_version;
    await put('/agency/delivery/', { options: [{ landmark: 'phuket-airport', fee: 60_000 }] }, agency.token);
    expect((await agencyRow(agency.agency!.id)).terms_version).toBeGreaterThan(before);
  });
});

describe('the public agency profile, GET /agencies/{id}/', () => {
  it('shows the agency’s opening hours, after-hours fee and delivery options', async () => {
    const agency = await createAgencyAdmin();
    const profile = async () => (await api.get(`/agencies/${agency.agency!.id}/`)).body;
    expect(await profile()).toMatchObject({ opening_hours: [], after_hours_fee: null, delivery: [] });
    await put('/agency/opening-hours/', { hours: [{ weekday: 1, opens: '08:00', closes: '20:00' }], after_hours_fee: 30_000 }, agency.token);
    await put('/agency/delivery/', { options: [{ landmark: 'phuket-airport', fee: 60_000 }] }, agency.token);
    expect(await profile()).toMatchObject({
      opening_hours: [{ weekday: 1, opens: '08:00', closes: '20:00' }],
      after_hours_fee: 30_000,
      delivery: [{ landmark: 'phuket-airport', fee: 60_000 }],
    });
  });
});

describe('access', () => {
  it('answers a customer with 403 and an anonymous caller with 401 on every rental-terms route, changing nothing', async () => {
    const customer = await createCustomer();
    const car = await createCarFor(api, admin.token);
    const routes: [string, string, unknown?][] = [
      ['GET', `/agency/cars/${car.id}/seasons/`],
      ['PUT', `/agency/cars/${car.id}/seasons/`, { seasons: [] }],
      ['POST', '/agency/seasons/', { car_ids: [car.id], name: 'Peak', start_date: '2028-01-01', end_date: '2028-01-02', daily_rate: 100_000 }],
      ['GET', '/agency/opening-hours/'],
      ['PUT', '/agency/opening-hours/', { hours: [], after_hours_fee: null }],
      ['GET', '/agency/delivery/'],
      ['PUT', '/agency/delivery/', { options: [] }],
    ];
    for (const [method, path, body] of routes) {
      expect((await api.request(method, path, { token: customer.token, body })).status, `${method} ${path}`).toBe(403);
      expect((await api.request(method, path, { body })).status, `${method} ${path}`).toBe(401);
    }
    expect(await seasonRows(car.id)).toEqual([]);
  });
});
