import { sql, type Kysely } from 'kysely';
import { addDays } from '#core/availability/dates';
import { updateCar } from '#core/cars/inventory';
import type { CarChanges } from '#core/cars/shape';
import type { CarType } from '#core/cars/table';
import type { Database } from '#core/database';
import { Conflict } from '#core/errors';
import { DEFAULT_PRICING_RATES } from '#core/pricing/pricing';
import { datesOnly, loadRentalTerms, minimumRentalDays, quoteRental } from '#core/pricing/terms';
import { replaceDeliveryOptions, replaceOpeningHours } from '#core/rules/agency-terms';
import { addRatePlan } from '#core/rules/seasons';
import type { DeliveryOptionsBody, OpeningHoursBody } from '#core/rules/shape';
import { registerUser } from '#core/users/registration';
import type { IdentityProvider } from '#core/users/identity';
import { DEMO_SIGN_IN } from '#platform/demo-accounts';
import {
  EXAMPLE_AGENCY,
  EXAMPLE_CAR,
  EXAMPLE_CAR_RULES,
  EXAMPLE_DELIVERY,
  EXAMPLE_IDS,
  EXAMPLE_IMAGE_KEY,
  EXAMPLE_INTENT_ID,
  EXAMPLE_OPENING_HOURS,
  EXAMPLE_REVIEW,
  EXAMPLE_SCOOTER,
  EXAMPLE_SCOOTER_RULES,
  exampleCalendar,
  exampleSeasonPlans,
} from '#platform/openapi-examples';
import { dailyRateOf, FLEET, randomSource } from './catalog';

/**
 * The demo catalogue `npm run dev` seeds into an empty database (and `npm run seed -- --reset`
 * re-seeds): ten agencies at real places around Phuket, about sixty cars and scooters, a few
 * customers with bookings past and future, reviews, and a maintenance block. Every user is
 * registered through the real registration code, so each can sign in with DEMO_PASSWORD, with
 * the address taken as verified.
 *
 * The records the OpenAPI document's examples name are made with the examples' own ids, values
 * and days (functions/platform/openapi-examples.ts: EXAMPLE_IDS, exampleCalendar), so "Try it
 * out" on the docs page works against this data: Patong Wheels and its admin, the demo
 * traveller, its Honda Click 160 (with a photo and the traveller's rentals: one reviewed, one
 * to review, one under way, one upcoming) and its Toyota Yaris Ativ (with a maintenance block).
 * test/integration/try-it-out.test.ts proves it route by route.
 */
export const DEMO_PASSWORD = DEMO_SIGN_IN.password;
export const DEMO_CUSTOMER = DEMO_SIGN_IN.traveller;
export const DEMO_AGENCY_ADMIN = DEMO_SIGN_IN.agencyAdmin;

const AGENCIES = [
  { email: DEMO_AGENCY_ADMIN, ...EXAMPLE_AGENCY },
  {
    email: 'kata.rentals@example.com',
    admin: 'Somchai Kaewkla',
    name: 'Kata Beach Rentals',
    phone: '+66 76 330 245',
    address: '12 Kata Rd, Karon, Mueang Phuket 83100',
    lat: 7.8197,
    lng: 98.299,
  },
  {
    email: 'karon.scooters@example.com',
    admin: 'Ploy Thongdee',
    name: 'Karon Scooter Hire',
    phone: '+66 76 396 502',
    address: '53 Patak Rd, Karon, Mueang Phuket 83100',
    lat: 7.8461,
    lng: 98.2976,
  },
  {
    email: 'kamala.cars@example.com',
    admin: 'Arthit Boonmee',
    name: 'Kamala Car Rent',
    phone: '+66 76 279 331',
    address: '21 Rim Had Rd, Kamala, Kathu, Phuket 83150',
    lat: 7.9512,
    lng: 98.2846,
  },
  {
    email: 'bangtao.drive@example.com',
    admin: 'Malee Chaiyo',
    name: 'Bang Tao Drive',
    phone: '+66 76 325 770',
    address: '9 Srisoonthorn Rd, Choeng Thale, Thalang, Phuket 83110',
    lat: 8.0006,
    lng: 98.3011,
  },
  {
    email: 'rawai.bikes@example.com',
    admin: 'Kittipong Sae-Lim',
    name: 'Rawai Bike & Car',
    phone: '+66 76 613 904',
    address: '45/2 Viset Rd, Rawai, Mueang Phuket 83130',
    lat: 7.7792,
    lng: 98.3255,
  },
  {
    email: 'chalong.motors@example.com',
    admin: 'Suda Rattanakorn',
    name: 'Chalong Motors',
    phone: '+66 76 521 660',
    address: '70 Chao Fah West Rd, Chalong, Mueang Phuket 83130',
    lat: 7.8441,
    lng: 98.3429,
  },
  {
    email: 'oldtown.cars@example.com',
    admin: 'Wichai Tanasan',
    name: 'Old Town Car Rental',
    phone: '+66 76 211 487',
    address: '31 Thalang Rd, Talat Yai, Mueang Phuket 83000',
    lat: 7.8849,
    lng: 98.3881,
  },
  {
    email: 'hkt.cars@example.com',
    admin: 'Pim Saetang',
    name: 'HKT Airport Cars',
    phone: '+66 76 328 119',
    address: '222 Thepkasattri Rd, Mai Khao, Thalang, Phuket 83110',
    lat: 8.1046,
    lng: 98.3081,
  },
  {
    email: 'naiharn.riders@example.com',
    admin: 'Tawan Meesuk',
    name: 'Nai Harn Riders',
    phone: '+66 76 289 053',
    address: '14 Nai Harn Rd, Rawai, Mueang Phuket 83130',
    lat: 7.7801,
    lng: 98.3061,
  },
];

/**
 * The terms agencies other than Patong Wheels set (by e-mail of their admin): HKT Airport Cars
 * meets flights at the airport for free but hands over only in its long hours; Kata Beach
 * Rentals closes on Sundays and charges for a hand-over outside its hours. The rest set none:
 * hand-overs at any time, at their own address.
 */
const AGENCY_TERMS: Record<string, { hours?: OpeningHoursBody; delivery?: DeliveryOptionsBody }> = {
  'hkt.cars@example.com': {
    hours: { hours: [1, 2, 3, 4, 5, 6, 7].map((weekday) => ({ weekday, opens: '06:00', closes: '23:00' })), after_hours_fee: null },
    delivery: {
      options: [
        { landmark: 'mai-khao-beach', fee: 15_000 },
        { landmark: 'nai-yang-beach', fee: 15_000 },
        { landmark: 'phuket-airport', fee: 0 },
      ],
    },
  },
  'kata.rentals@example.com': {
    hours: { hours: [1, 2, 3, 4, 5, 6].map((weekday) => ({ weekday, opens: '09:00', closes: '18:00' })), after_hours_fee: 50_000 },
    delivery: { options: [{ landmark: 'kata-beach', fee: 0 }] },
  },
};

const CUSTOMERS = [
  { email: DEMO_CUSTOMER, name: 'Demo Traveller' },
  { email: 'anna.lindqvist@example.com', name: 'Anna Lindqvist' },
  { email: 'kenji.sato@example.com', name: 'Kenji Sato' },
];

/** Six vehicles an agency: two scooters, an economy car, and three of the rest in turn. */
const OTHER_TYPES: CarType[] = ['suv', 'compact', 'pickup', 'big_bike', 'van', 'luxury', 'suv', 'scooter'];

/** The examples' vehicles, by their slot in Patong Wheels' fleet (a scooter first, the economy car third). */
const EXAMPLE_VEHICLES: Partial<Record<number, { id: string; vehicle: typeof EXAMPLE_SCOOTER | typeof EXAMPLE_CAR }>> = {
  0: { id: EXAMPLE_IDS.scooter, vehicle: EXAMPLE_SCOOTER },
  2: { id: EXAMPLE_IDS.car, vehicle: EXAMPLE_CAR },
};

/**
 * Gives a just-registered account the examples' ids (registration lets the database pick
 * them). Nothing but the account's agency refers to it yet; one statement moves the user and
 * re-points its agency, so the foreign key, checked at the statement's end, holds.
 */
async function giveFixedIds(db: Kysely<Database>, ids: { user: [from: string, to: string]; agency?: [from: string, to: string] }): Promise<void> {
  const [fromUser, toUser] = ids.user;
  const [fromAgency, toAgency] = ids.agency ?? [null, null];
  await sql`
    WITH moved AS (UPDATE users SET id = ${toUser}::uuid WHERE id = ${fromUser}::uuid RETURNING id)
    UPDATE agencies SET admin_user_id = (SELECT id FROM moved), id = coalesce(${toAgency}::uuid, id)
    WHERE admin_user_id = ${fromUser}::uuid AND (${fromAgency}::uuid IS NULL OR id = ${fromAgency}::uuid)`.execute(db);
  const moved = await db.selectFrom('users').select('id').where('id', '=', toUser).executeTakeFirst();
  if (!moved) throw new Error(`The demo account ${fromUser} could not take its fixed id ${toUser}.`);
}

/** True when the database holds no agency yet (a fresh `npm run dev`). */
export async function isCatalogueEmpty(db: Kysely<Database>): Promise<boolean> {
  return (await db.selectFrom('agencies').select('id').limit(1).executeTakeFirst()) === undefined;
}

export async function hasDemoUsers(db: Kysely<Database>): Promise<boolean> {
  return (await db.selectFrom('users').select('id').where('email', '=', DEMO_CUSTOMER).executeTakeFirst()) !== undefined;
}

/**
 * Empties every table holding users, catalogue and bookings (landmarks and the migration
 * history stay), removing each user's identity too so the emails can register again.
 */
export async function resetDemoData(db: Kysely<Database>, identity: IdentityProvider): Promise<void> {
  const users = await db.selectFrom('users').select('email').execute();
  for (const user of users) await identity.deleteUser(user.email);
  // DELETE, children first, not TRUNCATE: the dev server and the tests connect as rental_app,
  // which may not truncate (migrations/2026_12_03_0008_database_roles.ts).
  await db.transaction().execute(async (trx) => {
    // payment_tasks too: a booking cancelled on the docs page leaves one behind.
    for (const table of [
      'notifications',
      'reviews',
      'payment_events',
      'payment_tasks',
      'idempotency_keys',
      'reservations',
      'car_images',
      'cars',
      'agencies',
      'users',
    ] as const) {
      await trx.deleteFrom(table).execute();
    }
  });
}

export async function seedDemoData(
  db: Kysely<Database>,
  identity: IdentityProvider,
  options: { today: string },
): Promise<{ agencies: number; cars: number; bookings: number }> {
  // Refuse before touching Cognito: the registrations below first remove leftover identities,
  // which on a seeded database would be the live demo accounts.
  if (!(await isCatalogueEmpty(db))) throw new Conflict('The database already holds a catalogue: seed only an empty one (npm run seed -- --reset).');
  const random = randomSource(2027);
  const { today } = options;
  const days = exampleCalendar(today);
  const listedAt = new Date(days.listedAt);
  const register = async (input: Parameters<typeof registerUser>[2]) => {
    // A leftover identity from an earlier database (Cognito data outlives a deleted .data/dev/postgres).
    await identity.deleteUser(input.email);
    // Demo addresses are example.com: nobody could receive a code, so they count as verified.
    // (Their agencies' phones stay unverified: no SMS ever goes to a number nobody proved.)
    return registerUser(db, identity, input, { preverified: true });
  };

  const agencies = [];
  for (const agency of AGENCIES) {
    const { email, admin, ...details } = agency;
    const registered = await register({ email, password: DEMO_PASSWORD, fullName: admin, role: 'agency_admin', agency: details });
    if (email === DEMO_AGENCY_ADMIN)
      await giveFixedIds(db, { user: [registered.user.id, EXAMPLE_IDS.agencyAdmin], agency: [registered.agency!.id, EXAMPLE_IDS.agency] });
    agencies.push({ ...agency, id: email === DEMO_AGENCY_ADMIN ? EXAMPLE_IDS.agency : registered.agency!.id });
  }
  const customers: string[] = [];
  for (const customer of CUSTOMERS) {
    const registered = await register({ email: customer.email, password: DEMO_PASSWORD, fullName: customer.name, role: 'customer' });
    if (customer.email === DEMO_CUSTOMER) await giveFixedIds(db, { user: [registered.user.id, EXAMPLE_IDS.traveller] });
    customers.push(customer.email === DEMO_CUSTOMER ? EXAMPLE_IDS.traveller : registered.user.id);
  }

  // Cars: some with their own pick-up point (a hotel lobby), a few not yet published, one deleted.
  // Patong Wheels' first scooter and its economy car are the examples' (fixed id and details).
  const cars: Array<{ id: string; agency_id: string; daily_rate: number; deposit_amount: number; is_published: boolean }> = [];
  for (const [index, agency] of agencies.entries()) {
    const types: CarType[] = ['scooter', 'scooter', 'economy', ...[0, 1, 2].map((k) => OTHER_TYPES[(index + k * 3) % OTHER_TYPES.length]!)];
    for (const [slot, type] of types.entries()) {
      const model = random.pick(FLEET.find((group) => group.type === type)!.models);
      const hotel = slot === 3 ? random.near(agency.lat, agency.lng, 0.8) : undefined;
      const year = random.int(2021, 2026);
      const dailyRate = dailyRateOf(model, random);
      const example = agency.id === EXAMPLE_IDS.agency ? EXAMPLE_VEHICLES[slot] : undefined;
      const drawn = {
        agency_id: agency.id,
        make: model.make,
        model: model.model,
        year,
        car_type: model.type,
        transmission: model.transmission,
        seats: model.seats,
        fuel_type: model.fuel,
        daily_rate: dailyRate,
        deposit_amount: model.deposit * 100,
        description: `${model.make} ${model.model} from ${agency.name}. ${model.type === 'scooter' || model.type === 'big_bike' ? 'Two helmets and a rain poncho included.' : 'Full insurance, child seat on request.'}`,
        lat: hotel?.lat ?? null,
        lng: hotel?.lng ?? null,
        pickup_address: hotel ? `Delivered to your hotel near ${agency.name}` : agency.address,
        is_published: (index * 6 + slot) % 13 !== 5,
      };
      const car = await db
        .insertInto('cars')
        .values(example ? { ...drawn, id: example.id, ...example.vehicle } : drawn)
        .returning(['id', 'agency_id', 'daily_rate', 'deposit_amount', 'is_published'])
        .executeTakeFirstOrThrow();
      cars.push(car);
    }
  }
  // The retired car is deleted before any booking is made, so it holds none (the API refuses to
  // delete a car with upcoming bookings).
  const retired = cars.at(-1)!;
  await db.updateTable('cars').set({ deleted_at: new Date(), is_published: false }).where('id', '=', retired.id).execute();
  retired.is_published = false;
  const published = cars.filter((car) => car.is_published);
  const [scooter, yaris] = [EXAMPLE_IDS.scooter, EXAMPLE_IDS.car].map((id) => cars.find((car) => car.id === id)!);

  // The rules agencies rent by, set through the agency API's own functions.
  await setRentalTerms(db, today, agencies);

  // Bookings: past ones completed and reviewed, upcoming ones confirmed, one live hold.
  let bookings = 0;
  /** The examples' bookings and when they were made (stamped at the end). */
  const backdated: Array<[id: string, createdAt: string]> = [];
  const book = async (
    car: (typeof cars)[number],
    customerId: string,
    dates: { start: string; end: string },
    status: 'completed' | 'confirmed' | 'pending' | 'cancelled',
    fixed: { id?: string; createdAt?: string; paidAt?: string; intentId?: string } = {},
  ) => {
    // Priced as a booking through the API would be (dates only: at the agency, at the default time).
    const terms = (await loadRentalTerms(db, car.id))!;
    const request = datesOnly(dates.start, dates.end);
    const { breakdown, ...price } = quoteRental(terms, request, DEFAULT_PRICING_RATES);
    bookings++;
    if (fixed.id && fixed.createdAt) backdated.push([fixed.id, fixed.createdAt]);
    return db
      .insertInto('reservations')
      .values({
        ...(fixed.id ? { id: fixed.id } : {}),
        car_id: car.id,
        kind: 'booking',
        status,
        start_date: dates.start,
        end_date: dates.end,
        customer_id: customerId,
        expires_at: status === 'pending' ? new Date(Date.now() + 15 * 60_000) : null,
        // The stored price is the price of the request (the columns are RentalPrice's), with its breakdown.
        ...price,
        price_breakdown: JSON.stringify(breakdown),
        turnaround_days: terms.turnaroundDays,
        pickup_time: request.pickupTime,
        return_time: request.returnTime,
        payment_intent_id: fixed.intentId ?? null,
        // Confirmed and completed demo rentals were paid through the platform (so they can be reviewed).
        deposit_paid_at: status === 'confirmed' || status === 'completed' ? new Date(fixed.paidAt ?? Date.now()) : null,
        reason: null,
      })
      .returning('id')
      .executeTakeFirstOrThrow();
  };
  const bookDays = async (
    car: (typeof cars)[number],
    customerId: string,
    startIn: number,
    days: number,
    status: 'completed' | 'confirmed' | 'pending' | 'cancelled',
  ) => {
    const start = addDays(today, startIn);
    // As long as the car's rules ask for at least (a New Year rental is 3 days or more).
    const length = Math.max(days, minimumRentalDays((await loadRentalTerms(db, car.id))!, start));
    return await book(car, customerId, { start, end: addDays(start, length - 1) }, status);
  };

  // Everyone's history, on every published car but the examples' two (their days are the examples').
  const others = published.filter((car) => car !== scooter && car !== yaris);
  const comments = [
    'Clean, full tank, easy hand-over.',
    'Friendly staff, delivered to our hotel on time.',
    'Good value for Phuket.',
    'A bit worn but ran perfectly.',
    'Would rent again!',
  ];
  for (const [index, car] of others.entries()) {
    if (index % 2 === 0) {
      const customerId = customers[index % customers.length]!;
      const past = await bookDays(car, customerId, -40 + (index % 20), 1 + (index % 5), 'completed');
      await db
        .insertInto('reviews')
        .values({
          reservation_id: past.id,
          agency_id: car.agency_id,
          customer_id: customerId,
          rating: [5, 4, 5, 3, 4][index % 5]!,
          comment: comments[index % comments.length]!,
        })
        .execute();
    }
    if (index % 3 === 0) await bookDays(car, customers[(index + 1) % customers.length]!, 2 + (index % 17), 2 + (index % 6), 'confirmed');
  }
  // A live hold, and a cancelled booking, of the other customers: the demo traveller's unpaid
  // holds stay free for the README's walk-through and the docs page (two at once at most).
  const [first, second] = others;
  await bookDays(first!, customers[2]!, 30, 3, 'pending');
  await bookDays(second!, customers[1]!, 45, 5, 'cancelled');
  // The history was booked before today, not all in the last second: a demo customer's
  // bookings would otherwise fill their hourly booking limit (docs/bookings.md) at once.
  await sql`
    UPDATE reservations SET created_at = least(now() - interval '1 day', (start_date - 7)::timestamptz)
    WHERE kind = 'booking' AND status <> 'pending'`.execute(db);

  // The examples' records, on the examples' days: the demo traveller's rentals of the scooter
  // and its photo, and the Yaris Ativ's maintenance block.
  const traveller = EXAMPLE_IDS.traveller;
  const paidLongAgo = (range: { start: string }) => ({
    createdAt: `${addDays(range.start, -10)}T04:00:00.000Z`,
    paidAt: `${addDays(range.start, -10)}T04:02:00.000Z`,
  });
  await book(scooter!, traveller, days.reviewedBooking, 'completed', { id: EXAMPLE_IDS.reviewedBooking, ...paidLongAgo(days.reviewedBooking) });
  await db
    .insertInto('reviews')
    .values({ id: EXAMPLE_IDS.review, reservation_id: EXAMPLE_IDS.reviewedBooking, agency_id: EXAMPLE_IDS.agency, customer_id: traveller, ...EXAMPLE_REVIEW })
    .execute();
  await book(scooter!, traveller, days.pastBooking, 'completed', { id: EXAMPLE_IDS.pastBooking, ...paidLongAgo(days.pastBooking) });
  await book(scooter!, traveller, days.runningBooking, 'confirmed', { id: EXAMPLE_IDS.runningBooking, ...paidLongAgo(days.runningBooking) });
  await book(scooter!, traveller, days.booking, 'confirmed', {
    id: EXAMPLE_IDS.booking,
    createdAt: days.bookingCreatedAt,
    paidAt: days.bookingPaidAt,
    intentId: EXAMPLE_INTENT_ID,
  });
  await db
    .insertInto('car_images')
    .values({
      id: EXAMPLE_IDS.scooterImage,
      car_id: EXAMPLE_IDS.scooter,
      s3_key: EXAMPLE_IMAGE_KEY,
      content_type: 'image/jpeg',
      content_length: 845_312,
      status: 'ready',
      position: 0,
    })
    .execute();
  await db
    .insertInto('reservations')
    .values({
      id: EXAMPLE_IDS.block,
      car_id: yaris!.id,
      kind: 'block',
      status: 'confirmed',
      start_date: days.block.start,
      end_date: days.block.end,
      reason: 'Scheduled service',
    })
    .execute();
  // The moments the examples show, for columns the database stamps on insert.
  await sql`UPDATE cars SET created_at = ${listedAt}, updated_at = ${listedAt} WHERE id IN (${EXAMPLE_IDS.scooter}, ${EXAMPLE_IDS.car})`.execute(db);
  await sql`UPDATE car_images SET created_at = ${listedAt}, confirmed_at = ${listedAt} WHERE id = ${EXAMPLE_IDS.scooterImage}`.execute(db);
  await sql`UPDATE reviews SET created_at = ${new Date(days.reviewCreatedAt)} WHERE id = ${EXAMPLE_IDS.review}`.execute(db);
  for (const [id, createdAt] of backdated) {
    await sql`UPDATE reservations SET created_at = ${new Date(createdAt)}, updated_at = ${new Date(createdAt)} WHERE id = ${id}`.execute(db);
  }
  return { agencies: agencies.length, cars: cars.length, bookings };
}

/**
 * The rental rules of the catalogue (issue 17), written with the agency API's functions as an
 * agency would: Phuket's high season with its New Year peak on every car that is not a scooter
 * (rate plans at a percentage of each car's rate), the examples' rules on Patong Wheels' scooter
 * (3 days at least) and Yaris Ativ (a day's notice, a day's turnaround), a weekly discount on
 * every other car, a day's turnaround on HKT Airport Cars' cars, and the agencies' hours, after-hours
 * fees and delivery places. Before any booking, so every booking is priced under these terms.
 */
async function setRentalTerms(db: Kysely<Database>, today: string, agencies: Array<{ id: string; email: string }>): Promise<void> {
  const carRows = await db.selectFrom('cars').select(['id', 'agency_id', 'car_type', 'deleted_at']).orderBy('created_at').orderBy('id').execute();
  const plans = exampleSeasonPlans(today);
  for (const agency of agencies) {
    const fleet = carRows.filter((car) => car.agency_id === agency.id && car.deleted_at === null);
    const seasonal = fleet.filter((car) => car.car_type !== 'scooter').map((car) => car.id);
    for (const season of plans.highSeason) await addRatePlan(db, agency.id, { car_ids: seasonal, ...season });
    for (const [index, car] of fleet.entries()) {
      const rules: CarChanges | undefined =
        car.id === EXAMPLE_IDS.scooter
          ? EXAMPLE_SCOOTER_RULES
          : car.id === EXAMPLE_IDS.car
            ? EXAMPLE_CAR_RULES
            : car.car_type === 'scooter'
              ? undefined
              : {
                  ...(index % 2 === 1 ? { weekly_discount: { percent: 10 }, monthly_discount: { percent: 20 } } : {}),
                  ...(agency.email === 'hkt.cars@example.com' ? { turnaround_days: 1 } : {}),
                };
      if (rules && Object.keys(rules).length > 0) await updateCar(db, agency.id, car.id, rules);
    }
    const terms = agency.id === EXAMPLE_IDS.agency ? { hours: EXAMPLE_OPENING_HOURS, delivery: EXAMPLE_DELIVERY } : AGENCY_TERMS[agency.email];
    if (terms?.hours) await replaceOpeningHours(db, agency.id, terms.hours);
    if (terms?.delivery) await replaceDeliveryOptions(db, agency.id, terms.delivery);
  }
  // The Yaris Ativ's seasons with the examples' ids (listCarSeasons shows them).
  const [early, peak, late] = plans.highSeason;
  await sql`
    UPDATE car_seasons SET id = CASE start_date
      WHEN ${early!.start_date}::date THEN ${EXAMPLE_IDS.highSeason}::uuid
      WHEN ${peak!.start_date}::date THEN ${EXAMPLE_IDS.newYearPeak}::uuid
      WHEN ${late!.start_date}::date THEN ${EXAMPLE_IDS.lateHighSeason}::uuid END
    WHERE car_id = ${EXAMPLE_IDS.car}`.execute(db);
}
