import { sql } from 'kysely';
import { beforeAll, describe, expect, it } from 'vitest';
import { addDays, todayInBangkok } from '#core/availability/dates';
import { cognitoIdentity } from '#platform/cognito';
import { getDb } from '#platform/db';
import { DEFAULT_PRICING_RATES, percentOf } from '#core/pricing/pricing';
import { datesOnly, loadRentalTerms, quoteRental, rentalRuleBroken } from '#core/pricing/terms';
import {
  EXAMPLE_AGENCY,
  EXAMPLE_CAR,
  EXAMPLE_CAR_RULES,
  EXAMPLE_DELIVERY,
  EXAMPLE_IDS,
  EXAMPLE_OPENING_HOURS,
  EXAMPLE_SCOOTER,
  EXAMPLE_SCOOTER_RULES,
  exampleCalendar,
  exampleSeasonPlans,
} from '#platform/openapi-examples';
import { FLEET } from '../../dev/catalog';
import { DEMO_AGENCY_ADMIN, DEMO_CUSTOMER, DEMO_PASSWORD, hasDemoUsers, isCatalogueEmpty, resetDemoData, seedDemoData } from '../../dev/demo-data';
import { useApi } from '../helpers/api';

/**
 * The demo catalogue `npm run dev` seeds into an empty database (dev/demo-data.ts), seeded
 * here into this file's own database and the shared Cognito emulator, exactly as dev/server.ts
 * calls it. What a newcomer relies on: the counts README.md promises, cars on the island, the
 * demo sign-ins, a search that finds something, data the schema's rules would accept, and the
 * records the OpenAPI document's examples name, with their ids (test/integration/try-it-out.test.ts
 * then sends every example request to this data).
 */

const api = useApi();

/** Phuket island with a little sea around it: Promthep Cape (7.76) to Mai Khao (8.15), the west coast (98.27) to Rassada Pier (98.40). */
const PHUKET = { lat: [7.75, 8.2], lng: [98.25, 98.45] } as const;

const today = todayInBangkok();
let seeded: Awaited<ReturnType<typeof seedDemoData>>;

beforeAll(async () => {
  expect(await isCatalogueEmpty(getDb())).toBe(true);
  seeded = await seedDemoData(getDb(), cognitoIdentity, { today });
});

const count = async (table: 'agencies' | 'cars' | 'users' | 'reviews' | 'reservations') =>
  (
    await getDb()
      .selectFrom(table)
      .select((eb) => eb.fn.countAll<number>().as('n'))
      .executeTakeFirstOrThrow()
  ).n;

async function signIn(email: string, password: string) {
  const answer = await api.post('/auth/token/', { email, password });
  expect(answer.status, answer.text).toBe(200);
  return answer.body.access_token as string;
}

describe('seedDemoData: the catalogue README.md promises', () => {
  it('reports and writes 10 agencies, 60 cars and scooters (one soft-deleted, five unpublished) and 50 bookings', async () => {
    expect(seeded).toEqual({ agencies: 10, cars: 60, bookings: 50 });
    expect(await count('agencies')).toBe(10);
    expect(await count('cars')).toBe(60);
    const cars = await getDb().selectFrom('cars').select(['is_published', 'deleted_at']).execute();
    expect(cars.filter((car) => car.deleted_at !== null)).toHaveLength(1);
    expect(cars.filter((car) => car.deleted_at === null && !car.is_published)).toHaveLength(5);
    expect(cars.filter((car) => car.deleted_at === null && car.is_published)).toHaveLength(54);
  });

  it('gives every agency six vehicles, two of them scooters and one an economy car', async () => {
    const cars = await getDb().selectFrom('cars').select(['agency_id', 'car_type']).execute();
    const byAgency = Map.groupBy(cars, (car) => car.agency_id);
    expect(byAgency.size).toBe(10);
    for (const fleet of byAgency.values()) {
      expect(fleet).toHaveLength(6);
      expect(fleet.filter((car) => car.car_type === 'scooter').length).toBeGreaterThanOrEqual(2);
      expect(fleet.filter((car) => car.car_type === 'economy').length).toBeGreaterThanOrEqual(1);
    }
  });

  it('registers 13 users, 10 agency admins and 3 customers, the two demo accounts among them', async () => {
    const users = await getDb().selectFrom('users').select(['email', 'role']).execute();
    expect(users).toHaveLength(13);
    expect(users.filter((user) => user.role === 'agency_admin')).toHaveLength(10);
    expect(users.filter((user) => user.role === 'customer')).toHaveLength(3);
    expect(users).toContainEqual({ email: DEMO_CUSTOMER, role: 'customer' });
    expect(users).toContainEqual({ email: DEMO_AGENCY_ADMIN, role: 'agency_admin' });
    expect(await hasDemoUsers(getDb())).toBe(true);
  });

  it('books 28 completed (all reviewed but one), 20 confirmed, 1 live pending hold and 1 cancelled, and blocks one car for service', async () => {
    const reservations = await getDb().selectFrom('reservations').select(['id', 'kind', 'status', 'reason', 'start_date', 'end_date', 'expires_at']).execute();
    expect(reservations).toHaveLength(51);
    const bookings = reservations.filter((reservation) => reservation.kind === 'booking');
    const byStatus = Object.groupBy(bookings, (booking) => booking.status);
    expect(Object.fromEntries(Object.entries(byStatus).map(([status, rows]) => [status, rows.length]))).toEqual({
      completed: 28,
      confirmed: 20,
      pending: 1,
      cancelled: 1,
    });
    // The demo traveller's latest rental waits for its review (the docs page's example writes it).
    expect(await count('reviews')).toBe(27);
    for (const completed of bookings.filter((booking) => booking.status === 'completed')) expect(completed.end_date < today).toBe(true);
    // Confirmed rentals lie ahead, but for the one under way today.
    for (const confirmed of bookings.filter((booking) => booking.status === 'confirmed')) {
      expect(confirmed.end_date >= today).toBe(true);
      if (confirmed.id !== EXAMPLE_IDS.runningBooking) expect(confirmed.start_date > today, confirmed.id).toBe(true);
    }
    const pending = bookings.find((booking) => booking.status === 'pending')!;
    expect(pending.expires_at!.getTime()).toBeGreaterThan(Date.now());

    const blocks = reservations.filter((reservation) => reservation.kind === 'block');
    const { block } = exampleCalendar(today);
    expect(blocks).toEqual([expect.objectContaining({ status: 'confirmed', reason: 'Scheduled service', start_date: block.start, end_date: block.end })]);
  });
});

describe('seedDemoData: the records the OpenAPI examples name (functions/platform/openapi-examples.ts)', () => {
  const days = exampleCalendar(today);
  const booking = (id: string) =>
    getDb()
      .selectFrom('reservations')
      .leftJoin('reviews', 'reviews.reservation_id', 'reservations.id')
      .select([
        'reservations.id',
        'car_id',
        'reservations.customer_id',
        'kind',
        'status',
        'start_date',
        'end_date',
        'deposit_paid_at',
        'payment_intent_id',
        'reviews.id as review_id',
      ])
      .where('reservations.id', '=', id)
      .executeTakeFirst();

  it('registers Patong Wheels and its admin, and the demo traveller, with the fixed ids', async () => {
    const agency = await getDb()
      .selectFrom('agencies')
      .innerJoin('users', 'users.id', 'agencies.admin_user_id')
      .select(['agencies.id', 'agencies.name', 'agencies.phone', 'agencies.address', 'users.id as admin_id', 'users.email', 'users.full_name'])
      .where('agencies.id', '=', EXAMPLE_IDS.agency)
      .executeTakeFirst();
    expect(agency).toEqual({
      id: EXAMPLE_IDS.agency,
      name: EXAMPLE_AGENCY.name,
      phone: EXAMPLE_AGENCY.phone,
      address: EXAMPLE_AGENCY.address,
      admin_id: EXAMPLE_IDS.agencyAdmin,
      email: DEMO_AGENCY_ADMIN,
      full_name: EXAMPLE_AGENCY.admin,
    });
    const traveller = await getDb().selectFrom('users').select(['id', 'role']).where('email', '=', DEMO_CUSTOMER).executeTakeFirst();
    expect(traveller).toEqual({ id: EXAMPLE_IDS.traveller, role: 'customer' });
  });

  it('lists the Honda Click 160 (with a ready photo) and the Toyota Yaris Ativ at Patong Wheels, published, as the catalogue has them', async () => {
    const cars = await getDb()
      .selectFrom('cars')
      .select(['id', 'agency_id', 'make', 'model', 'car_type', 'daily_rate', 'deposit_amount', 'is_published', 'deleted_at'])
      .where('id', 'in', [EXAMPLE_IDS.scooter, EXAMPLE_IDS.car])
      .orderBy('car_type', 'desc')
      .execute();
    expect(cars).toEqual([
      {
        id: EXAMPLE_IDS.scooter,
        agency_id: EXAMPLE_IDS.agency,
        make: 'Honda',
        model: 'Click 160',
        car_type: 'scooter',
        daily_rate: EXAMPLE_SCOOTER.daily_rate,
        deposit_amount: EXAMPLE_SCOOTER.deposit_amount,
        is_published: true,
        deleted_at: null,
      },
      {
        id: EXAMPLE_IDS.car,
        agency_id: EXAMPLE_IDS.agency,
        make: 'Toyota',
        model: 'Yaris Ativ',
        car_type: 'economy',
        daily_rate: EXAMPLE_CAR.daily_rate,
        deposit_amount: EXAMPLE_CAR.deposit_amount,
        is_published: true,
        deleted_at: null,
      },
    ]);
    // Rates and deposits as the island's catalogue (dev/catalog.ts) prices the model.
    for (const vehicle of [EXAMPLE_SCOOTER, EXAMPLE_CAR]) {
      const model = FLEET.flatMap((group) => group.models).find((candidate) => candidate.make === vehicle.make && candidate.model === vehicle.model);
      expect(model, vehicle.model).toBeDefined();
      expect(vehicle.daily_rate / 100).toBeGreaterThanOrEqual(model!.rate[0]);
      expect(vehicle.daily_rate / 100).toBeLessThanOrEqual(model!.rate[1]);
      expect(vehicle.deposit_amount).toBe(model!.deposit * 100);
    }
    const image = await getDb().selectFrom('car_images').select(['car_id', 'status']).where('id', '=', EXAMPLE_IDS.scooterImage).executeTakeFirst();
    expect(image).toEqual({ car_id: EXAMPLE_IDS.scooter, status: 'ready' });
  });

  it('books the demo traveller’s scooter rentals on the examples’ days: reviewed, to review, under way, upcoming', async () => {
    const own = { car_id: EXAMPLE_IDS.scooter, customer_id: EXAMPLE_IDS.traveller, kind: 'booking', deposit_paid_at: expect.any(Date) };
    expect(await booking(EXAMPLE_IDS.reviewedBooking)).toMatchObject({
      ...own,
      status: 'completed',
      review_id: EXAMPLE_IDS.review,
      start_date: days.reviewedBooking.start,
      end_date: days.reviewedBooking.end,
    });
    expect(await booking(EXAMPLE_IDS.pastBooking)).toMatchObject({
      ...own,
      status: 'completed',
      review_id: null,
      start_date: days.pastBooking.start,
      end_date: days.pastBooking.end,
    });
    expect(days.pastBooking.end < today).toBe(true);
    expect(await booking(EXAMPLE_IDS.runningBooking)).toMatchObject({
      ...own,
      status: 'confirmed',
      start_date: days.runningBooking.start,
      end_date: days.runningBooking.end,
    });
    expect(days.runningBooking.start <= today && today <= days.runningBooking.end).toBe(true);
    expect(await booking(EXAMPLE_IDS.booking)).toMatchObject({
      ...own,
      status: 'confirmed',
      payment_intent_id: expect.stringMatching(/^pi_/),
      start_date: days.booking.start,
      end_date: days.booking.end,
    });
    // More than 48 hours ahead: cancelling it refunds the deposit, as the example says.
    expect(days.booking.start > addDays(today, 2)).toBe(true);
    const review = await getDb().selectFrom('reviews').select(['agency_id', 'customer_id', 'reply']).where('id', '=', EXAMPLE_IDS.review).executeTakeFirst();
    expect(review).toEqual({ agency_id: EXAMPLE_IDS.agency, customer_id: EXAMPLE_IDS.traveller, reply: null });
  });

  it('leaves the scooter free on the days the examples search and book, and the Yaris Ativ with its block and no booking', async () => {
    const scooterHolds = await getDb()
      .selectFrom('reservations')
      .select('id')
      .where('car_id', '=', EXAMPLE_IDS.scooter)
      .where('status', 'in', ['pending', 'confirmed', 'completed'])
      .where('start_date', '<=', days.stay.end)
      .where('end_date', '>=', days.stay.start)
      .execute();
    expect(scooterHolds).toEqual([]);
    const yaris = await getDb().selectFrom('reservations').select(['id', 'kind']).where('car_id', '=', EXAMPLE_IDS.car).execute();
    expect(yaris).toEqual([{ id: EXAMPLE_IDS.block, kind: 'block' }]);
  });
});

describe('seedDemoData: the rules agencies rent by (issue 17)', () => {
  const plans = exampleSeasonPlans(today);

  it('prices every car but the scooters higher in the high season, split around a New Year peak with a 3-day minimum', async () => {
    const cars = await getDb().selectFrom('cars').select(['id', 'car_type', 'daily_rate']).where('deleted_at', 'is', null).execute();
    const seasons = await getDb()
      .selectFrom('car_seasons')
      .select(['id', 'car_id', 'name', 'start_date', 'end_date', 'daily_rate', 'min_rental_days'])
      .execute();
    const byCar = Map.groupBy(seasons, (season) => season.car_id);
    for (const car of cars) {
      const own = (byCar.get(car.id) ?? []).sort((a, b) => (a.start_date < b.start_date ? -1 : 1));
      if (car.car_type === 'scooter') {
        expect(own, car.id).toEqual([]);
        continue;
      }
      expect(
        own.map(({ name, start_date, end_date, daily_rate, min_rental_days }) => ({ name, start_date, end_date, daily_rate, min_rental_days })),
        car.id,
      ).toEqual(
        plans.highSeason.map(({ percent_of_base_rate: percent, ...season }) => ({
          min_rental_days: null,
          ...season,
          daily_rate: percentOf(car.daily_rate, percent * 100),
        })),
      );
    }
    // The season runs now or is the next to come, and the peak holds New Year's Eve.
    expect(plans.highSeason[2]!.end_date >= today).toBe(true);
    expect(plans.highSeason[1]!.start_date.slice(5)).toBe('12-28');
    // The Yaris Ativ's with the ids the listCarSeasons example shows.
    expect((byCar.get(EXAMPLE_IDS.car) ?? []).map((season) => season.id).sort()).toEqual(
      [EXAMPLE_IDS.highSeason, EXAMPLE_IDS.newYearPeak, EXAMPLE_IDS.lateHighSeason].sort(),
    );
  });

  it('gives the scooter a 3-day minimum and the Yaris Ativ a day’s notice and a day’s turnaround, as the examples show them', async () => {
    const rules = await getDb()
      .selectFrom('cars')
      .select([
        'id',
        'weekly_discount_days',
        'weekly_discount_percent',
        'monthly_discount_days',
        'monthly_discount_percent',
        'min_rental_days',
        'min_notice_hours',
        'max_lead_days',
        'turnaround_days',
      ])
      .where('id', 'in', [EXAMPLE_IDS.scooter, EXAMPLE_IDS.car])
      .execute();
    const asApi = (row: (typeof rules)[number]) => ({
      weekly_discount: { from_days: row.weekly_discount_days, percent: row.weekly_discount_percent },
      monthly_discount: { from_days: row.monthly_discount_days, percent: row.monthly_discount_percent },
      min_rental_days: row.min_rental_days,
      min_notice_hours: row.min_notice_hours,
      max_lead_days: row.max_lead_days,
      turnaround_days: row.turnaround_days,
    });
    expect(asApi(rules.find((row) => row.id === EXAMPLE_IDS.scooter)!)).toEqual(EXAMPLE_SCOOTER_RULES);
    expect(asApi(rules.find((row) => row.id === EXAMPLE_IDS.car)!)).toEqual(EXAMPLE_CAR_RULES);
    expect(EXAMPLE_SCOOTER_RULES.min_rental_days).toBe(3);
    expect(EXAMPLE_CAR_RULES.turnaround_days).toBe(1);
  });

  it('gives Patong Wheels opening hours with an after-hours fee and airport delivery for a fee, as its public profile shows', async () => {
    const answer = await api.get(`/agencies/${EXAMPLE_IDS.agency}/`);
    expect(answer.status, answer.text).toBe(200);
    expect(answer.body).toMatchObject({
      opening_hours: EXAMPLE_OPENING_HOURS.hours,
      after_hours_fee: EXAMPLE_OPENING_HOURS.after_hours_fee,
      delivery: EXAMPLE_DELIVERY.options,
    });
    expect(EXAMPLE_OPENING_HOURS.after_hours_fee).toBeGreaterThan(0);
    expect(EXAMPLE_DELIVERY.options.find((option) => option.landmark === 'phuket-airport')!.fee).toBeGreaterThan(0);
    expect(await getDb().selectFrom('landmarks').select('slug').where('slug', '=', 'phuket-airport').executeTakeFirst()).toBeDefined();
  });

  it('stores on every booking the price, breakdown and turnaround a booking through the API would have, and no upcoming one breaks a rule', async () => {
    const bookings = await getDb()
      .selectFrom('reservations')
      .select(['id', 'car_id', 'status', 'start_date', 'end_date', 'days', 'daily_rate_at_booking', 'subtotal', 'fees', 'tax', 'total_price', 'deposit_amount'])
      .select(['price_breakdown', 'turnaround_days', 'pickup_time', 'return_time', 'pickup_landmark', 'return_landmark'])
      .where('kind', '=', 'booking')
      .execute();
    expect(bookings).toHaveLength(50);
    const now = new Date();
    for (const booking of bookings) {
      const terms = (await loadRentalTerms(getDb(), booking.car_id))!;
      const request = datesOnly(booking.start_date, booking.end_date);
      const { breakdown, currency: _currency, ...price } = quoteRental(terms, request, DEFAULT_PRICING_RATES);
      expect(booking, booking.id).toMatchObject({
        ...price,
        price_breakdown: breakdown,
        turnaround_days: terms.turnaroundDays,
        pickup_time: '10:00:00',
        return_time: '10:00:00',
        pickup_landmark: null,
        return_landmark: null,
      });
      if (booking.start_date > today && booking.status !== 'cancelled') expect(rentalRuleBroken(terms, request, now), booking.id).toBeUndefined();
    }
  });
});

describe('seedDemoData: places', () => {
  it('puts every agency and every car (its own point or its agency’s) inside Phuket’s bounding box', async () => {
    const agencies = await getDb().selectFrom('agencies').select(['name', 'lat', 'lng']).execute();
    const cars = await getDb()
      .selectFrom('cars')
      .select(['id', sql<number>`latitude(location)`.as('lat'), sql<number>`longitude(location)`.as('lng')])
      .execute();
    expect(cars).toHaveLength(60);
    for (const place of [...agencies, ...cars]) {
      expect(place.lat, JSON.stringify(place)).toBeGreaterThanOrEqual(PHUKET.lat[0]);
      expect(place.lat, JSON.stringify(place)).toBeLessThanOrEqual(PHUKET.lat[1]);
      expect(place.lng, JSON.stringify(place)).toBeGreaterThanOrEqual(PHUKET.lng[0]);
      expect(place.lng, JSON.stringify(place)).toBeLessThanOrEqual(PHUKET.lng[1]);
    }
  });
});

describe('seedDemoData: what the demo accounts can do', () => {
  it('lets the demo traveller and the demo agency admin sign in through POST /auth/token/ with the documented password', async () => {
    expect(DEMO_PASSWORD).toBe('Phuket-2027');
    expect(await signIn(DEMO_CUSTOMER, 'Phuket-2027')).toEqual(expect.any(String));
    expect(await signIn(DEMO_AGENCY_ADMIN, 'Phuket-2027')).toEqual(expect.any(String));
    // Every seeded user can: README's "each can sign in with DEMO_PASSWORD".
    const others = await getDb().selectFrom('users').select('email').where('email', 'not in', [DEMO_CUSTOMER, DEMO_AGENCY_ADMIN]).execute();
    for (const { email } of others) expect((await api.post('/auth/token/', { email, password: DEMO_PASSWORD })).status, email).toBe(200);
  });

  it('shows the demo agency admin its own six cars, published or not, on GET /agency/cars/', async () => {
    const token = await signIn(DEMO_AGENCY_ADMIN, DEMO_PASSWORD);
    const own = await getDb()
      .selectFrom('cars')
      .innerJoin('agencies', 'agencies.id', 'cars.agency_id')
      .innerJoin('users', 'users.id', 'agencies.admin_user_id')
      .select(['cars.id', 'cars.is_published'])
      .where('users.email', '=', DEMO_AGENCY_ADMIN)
      .where('cars.deleted_at', 'is', null)
      .orderBy('cars.created_at')
      .orderBy('cars.id')
      .execute();
    expect(own).toHaveLength(6);
    expect(own.some((car) => !car.is_published)).toBe(true);

    const answer = await api.get('/agency/cars/?limit=100', { token });
    expect(answer.status, answer.text).toBe(200);
    expect(answer.body.results.map((car: { id: string }) => car.id)).toEqual(own.map((car) => car.id));
    expect(answer.body.next_cursor).toBeNull();
  });

  it('answers the sample search around Patong Beach two weeks ahead with published cars within the default 5 km', async () => {
    const [start, end] = [addDays(today, 14), addDays(today, 16)];
    const answer = await api.get(`/cars/?start_date=${start}&end_date=${end}&landmark=patong-beach`);
    expect(answer.status, answer.text).toBe(200);
    expect(answer.body.results.length).toBeGreaterThan(0);
    const listed = await getDb().selectFrom('cars').select('id').where('is_published', '=', true).where('deleted_at', 'is', null).execute();
    const listedIds = new Set(listed.map((car) => car.id));
    for (const car of answer.body.results as Array<{ id: string; distance_km: number; days: number }>) {
      expect(listedIds.has(car.id)).toBe(true);
      expect(car.distance_km).toBeLessThanOrEqual(5);
      expect(car.days).toBe(3);
    }
  });
});

describe('seedDemoData: data the schema’s rules accept', () => {
  it('gives the soft-deleted car no reservation at all (the API refuses to delete a car with upcoming bookings)', async () => {
    const held = await getDb()
      .selectFrom('reservations')
      .innerJoin('cars', 'cars.id', 'reservations.car_id')
      .select('reservations.id')
      .where('cars.deleted_at', 'is not', null)
      .execute();
    expect(held).toEqual([]);
  });

  it('never gives a car two pending or confirmed reservations on overlapping days', async () => {
    const holding = await getDb()
      .selectFrom('reservations')
      .select(['car_id', 'start_date', 'end_date'])
      .where('status', 'in', ['pending', 'confirmed'])
      .orderBy('car_id')
      .orderBy('start_date')
      .execute();
    expect(holding.length).toBe(22); // 20 confirmed bookings, the pending hold, the block
    for (const reservations of Map.groupBy(holding, (reservation) => reservation.car_id).values()) {
      for (const [index, reservation] of reservations.entries()) {
        expect(reservation.start_date <= reservation.end_date).toBe(true);
        // Dates are inclusive on both ends: the next one starts after this one's last day.
        const next = reservations[index + 1];
        if (next) expect(next.start_date > reservation.end_date, JSON.stringify([reservation, next])).toBe(true);
      }
    }
  });

  it('keeps each agency’s rating_average and review_count equal to its reviews, and some agencies rated', async () => {
    const agencies = await getDb()
      .selectFrom('agencies')
      .leftJoin('reviews', 'reviews.agency_id', 'agencies.id')
      .select((eb) => [
        'agencies.name',
        'agencies.rating_average',
        'agencies.review_count',
        eb.fn.count<number>('reviews.id').as('reviews'),
        sql<number | null>`round(avg(reviews.rating), 2)::float8`.as('average'),
      ])
      .groupBy('agencies.id')
      .execute();
    expect(agencies).toHaveLength(10);
    for (const agency of agencies) {
      expect(agency.review_count, agency.name).toBe(agency.reviews);
      expect(agency.rating_average, agency.name).toBe(agency.average ?? 0);
    }
    expect(agencies.filter((agency) => agency.review_count > 0).length).toBeGreaterThan(0);
  });

  it('reviews only completed bookings, by their own customer, of a car of the reviewed agency', async () => {
    const reviews = await getDb()
      .selectFrom('reviews')
      .innerJoin('reservations', 'reservations.id', 'reviews.reservation_id')
      .innerJoin('cars', 'cars.id', 'reservations.car_id')
      .select([
        'reservations.status',
        'reservations.customer_id as booked_by',
        'reviews.customer_id as reviewed_by',
        'cars.agency_id as car_agency',
        'reviews.agency_id as reviewed_agency',
      ])
      .execute();
    expect(reviews).toHaveLength(27);
    for (const review of reviews) {
      expect(review.status).toBe('completed');
      expect(review.reviewed_by).toBe(review.booked_by);
      expect(review.reviewed_agency).toBe(review.car_agency);
    }
  });
});

// Last: it empties and re-seeds the database the tests above read.
describe('seeding only an empty database (dev/server.ts and dev/seed.ts check isCatalogueEmpty first)', () => {
  it('a seeded database is no longer empty, so a second `npm run dev` or `npm run seed` seeds nothing', async () => {
    expect(await isCatalogueEmpty(getDb())).toBe(false);
  });

  it('refuses to seed a seeded database without touching it or the demo accounts’ sign-ins', async () => {
    const before = await count('reservations');
    await expect(seedDemoData(getDb(), cognitoIdentity, { today })).rejects.toThrow(/already holds a catalogue/);
    expect(await count('reservations')).toBe(before);
    await signIn(DEMO_CUSTOMER, DEMO_PASSWORD);
    await signIn(DEMO_AGENCY_ADMIN, DEMO_PASSWORD);
  });

  it('`npm run seed -- --reset` empties it (landmarks stay) and seeds the same catalogue again, the demo sign-ins working', async () => {
    const landmarks = (await getDb().selectFrom('landmarks').select('slug').execute()).length;
    await resetDemoData(getDb(), cognitoIdentity);
    expect(await isCatalogueEmpty(getDb())).toBe(true);
    expect(await hasDemoUsers(getDb())).toBe(false);
    expect(await count('users')).toBe(0);
    expect(await count('reservations')).toBe(0);
    expect((await getDb().selectFrom('landmarks').select('slug').execute()).length).toBe(landmarks);
    expect((await api.post('/auth/token/', { email: DEMO_CUSTOMER, password: DEMO_PASSWORD })).status).toBe(401);

    expect(await seedDemoData(getDb(), cognitoIdentity, { today })).toEqual({ agencies: 10, cars: 60, bookings: 50 });
    expect(await count('agencies')).toBe(10);
    expect(await count('cars')).toBe(60);
    expect(await count('reviews')).toBe(27);
    // The same fixed ids again: the examples keep working after a re-seed.
    expect(await getDb().selectFrom('reservations').select('id').where('id', '=', EXAMPLE_IDS.booking).executeTakeFirst()).toBeDefined();
    expect((await getDb().selectFrom('users').select('id').where('email', '=', DEMO_CUSTOMER).executeTakeFirstOrThrow()).id).toBe(EXAMPLE_IDS.traveller);
    await signIn(DEMO_CUSTOMER, DEMO_PASSWORD);
    await signIn(DEMO_AGENCY_ADMIN, DEMO_PASSWORD);
  });
});
